"""Downloadable import templates: the headers, one example row and (in XLSX) what each column means."""

import csv
import io

from openpyxl import Workbook

from app.domain.imports.columns import (
    CATEGORY_LABELS,
    NEED_COLUMNS,
    PROFILE_COLUMNS,
    SERVICE_COLUMNS,
    SEVERITY_LABELS,
)
from app.models.imports import ImportKind

_SERVICE_EXAMPLE = {
    "external_id": "KOLS-KURS-1",
    "provider_orgnr": "983974694",
    "provider_id": "",
    "provider_municipality": "",
    "provider_name": "Helse Fonna HF",
    "provider_municipality_name": "",
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
    "municipality_name": "Stord",
}
_NEED_EXAMPLE = {
    "municipality_number": "4614",
    "municipality_name": "Stord",
    "year": "2026",
    "patient_group": "Hjerneslag",
    "category": "Manglende tilbud",
    "severity": "høy",
    "description": "Ingen kommunal dagrehabilitering etter hjerneslag; pasientene blir liggende lenger på sykehus",
    "title": "",
}
NEEDS_SHEET = "Behov"
_NEED_HELP = {
    "municipality_number": "Påkrevd. Kommunenummeret ('301' leses som '0301'). Kommunen eier det udekkede behovet "
    "og følger det opp.",
    "municipality_name": "Valgfri. Kommunens navn; sjekkes mot kommunenummeret, og raden avvises hvis de ikke "
    "hører sammen.",
    "year": "Kartleggingsåret. Tomt: året kommunen har i arket Kommune (eller det ene året arket Kommune har).",
    "patient_group": "Pasientgruppen: kode, norsk eller engelsk navn, vanlig ord eller ICD-10-kode (Hjerneslag, "
    "KOLS, MS, Parkinson, J44 …). Tomt: gjelder alle pasientgrupper.",
    "category": "Påkrevd, en av: " + ", ".join(CATEGORY_LABELS.values()) + ".",
    "severity": "En av: " + ", ".join(SEVERITY_LABELS.values()) + ". Tomt: Middels for et nytt behov.",
    "description": "Hva som mangler, og for hvem. Ingen personopplysninger: en rad med et fødselsnummer avvises.",
    "title": "Valgfri. Tomt: lages av kategori, pasientgruppe og kommune («Manglende tilbud – Hjerneslag i Stord»).",
}
_NEED_INTRO = (
    "Arket Behov: hver rad blir et udekket behov (kilde: kartlegging). År, kommune, pasientgruppe og kategori er "
    "nøkkelen: importeres samme rad på nytt, oppdateres behovet i stedet for at et nytt lages. Tomme celler for "
    "tittel, alvorlighet og beskrivelse endrer ikke et behov som finnes fra før. Arket kan utelates."
)
_UNITS = "senger, dagplasser, kursplasser per år, konsultasjoner per år eller plasser"
_HELP = {
    # Tilbud
    "external_id": "Påkrevd. Tilbyderens egen nøkkel for tilbudet: samme nøkkel oppdaterer samme tilbud.",
    "provider_orgnr": "Tilbyderens organisasjonsnummer (eller bruk Tilbyder ID, eller Kommunenr for kommunale tilbud).",
    "provider_id": "Tilbyderens id i Rehabkart (i stedet for organisasjonsnummeret).",
    "provider_municipality": "For kommunale tilbud: kommunenummeret ('301' leses som '0301').",
    "provider_name": "Valgfri. Tilbyderens navn; sjekkes mot organisasjonsnummeret (eller id-en), og raden avvises "
    "hvis de ikke hører sammen.",
    "provider_municipality_name": "Valgfri. Kommunens navn ved siden av Kommunenr; sjekkes mot nummeret. Navnet, "
    "det offisielle navnet og samiske og kvenske navn godtas.",
    "name": "Påkrevd. Tilbudets navn.",
    "description": "Valgfri. Hva tilbudet er, og for hvem. Ingen personopplysninger.",
    "level": "Påkrevd: kommunal eller spesialist. Tomt for en kommunes tilbud: kommunal (vises som merknad).",
    "forms": "Påkrevd, én eller flere: døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital.",
    "patient_groups": "Pasientgrupper skilt med ';' eller ',': kode, norsk (bokmål eller nynorsk) eller engelsk "
    "navn, vanlige ord (MS, Parkinson, slag, revmatisme, KOLS) eller ICD-10-kode (J44). Et ord som kan bety flere "
    "grupper, avvises med forslag.",
    "age_groups": "Valgfri: barn, voksne, eldre, skilt med ';'.",
    "capacity_number": "Et helt tall. Fyll inn Kapasitet enhet også.",
    "capacity_unit": f"{_UNITS[0].upper()}{_UNITS[1:]}. Tomt: senger for døgn, dagplasser for dag og kursplasser "
    "per år for LMS (vises som merknad); for andre former må enheten fylles inn.",
    "waiting_time_days": "Ventetid i dager, et helt tall.",
    "waiting_time_reported_on": "Datoen ventetiden gjelder (dd.mm.åååå).",
    "catchment": "Kommunenumre skilt med ';'. Tomt: tilbyderens opptaksområde.",
    "referrers": "Hvem som kan henvise: fastlege, sykehus, egenhenvisning, kommunen, skilt med ';'.",
    "referral_criteria": "Valgfri. Henvisningskriteriene.",
    "contact_name": "Valgfri. Kontaktperson eller kontaktpunkt (ikke pasienter).",
    "contact_phone": "Valgfri. Telefonnummer.",
    "contact_email": "Valgfri. E-postadresse.",
    "website": "Valgfri. Nettadresse som begynner med https://.",
    "status": "aktiv (tomt), planlagt, pause eller avviklet.",
    "valid_from": "Valgfri. Fra dato (dd.mm.åååå).",
    "valid_to": "Valgfri. Til dato (dd.mm.åååå); ikke før Gyldig fra.",
    "last_verified_on": "Valgfri. Datoen opplysningene sist ble sjekket (dd.mm.åååå).",
    "helsehjelpsomrade_8655": "Valgfri. Kode fra Volven 8655 helsehjelpsområde, f.eks. H09 Rehabilitering.",
    "iplos_9151": "Valgfri. Kode fra Volven 9151 IPLOS tjenestetype (kommunale tjenester).",
    "omsorgsniva_8406": "Valgfri. Kode fra Volven 8406 omsorgsnivå: 1 døgn, 2 dag, 3 poliklinisk.",
    # Kommune
    "municipality_number": "Påkrevd. Kommunenummeret ('301' leses som '0301').",
    "municipality_name": "Valgfri. Kommunens navn; sjekkes mot kommunenummeret.",
    "year": "Påkrevd. Kartleggingsåret.",
    "has_cancer_coordinator": "Har kommunen kreftkoordinator? ja eller nei (tomt: ikke svart).",
    "coordinating_unit_contact": "Kontaktinformasjon til koordinerende enhet (ikke pasienter).",
    "rehab_in_municipal_plan": "Er rehabilitering omtalt i kommuneplanen? ja eller nei.",
    "overview_of_rehab_needs": "Har kommunen oversikt over brukere med rehabiliteringsbehov? ja eller nei.",
    "overview_of_waiting_times": "Har kommunen oversikt over ventetider? ja eller nei.",
    "everyday_rehab_team": "Har kommunen team for hverdagsrehabilitering? ja eller nei.",
    "rehab_places": "Antall rehabiliteringsplasser, et helt tall.",
}


