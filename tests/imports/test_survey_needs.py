"""The municipal survey's "Behov" sheet: unmet needs imported as gap registrations (source `survey`)."""

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import select
from sqlmodel import col

from app.db import transaction
from app.domain import gaps
from app.domain.imports import runner, templates
from app.models import AuditEvent
from app.models.auth import Role
from app.models.gap import GapSource
from app.models.imports import ImportKind
from tests.conftest import SYSTEM, TokenFactory
from tests.factories import fingerprint, org_id

API = "/api/v1/imports"
NEEDS_HEADER = ["Kommunenr", "Kommune", "År", "Pasientgruppe", "Kategori", "Alvorlighet", "Beskrivelse", "Tittel"]
FACTS_HEADER = ["Kommunenr", "År", "Kreftkoordinator"]
KIND = ImportKind.municipal_survey
IDENTITY_NUMBER = "15076500565"  # a valid national identity number (fnr)


def workbook(needs: list[list[Any]] | None, facts: list[list[Any]] | None = None) -> bytes:
    """A survey workbook: a "Kommune" sheet (when `facts` is given) and a "Behov" sheet (when `needs` is)."""
    book = Workbook()
    book.remove(book.active)
    if facts is not None:
        sheet = book.create_sheet("Kommune")
        for row in [FACTS_HEADER, *facts]:
            sheet.append(row)
    if needs is not None:
        sheet = book.create_sheet("Behov")
        for row in [NEEDS_HEADER, *needs]:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post(client: TestClient, data: bytes, *, dry_run: bool = False) -> Any:
    return client.post(
        API,
        files={"file": ("kartlegging.xlsx", data)},
        data={"kind": "municipal-survey", "dry_run": str(dry_run).lower()},
    )


def survey_gaps() -> list[dict[str, Any]]:
    with transaction() as session:
        items, _ = gaps.list_gaps(session, SYSTEM, gaps.GapFilter(source=GapSource.survey), limit=100)
    return sorted(items, key=lambda g: g["id"])


def errors(response: Any) -> list[tuple[str | None, int, str | None, str]]:
    return [(e["sheet"], e["row"], e["column"], e["message"]) for e in response.json()["row_errors"]]


def codes(response: Any) -> list[tuple[int, str]]:
    return [(e["row"], e["code"]) for e in response.json()["row_errors"]]


STORD_STROKE = [4614, "Stord", 2026, "Hjerneslag", "Manglende tilbud", "høy", "Ingen dagrehabilitering", None]
FAUSKE_CANCER = [1841, "Fauske", 2026, "cancer", "competence", None, "Ingen kreftkoordinator", "Kreftkoordinator"]


def test_the_sheet_creates_gaps_owned_by_the_municipality(client: TestClient) -> None:
    response = post(client, workbook([STORD_STROKE, FAUSKE_CANCER]))
    assert response.status_code == 201, response.text
    assert (response.json()["created"], response.json()["rows"]) == (2, 2)
    stord, fauske = survey_gaps()
    assert stord["title"] == "Manglende tilbud – Hjerneslag i Stord"  # generated
    assert (stord["category"], stord["severity"], stord["patient_group"]) == ("missing_service", "high", "stroke")
    assert stord["municipalities"] == ["4614"]
    assert stord["owner_id"] == org_id(client, "Stord", kind="municipality")
    assert stord["source_reference"] == "kartlegging 2026: 4614 stroke missing_service"
    assert stord["description"] == "Ingen dagrehabilitering"
    assert stord["status"] == "registered"
    assert fauske["title"] == "Kreftkoordinator"
    assert (fauske["category"], fauske["severity"]) == ("competence", "medium")  # blank severity: medium
    assert fauske["owner_id"] == org_id(client, "Fauske", kind="municipality")
    with transaction() as session:  # the blank severity is reported (on the report, not yet in the API's body)
        report = runner.run_import(
            session, SYSTEM, workbook([[*FAUSKE_CANCER[:2], 2030, *FAUSKE_CANCER[3:]]]), "b.xlsx", KIND, dry_run=True
        )
    assert [(n.sheet, n.index, n.column, n.code, n.message) for n in report.notices] == [
        ("Behov", 2, "Alvorlighet", "default_severity", "alvorlighet mangler: satt til «Middels»")
    ]
    notes = post(client, workbook([FAUSKE_CANCER]), dry_run=True).json()["notes"]  # unchanged: no default applied
    assert notes == []
    # Written through the gaps domain: its audit events, tied to the import batch.
    with transaction() as session:
        events = session.execute(
            select(AuditEvent).where(col(AuditEvent.entity_type) == "gap").order_by(col(AuditEvent.id))
        ).scalars()
        assert [(e.action, e.batch_id) for e in events] == [("create", response.json()["batch_id"])] * 2


