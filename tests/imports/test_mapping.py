"""Files that do not look like our template: title rows above the header, the data on another sheet, their
own column names mapped through a saved import profile (API and CLI) or an explicit mapping."""

import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from app.cli import app as cli
from app.db import transaction
from app.domain.imports import runner
from app.models import AuditEvent
from app.models.auth import Role
from app.models.imports import ImportKind
from tests.conftest import SYSTEM, TokenFactory
from tests.factories import fingerprint, make_organisation

API = "/api/v1/imports"
PROFILES = "/api/v1/imports/profiles"
FONNA_ORGNR = "983974694"
HEADER = ["Tilbyder orgnr", "Ekstern ID", "Navn", "Nivå", "Form"]
# A secretariat's own sheet: its own column names, a remark column we do not import.
CUSTOM_HEADER = ["Org.nr tilbyder", "Vår ID", "Tilbudets navn", "Helsetjenestenivå", "Type tilbud", "Merknad"]
CUSTOM_MAPPING = {
    "Org.nr tilbyder": "provider_orgnr",
    "Vår ID": "external_id",
    "Tilbudets navn": "name",
    "Helsetjenestenivå": "level",
    "Type tilbud": "forms",
    "Merknad": "ignore",
}
CUSTOM_CSV = (
    ";".join(CUSTOM_HEADER) + "\n"
    f"{FONNA_ORGNR};E1;Lungekurs;spesialist;dag;ring først\n"
    f"{FONNA_ORGNR};E2;Hjertekurs;spesialist;poliklinisk;\n"
).encode()


def csv(*rows: list[Any]) -> bytes:
    return "\n".join(";".join("" if c is None else str(c) for c in row) for row in rows).encode() + b"\n"


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def post(client: TestClient, name: str, data: bytes, **form: str) -> Any:
    return client.post(API, files={"file": (name, data)}, data={"kind": "rehab-services", **form})


def row_errors(response: Any) -> list[tuple[str | None, int, str | None, str]]:
    return [(e["sheet"], e["row"], e["column"], e["message"]) for e in response.json()["row_errors"]]


def title_notes(response: Any) -> list[tuple[str | None, int, str]]:
    return [(n["sheet"], n["row"], n["message"]) for n in response.json()["notes"] if n["code"] == "title_rows_skipped"]


def service_names() -> list[str]:
    from app.models import RehabService

    with transaction() as session:
        return sorted(session.execute(select(col(RehabService.name))).scalars())


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- the header row below title rows ------------------------------------------------------------------------


TITLED = csv(
    ["Kartlegging av rehabiliteringstilbud 2026"],
    ["Hentet 01.02.2026"],
    [],
    [],
    HEADER,
    [FONNA_ORGNR, "T1", "Lungekurs", "spesialist", "dag"],
    [],
    [FONNA_ORGNR, "T2", "Hjertekurs", "spesialist", "dag"],
)


def test_a_header_below_title_rows_is_found_and_noted(client: TestClient, fonna: int) -> None:
    response = post(client, "kartlegging.csv", TITLED)
    assert response.status_code == 201, response.text
    assert (response.json()["created"], response.json()["rows"]) == (2, 2)
    assert title_notes(response) == [
        (None, 5, "Overskriftsraden er rad 5; 2 rader over den (tittel, dato o.l.) er ikke lest")
    ]
    assert service_names() == ["Hjertekurs", "Lungekurs"]


def test_rows_below_a_late_header_keep_the_numbers_the_user_sees(client: TestClient, fonna: int) -> None:
    data = TITLED.replace(b"T2;Hjertekurs;spesialist;dag", b"T2;Hjertekurs;spesialist;spa")
    before = fingerprint()
    response = post(client, "kartlegging.csv", data)
    assert response.status_code == 422, response.text
    assert [(row, column) for _sheet, row, column, _message in row_errors(response)] == [(8, "Form")]
    assert fingerprint() == before


def titled_workbook(form: str) -> bytes:
    return workbook(
        {
            "Tilbud": [
                ["Rehabiliteringstilbud i Helse Fonna"],
                [None],
                HEADER,
                [FONNA_ORGNR, "X1", "Dagrehabilitering", "spesialist", "dag"],
                [FONNA_ORGNR, "X2", "Døgnrehabilitering", "spesialist", form],
            ]
        }
    )


