"""Form data → schema input, and validation errors → Norwegian messages per field."""

from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from app.domain.errors import FieldError
from app.kit.personal_data import mask
from app.models.rehab_service import RehabServiceFields
from app.models.types import PERSONAL_DATA_MESSAGE

LIST_FIELDS = ("forms", "patient_groups", "age_groups", "referrers")
INT_FIELDS = ("capacity_number", "waiting_time_days", "provider_id")
OPTIONAL_TEXT = (
    "capacity_unit",
    "waiting_time_reported_on",
    "contact_name",
    "contact_phone",
    "contact_email",
    "website",
    "valid_from",
    "valid_to",
    "last_verified_on",
    "external_id",
    "helsehjelpsomrade_8655",
    "iplos_9151",
    "omsorgsniva_8406",
)


def form_text(form: FormData, name: str) -> str:
    """A posted text field ("" when absent, or when a file came instead)."""
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


def posted_id(raw: str) -> int | str | None:
    """A posted id or count: an int when it is one, else the text (the schema then says what is wrong), None
    when blank."""
    raw = raw.strip()
    return int(raw) if raw.isdigit() and len(raw) < 10 else (raw or None)


def if_match(version: str) -> str:
    """The hidden `version` field as an If-Match value; anything but a number is a version that never matches."""
    return f'"{version}"' if version.isdigit() and len(version) < 10 else '"0"'


def service_values(form: FormData) -> dict[str, Any]:
    """The service fields in a posted form, typed as the schema expects (blank = not given)."""
    values: dict[str, Any] = {}
    for name in RehabServiceFields.model_fields:
        if name in LIST_FIELDS:
            values[name] = [str(v) for v in form.getlist(name)]
        elif name == "catchment":
            raw = str(form.get("catchment", "")).replace(";", ",").replace(" ", ",")
            numbers = [n for n in raw.split(",") if n]
            values[name] = numbers if form.get("catchment_mode") == "own" else None
        elif name in form:
            values[name] = str(form[name])
    for name in INT_FIELDS:
        raw = str(form.get(name, "")).strip()
        if name in values or name in form:
            values[name] = posted_id(raw)
    for name in OPTIONAL_TEXT:
        if name in values and not str(values[name]).strip():
            values[name] = None
    return values


_MESSAGES = {
    "missing": "Må fylles ut.",
    "string_too_short": "Må fylles ut.",
    "too_short": "Velg minst én.",
    "string_too_long": "Teksten er for lang (maks {max_length} tegn).",
    "too_long": "For mange valg.",
    "int_type": "Må være et helt tall.",
    "int_parsing": "Må være et helt tall.",
    "greater_than_equal": "Må være minst {ge}.",
    "less_than_equal": "Kan ikke være mer enn {le}.",
    "enum": "Velg et av alternativene.",
    "literal_error": "Velg et av alternativene.",
    "date_from_datetime_parsing": "Skriv en gyldig dato.",
    "date_parsing": "Skriv en gyldig dato.",
    "date_type": "Skriv en gyldig dato.",
    "string_pattern_mismatch": "Har feil format.",
    "extra_forbidden": "Ukjent felt.",
    "personal_data": PERSONAL_DATA_MESSAGE,
}
_VALUE_ERRORS = {
    "valid_to must not be before valid_from": ("valid_to", "Sluttdato kan ikke være før startdato."),
    "capacity_unit is required when capacity_number is given": ("capacity_unit", "Velg enhet for kapasiteten."),
    "must be between 1900-01-01 and 2200-12-31": (None, "Datoen må være mellom 1900 og 2200."),
}


def field_messages(exc: ValidationError) -> dict[str, str]:
    """{field name: Norwegian message} for a pydantic validation error."""
    out: dict[str, str] = {}
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        name = loc[0] if loc else "__all__"
        if name == "provider_id":
            out.setdefault(name, "Velg tilbyder.")
            continue
        message = _MESSAGES.get(err["type"], "")
        if message:
            message = message.format(**(err.get("ctx") or {}))
        else:
            raw = str(err.get("ctx", {}).get("error", err["msg"]))
            target, message = _VALUE_ERRORS.get(raw, (None, f"Ugyldig verdi: {raw}"))
            name = target or name
        out.setdefault(name, message)
    return out


def domain_messages(errors: list[FieldError]) -> dict[str, str]:
    """{field: message} for errors found against the database (unknown codes, municipalities …)."""
    out: dict[str, str] = {}
    for err in errors:
        name = str(err.loc[1]) if len(err.loc) > 1 else "__all__"
        message = err.message
        if message.startswith("unknown municipality number"):
            message = "Ukjent kommunenummer " + message.rsplit(" ", 1)[-1] + "."
        elif message.startswith("unknown patient group"):
            message = "Ukjent pasientgruppe."
        elif message.startswith("no organisation"):
            message = "Ukjent organisasjon."
        out.setdefault(name, message)
    return out


def masked(values: dict[str, Any]) -> dict[str, Any]:
    """A form's values as it is shown again after an error, every national identity number typed masked
    ("•••••• •••••"), so the page never repeats one: the person deletes the dots and saves again."""
    return {
        name: mask(value) if isinstance(value, str) else [mask(v) for v in value] if isinstance(value, list) else value
        for name, value in values.items()
    }
