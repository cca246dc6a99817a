"""Gaps as CSV for Norwegian Excel, by the service export's rules (app.domain.exports): UTF-8 with BOM,
semicolons, CRLF, and cells that would start a formula escaped."""

import csv
import io
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date
from typing import Any

from sqlmodel import Session

from app.domain.actor import Actor
from app.domain.exports import safe_cell
from app.domain.gaps import queries, records
from app.models.types import utc_iso

COLUMNS = (
    "id",
    "title",
    "description",
    "category",
    "severity",
    "status",
    "status_reason",
    "patient_group",
    "municipalities",
    "region",
    "source",
    "source_reference",
    "owner_id",
    "owner_name",
    "pathway_series",
    "pathway_series_version",
    "pathway_step_key",
    "service_id",
    "network_id",
    "meeting_id",
    "measures_open",
    "measures_overdue",
    "version",
    "created_at",
    "updated_at",
)


def _cells(gap: dict[str, Any]) -> list[str]:
    step = gap["pathway_step"] or {}
    values = {
        **gap,
        "pathway_series": step.get("series"),
        "pathway_series_version": step.get("series_version"),
        "pathway_step_key": step.get("key"),
        "created_at": utc_iso(gap["created_at"]),
        "updated_at": utc_iso(gap["updated_at"]),
    }
    return [safe_cell(values[column]) for column in COLUMNS]


def gaps_csv(
    session: Session,
    actor: Actor,
    flt: queries.GapFilter,
    open_session: Callable[[], AbstractContextManager[Session]],
    page_size: int = 500,
) -> Iterator[bytes]:
    """Every gap matching `flt`. The first page is read here with `session`, so a refused caller or a bad
    filter is an error before any byte is sent; the rest while streaming, in a session of its own."""
    on = records.today_or(None)  # one "today" for the whole file
    first = queries.list_gaps(session, actor, flt, limit=page_size, today=on)
    return _rows(open_session, actor, flt, page_size, first, on)


def _rows(
    open_session: Callable[[], AbstractContextManager[Session]],
    actor: Actor,
    flt: queries.GapFilter,
    page_size: int,
    first: tuple[list[dict[str, Any]], str | None],
    on: date,
) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")
    items, cursor = first
    while True:
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(_cells(item) for item in items)
        yield buffer.getvalue().encode("utf-8")
        if cursor is None:
            return
        with open_session() as session:
            items, cursor = queries.list_gaps(session, actor, flt, limit=page_size, cursor=cursor, today=on)