def _columns(kind: ImportKind) -> list[tuple[str, dict[str, tuple[str, ...]], dict[str, str]]]:
    if kind == ImportKind.rehab_services:
        return [("Tilbud", SERVICE_COLUMNS, _SERVICE_EXAMPLE)]
    return [
        ("Tilbud", SERVICE_COLUMNS, _SERVICE_EXAMPLE),
        ("Kommune", PROFILE_COLUMNS, _PROFILE_EXAMPLE),
        (NEEDS_SHEET, NEED_COLUMNS, _NEED_EXAMPLE),
    ]


def template_csv(kind: ImportKind) -> bytes:
    """UTF-8 with BOM and semicolons: opens cleanly in Norwegian Excel. A CSV holds one table: the services,
    or a survey's municipality facts (the unmet needs come only in the workbook's "Behov" sheet)."""
    _, spec, example = [table for table in _columns(kind) if table[0] != NEEDS_SHEET][-1]
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
        helps = _NEED_HELP if title == NEEDS_SHEET else _HELP
        explain += [(title, aliases[0], ", ".join(aliases[1:]), helps.get(name, "")) for name, aliases in spec.items()]
    help_sheet = book.create_sheet("Forklaring")
    help_sheet.append(["Ark", "Kolonne", "Andre navn som godtas", "Forklaring"])
    for row in explain:
        help_sheet.append(list(row))
    if any(title == NEEDS_SHEET for title, _, _ in _columns(kind)):
        help_sheet.append([])
        help_sheet.append([NEEDS_SHEET, "", "", _NEED_INTRO])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
