"""app.domain.imports.writer: checked rows written through the catalogue's bulk path, on the migrated database."""

import pytest
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.db import transaction
from app.domain.codes import code_list
from app.domain.errors import RowError
from app.domain.imports import rows
from app.domain.imports.batches import Report, new_report, open_batch
from app.domain.imports.checks import Checker
from app.domain.imports.readers import read_tables
from app.domain.imports.rows import ProfileRow
from app.domain.imports.writer import WRITE_CHUNK, ServiceWriter, write_profiles
from app.models import RehabService
from app.models.imports import ImportKind
from tests.conftest import SYSTEM
from tests.factories import fingerprint

HEADER = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Helsehjelpsområde\n"
TWO_ROWS = HEADER + "983974694;W1;Kurs;spesialist;LMS;\n983974694;W2;Dagtilbud;spesialist;dag;\n"


def write_services(session: Session, csv: str) -> tuple[Report, Checker]:
    """Stream a CSV text's service rows through a checker into a writer, as the runner does."""
    report = new_report(ImportKind.rehab_services, "w.csv", csv.encode(), dry_run=False)
    batch = open_batch(session, SYSTEM, report)
    checker = Checker(session, SYSTEM)
    writer = ServiceWriter(session, SYSTEM, report, checker, batch.id)
    for row in checker.services(read_tables(csv.encode(), "w.csv")):
        writer.add(row)
    writer.flush()
    return report, checker


def services_of_batch(session: Session, batch_id: int | None) -> list[str]:
    stmt = select(col(RehabService.external_id)).where(col(RehabService.source_batch_id) == batch_id)
    return sorted(session.execute(stmt).scalars())


def test_rows_are_written_then_the_same_rows_are_unchanged(database_url: str) -> None:
    with transaction() as session:
        first, _ = write_services(session, TWO_ROWS)
        assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
        assert services_of_batch(session, first.batch_id) == ["W1", "W2"]
    with transaction() as session:
        again, checker = write_services(session, TWO_ROWS)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert checker.errors == []


def test_once_a_row_has_a_problem_nothing_more_is_written(database_url: str) -> None:
    before = fingerprint(ignore=("import_batch",))
    with transaction() as session:
        report, checker = write_services(session, TWO_ROWS + "983974694;W3;Navn;spesialist;spa;\n")
        assert services_of_batch(session, report.batch_id) == []
    assert (report.created, report.unchanged) == (0, 0)
    assert checker.errors == [
        RowError(
            4,
            "ukjent form «spa»; bruk en av: døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital",
            "Form",
            code="unknown_code",
        )
    ]
    assert fingerprint(ignore=("import_batch",)) == before


def test_a_row_the_catalogue_refuses_is_an_error_on_its_column(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The parser refuses an unknown national code itself (in Norwegian, with its code); let one past it, so
    # the catalogue's own refusal shows on its column too.
    monkeypatch.setattr(rows, "code_list", lambda name: {**code_list(name), "H99": "ukjent"})
    with transaction() as session:
        report, checker = write_services(session, HEADER + "983974694;N1;Navn;spesialist;dag;H99\n")
    assert checker.errors == [RowError(2, "'H99' is not a code in the 8655 code list", "Helsehjelpsområde")]
    assert checker.rejected == {("", 2)}
    assert report.created == 0


def test_a_full_chunk_is_written_as_it_comes(database_url: str) -> None:
    rows = "".join(f"983974694;C{i};Tilbud {i};spesialist;dag;\n" for i in range(WRITE_CHUNK + 1))
    csv = HEADER + rows
    with transaction() as session:
        report = new_report(ImportKind.rehab_services, "c.csv", csv.encode(), dry_run=False)
        checker = Checker(session, SYSTEM)
        writer = ServiceWriter(session, SYSTEM, report, checker, open_batch(session, SYSTEM, report).id)
        for row in checker.services(read_tables(csv.encode(), "c.csv")):
            writer.add(row)
        assert (report.created, len(writer.pending)) == (WRITE_CHUNK, 1)
        writer.flush()
        assert (report.created, writer.pending) == (WRITE_CHUNK + 1, [])
        count = session.execute(select(func.count()).select_from(RehabService)).scalar_one()
    assert count == WRITE_CHUNK + 1


def test_profiles_are_written_and_counted(database_url: str) -> None:
    report = new_report(ImportKind.municipal_survey, "s.csv", b"", dry_run=False)
    rows = [
        ProfileRow(2, {"municipality_number": "4614", "year": 2026, "has_cancer_coordinator": True}),
        ProfileRow(3, {"municipality_number": "0301", "year": 2026, "rehab_places": 12}),
    ]
    with transaction() as session:
        write_profiles(session, SYSTEM, report, rows, open_batch(session, SYSTEM, report).id)
    with transaction() as session:
        write_profiles(session, SYSTEM, report, rows[:1], None)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 1)
