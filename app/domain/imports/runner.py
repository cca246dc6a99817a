"""Run an import: read, check every row, then write all rows in one transaction (or none).

A dry run does the same writes inside a savepoint and rolls it back, so its report (created, updated,
unchanged) is exactly what applying would do, and it leaves the database as it was.

The steps live beside this module: headers (which column is which field), rows (parsing a row),
checks (the row limit, duplicate keys, access), writer (chunks through the catalogue's bulk path) and
batches (the report and the ImportBatch row). `run_import` is the entry point.
"""

import gc
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlmodel import Session

from app.domain.actor import Actor
from app.domain.errors import Forbidden, RowError
from app.domain.imports import columns as c
from app.domain.imports import errors as import_errors
from app.domain.imports import profiles
from app.domain.imports.batches import Report, close_batch, get_batch, list_batches, new_report, open_batch, settle
from app.domain.imports.checks import Checker
from app.domain.imports.errors import ImportFileError
from app.domain.imports.headers import (
    apply_mapping,
    choose_sheet,
    missing_columns,
    pick_needs,
    pick_tables,
    recogniser,
    specs,
    unknown_columns,
)
from app.domain.imports.readers import Table, UnreadableFile, header_texts, read_tables
from app.domain.imports.writer import ServiceWriter, write_needs, write_profiles
from app.models.imports import ImportKind
from app.settings import get_settings

__all__ = [
    "ImportFileError",
    "Layout",
    "Report",
    "collector_paused",
    "get_batch",
    "inspect",
    "list_batches",
    "read_file",
    "run_import",
]

