"""Bulk imports through the API and CLI: the bad-file corpus, all-or-nothing, re-apply, surveys, exports."""

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli
from app.db import transaction
from app.domain.imports import runner
from app.models.imports import ImportKind
from tests.conftest import SYSTEM
from tests.factories import fingerprint, make_service, org_id
from tests.imports.corpus import CORPUS, ROW_PROBLEMS, SHEETS, UNUSABLE_FILES, Expected, Sheet

API = "/api/v1/imports"


def upload(client: TestClient, name: str, *, dry_run: bool = False, kind: str = "rehab-services") -> Any:
    data = (CORPUS / name).read_bytes()
    return client.post(API, files={"file": (name, data)}, data={"kind": kind, "dry_run": str(dry_run).lower()})


def errors(response: Any) -> list[Expected]:
    return [(e["row"], e["column"], e["code"], e["message"]) for e in response.json()["row_errors"]]


def notes(response: Any) -> list[Expected]:
    return [(n["row"], n["column"], n["code"], n["message"]) for n in response.json()["notes"]]


def test_dry_run_reports_and_writes_nothing_then_apply_then_reapply(client: TestClient, fonna: int) -> None:
    before = fingerprint()
    dry = upload(client, "good_utf8.csv", dry_run=True)
    assert dry.status_code == 200, dry.text
    assert dry.json() | {"sha256": "-"} == {
        "batch_id": None,
        "kind": "rehab-services",
        "file_name": "good_utf8.csv",
        "sha256": "-",
        "dry_run": True,
        "applied": False,
        "rows": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "rejected": 0,
        "row_errors": [],
        "notes": [],
        "summary": {
            "errors": 0,
            "notes": 0,
            "codes": {},
            "text": "2 rader kontrollert uten feil: 2 nye, 0 endret, 0 uendret.",
        },
    }
    assert fingerprint() == before
    applied = upload(client, "good_utf8.csv")
    assert applied.status_code == 201
    assert applied.json()["created"] == 2
    batch_id = applied.json()["batch_id"]
    services = client.get("/api/v1/rehab-services", params={"provider": fonna}).json()["items"]
    assert {s["external_id"] for s in services} == {"K1", "K2"}
    assert {s["source"] for s in services} == {"import"}
    assert services[0]["forms"] == ["learning_and_mastery"]
    after_first = fingerprint()
    again = upload(client, "good_utf8.csv")
    assert again.json()["unchanged"] == 2
    assert again.json()["created"] == again.json()["updated"] == 0
    batches = client.get(API).json()["items"]
    assert [b["id"] for b in batches][-1] == batch_id
    assert batches[0]["sha256"] == applied.json()["sha256"]
    events = client.get("/api/v1/audit-events", params={"entity_type": "rehab_service"}).json()["items"]
    assert {e["batch_id"] for e in events} == {batch_id}
    # Re-applying wrote only its own batch record.
    assert after_first != fingerprint()


@pytest.mark.parametrize(("name", "expected"), ROW_PROBLEMS)
def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_written(
    client: TestClient, name: str, expected: list[Expected]
) -> None:
    before = fingerprint()
    for dry_run in (True, False):
        response = upload(client, name, dry_run=dry_run)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["applied"] is False
        assert errors(response) == expected
        sheets = {e["sheet"] for e in response.json()["row_errors"]}
        assert sheets == ({"Tilbud"} if name.endswith(".xlsx") else {None})  # a workbook names the sheet
    assert fingerprint() == before


@pytest.mark.parametrize(("name", "detail", "code"), UNUSABLE_FILES)
def test_unusable_files_are_refused_whole(client: TestClient, name: str, detail: str, code: str) -> None:
    before = fingerprint()
    response = upload(client, name)
    assert response.status_code == 422
    assert response.json()["type"] == "/problems/unreadable-file"
    assert response.json()["detail"] == detail
    assert response.json()["code"] == code
    assert fingerprint() == before


