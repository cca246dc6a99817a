"""Column names (Norwegian or English, any case or accents) and cell values as people type them."""

import re
import unicodedata
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from pydantic_core import PydanticCustomError

from app.models.types import refuse_personal_data

_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a"})


@lru_cache(maxsize=8192)  # the same few values ("dag", "kommunal", …) come back on every row
def norm(header: str) -> str:
    """'Kommunenr.' → 'kommunenr', 'Nivå' → 'niva', 'Municipality number' → 'municipalitynumber'."""
    text = unicodedata.normalize("NFKD", header.casefold().translate(_FOLD))
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in text if not unicodedata.combining(c)))


# canonical field → accepted headers (normalised on use). The first is the template's header.
SERVICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("Ekstern ID", "external_id", "tilbud id", "tilbudsid", "id"),
    "provider_orgnr": ("Tilbyder orgnr", "provider_orgnr", "orgnr", "organisasjonsnummer"),
    "provider_id": ("Tilbyder ID", "provider_id"),
    "provider_municipality": ("Kommunenr", "kommunenummer", "kommune nr", "municipality_number", "kommune"),
    # Name columns beside a number column: read as the name and checked against the number (see NAME_OF).
    "provider_name": ("Tilbydernavn", "provider_name", "tilbyder", "tilbyders navn", "navn på tilbyder"),
    "provider_municipality_name": ("Kommunenavn", "municipality_name", "kommune", "navn på kommune"),
    "name": ("Navn", "name", "tilbud", "tilbudsnavn", "navn på tilbud"),
    "description": ("Beskrivelse", "description"),
    "level": ("Nivå", "level", "tjenestenivå"),
    "forms": ("Form", "forms", "former", "tilbudsform"),
    "patient_groups": ("Pasientgrupper", "patient_groups", "pasientgruppe", "diagnosegrupper"),
    "age_groups": ("Aldersgrupper", "age_groups", "aldersgruppe"),
    "capacity_number": ("Kapasitet", "capacity_number", "antall plasser"),
    "capacity_unit": ("Kapasitet enhet", "capacity_unit", "enhet"),
    "waiting_time_days": ("Ventetid dager", "waiting_time_days", "ventetid"),
    "waiting_time_reported_on": ("Ventetid dato", "waiting_time_reported_on"),
    "catchment": ("Opptaksområde", "catchment", "kommuner"),
    "referrers": ("Henvisning fra", "referrers", "henvisere"),
    "referral_criteria": ("Henvisningskriterier", "referral_criteria"),
    "contact_name": ("Kontaktperson", "contact_name", "kontakt"),
    "contact_phone": ("Telefon", "contact_phone"),
    "contact_email": ("E-post", "contact_email", "epost"),
    "website": ("Nettside", "website", "url"),
    "status": ("Status", "status"),
    "valid_from": ("Gyldig fra", "valid_from"),
    "valid_to": ("Gyldig til", "valid_to"),
    "last_verified_on": ("Sist verifisert", "last_verified_on"),
    "helsehjelpsomrade_8655": ("Helsehjelpsområde", "helsehjelpsomrade_8655"),
    "iplos_9151": ("IPLOS tjenestetype", "iplos_9151"),
    "omsorgsniva_8406": ("Omsorgsnivå", "omsorgsniva_8406"),
}

PROFILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "municipality_number": ("Kommunenr", "kommunenummer", "municipality_number", "kommune"),
    "year": ("År", "year", "kartleggingsår", "survey_year"),
    "has_cancer_coordinator": ("Kreftkoordinator", "has_cancer_coordinator", "har kreftkoordinator"),
    "coordinating_unit_contact": (
        "Koordinerende enhet kontakt",
        "coordinating_unit_contact",
        "koordinerende enhet",
        "kontakt koordinerende enhet",
    ),
    "rehab_in_municipal_plan": (
        "Rehabilitering i kommuneplan",
        "rehab_in_municipal_plan",
        "rehabilitering i kommuneplanen",
    ),
    "overview_of_rehab_needs": (
        "Oversikt over behov",
        "overview_of_rehab_needs",
        "oversikt over brukere med rehabiliteringsbehov",
    ),
    "overview_of_waiting_times": ("Oversikt over ventetid", "overview_of_waiting_times", "oversikt ventetid"),
    "everyday_rehab_team": ("Hverdagsrehabiliteringsteam", "everyday_rehab_team", "team hverdagsrehabilitering"),
    "rehab_places": ("Rehabiliteringsplasser", "rehab_places", "antall rehabiliteringsplasser"),
    # beside Kommunenr: read as the name and checked against the number
    "municipality_name": ("Kommunenavn", "municipality_name", "kommune", "navn på kommune"),
}

