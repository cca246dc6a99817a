"""Constrained field types shared by every schema: bounded, strict, free of control characters."""

import re
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

from app.domain.identifiers import orgnr_is_valid

# NUL and other C0 controls break PostgreSQL text and terminals; tabs/newlines only in long text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_NEWLINE = re.compile(r"[\x00-\x1f\x7f]")


def _single_line(value: str) -> str:
    if _CONTROL_OR_NEWLINE.search(value):
        raise ValueError("must be a single line without control characters")
    return value


def _multi_line(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters")
    return value


def _orgnr(value: str) -> str:
    if not orgnr_is_valid(value):
        raise ValueError("is not a valid organisation number (9 digits with a modulus-11 check digit)")
    return value


Name = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_single_line)
]
ShortText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), AfterValidator(_single_line)
]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), AfterValidator(_multi_line)]
ExternalId = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100),
    AfterValidator(_single_line),
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
Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{3,30}$")]
Url = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500, pattern=r"^https?://[^\s]+$")]
Email = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=254,
        pattern=r"^[^@\s\x00-\x1f]+@[^@\s\x00-\x1f]+\.[^@\s\x00-\x1f]+$",
    ),
]
# Dates outside this window are typing errors, and the bound keeps every database happy.
BoundedDate = Annotated[date, AfterValidator(lambda d: date_in_range(d))]


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