@pytest.mark.parametrize("what", ["zip without a workbook", "truncated workbook"])
def test_broken_workbooks_are_refused_whole(client: TestClient, what: str) -> None:
    if what == "zip without a workbook":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("notes.txt", "not a workbook")
        data = buffer.getvalue()
    else:
        data = (CORPUS / "municipal_survey.xlsx").read_bytes()[:2000]
    before = fingerprint()
    response = client.post(API, files={"file": ("survey.xlsx", data)})
    assert response.status_code == 422
    assert response.json()["detail"] == "Filen ser ut som XLSX, men kunne ikke åpnes"
    assert fingerprint() == before


def test_encodings_and_delimiters_are_detected(client: TestClient, fonna: int) -> None:
    assert upload(client, "good_bom_comma.csv").status_code == 201
    response = upload(client, "windows1252.csv")
    assert response.status_code == 201, response.text
    names = {s["name"] for s in client.get("/api/v1/rehab-services", params={"provider": fonna}).json()["items"]}
    assert "Rehabilitering på Ålesund – øvelser" in names


def test_excel_numbers_lose_no_leading_zero(client: TestClient, tmp_path: Path) -> None:
    data = "Kommunenr;Ekstern ID;Navn;Nivå;Form\n301;O1;Oslo uten null;kommunal;dag\n".encode()
    response = client.post(API, files={"file": ("oslo.csv", data)})
    assert response.status_code == 201, response.text
    oslo = org_id(client, "Oslo", kind="municipality")
    service = client.get("/api/v1/rehab-services", params={"provider": oslo}).json()["items"][0]
    assert service["catchment"] == ["0301"]


def test_a_script_tag_is_kept_as_text(client: TestClient, anon: TestClient) -> None:
    assert upload(client, "script_tag.csv").status_code == 201
    service = client.get("/api/v1/rehab-services", params={"q": "alert"}).json()["items"][0]
    assert service["name"] == "<script>alert('x')</script>"
    assert "<script>alert" not in anon.get(f"/rehab-services/{service['id']}").text


def test_files_over_the_limit_get_413(client: TestClient, small_import_limit: int) -> None:
    data = b"a;b\n" + b"x;y\n" * 400
    assert len(data) > small_import_limit
    response = client.post(API, files={"file": ("big.csv", data)})
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


def test_a_chunked_upload_is_stopped_at_the_limit(client: TestClient, small_import_limit: int) -> None:
    def body() -> Iterator[bytes]:  # no Content-Length: the size shows only while it streams
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\n\r\n'
        for _ in range(10_000):
            yield b"x;y\n" * 256
        yield b"\r\n--b--\r\n"

    response = client.post(API, content=body(), headers={"Content-Type": "multipart/form-data; boundary=b"})
    assert response.status_code == 413
    assert response.json()["type"] == "/problems/file-too-large"


def test_municipal_survey_stores_profiles(client: TestClient) -> None:
    response = upload(client, "municipal_survey.xlsx", kind="municipal-survey")
    assert response.status_code == 201, response.text
    assert response.json()["created"] == 3
    profile = client.get("/api/v1/municipalities/4614/profile").json()
    assert profile["year"] == 2026
    assert profile["has_cancer_coordinator"] is True
    assert profile["overview_of_rehab_needs"] is True  # "x"
    assert profile["overview_of_waiting_times"] is None  # blank: not answered
    assert profile["everyday_rehab_team"] is True
    assert profile["rehab_places"] == 6
    oslo = client.get("/api/v1/municipalities/0301/profile", params={"year": 2026}).json()
    assert oslo["rehab_places"] == 12  # "12,0" with a decimal comma
    assert client.get("/api/v1/municipalities/1106/profile").status_code == 404
    assert upload(client, "municipal_survey.xlsx", kind="municipal-survey").json()["unchanged"] == 3