LEVELS = {
    "kommunal": "municipal",
    "kommune": "municipal",
    "spesialist": "specialist",
    "spesialisthelsetjenesten": "specialist",
    "spesialisthelsetjeneste": "specialist",
}
FORMS = {
    "dogn": "inpatient",
    "dognopphold": "inpatient",
    "dag": "day",
    "dagtilbud": "day",
    "poliklinisk": "outpatient",
    "ambulant": "ambulatory",
    "hverdagsrehabilitering": "home_based",
    "lms": "learning_and_mastery",
    "laeringsogmestring": "learning_and_mastery",
    "laeringsogmestringstilbud": "learning_and_mastery",
    "telerehabilitering": "digital",
    "digital": "digital",
}
STATUSES = {
    "aktiv": "active",
    "planlagt": "planned",
    "pause": "paused",
    "pauset": "paused",
    "sattpapause": "paused",
    "avviklet": "discontinued",
    "nedlagt": "discontinued",
}
AGE_GROUPS = {"barn": "children", "voksne": "adults", "voksen": "adults", "eldre": "elderly"}
REFERRERS = {
    "fastlege": "gp",
    "sykehus": "hospital",
    "spesialisthelsetjenesten": "hospital",
    "egenhenvisning": "self_referral",
    "selv": "self_referral",
    "kommunen": "municipality",
}
UNITS = {
    "senger": "beds",
    "dagplasser": "day_places",
    "kursplasserperar": "course_seats_per_year",
    "kursplasser": "course_seats_per_year",
    "konsultasjonerperar": "consultations_per_year",
    "plasser": "places",
}

_TRUE = {"ja", "j", "yes", "y", "x", "true", "1", "sann"}
_FALSE = {"nei", "n", "no", "false", "0", "usann"}


class CellError(ValueError):
    """A cell that cannot be read: `str(exc)` is for the person who filled in the file (bokmål), `code`
    for programs (see app.domain.imports.errors)."""

    def __init__(self, message: str, code: str = "invalid_value") -> None:
        super().__init__(message)
        self.code = code


# A number field's name column: a sheet may have both ("Kommunenr" and "Kommune"); the name is then
# checked against the number. A header both could mean ("Kommune") is the number's when it stands alone.
NAME_OF = {
    "provider_municipality": "provider_municipality_name",
    "municipality_number": "municipality_name",
    "provider_orgnr": "provider_name",
}

# What coded cells are called, and the words a person may write in them (for "use one of" in messages).
WORDS: dict[str, tuple[str, str]] = {
    "level": ("nivå", "kommunal, spesialist"),
    "status": ("status", "aktiv, planlagt, pause, avviklet"),
    "form": ("form", "døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital"),
    "age group": ("aldersgruppe", "barn, voksne, eldre"),
    "referrer": ("henviser", "fastlege, sykehus, egenhenvisning, kommunen"),
    "unit": ("kapasitetsenhet", "senger, dagplasser, kursplasser per år, konsultasjoner per år, plasser"),
}
# Norwegian words for codes, as notes and messages show them.
UNIT_LABELS = {
    "beds": "senger",
    "day_places": "dagplasser",
    "course_seats_per_year": "kursplasser per år",
    "consultations_per_year": "konsultasjoner per år",
    "places": "plasser",
}
FORM_LABELS = {
    "inpatient": "døgn",
    "day": "dag",
    "outpatient": "poliklinisk",
    "ambulatory": "ambulant",
    "home_based": "hverdagsrehabilitering",
    "learning_and_mastery": "lærings- og mestringstilbud",
    "digital": "digital",
}
# The capacity unit a form implies, where only one fits (a capacity without a unit takes it, with a note).
UNIT_OF_FORM = {"inpatient": "beds", "day": "day_places", "learning_and_mastery": "course_seats_per_year"}


# What a cell is trimmed of: whitespace, but not the controls str.strip() also counts as whitespace
# (U+001C-U+001F, U+0085), which are left for the schema to refuse rather than silently dropped.
_TRIM = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace() and ch not in "\x1c\x1d\x1e\x1f\x85")


