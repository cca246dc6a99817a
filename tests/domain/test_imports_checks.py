"""app.domain.imports.checks: rows checked as they stream (limit, keys, digests, access) on the migrated database."""

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from app.db import transaction
from app.domain.actor import Actor
from app.domain.errors import Forbidden, RowError
from app.domain.imports.checks import Checker, digest
from app.domain.imports.errors import ImportFileError
from app.domain.imports.readers import Table, read_tables
from app.models.auth import Role
from app.settings import get_settings
from tests.conftest import SYSTEM

HEADER = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n"


def csv_table(text: str) -> Table:
    return read_tables(text.encode(), "file.csv")[0]


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    with transaction() as session:
        yield session


def test_each_key_once_the_repeat_rejected_on_its_external_id(session: Session) -> None:
    checker = Checker(session, SYSTEM)
    rows = list(checker.services([csv_table(HEADER + "983974694;D1;A;spesialist;dag\n983974694;D1;B;kommunal;dag\n")]))
    assert [(r.number, r.external_id, r.table) for r in rows] == [(2, "D1", "")]
    assert rows[0].provider_id == checker.lookups.by_orgnr["983974694"]
    assert checker.errors == [
        RowError(3, "samme tilbyder og eksterne ID som rad 2", "Ekstern ID", code="duplicate_key")
    ]
    assert checker.rejected == {("", 3)}
    assert checker.rows == 2
    assert not checker.clean


def test_a_row_without_its_key_is_parsed_at_once_for_all_its_problems(session: Session) -> None:
    checker = Checker(session, SYSTEM)
    assert list(checker.services([csv_table(HEADER + "983974694;;;spesialist;spa\n")])) == []
    assert [(e.column, e.code, e.message) for e in checker.errors] == [
        ("Navn", "missing_value", "verdien mangler"),
        (
            "Form",
            "unknown_code",
            "ukjent form «spa»; bruk en av: døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital",
        ),
        ("Ekstern ID", "missing_value", "ekstern ID mangler (hver rad trenger tilbyderens egen nøkkel for tilbudet)"),
    ]


def test_a_workbook_names_the_sheet_of_a_rejected_row(session: Session) -> None:
    checker = Checker(session, SYSTEM)
    checker.reject("Tilbud", [RowError(4, "is missing", "Navn")])
    assert checker.errors == [RowError(4, "is missing", "Navn", sheet="Tilbud")]
    assert checker.rejected == {("Tilbud", 4)}


def test_a_file_over_the_row_limit_is_refused(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REHABKART_IMPORT_MAX_ROWS", "2")
    get_settings.cache_clear()
    try:
        checker = Checker(session, SYSTEM)
        rows = "".join(f"983974694;R{i};Navn;spesialist;dag\n" for i in range(3))
        with pytest.raises(ImportFileError, match="Filen har mer enn 2 rader; del den opp"):
            list(checker.services([csv_table(HEADER + rows)]))
    finally:
        monkeypatch.delenv("REHABKART_IMPORT_MAX_ROWS")
        get_settings.cache_clear()


def test_a_file_without_rows_is_refused(session: Session) -> None:
    checker = Checker(session, SYSTEM)
    assert list(checker.services([Table(name="", headers=HEADER.strip().split(";"), rows=iter([]))])) == []
    with pytest.raises(ImportFileError, match="Filen har overskrifter, men ingen rader"):
        checker.require_rows()


def test_the_digest_is_of_what_a_row_says() -> None:
    names = "external_id,name"
    assert digest(["R1", None], [0, 1], names) == digest(["R1", ""], [0, 1], names)  # blank is blank
    assert digest(["R1"], [0, 1], names) == digest(["R1", None], [0, 1], names)  # a short row: blank cells
    assert digest(["R1", "x"], [0, 1], names) != digest(["R1", "x"], [0, 1], "external_id,description")
    assert digest([12.0, "x"], [0, 1], names) != digest([12, "x"], [0, 1], names)  # the text, as read
    assert digest(["a\x1fb", "c"], [0, 1], names) != digest(["a", "b\x1fc"], [0, 1], names)  # no join-up
    assert len(digest(["R1", "x"], [0, 1], names)) == 32


def test_services_of_an_organisation_the_actor_may_not_write_are_refused(session: Session) -> None:
    editor = Actor(
        kind="user", label="editor of another organisation", role=Role.editor, organisation_ids=frozenset({0})
    )
    checker = Checker(session, editor)
    rows = list(checker.services([csv_table(HEADER + "983974694;R1;Navn;spesialist;dag\n")]))
    fonna = checker.lookups.by_orgnr["983974694"]
    assert [r.provider_id for r in rows] == [fonna]  # still checked to the end
    assert checker.refused == {fonna}
    assert checker.errors == []
    assert not checker.clean
    with pytest.raises(Forbidden, match=f"Du kan ikke endre tilbudene til organisasjon {fonna}"):
        checker.require_write_access([])


def test_profiles_once_per_municipality_and_year_and_only_where_the_actor_may_report(session: Session) -> None:
    survey = csv_table("Kommunenr;År;Kreftkoordinator\n4614;2026;ja\n4614;2026;nei\n4614;2025;nei\n")
    oslo_editor = Actor(kind="user", label="oslo", role=Role.editor, organisation_ids=frozenset({0}))
    checker = Checker(session, oslo_editor)
    profiles = list(checker.profiles([survey]))
    assert [(p.row, p.values["year"]) for p in profiles] == [(2, 2026), (4, 2025)]
    assert checker.errors == [RowError(3, "samme kommune og år som rad 2", "Kommunenr", code="duplicate_key")]
    with pytest.raises(Forbidden, match="Du kan ikke rapportere for kommune 4614"):
        checker.require_write_access(profiles)
    Checker(session, SYSTEM).require_write_access(profiles)  # the system may