def test_templates_download(client: TestClient) -> None:
    csv = client.get(f"{API}/templates/rehab-services.csv")
    assert csv.status_code == 200
    assert csv.content.startswith("\ufeffEkstern ID;".encode())
    xlsx = client.get(f"{API}/templates/municipal-survey.xlsx")
    assert xlsx.content.startswith(b"PK")
    # The template itself imports cleanly (as a dry run).
    response = client.post(
        API, files={"file": ("t.xlsx", xlsx.content)}, data={"kind": "municipal-survey", "dry_run": "true"}
    )
    assert response.status_code == 200, response.text


def test_an_import_killed_midway_leaves_nothing(database_url: str) -> None:
    rows = "\n".join(f"983974694;R{i};Tilbud {i};spesialist;dag" for i in range(1, 10_001))
    data = f"Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n{rows}\n".encode()
    before = fingerprint()
    seen: list[int] = []

    def explode(done: int, total: int) -> None:
        seen.append(total)
        if done == 5_000:  # two chunks of rows are written by now
            raise RuntimeError("power cut at row 5000 of 10000")

    with pytest.raises(RuntimeError), transaction() as session:
        runner.run_import(session, SYSTEM, data, "big.csv", ImportKind.rehab_services, dry_run=False, on_row=explode)
    assert fingerprint() == before
    assert seen[0] == 10_001  # the progress total is known from the start (lines, header included)


def test_a_row_seen_before_is_unchanged_until_the_service_is_edited(client: TestClient) -> None:
    data = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n983974694;D1;Dagtilbud;spesialist;dag\n".encode()
    assert client.post(API, files={"file": ("d.csv", data)}).json()["created"] == 1
    assert client.post(API, files={"file": ("d.csv", data)}).json()["unchanged"] == 1
    service = client.get("/api/v1/rehab-services", params={"q": "Dagtilbud"}).json()["items"][0]
    url = f"/api/v1/rehab-services/{service['id']}"
    edited = client.patch(url, json={"name": "Endret i nettleseren"}, headers={"If-Match": f'"{service["version"]}"'})
    assert edited.status_code == 200, edited.text
    # The same row again: the service was changed since, so the row is checked and written back.
    again = client.post(API, files={"file": ("d.csv", data)}).json()
    assert (again["updated"], again["unchanged"]) == (1, 0)
    assert client.get(url).json()["name"] == "Dagtilbud"
    assert client.post(API, files={"file": ("d.csv", data)}).json()["unchanged"] == 1


def test_unknown_national_codes_are_row_errors_on_their_column(client: TestClient) -> None:
    data = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Helsehjelpsområde\n983974694;N1;Navn;spesialist;dag;H99\n"
    before = fingerprint()
    response = client.post(API, files={"file": ("codes.csv", data.encode())})
    assert response.status_code == 422
    assert errors(response) == [(2, "Helsehjelpsområde", "unknown_code", "«H99» er ikke en kode i kodeverket 8655")]
    assert fingerprint() == before


def test_cli_import_exit_codes(database_url: str) -> None:
    good = CliRunner().invoke(cli, ["import", str(CORPUS / "good_utf8.csv"), "--dry-run"])
    assert good.exit_code == 0, good.output
    assert "prøvekjøring" in good.output
    bad = CliRunner().invoke(cli, ["import", str(CORPUS / "duplicates.csv")])
    assert bad.exit_code == 1
    assert "samme tilbyder og eksterne ID som rad 2" in bad.output
    assert "duplicate_key" in bad.output
    unreadable = CliRunner().invoke(cli, ["import", str(CORPUS / "image.csv")])
    assert unreadable.exit_code == 1
    assert "PNG-bilde" in unreadable.output