Progress = Callable[[int, int], None]


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for the block, then restore it as it was (on errors too).

    Process-wide: `gc` has one switch for the whole interpreter, so while an import runs, no automatic
    cycle collection runs in any thread of the process (other web requests included); reference counting
    still frees everything not in a cycle. Why: a long file allocates millions of small containers (none in cycles),
    and the collector's repeated full passes over them took a third of an import's time. When two imports
    overlap (threads of one server), the one that found the collector on turns it back on, so it is never
    left off.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_import(
    session: Session,
    actor: Actor,
    data: bytes,
    file_name: str,
    kind: ImportKind,
    *,
    dry_run: bool,
    on_row: Progress | None = None,
    sheet: str | None = None,
    profile: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Report:
    """Check the whole file and write it in one go, or not at all; see the module docstring.

    Rows are written in chunks as they are read (so memory stays flat on long files) inside a savepoint;
    once any row has a problem, writing stops, checking goes on to the end, and the savepoint is rolled
    back. `on_row(done, estimated_total)` reports progress. The cycle collector is paused meanwhile (for
    the whole process; see `collector_paused`).

    `sheet` reads only the workbook's sheet of that name; `profile` (an import profile's id or name, among the
    actor's organisations) and `mapping` ({header: field or "ignore"}, on top of the profile's) say which
    column is which field where the file does not use our headers (see `profiles`).
    """
    if not actor.can_write:
        raise Forbidden("Your account or token may only read")
    report = new_report(kind, file_name, data, dry_run=dry_run)
    if len(data) > get_settings().import_max_bytes:
        raise import_errors.too_large(get_settings().import_max_bytes // 1_000_000)
    mapping = profiles.mapping_for_import(session, actor, kind, profile, mapping)
    try:
        tables = read_file(data, file_name, kind, sheet=sheet, mapping=mapping)
        service_tables, profile_tables = pick_tables(tables, kind)
        need_tables = pick_needs(tables, kind)
        note_title_rows(report, [*service_tables, *profile_tables, *need_tables])
        with collector_paused(), _savepoint_kept_if_applied(session, report):
            _check_and_write(session, actor, report, service_tables, profile_tables, on_row, need_tables)
    except UnreadableFile as exc:
        raise import_errors.unreadable(str(exc)) from exc
    settle(report)
    return report


@contextmanager
def _savepoint_kept_if_applied(session: Session, report: Report) -> Iterator[None]:
    """The block's writes in a savepoint, kept only when the import is applied and every row is clean.

    Leaving the block releases the savepoint (an exception rolls it back); the caller owns the commit.
    """
    with session.begin_nested() as savepoint:
        yield
        if report.row_errors or report.dry_run:
            savepoint.rollback()
        else:
            report.applied = True


def _check_and_write(
    session: Session,
    actor: Actor,
    report: Report,
    service_tables: list[Table],
    profile_tables: list[Table],
    on_row: Progress | None,
    need_tables: list[Table] | None = None,
) -> None:
    """Check and write every row into `report`; the caller rolls back when the report has errors.

    A survey's unmet needs ("Behov") are checked after its municipality facts (a need without a year takes
    its municipality's survey year from them) and written through the gaps domain after them."""
    need_tables = need_tables or []
    batch = open_batch(session, actor, report)
    checker = Checker(session, actor)
    estimate = sum(t.size for t in (*service_tables, *profile_tables, *need_tables))
    writer = ServiceWriter(session, actor, report, checker, batch.id)
    _check_and_write_services(writer, service_tables, on_row, estimate)
    profile_rows = list(checker.profiles(profile_tables))
    checker.require_write_access(profile_rows)
    need_rows = list(checker.needs(need_tables, profile_rows))
    if not checker.errors:
        write_profiles(session, actor, report, profile_rows, batch.id)
        write_needs(session, actor, report, checker, need_rows, batch.id)
    checker.require_rows()
    close_batch(session, batch, report, checker.rows, checker.errors, len(checker.rejected), checker.notes)


def _check_and_write_services(
    writer: ServiceWriter, tables: list[Table], on_row: Progress | None, estimate: int
) -> None:
    """Stream the service rows through the checker into the writer, reporting progress row by row."""
    checker = writer.checker
    for row in checker.services(tables):
        writer.add(row)
        if on_row:
            on_row(checker.rows, max(estimate, checker.rows))
    writer.flush()


def read_file(
    data: bytes, file_name: str, kind: ImportKind, *, sheet: str | None = None, mapping: dict[str, str] | None = None
) -> list[Table]:
    """The file's tables as an import reads them: the header row found below any title rows (by our headers or
    the mapping's), only the sheet `sheet` when one is named, and the mapping's columns marked."""
    tables = choose_sheet(read_tables(data, file_name, recogniser(kind, mapping)), sheet)
    apply_mapping(tables, mapping)
    return tables


def note_title_rows(report: Report, tables: list[Table]) -> None:
    """A note for each table whose header row is not its first: the rows above it were not read."""
    for table in tables:
        if table.skipped:
            message = (
                f"Overskriftsraden er rad {table.header_row}; "
                f"{table.skipped} {'rad' if table.skipped == 1 else 'rader'} over den (tittel, dato o.l.) er ikke lest"
            )
            report.notices.append(
                RowError(table.header_row, message, None, table.name or None, code="title_rows_skipped")
            )


@dataclass(frozen=True)
class Column:
    index: int
    header: str
    field: str | None  # the field the column is read as (by its header or the mapping), "ignore", or None
    samples: list[str]  # its first few filled values


@dataclass(frozen=True)
class Layout:
    """How a file's (first incomplete) table is read: for the import page's column-mapping step."""

    sheet: str | None
    sheets: list[str]
    header_row: int
    columns: list[Column]
    missing: list[str]  # the required columns (as the template names them) no column is read as

    @property
    def unknown(self) -> list[Column]:
        return [column for column in self.columns if column.field is None]


SAMPLES = 3
_SAMPLE_ROWS = 500  # rows looked through for samples at most
_SAMPLE_LENGTH = 80


def inspect(
    data: bytes, file_name: str, kind: ImportKind, *, sheet: str | None = None, mapping: dict[str, str] | None = None
) -> Layout:
    """The layout of the table that still lacks required columns (else the first one read), with samples of
    every column. Raises ImportFileError when the file cannot be read or the sheet does not exist."""
    try:
        tables = read_file(data, file_name, kind, sheet=sheet, mapping=mapping)
        try:
            services, facts = pick_tables(tables, kind)
            candidates = [*services, *facts, *pick_needs(tables, kind)] or tables[:1]
        except ImportFileError:
            candidates = tables[:1]
        table = next((t for t in candidates if missing_columns(t, kind)), candidates[0])
        fields = _fields(table, kind)
        samples = _samples(table)
    except UnreadableFile as exc:
        raise import_errors.unreadable(str(exc)) from exc
    columns = [
        Column(i, header, fields.get(i), samples.get(i, [])) for i, header in enumerate(table.headers) if header.strip()
    ]
    return Layout(
        sheet=table.name or None,
        sheets=[t.name for t in tables if t.name],
        header_row=table.header_row,
        columns=columns,
        missing=missing_columns(table, kind),
    )


def _fields(table: Table, kind: ImportKind) -> dict[int, str]:
    unknown = set(unknown_columns(table, kind))
    recognise = recogniser(kind, None)
    fields: dict[int, str] = {}
    aliases = {c.norm(a): name for spec in specs(kind) for name, names in spec.items() for a in (name, *names)}
    for index, header in enumerate(table.headers):
        if index in table.mapped:
            fields[index] = table.mapped[index]
        elif index not in unknown and recognise([header]):
            fields[index] = aliases[c.norm(header)]
    return fields


def _samples(table: Table) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {i: [] for i in range(len(table.headers))}
    for _number, cells in itertools.islice(table.rows, _SAMPLE_ROWS):
        for index, value in enumerate(header_texts(list(cells[: len(table.headers)]))):
            if value and len(found[index]) < SAMPLES:
                found[index].append(value[:_SAMPLE_LENGTH])
        if all(len(v) >= SAMPLES for v in found.values()):
            break
    return found
