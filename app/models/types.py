"""Constrained field types shared by every schema: bounded, strict, free of control characters."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, StringConstraints
from pydantic_core import PydanticCustomError

from app.kit.identifiers import orgnr_is_valid
from app.kit.personal_data import contains_identity_number
from app.kit.text import nfc

# NUL and other C0 controls break PostgreSQL text and terminals, C1 controls (U+0080-U+009F) are never
# meant as text; tabs/newlines only in long text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


PERSONAL_DATA_MESSAGE = (
    "Teksten ser ut til å inneholde et fødselsnummer eller d-nummer. Rehabkart skal ikke ha personopplysninger"
    " om pasienter: fjern nummeret. (Et kontonummer kan skrives 1234.56.78903.)"
)


def refuse_personal_data(value: str) -> str:
    """`value`, unless it carries a Norwegian national identity number (app.kit.personal_data).

    The error's type is `personal_data`: the API answers it as /problems/personal-data, the pages and the
    importer show the message. The message never repeats the number.
    """
    if contains_identity_number(value):
        raise PydanticCustomError("personal_data", PERSONAL_DATA_MESSAGE)
    return value


# Text is checked as sent, before stripping: strip_whitespace removes some controls (U+0085, and
# Python's str.strip() U+001C-U+001F too), which would hide them from the check and let them pad a value
# past its length limit. Then it is put in NFC, so that the length limit counts composed characters and
# 'Å' is stored and searched as one character however the client encoded it, and refused if it carries a
# national identity number (every free-text type: names, texts, external ids, and phone numbers, e-mail
# addresses and URLs too, whose patterns would let 11 digits through). Non-strings pass through to the type check.
def _single_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if _CONTROL_OR_NEWLINE.search(value):
        raise ValueError("must be a single line without control characters")
    return refuse_personal_data(nfc(value))


def _multi_line(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return refuse_personal_data(nfc(value))


def _orgnr(value: str) -> str:
    if not orgnr_is_valid(value):
        raise ValueError("is not a valid organisation number (9 digits with a modulus-11 check digit)")
    return value


# The BeforeValidator comes last, so it runs first: on the raw input, before strip and length.
Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), BeforeValidator(_single_line)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), BeforeValidator(_single_line)
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), BeforeValidator(_multi_line)]
ExternalId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    BeforeValidator(_single_line),
]
MunicipalityNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{4}$"),
    Field(description="4-digit SSB municipality number, e.g. '0301' for Oslo", examples=["0301"]),
]
OrgNumber = Annotated[
    str,
    StringConstraints(pattern=r"^[0-9]{9}$"),
    AfterValidator(_orgnr),
    Field(description="9-digit organisation number with a valid modulus-11 check digit"),
]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Phone = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{3,30}$"), BeforeValidator(_single_line)
]
Url = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://[^\s]+$"),
    BeforeValidator(_single_line),
]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
    ),
    BeforeValidator(_single_line),
]

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # fullmatch: "$" would let a newline through
# RFC 3339 (the ISO 8601 profile of OpenAPI's date-time); without an offset the time is UTC.
_ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)


def iso_date(value: Any) -> Any:
    """Only 'YYYY-MM-DD' (or a date from our own code): pydantic would read 0 or '1700000000' as a Unix time."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_parsing", "Input should be a date in the format YYYY-MM-DD")


def iso_datetime(value: Any) -> Any:
    """Only an ISO 8601 date-time such as 2026-01-31T12:00:00Z (or a datetime from our own code), not a Unix time."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATETIME.fullmatch(value)):
        return value
    raise PydanticCustomError("datetime_parsing", "Input should be an ISO 8601 date-time such as 2026-01-31T12:00:00Z")


# Dates outside this window are typing errors, and the bound keeps every database happy.
BoundedDate = Annotated[date, AfterValidator(lambda d: date_in_range(d)), BeforeValidator(iso_date)]


def _utc_in_range(value: datetime) -> datetime:
    date_in_range(value.date())  # before the shift to UTC, which could overflow at year 1 or 9999
    return as_utc(value)


# A point in time for a query, in the dates' window and in UTC (one without an offset is taken as UTC).
IsoDatetime = Annotated[datetime, AfterValidator(_utc_in_range), BeforeValidator(iso_datetime)]


def date_in_range(value: date) -> date:
    if not date(1900, 1, 1) <= value <= date(2200, 12, 31):
        raise ValueError("must be between 1900-01-01 and 2200-12-31")
    return value


def as_utc(value: datetime) -> datetime:
    """Datetimes are stored as naive UTC; give them back their zone."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_iso(value: datetime) -> str:
    return as_utc(value).isoformat().replace("+00:00", "Z")


UtcDatetime = Annotated[datetime, AfterValidator(as_utc), PlainSerializer(utc_iso, return_type=str)]


def utcnow() -> datetime:
    return datetime.now(UTC)