def test_a_header_below_title_rows_in_a_workbook(client: TestClient, fonna: int) -> None:
    before = fingerprint()
    refused = post(client, "tilbud.xlsx", titled_workbook("vil ikke"))
    assert refused.status_code == 422, refused.text
    assert [(s, r, c) for s, r, c, _m in row_errors(refused)] == [("Tilbud", 5, "Form")]
    assert fingerprint() == before
    fixed = post(client, "tilbud.xlsx", titled_workbook("døgn"))
    assert fixed.status_code == 201, fixed.text
    assert title_notes(fixed) == [
        ("Tilbud", 3, "Overskriftsraden er rad 3; 1 rad over den (tittel, dato o.l.) er ikke lest")
    ]


def test_a_file_whose_header_is_the_first_row_has_no_note(client: TestClient, fonna: int) -> None:
    response = post(client, "tilbud.csv", csv(HEADER, [FONNA_ORGNR, "F1", "Kurs", "spesialist", "dag"]))
    assert response.status_code == 201, response.text
    assert title_notes(response) == []


# --- which sheet ----------------------------------------------------------------------------------------------

FRONT = [["Om denne filen"], ["Tallene er hentet fra fagsystemet."]]
SECOND = [HEADER, [FONNA_ORGNR, "S1", "Fra andre ark", "spesialist", "dag"]]
THIRD = [HEADER, [FONNA_ORGNR, "S2", "Fra tredje ark", "spesialist", "dag"]]


def test_the_data_on_the_second_sheet_is_found_by_its_header(client: TestClient, fonna: int) -> None:
    response = post(client, "bok.xlsx", workbook({"Forside": FRONT, "Data": SECOND, "Mer": THIRD}))
    assert response.status_code == 201, response.text
    assert service_names() == ["Fra andre ark"]


def test_a_sheet_named_tilbud_comes_first(client: TestClient, fonna: int) -> None:
    response = post(client, "bok.xlsx", workbook({"Data": SECOND, "Tilbud": THIRD}))
    assert response.status_code == 201, response.text
    assert service_names() == ["Fra tredje ark"]


def test_a_sheet_chosen_by_name(client: TestClient, fonna: int) -> None:
    data = workbook({"Forside": FRONT, "Data": SECOND, "Mer": THIRD})
    response = post(client, "bok.xlsx", data, sheet="mer")  # any case
    assert response.status_code == 201, response.text
    assert service_names() == ["Fra tredje ark"]


def test_an_unknown_sheet_is_refused_with_the_sheets_listed(client: TestClient, fonna: int) -> None:
    before = fingerprint()
    response = post(client, "bok.xlsx", workbook({"Forside": FRONT, "Data": SECOND}), sheet="Tilbud 2026")
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/unreadable-file")
    assert response.json()["detail"] == (
        "Arbeidsboken har ikke noe ark som heter «Tilbud 2026». Arkene i filen er: «Forside», «Data»."
    )
    assert fingerprint() == before


# --- column mapping: explicit, and through a saved profile ------------------------------------------------------


def test_an_explicit_mapping_reads_the_sheets_own_columns(client: TestClient, fonna: int) -> None:
    response = post(client, "egen.csv", CUSTOM_CSV, mapping=json.dumps(CUSTOM_MAPPING))
    assert response.status_code == 201, response.text
    assert service_names() == ["Hjertekurs", "Lungekurs"]


def test_without_a_mapping_the_own_columns_are_refused(client: TestClient, fonna: int) -> None:
    before = fingerprint()
    response = post(client, "egen.csv", CUSTOM_CSV)
    assert response.status_code == 422, response.text
    assert response.json()["type"].endswith("/unreadable-file")
    assert fingerprint() == before


