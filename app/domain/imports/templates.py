"""Downloadable import templates: the headers, one example row and (in XLSX) what each column means."""

import csv
import io

from openpyxl import Workbook

from app.domain.imports.columns import PROFILE_COLUMNS, SERVICE_COLUMNS
from app.models.imports import ImportKind

_SERVICE_EXAMPLE = {
    "external_id": "KOLS-KURS-1",
    "provider_orgnr": "983974694",
    "provider_id": "",
    "provider_municipality": "",
    "name": "Lærings- og mestringskurs: Leve med KOLS",
    "description": "Todagers kurs for personer med KOLS og pårørende",
    "level": "spesialist",
    "forms": "lærings- og mestring",
    "patient_groups": "KOLS",
    "age_groups": "voksne; eldre",
    "capacity_number": "40",
    "capacity_unit": "kursplasser per år",
    "waiting_time_days": "30",
    "waiting_time_reported_on": "01.09.2026",
    "catchment": "",
    "referrers": "fastlege; sykehus; egenhenvisning",
    "referral_criteria": "",
    "contact_name": "",
    "contact_phone": "",
    "contact_email": "",
    "website": "",
    "status": "aktiv",
    "valid_from": "",
    "valid_to": "",
    "last_verified_on": "",
    "helsehjelpsomrade_8655": "H09",
    "iplos_9151": "",
    "omsorgsniva_8406": "",
}
_PROFILE_EXAMPLE = {
    "municipality_number": "4614",
    "year": "2026",
    "has_cancer_coordinator": "ja",
    "coordinating_unit_contact": "Koordinerende enhet, tlf. 53 00 00 00",
    "rehab_in_municipal_plan": "nei",
    "overview_of_rehab_needs": "ja",
    "overview_of_waiting_times": "nei",
    "everyday_rehab_team": "ja",
    "rehab_places": "6",
}
_HELP = {
    "external_id": "Required. The provider's own key for the service; the same key updates the same service.",
    "provider_orgnr": "The provider's organisation number (or use Tilbyder ID, or Kommunenr for municipal services).",
    "provider_id": "The provider's id in Rehabkart (instead of the organisation number).",
    "provider_municipality": "For municipal services: the municipality number ('301' is read as '0301').",
    "name": "Required.",
    "level": "Required: kommunal or spesialist.",
    "forms": "Required, one or more: døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital.",
    "patient_groups": "Codes or Norwegian names (KOLS, Hjerneslag, …), separated by ';'.",
    "catchment": "Municipality numbers separated by ';'. Blank: the provider's catchment.",
    "capacity_number": "A whole number; give Kapasitet enhet too.",
    "status": "aktiv (blank), planlagt, pause, avviklet.",
    "year": "Survey year.",
    "rehab_places": "Number of rehabilitation places.",
}


def _columns(kind: ImportKind) -> list[tuple[str, dict[str, tuple[str, ...]], dict[str, str]]]:
    if kind == ImportKind.rehab_services:
        return [("Tilbud", SERVICE_COLUMNS, _SERVICE_EXAMPLE)]
    return [("Tilbud", SERVICE_COLUMNS, _SERVICE_EXAMPLE), ("Kommune", PROFILE_COLUMNS, _PROFILE_EXAMPLE)]


def template_csv(kind: ImportKind) -> bytes:
    """UTF-8 with BOM and semicolons: opens cleanly in Norwegian Excel."""
    _, spec, example = _columns(kind)[-1]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([aliases[0] for aliases in spec.values()])
    writer.writerow([example.get(name, "") for name in spec])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_xlsx(kind: ImportKind) -> bytes:
    book = Workbook()
    book.remove(book.active)
    explain = []
    for title, spec, example in _columns(kind):
        sheet = book.create_sheet(title)
        sheet.append([aliases[0] for aliases in spec.values()])
        sheet.append([example.get(name, "") for name in spec])
        explain += [(title, aliases[0], ", ".join(aliases[1:]), _HELP.get(name, "")) for name, aliases in spec.items()]
    help_sheet = book.create_sheet("Forklaring")
    help_sheet.append(["Ark", "Kolonne", "Andre navn som godtas", "Forklaring"])
    for row in explain:
        help_sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
