"""Errors with a meaning, not a status code: the API and the pages each map them once."""

from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


class DomainError(Exception):
    """Base class: `detail` is a human sentence safe to show to the user."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    """The request clashes with the current state (duplicate key, reference data, …)."""


class StaleVersion(DomainError):
    """The client's If-Match version is not the current one."""

    def __init__(self, detail: str, current_version: int) -> None:
        super().__init__(detail)
        self.current_version = current_version


class PreconditionRequired(DomainError):
    """A write that must name the version it replaces did not."""


class InvalidInput(DomainError):
    """Input that passed the schema but fails a rule that needs the database (unknown code …)."""

    def __init__(self, detail: str, errors: list["FieldError"] | None = None) -> None:
        super().__init__(detail)
        self.errors = errors or []


@dataclass(frozen=True)
class FieldError:
    loc: tuple[str | int, ...]
    message: str
    kind: str | None = None  # pydantic's error type, when it came from a schema ("personal_data", …)


@dataclass
class RowError:
    """A problem (or, in an import report's notes, a remark) on one row of a file.

    `index` is the row number as the spreadsheet shows it (0: the remark is about a column, not a row);
    `code` is stable and English (`unknown_patient_group`, `missing_value` …), `message` is for a person."""

    index: int
    message: str
    column: str | None = None
    sheet: str | None = None  # in a workbook, which sheet the row is on
    code: str = "invalid_value"


@dataclass
class Rejected(DomainError):
    """A bulk operation refused as a whole because of these row errors."""

    row_errors: list[RowError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(f"{len(self.row_errors)} row(s) have errors; nothing was written")


class Unauthenticated(DomainError):
    """No valid credentials were given where they are needed."""


class Forbidden(DomainError):
    """The caller is known but may not do this."""


class Throttled(DomainError):
    """Too many failed attempts; try again later."""

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


def validated(schema: type[M], values: dict[str, Any], detail: str) -> M:
    """`values` as `schema`, or InvalidInput naming each bad field under `body` (for merged patches)."""
    try:
        return schema.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(detail, schema_errors(exc)) from exc


def schema_errors(exc: ValidationError) -> list[FieldError]:
    """A pydantic error as FieldErrors under `body`, so one mapping serves schema and domain errors."""
    return [FieldError(("body", *e["loc"]), str(e["msg"]), e["type"]) for e in exc.errors()]