@pytest.mark.parametrize(
    ("mapping", "status", "detail"),
    [
        ("{ikke json", 422, 'mapping må være et JSON-objekt, for eksempel {"Tilbudets navn": "name"}'),
        (
            '["name"]',
            422,
            'mapping må være et JSON-objekt med tekst som verdier: {"overskrift": "felt" eller "ignore"}',
        ),
        (
            '{"Vår ID": 1}',
            422,
            'mapping må være et JSON-objekt med tekst som verdier: {"overskrift": "felt" eller "ignore"}',
        ),
    ],
)
def test_a_malformed_mapping_is_refused(client: TestClient, fonna: int, mapping: str, status: int, detail: str) -> None:
    before = fingerprint()
    response = post(client, "egen.csv", CUSTOM_CSV, mapping=mapping)
    assert response.status_code == status, response.text
    assert response.json()["detail"] == detail
    assert fingerprint() == before


def test_a_mapping_to_an_unknown_field_is_refused(client: TestClient, fonna: int) -> None:
    before = fingerprint()
    response = post(client, "egen.csv", CUSTOM_CSV, mapping=json.dumps({**CUSTOM_MAPPING, "Merknad": "remark"}))
    assert response.status_code == 422, response.text
    assert "ukjent felt «remark»" in response.json()["detail"]
    assert fingerprint() == before


def create_profile(client: TestClient, org: int, name: str = "Fagsystemet", **extra: Any) -> Any:
    body = {"organisation_id": org, "name": name, "kind": "rehab-services", "mapping": CUSTOM_MAPPING, **extra}
    return client.post(PROFILES, json=body)


def test_a_custom_header_through_a_saved_profile_api(anon: TestClient, make_token: TokenFactory, fonna: int) -> None:
    editor = bearer(make_token(Role.editor, [fonna]))
    created = anon.post(
        PROFILES,
        json={"organisation_id": fonna, "name": "Fagsystemet", "kind": "rehab-services", "mapping": CUSTOM_MAPPING},
        headers=editor,
    )
    assert created.status_code == 201, created.text
    assert created.headers["etag"] == '"1"'
    profile = created.json()
    assert (profile["organisation_id"], profile["name"], profile["mapping"]) == (fonna, "Fagsystemet", CUSTOM_MAPPING)
    response = anon.post(
        API, files={"file": ("egen.csv", CUSTOM_CSV)}, data={"profile": "fagsystemet"}, headers=editor
    )  # any case
    assert response.status_code == 201, response.text
    assert service_names() == ["Hjertekurs", "Lungekurs"]
    by_id = anon.post(
        API, files={"file": ("egen.csv", CUSTOM_CSV)}, data={"profile": str(profile["id"])}, headers=editor
    )
    assert (by_id.status_code, by_id.json()["unchanged"]) == (201, 2)


def test_an_explicit_mapping_goes_before_the_profile(client: TestClient, fonna: int) -> None:
    assert create_profile(client, fonna, mapping={**CUSTOM_MAPPING, "Tilbudets navn": "description"}).status_code == 201
    data = CUSTOM_CSV.replace(b"Merknad", b"Navn")  # the remark column now holds… a header we know
    response = post(
        client,
        "egen.csv",
        data,
        profile="Fagsystemet",
        mapping=json.dumps({"Tilbudets navn": "name", "Navn": "ignore"}),
    )
    assert response.status_code == 201, response.text
    assert service_names() == ["Hjertekurs", "Lungekurs"]


