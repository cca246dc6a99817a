"""Run an import: read, check every row, then write all rows in one transaction (or none).

A dry run does the same writes inside a savepoint and rolls it back, so its report (created, updated,
unchanged) is exactly what applying would do, and it leaves the database as it was.

The steps live beside this module: headers (which column is which field), rows (parsing a row),
checks (the row limit, duplicate keys, access), writer (chunks through the catalogue's bulk path) and
batches (the report and the ImportBatch row). `run_import` is the entry point.
"""

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlmodel import Session

from app.domain.actor import Actor
from app.domain.errors import Forbidden
from app.domain.imports.batches import Report, close_batch, get_batch, list_batches, new_report, open_batch, settle
from app.domain.imports.checks import Checker
from app.domain.imports.errors import ImportFileError
from app.domain.imports.headers import pick_tables
from app.domain.imports.readers import Table, UnreadableFile, read_tables
from app.domain.imports.writer import ServiceWriter, write_profiles
from app.models.imports import ImportKind
from app.settings import get_settings

__all__ = ["ImportFileError", "Report", "collector_paused", "get_batch", "list_batches", "run_import"]

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
) -> Report:
    """Check the whole file and write it in one go, or not at all; see the module docstring.

    Rows are written in chunks as they are read (so memory stays flat on long files) inside a savepoint;
    once any row has a problem, writing stops, checking goes on to the end, and the savepoint is rolled
    back. `on_row(done, estimated_total)` reports progress. The cycle collector is paused meanwhile (for
    the whole process; see `collector_paused`).
    """
    if not actor.can_write:
        raise Forbidden("Your account or token may only read")
    report = new_report(kind, file_name, data, dry_run=dry_run)
    if len(data) > get_settings().import_max_bytes:
        raise ImportFileError(f"The file is larger than {get_settings().import_max_bytes // 1_000_000} MB")
    try:
        service_tables, profile_tables = pick_tables(read_tables(data, file_name), kind)
        with collector_paused(), _savepoint_kept_if_applied(session, report):
            _check_and_write(session, actor, report, service_tables, profile_tables, on_row)
    except UnreadableFile as exc:
        raise ImportFileError(str(exc)) from exc
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
) -> None:
    """Check and write every row into `report`; the caller rolls back when the report has errors."""
    batch = open_batch(session, actor, report)
    checker = Checker(session, actor)
    estimate = sum(t.size for t in (*service_tables, *profile_tables))
    writer = ServiceWriter(session, actor, report, checker, batch.id)
    _check_and_write_services(writer, service_tables, on_row, estimate)
    profile_rows = list(checker.profiles(profile_tables))
    checker.require_write_access(profile_rows)
    if not checker.errors:
        write_profiles(session, actor, report, profile_rows, batch.id)
    checker.require_rows()
    close_batch(session, batch, report, checker.rows, checker.errors, len(checker.rejected))


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
