"""CSV exports that open cleanly in Norwegian Excel and cannot smuggle formulas into it."""

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Any

from sqlmodel import Session

from app.domain import catalogue

COLUMNS = (
    "id",
    "provider_id",
    "provider_name",
    "external_id",
    "name",
    "description",
    "level",
    "forms",
    "patient_groups",
    "age_groups",
    "capacity_number",
    "capacity_unit",
    "waiting_time_days",
    "waiting_time_reported_on",
    "catchment",
    "catchment_inherited",
    "referrers",
    "referral_criteria",
    "contact_name",
    "contact_phone",
    "contact_email",
    "website",
    "status",
    "valid_from",
    "valid_to",
    "last_verified_on",
    "helsehjelpsomrade_8655",
    "iplos_9151",
    "omsorgsniva_8406",
    "source",
    "version",
    "updated_at",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str:
    """A cell as text; a leading = + - @ (which Excel would run as a formula) is escaped with a quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nei"
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    text = str(value)
    if isinstance(value, str) and text.startswith(_FORMULA_START):
        return "'" + text
    return text


def services_csv(
    session: Session,
    flt: catalogue.ServiceFilter,
    open_session: Callable[[], AbstractContextManager[Session]],
    page_size: int = 500,
) -> Iterator[bytes]:
    """Every service matching `flt` as CSV: UTF-8 with BOM, semicolons and CRLF, as Norwegian Excel expects.

    The first page is read here with `session`, so a bad filter is an error before any byte is sent; the
    rest is read while streaming, in a session of its own (`open_session`) that lives as long as the stream.
    """
    first = catalogue.list_services(session, flt, limit=page_size)
    return _rows(open_session, flt, page_size, first)


def _rows(
    open_session: Callable[[], AbstractContextManager[Session]],
    flt: catalogue.ServiceFilter,
    page_size: int,
    first: tuple[list[dict[str, Any]], str | None],
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    items, cursor = first
    while True:
        buffer.seek(0)
        buffer.truncate()
        for item in items:
            writer.writerow([safe_cell(item.get(column)) for column in COLUMNS])
        yield buffer.getvalue().encode("utf-8")
        if cursor is None:
            return
        with open_session() as session:
            items, cursor = catalogue.list_services(session, flt, limit=page_size, cursor=cursor)
