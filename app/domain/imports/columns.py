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
    """A cell that cannot be read; the message is for the person who filled in the file."""


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
            raise CellError(exc.message()) from None
    return out


def required(value: Any) -> str:
    """A cell that must be filled in."""
    out = text(value)
    if out is None:
        raise CellError("is missing")
    return out


def integer(value: Any) -> int | None:
    """12, 12.0, '12', '12,0', '1 200' → int; '12,5' is an error (not a whole number)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise CellError("must be a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value.is_integer():
            return int(value)
        raise CellError("must be a whole number")
    raw = str(value).strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = float(raw)
    except ValueError as exc:
        raise CellError(f"'{value}' is not a number") from exc
    if not number.is_integer() or abs(number) > 2**31:
        raise CellError("must be a whole number")
    return int(number)


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
    raise CellError(f"'{value}' is not ja/nei")


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
    raise CellError(f"'{value}' is not a date (use dd.mm.yyyy or yyyy-mm-dd)")


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
    raise CellError(f"unknown {what} '{value}'")


def municipality(value: Any, known: frozenset[str]) -> str:
    """A municipality number; '301' (Excel ate the zero) becomes '0301' when that is a municipality."""
    raw = text(value)
    if raw is None:
        raise CellError("municipality number is missing")
    if raw.isdigit() and len(raw) < 4 and raw.zfill(4) in known:
        raw = raw.zfill(4)
    if raw not in known:
        raise CellError(f"unknown municipality number '{raw}'")
    return raw