def text(value: Any) -> str | None:
    """A text cell, trimmed and in NFC, as all stored text is (a cell may hold 'Å' as 'A' + combining ring)."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    out = unicodedata.normalize("NFC", str(value).strip(_TRIM))
    return out or None


def guarded_text(value: Any) -> str | None:
    """A text cell stored as it is, not through the shared text types (the external ID, a survey's contact):
    refused, as they refuse it, when it carries a national identity number. The message never repeats it."""
    out = text(value)
    if out is not None:
        try:
            refuse_personal_data(out)
        except PydanticCustomError as exc:
            raise CellError(exc.message(), "personal_data") from None
    return out


def required(value: Any) -> str:
    """A cell that must be filled in."""
    out = text(value)
    if out is None:
        raise CellError("verdien mangler", "missing_value")
    return out


def integer(value: Any) -> int | None:
    """12, 12.0, '12', '12,0', '1 200' → int; '12,5' is an error (not a whole number)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError(f"«{value}» er ikke et tall", "not_a_number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError(f"«{_decimal(value)}» er ikke et helt tall", "not_a_number")
    raw = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = float(raw)
    except ValueError as exc:
        raise CellError(f"«{value}» er ikke et tall", "not_a_number") from exc
    if not number.is_integer():
        raise CellError(f"«{value}» er ikke et helt tall", "not_a_number")
    if abs(number) > 2**31:
        raise CellError(f"«{value}» er et for stort tall", "out_of_range")
    return int(number)


def _decimal(value: float) -> str:
    """12.5 as a Norwegian writes it: 12,5."""
    return repr(value).replace(".", ",")


def boolean(value: Any) -> bool | None:
    """ja/nei/yes/no/x/blank (blank: not answered)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    raw = str(value).strip().casefold()
    if not raw:
        return None
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise CellError(f"«{value}» er ikke ja eller nei", "not_yes_no")


def day(value: Any) -> date | None:
    """A date cell, 'YYYY-MM-DD' or 'dd.mm.yyyy'."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    try:
        if len(raw) == 10 and raw[2] == "." and raw[5] == ".":
            return date(int(raw[6:]), int(raw[3:5]), int(raw[:2]))
        return date.fromisoformat(raw)
    except ValueError:
        pass
    raise CellError(f"«{value}» er ikke en dato (skriv dd.mm.åååå eller åååå-mm-dd)", "not_a_date")


def items(value: Any) -> list[str]:
    """A list cell: values separated by ';', ',', '|' or new lines."""
    raw = text(value)
    if raw is None:
        return []
    return [part.strip() for part in re.split(r"[;,|\n]", raw) if part.strip()]


def coded(value: str, mapping: dict[str, str], codes: set[str], what: str) -> str:
    if value in codes:
        return value
    key = norm(value)
    if key in mapping:
        return mapping[key]
    for code in codes:
        if norm(code) == key:
            return code
    noun, choices = WORDS.get(what, (what, ""))
    raise CellError(f"ukjent {noun} «{value}»" + (f"; bruk en av: {choices}" if choices else ""), "unknown_code")


def municipality(value: Any, known: frozenset[str]) -> str:
    """A municipality number; '301' (Excel ate the zero) becomes '0301' when that is a municipality."""
    raw = text(value)
    if raw is None:
        raise CellError("kommunenummeret mangler", "missing_value")
    if raw.isdigit() and len(raw) < 4 and raw.zfill(4) in known:
        raw = raw.zfill(4)
    if raw not in known:
        raise CellError(f"ukjent kommunenummer «{raw}»", "unknown_municipality")
    return raw


# The survey's "Behov" sheet: unmet needs, each becoming a gap registration (source `survey`).
# Kommunenr does not take the alias "kommune" here: a sheet may have a name column "Kommune" beside it.
NEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "municipality_number": ("Kommunenr", "kommunenummer", "municipality_number", "kommune nr"),
    "municipality_name": ("Kommune", "kommunenavn", "municipality", "municipality_name"),
    "year": ("År", "year", "kartleggingsår", "survey_year"),
    "patient_group": ("Pasientgruppe", "patient_group", "pasientgrupper", "diagnosegruppe"),
    "category": ("Kategori", "category", "type behov", "behovstype"),
    "severity": ("Alvorlighet", "severity", "alvorlighetsgrad", "prioritet"),
    "description": ("Beskrivelse", "description", "behov", "udekket behov"),
    "title": ("Tittel", "title", "overskrift"),
}

# Norwegian labels (and other words people use) → GapCategory / GapSeverity codes, in norm() form.
CATEGORY_LABELS = {
    "missing_service": "Manglende tilbud",
    "capacity": "Kapasitet",
    "waiting_time": "Ventetid",
    "handover": "Overlevering",  # as the gap pages label it (app/web/labels.py GAP_CATEGORIES)
    "competence": "Kompetanse",
    "information": "Informasjon",
    "other": "Annet",
}
CATEGORIES = {
    **{norm(label): code for code, label in CATEGORY_LABELS.items()},
    "mangler": "missing_service",
    "manglertilbud": "missing_service",
    "tilbudmangler": "missing_service",
    "manglendetjeneste": "missing_service",
    "forlitenkapasitet": "capacity",
    "langventetid": "waiting_time",
    "overgang": "handover",
    "overganger": "handover",
    "overforing": "handover",
    "overgangermellomniva": "handover",
    "samhandling": "handover",
    "manglendekompetanse": "competence",
    "annen": "other",
    "andre": "other",
}
SEVERITY_LABELS = {"low": "Lav", "medium": "Middels", "high": "Høy", "critical": "Kritisk"}
SEVERITIES = {
    **{norm(label): code for code, label in SEVERITY_LABELS.items()},
    "moderat": "medium",
    "middel": "medium",
    "alvorlig": "high",
    "svaerthoy": "critical",
}
