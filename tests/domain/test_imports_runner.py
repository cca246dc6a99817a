"""app.domain.imports.runner: the import as a whole (savepoint, dry run, cycle collector) on the migrated database."""

import gc
from collections.abc import Iterator

import pytest

from app.db import transaction
from app.domain.imports import batches, runner
from app.domain.imports.errors import ImportFileError
from app.domain.imports.runner import collector_paused, run_import
from app.models.imports import ImportKind
from tests.conftest import SYSTEM
from tests.factories import fingerprint
from tests.imports.corpus import CORPUS

GOOD = (CORPUS / "good_utf8.csv").read_bytes()


@pytest.fixture
def collector_on() -> Iterator[None]:
    """The collector on at the start (as in any process), whatever a failed test left."""
    gc.enable()
    yield
    gc.enable()


def test_the_public_names_stay_on_the_runner() -> None:
    assert runner.Report is batches.Report
    assert issubclass(runner.ImportFileError, Exception)
    assert runner.list_batches is batches.list_batches
    assert runner.get_batch is batches.get_batch


def test_a_dry_run_reports_what_applying_would_do_and_leaves_the_database_unchanged(database_url: str) -> None:
    before = fingerprint()
    with transaction() as session:
        report = run_import(session, SYSTEM, GOOD, "good_utf8.csv", ImportKind.rehab_services, dry_run=True)
    assert fingerprint() == before
    assert (report.rows, report.created, report.applied, report.batch_id, report.row_errors) == (2, 2, False, None, [])


def test_an_applied_import_keeps_its_batch_and_a_file_with_row_errors_writes_nothing(database_url: str) -> None:
    with transaction() as session:
        applied = run_import(session, SYSTEM, GOOD, "good_utf8.csv", ImportKind.rehab_services, dry_run=False)
    assert (applied.applied, applied.created) == (True, 2)
    assert applied.batch_id is not None
    before = fingerprint()
    bad = (CORPUS / "bad_values.csv").read_bytes()
    with transaction() as session:
        refused = run_import(session, SYSTEM, bad, "bad_values.csv", ImportKind.rehab_services, dry_run=False)
    assert fingerprint() == before
    assert (refused.applied, refused.batch_id, refused.created, refused.rejected) == (False, None, 0, 1)
    assert [(e.index, e.column) for e in refused.row_errors] == [(2, "Form"), (2, "Pasientgrupper")]


def test_the_collector_is_paused_while_rows_are_checked_and_on_again_after(
    database_url: str, collector_on: None
) -> None:
    seen: list[bool] = []
    with transaction() as session:
        run_import(
            session,
            SYSTEM,
            GOOD,
            "good_utf8.csv",
            ImportKind.rehab_services,
            dry_run=True,
            on_row=lambda done, total: seen.append(gc.isenabled()),
        )
    assert seen == [False, False]
    assert gc.isenabled()


def test_the_collector_is_restored_when_the_import_fails(database_url: str, collector_on: None) -> None:
    def power_cut(done: int, total: int) -> None:
        raise RuntimeError("power cut")

    before = fingerprint()
    with pytest.raises(RuntimeError, match="power cut"), transaction() as session:
        run_import(session, SYSTEM, GOOD, "a.csv", ImportKind.rehab_services, dry_run=False, on_row=power_cut)
    assert gc.isenabled()
    header_only = (CORPUS / "header_only.csv").read_bytes()
    with pytest.raises(ImportFileError, match="Filen har overskrifter, men ingen rader"), transaction() as session:
        run_import(session, SYSTEM, header_only, "h.csv", ImportKind.rehab_services, dry_run=False)
    assert gc.isenabled()
    assert fingerprint() == before


def test_collector_paused_restores_the_state_it_found(collector_on: None) -> None:
    seen: list[bool] = []

    def fail_paused() -> None:
        with collector_paused():
            seen.append(gc.isenabled())
            raise ValueError("inside")

    with pytest.raises(ValueError, match="inside"):
        fail_paused()
    assert seen == [False]
    assert gc.isenabled()
    gc.disable()  # someone else paused it: it stays paused
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()
