"""app.domain.imports.batches: the report, the ImportBatch row and its counts, on the migrated database."""

import hashlib
import unicodedata

import pytest

from app.db import transaction
from app.domain.errors import NotFound, RowError
from app.domain.imports.batches import (
    Report,
    close_batch,
    get_batch,
    list_batches,
    new_report,
    open_batch,
    settle,
)
from app.models.imports import ImportKind
from tests.conftest import SYSTEM


def test_a_new_report_names_the_file_in_nfc_with_its_sha256() -> None:
    report = new_report(ImportKind.rehab_services, unicodedata.normalize("NFD", "Ålesund.csv"), b"a;b\n", dry_run=True)
    assert report.file_name == "Ålesund.csv"
    assert report.sha256 == hashlib.sha256(b"a;b\n").hexdigest()
    assert (report.dry_run, report.applied, report.batch_id, report.rows) == (True, False, None, 0)
    assert len(new_report(ImportKind.rehab_services, "x" * 300, b"", dry_run=False).file_name) == 255


def test_outcomes_are_tallied() -> None:
    report = new_report(ImportKind.rehab_services, "a.csv", b"", dry_run=False)
    for outcome in ("created", "created", "updated", "unchanged"):
        report.tally(outcome)
    assert (report.created, report.updated, report.unchanged) == (2, 1, 1)


def test_a_batch_is_opened_and_closed_with_the_reports_counts(database_url: str) -> None:
    report = new_report(ImportKind.rehab_services, "a.csv", b"data", dry_run=False)
    with transaction() as session:
        batch = open_batch(session, SYSTEM, report)
        batch_id = batch.id
        assert batch_id is not None
        assert report.batch_id == batch_id
        report.created, report.unchanged = 2, 1
        errors = [RowError(9, "later", "Navn"), RowError(4, "earlier", None)]
        close_batch(session, batch, report, 5, errors, 2)
    assert (report.rows, report.rejected) == (5, 2)
    assert [e.index for e in report.row_errors] == [4, 9]  # in row order
    with transaction() as session:
        stored = get_batch(session, batch_id)
        assert [b["id"] for b in list_batches(session)] == [batch_id]
    assert stored["file_name"] == "a.csv"
    assert stored["actor_label"] == SYSTEM.label
    assert (stored["rows"], stored["created"], stored["updated"], stored["unchanged"]) == (5, 2, 0, 1)


def test_an_unknown_batch_is_not_found(database_url: str) -> None:
    with transaction() as session, pytest.raises(NotFound, match="Fant ingen importbunke 404"):
        get_batch(session, 404)


def test_the_newest_batches_come_first_and_are_limited(database_url: str) -> None:
    with transaction() as session:
        reports = [new_report(ImportKind.rehab_services, f"{i}.csv", b"", dry_run=False) for i in range(3)]
        ids = [open_batch(session, SYSTEM, report).id for report in reports]
        assert [b["id"] for b in list_batches(session, limit=2)] == [ids[2], ids[1]]


@pytest.mark.parametrize(
    ("applied", "errors", "counts", "batch_id"),
    [
        (True, [], (1, 2, 3), 7),
        (False, [], (1, 2, 3), None),  # a dry run: what applying would do, but no batch
        (False, [RowError(2, "is missing", "Navn")], (0, 0, 0), None),  # nothing counts as written
    ],
)
def test_a_settled_report(
    applied: bool, errors: list[RowError], counts: tuple[int, int, int], batch_id: int | None
) -> None:
    report = Report(
        ImportKind.rehab_services,
        "a.csv",
        "-",
        dry_run=not applied,
        applied=applied,
        batch_id=7,
        created=1,
        updated=2,
        unchanged=3,
        row_errors=errors,
    )
    settle(report)
    assert (report.created, report.updated, report.unchanged) == counts
    assert report.batch_id == batch_id
    assert report.as_dict()["batch_id"] == batch_id