def test_reimport_updates_instead_of_duplicating(client: TestClient) -> None:
    assert post(client, workbook([STORD_STROKE, FAUSKE_CANCER])).status_code == 201
    first = survey_gaps()
    again = post(client, workbook([STORD_STROKE, FAUSKE_CANCER])).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    changed = [*STORD_STROKE[:5], "kritisk", "Ingen dagrehabilitering, lang reisevei", None]
    blank = [*FAUSKE_CANCER[:5], None, None, None]  # blank cells keep what the gap has
    response = post(client, workbook([changed, blank]))
    assert (response.json()["created"], response.json()["updated"], response.json()["unchanged"]) == (0, 1, 1)
    stord, fauske = survey_gaps()
    assert [g["id"] for g in (stord, fauske)] == [g["id"] for g in first]
    assert (stord["severity"], stord["description"], stord["version"]) == (
        "critical",
        "Ingen dagrehabilitering, lang reisevei",
        2,
    )
    assert fauske == first[1] | {"measures_open": 0, "measures_overdue": 0}
    # Another survey year is another need.
    next_year = [4614, "Stord", 2027, *STORD_STROKE[3:]]
    assert post(client, workbook([next_year])).json()["created"] == 1
    assert len(survey_gaps()) == 3


def test_a_dry_run_reports_and_writes_nothing(client: TestClient) -> None:
    before = fingerprint()
    response = post(client, workbook([STORD_STROKE, FAUSKE_CANCER]), dry_run=True)
    assert response.status_code == 200, response.text
    assert (response.json()["created"], response.json()["applied"]) == (2, False)
    assert fingerprint() == before


def test_bad_rows_fail_the_whole_import_with_norwegian_row_errors(client: TestClient) -> None:
    rows = [
        STORD_STROKE,  # good, but not written: all or nothing
        [9999, "", 2026, "Hjerneslag", "Manglende tilbud", "", "", ""],
        [4614, "Stord", 2026, "hjerneslagg", "Kapasitet", "", "", ""],
        [4614, "Stord", 2026, "KOLS", "Ventetid", "", f"Gjelder pasient {IDENTITY_NUMBER}", ""],
        [4614, "Stord", 2026, "KOLS", "spa", "enorm", "", ""],
        [4614, "Stord", 2026, "Hjerneslag", "missing_service", "", "", ""],  # the same key as row 2
    ]
    before = fingerprint()
    for dry_run in (True, False):
        response = post(client, workbook(rows, facts=[[4614, 2026, "ja"]]), dry_run=dry_run)
        assert response.status_code == 422, response.text
        assert response.json()["applied"] is False
        assert errors(response) == [
            ("Behov", 3, "Kommunenr", "ukjent kommunenummer «9999»"),
            ("Behov", 4, "Pasientgruppe", "ukjent pasientgruppe «hjerneslagg»; mente du «Hjerneslag»?"),
            (
                "Behov",
                5,
                "Beskrivelse",
                "Teksten ser ut til å inneholde et fødselsnummer eller d-nummer. Rehabkart skal ikke ha "
                "personopplysninger om pasienter: fjern nummeret. (Et kontonummer kan skrives 1234.56.78903.)",
            ),
            (
                "Behov",
                6,
                "Kategori",
                "ukjent kategori «spa»; bruk en av Manglende tilbud, Kapasitet, Ventetid, Overlevering, "
                "Kompetanse, Informasjon, Annet",
            ),
            ("Behov", 6, "Alvorlighet", "ukjent alvorlighet «enorm»; bruk en av Lav, Middels, Høy, Kritisk"),
            ("Behov", 7, "Kommunenr", "samme år, kommune, pasientgruppe og kategori som rad 2"),
        ]
        assert codes(response) == [
            (3, "unknown_municipality"),
            (4, "unknown_patient_group"),
            (5, "personal_data"),
            (6, "unknown_code"),
            (6, "unknown_code"),
            (7, "duplicate_key"),
        ]
        assert IDENTITY_NUMBER not in response.text
    assert fingerprint() == before