def test_a_custom_header_through_a_saved_profile_cli(client: TestClient, fonna: int, tmp_path: Any) -> None:
    assert create_profile(client, fonna).status_code == 201
    path = tmp_path / "egen.csv"
    path.write_bytes(CUSTOM_CSV)
    dry = CliRunner().invoke(cli, ["import", str(path), "--profile", "Fagsystemet", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert service_names() == []
    applied = CliRunner().invoke(cli, ["import", str(path), "--profile", "Fagsystemet"])
    assert applied.exit_code == 0, applied.output
    assert service_names() == ["Hjertekurs", "Lungekurs"]


def test_the_cli_takes_a_mapping_and_a_sheet(fonna: int, tmp_path: Any) -> None:
    path = tmp_path / "bok.xlsx"
    custom: list[list[Any]] = [CUSTOM_HEADER, [FONNA_ORGNR, "C1", "Fra egne kolonner", "spesialist", "dag", None]]
    path.write_bytes(workbook({"Forside": FRONT, "Egne": custom, "Mer": THIRD}))
    options = [f"--map={header}={field}" for header, field in CUSTOM_MAPPING.items()]
    result = CliRunner().invoke(cli, ["import", str(path), "--sheet", "Egne", *options])
    assert result.exit_code == 0, result.output
    assert service_names() == ["Fra egne kolonner"]


def test_the_cli_refuses_an_unknown_sheet_profile_or_bad_map(fonna: int, tmp_path: Any) -> None:
    path = tmp_path / "bok.xlsx"
    path.write_bytes(workbook({"Forside": FRONT, "Data": SECOND}))
    before = fingerprint()
    sheet = CliRunner().invoke(cli, ["import", str(path), "--sheet", "Tilbud"])
    assert sheet.exit_code == 1
    assert "Arbeidsboken har ikke noe ark som heter «Tilbud». Arkene i filen er: «Forside», «Data»." in sheet.output
    profile = CliRunner().invoke(cli, ["import", str(path), "--profile", "Finnes ikke"])
    assert profile.exit_code == 1
    assert "Fant ingen importprofil «Finnes ikke» for tilbud i organisasjonene dine" in profile.output
    bad = CliRunner().invoke(cli, ["import", str(path), "--map", "Navn"])
    assert bad.exit_code == 1
    assert "Ugyldig --map «Navn»: skriv «Overskrift=felt»" in bad.output
    assert fingerprint() == before


# --- who sees, uses and changes a profile ---------------------------------------------------------------------


def test_an_editor_of_another_organisation_cannot_see_use_or_change_a_profile(
    anon: TestClient, make_token: TokenFactory, fonna: int
) -> None:
    other_org = make_organisation(name="Annen AS")["id"]
    owner = bearer(make_token(Role.editor, [fonna]))
    other = bearer(make_token(Role.editor, [other_org]))
    profile = anon.post(
        PROFILES,
        json={"organisation_id": fonna, "name": "Fagsystemet", "kind": "rehab-services", "mapping": CUSTOM_MAPPING},
        headers=owner,
    ).json()
    url = f"{PROFILES}/{profile['id']}"
    before = fingerprint()
    assert anon.get(PROFILES, headers=other).json()["items"] == []
    assert anon.get(url, headers=other).status_code == 404
    assert anon.patch(url, json={"name": "Mitt"}, headers={**other, "If-Match": '"1"'}).status_code == 404
    assert anon.delete(url, headers={**other, "If-Match": '"1"'}).status_code == 404
    created = anon.post(
        PROFILES,
        json={"organisation_id": fonna, "name": "Kapret", "kind": "rehab-services", "mapping": CUSTOM_MAPPING},
        headers=other,
    )
    assert created.status_code == 403, created.text
    for value in ("Fagsystemet", str(profile["id"])):
        used = anon.post(API, files={"file": ("egen.csv", CUSTOM_CSV)}, data={"profile": value}, headers=other)
        assert used.status_code == 422, used.text
        assert used.json()["errors"][0]["loc"] == ["body", "profile"]
    assert "Fant ingen importprofil «Fagsystemet»" in used.json()["detail"] or "id" in used.json()["detail"]
    assert fingerprint() == before
    # The owner's organisation sees and uses it.
    assert [p["id"] for p in anon.get(PROFILES, headers=owner).json()["items"]] == [profile["id"]]


def test_a_viewer_of_the_organisation_sees_but_does_not_change_profiles(
    anon: TestClient, make_token: TokenFactory, fonna: int
) -> None:
    owner = bearer(make_token(Role.editor, [fonna]))
    viewer = bearer(make_token(Role.viewer, [fonna]))
    profile = anon.post(
        PROFILES,
        json={"organisation_id": fonna, "name": "Fagsystemet", "kind": "rehab-services", "mapping": CUSTOM_MAPPING},
        headers=owner,
    ).json()
    before = fingerprint()
    assert anon.get(f"{PROFILES}/{profile['id']}", headers=viewer).status_code == 200
    refused = anon.patch(f"{PROFILES}/{profile['id']}", json={"name": "Nytt"}, headers={**viewer, "If-Match": '"1"'})
    assert refused.status_code == 403
    assert refused.json()["detail"] == "Kontoen eller API-nøkkelen din kan bare lese"
    assert fingerprint() == before


def test_a_profile_is_changed_with_its_version_and_audited(client: TestClient, fonna: int) -> None:
    profile = create_profile(client, fonna).json()
    url = f"{PROFILES}/{profile['id']}"
    assert client.patch(url, json={"name": "Nytt navn"}).status_code == 428
    changed = client.patch(url, json={"name": "Nytt navn", "mapping": {"Navnet": "name"}}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["name"], changed.json()["mapping"], changed.headers["etag"]) == (
        "Nytt navn",
        {"Navnet": "name"},
        '"2"',
    )
    assert client.patch(url, json={"name": "Igjen"}, headers={"If-Match": '"1"'}).status_code == 412
    assert create_profile(client, fonna, name="Nytt navn").status_code == 409
    assert client.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    assert client.get(url).status_code == 404
    with transaction() as session:
        events = session.execute(
            select(col(AuditEvent.action))
            .where(col(AuditEvent.entity_type) == "import_profile")
            .order_by(col(AuditEvent.id))
        ).scalars()
        assert list(events) == ["create", "update", "delete"]


def test_a_profile_of_another_kind_or_with_a_bad_field_is_refused(client: TestClient, fonna: int) -> None:
    before = fingerprint()
    bad = create_profile(client, fonna, mapping={"Kol": "year"})  # a survey field, not a service field
    assert bad.status_code == 422, bad.text
    assert "ukjent felt «year»" in bad.json()["detail"]
    personal = create_profile(client, fonna, mapping={"Pasient 15076500565": "ignore"})
    assert personal.status_code == 422, personal.text
    assert personal.json()["type"].endswith("/personal-data")
    assert "15076500565" not in personal.text
    assert fingerprint() == before
    survey = create_profile(client, fonna, kind="municipal-survey", mapping={"Kommunenummer": "municipality_number"})
    assert survey.status_code == 201, survey.text
    used = post(client, "egen.csv", CUSTOM_CSV, profile="Fagsystemet")  # the survey profile is not for services
    assert used.status_code == 422


def test_the_domain_layout_lists_unknown_columns_with_samples(fonna: int) -> None:
    data = csv(
        ["Eksport fra fagsystemet"],
        CUSTOM_HEADER,
        [FONNA_ORGNR, "E1", "Lungekurs", "spesialist", "dag", None],
        [FONNA_ORGNR, "E2", "Hjertekurs", "spesialist", "dag", "ring"],
        [FONNA_ORGNR, "E3", "Kreftkurs", "spesialist", "dag", None],
        [FONNA_ORGNR, "E4", "Nakkekurs", "spesialist", "dag", "husk"],
    )
    layout = runner.inspect(data, "egen.csv", ImportKind.rehab_services)
    assert layout.header_row == 2
    assert [(c.header, c.field, c.samples) for c in layout.columns] == [
        ("Org.nr tilbyder", None, [FONNA_ORGNR] * 3),
        ("Vår ID", None, ["E1", "E2", "E3"]),
        ("Tilbudets navn", None, ["Lungekurs", "Hjertekurs", "Kreftkurs"]),
        ("Helsetjenestenivå", None, ["spesialist"] * 3),
        ("Type tilbud", None, ["dag"] * 3),
        ("Merknad", None, ["ring", "husk"]),
    ]
    assert layout.missing == ["Ekstern ID", "Navn", "Nivå", "Form", "Tilbyder orgnr"]
    mapped = runner.inspect(data, "egen.csv", ImportKind.rehab_services, mapping={"Vår ID": "external_id"})
    assert [c.header for c in mapped.unknown] == [
        "Org.nr tilbyder",
        "Tilbudets navn",
        "Helsetjenestenivå",
        "Type tilbud",
        "Merknad",
    ]
    with transaction() as session:
        assert (
            runner.run_import(
                session, SYSTEM, data, "egen.csv", ImportKind.rehab_services, dry_run=True, mapping=CUSTOM_MAPPING
            ).created
            == 4
        )