def test_csv_export_opens_in_excel_and_neutralises_formulas(client: TestClient, fonna: int) -> None:
    make_service(fonna, name='=HYPERLINK("http://evil")', forms=["day"])
    export = client.get("/api/v1/rehab-services", params={"provider": fonna}, headers={"Accept": "text/csv"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeffid;provider_id;")
    assert "\r\n" in text
    assert "'=HYPERLINK(" in text
    assert ";=" not in text
    assert ';"=' not in text


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.name for s in SHEETS])
def test_realistic_sheets_give_exact_reports(client: TestClient, sheet: Sheet) -> None:
    """Every error and note on its row and column, with its code and Norwegian text; a refused file writes
    nothing (dry run or not), a clean one writes its rows and reports the same notes."""
    before = fingerprint()
    for dry_run in (True, False):
        response = client.post(
            API,
            files={"file": (sheet.name, sheet.data)},
            data={"kind": sheet.kind, "dry_run": str(dry_run).lower()},
        )
        assert errors(response) == sheet.errors, response.text
        assert notes(response) == sheet.notes
        summary = response.json()["summary"]
        assert (summary["errors"], summary["notes"]) == (len(sheet.errors), len(sheet.notes))
        assert sum(summary["codes"].values()) == len(sheet.errors) + len(sheet.notes)
        if sheet.errors:
            assert response.status_code == 422
            assert response.json()["detail"] == summary["text"]
            assert summary["text"].startswith("Ingenting er importert: ")
            assert fingerprint() == before
        else:
            assert response.status_code == (200 if dry_run else 201)
            assert response.json()["created"] == sheet.created
            if dry_run:
                assert fingerprint() == before


def _service(client: TestClient, external_id: str) -> dict[str, Any]:
    (found,) = [
        s
        for s in client.get("/api/v1/rehab-services", params={"limit": 200}).json()["items"]
        if s["external_id"] == external_id
    ]
    return dict(found)


def test_defaults_and_everyday_names_are_stored_as_reported(client: TestClient) -> None:
    by_name = {s.name: s for s in SHEETS}
    for name in ("kommunenr_og_kommune.csv", "pasientgrupper_hverdagsnavn.csv"):
        response = client.post(API, files={"file": (name, by_name[name].data)})
        assert response.status_code == 201, response.text
    assert _service(client, "ST-1")["capacity_unit"] == "day_places"
    assert _service(client, "OS-1")["capacity_unit"] == "course_seats_per_year"
    assert _service(client, "HE-1")["capacity_unit"] == "beds"
    trondheim = _service(client, "TR-1")
    assert (trondheim["level"], trondheim["patient_groups"]) == ("municipal", ["ms"])
    assert _service(client, "PG-1")["patient_groups"] == ["ms", "parkinson"]
    assert _service(client, "PG-2")["patient_groups"] == ["musculoskeletal"]
    assert _service(client, "PG-3")["patient_groups"] == ["copd", "lung"]  # J44 and J44.1 are COPD, not lung
    # The applied batch keeps its notes; the batch API lists them apart from the (empty) row errors.
    batch = client.get(API).json()["items"][-1]
    assert batch["row_errors"] == []
    assert [(n["row"], n["code"]) for n in batch["notes"]] == [
        (None, "column_ignored"),
        (2, "default_capacity_unit"),
        (3, "default_level"),
        (4, "default_capacity_unit"),
        (5, "default_capacity_unit"),
    ]


def test_a_survey_checks_municipality_names_beside_numbers(client: TestClient) -> None:
    """The municipality facts sheet may carry the name beside the number too; a wrong one is an error."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kommune"
    sheet.append(["Kommunenr", "Kommune", "År", "Kreftkoordinator"])
    sheet.append(["4614", "Stord", 2026, "ja"])
    sheet.append(["1841", "Fuossko", 2026, "nei"])  # Fauske's Lule Sami name
    sheet.append(["1106", "Karmøy", 2026, "ja"])
    buffer = io.BytesIO()
    book.save(buffer)
    before = fingerprint()
    response = client.post(
        API, files={"file": ("kartlegging.xlsx", buffer.getvalue())}, data={"kind": "municipal-survey"}
    )
    assert response.status_code == 422, response.text
    assert errors(response) == [
        (4, "Kommune", "municipality_name_mismatch", "kommunenummer 1106 er Haugesund, men kommunenavnet er «Karmøy»")
    ]
    assert fingerprint() == before