def test_a_workbook_without_the_sheet_imports_as_before(client: TestClient) -> None:
    response = post(client, workbook(None, facts=[[4614, 2026, "ja"]]))
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 1
    assert survey_gaps() == []


def test_a_blank_year_is_the_municipalitys_survey_year(client: TestClient) -> None:
    row = [4614, "Stord", None, "KOLS", "Ventetid", "lav", "Lang ventetid på lungerehabilitering", ""]
    response = post(client, workbook([row], facts=[[4614, 2025, "nei"]]))
    assert response.status_code == 201, response.text
    (gap,) = survey_gaps()
    assert gap["source_reference"] == "kartlegging 2025: 4614 copd waiting_time"
    # Without a Kommune sheet to take it from, a blank year is an error.
    response = post(client, workbook([row]))
    assert errors(response) == [("Behov", 2, "År", "året mangler: fyll inn År (kartleggingsåret)")]


def test_a_need_the_actor_may_not_register_is_a_row_error(client: TestClient, make_token: TokenFactory) -> None:
    stord = org_id(client, "Stord", kind="municipality")
    token = make_token(role=Role.editor, organisation_ids=[stord])
    client.headers["Authorization"] = f"Bearer {token}"
    before = fingerprint()
    response = post(client, workbook([STORD_STROKE, FAUSKE_CANCER]))
    assert response.status_code == 422, response.text
    assert errors(response) == [("Behov", 3, "Kommunenr", "du kan ikke registrere udekkede behov for kommune 1841")]
    assert fingerprint() == before
    # Its own municipality's needs it may register.
    assert post(client, workbook([STORD_STROKE])).status_code == 201


def test_the_template_has_the_needs_sheet_and_imports_cleanly(database_url: str) -> None:
    data = templates.template_xlsx(ImportKind.municipal_survey)
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Tilbud", "Kommune", "Behov", "Forklaring"]
    assert [c.value for c in book["Behov"][1]] == NEEDS_HEADER
    explained = {(row[0], row[1]) for row in book["Forklaring"].iter_rows(values_only=True)}
    assert ("Behov", "Kategori") in explained
    with transaction() as session:
        report = runner.run_import(session, SYSTEM, data, "mal.xlsx", ImportKind.municipal_survey, dry_run=False)
    assert report.row_errors == []
    assert report.created == 3  # the service, the municipality's facts and the unmet need
    (gap,) = survey_gaps()
    assert gap["title"] == "Manglende tilbud – Hjerneslag i Stord"
    # The CSV template is still the municipality facts.
    assert templates.template_csv(ImportKind.municipal_survey).startswith("\ufeffKommunenr;År;".encode())


def test_municipality_names_and_everyday_patient_groups_in_the_sheet(client: TestClient) -> None:
    """The Kommune column beside Kommunenr is checked against the number (the name, a name with "kommune"
    after it, a Sami parallel name); patient groups as municipalities write them (nynorsk, everyday, ICD-10)."""
    rows: list[list[Any]] = [
        [4614, "Stord kommune", 2026, "Parkinson", "Manglende tilbud", "høy", None, None],
        [5001, "Tråante", 2026, "Lungesjukdomar", "Kapasitet", "lav", None, None],
        [1841, "Fuossko", 2026, "J44.1", "Ventetid", "lav", None, None],
    ]
    response = post(client, workbook(rows), dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3
    wrong: list[list[Any]] = [*rows, [1841, "Bodø", 2026, "Revmatisme", "Kompetanse", "lav", None, None]]
    before = fingerprint()
    response = post(client, workbook(wrong))
    assert response.status_code == 422
    assert errors(response) == [("Behov", 5, "Kommune", "kommunenummer 1841 er Fauske, men kommunenavnet er «Bodø»")]
    assert codes(response) == [(5, "municipality_name_mismatch")]
    assert fingerprint() == before
    assert post(client, workbook(rows)).status_code == 201
    assert sorted(g["patient_group"] for g in survey_gaps()) == ["copd", "lung", "parkinson"]
