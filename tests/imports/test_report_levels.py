"""The import report's three levels (errors, notes, summary) on the preview and batch pages and in the CLI, and
the messages' codes where the whole file is refused."""

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from typer.testing import CliRunner

from app.cli import app as cli
from app.domain.imports import errors as import_errors
from app.models.auth import Role
from tests.factories import browser_login, fingerprint, form_token, make_user
from tests.imports.corpus import SHEETS

BY_NAME = {sheet.name: sheet for sheet in SHEETS}
NOTE_ROW = re.compile(
    r'<tr>\s*<td class="rk-number">(.*?)</td>\s*<td>(.*?)</td>\s*<td class="rk-break">(.*?)</td>\s*'
    r"<td><code>(.*?)</code></td>\s*</tr>"
)
ALL_ROWS = '<span class="rk-muted">alle</span>'


@pytest.fixture
def admin(anon: TestClient) -> TestClient:
    browser_login(anon, make_user("report-admin@test.example", Role.admin, []))
    return anon


def upload(browser: TestClient, name: str, data: bytes) -> Any:
    token = form_token(browser, "/imports")
    return browser.post(
        "/imports",
        data={"csrftoken": token, "kind": "rehab-services"},
        files={"file": (name, data, "text/csv")},
        follow_redirects=False,
    )


def table(html: str, table_id: str) -> list[tuple[str, ...]]:
    start = html.index(f'id="{table_id}"')
    return NOTE_ROW.findall(html[start : html.index("</table>", start)])


def test_the_preview_and_the_batch_page_show_the_notes_with_their_codes(admin: TestClient) -> None:
    sheet = BY_NAME["kommunenr_og_kommune.csv"]
    preview = upload(admin, sheet.name, sheet.data)
    assert preview.status_code == 200, preview.text
    assert "<dt>Merknader</dt><dd>5</dd>" in preview.text
    assert "4 rader kontrollert uten feil: 4 nye, 0 endret, 0 uendret. 5 merknader." in preview.text
    expected = [
        (str(row) if row else ALL_ROWS, str(escape(column)), str(escape(message)), code)
        for row, column, code, message in sheet.notes
    ]
    assert table(preview.text, "notes") == expected
    token = re.search(r'name="token" value="([^"]+)"', preview.text)
    assert token is not None
    confirmed = admin.post(
        "/imports/confirm",
        data={"csrftoken": form_token(admin, "/imports"), "token": token.group(1)},
        follow_redirects=False,
    )
    assert confirmed.status_code == 303, confirmed.text
    batch = admin.get(confirmed.headers["location"])
    assert table(batch.text, "notes") == expected


def test_the_preview_shows_errors_and_notes_side_by_side(admin: TestClient) -> None:
    sheet = BY_NAME["kapasitet_uten_enhet.csv"]
    before = fingerprint()
    preview = upload(admin, sheet.name, sheet.data)
    assert preview.status_code == 422
    assert 'name="token"' not in preview.text
    assert [code for *_, code in table(preview.text, "problems")] == ["capacity_unit_missing"]
    assert [code for *_, code in table(preview.text, "notes")] == ["default_capacity_unit"]
    assert "Ingenting er importert: 1 feil i 1 rad av 2. 1 merknad." in preview.text
    assert fingerprint() == before


def test_the_cli_prints_errors_and_notes_with_their_codes(database_url: str, tmp_path: Path) -> None:
    refused = tmp_path / "kapasitet.csv"
    refused.write_bytes(BY_NAME["kapasitet_uten_enhet.csv"].data)
    before = fingerprint()
    result = CliRunner().invoke(cli, ["import", str(refused)])
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert "Ingenting er importert: 1 feil i 1 rad av 2. 1 merknad." in lines
    assert "Feil (ingenting ble skrevet):" in lines
    assert (
        "  rad 2, kolonne «Kapasitet enhet» [capacity_unit_missing]: kapasiteten mangler enhet, og formen "
        "(dag, poliklinisk) sier ikke hvilken: fyll inn Kapasitet enhet (senger, dagplasser, kursplasser per år, "
        "konsultasjoner per år, plasser)" in lines
    )
    assert "Merknader:" in lines
    assert (
        "  rad 3, kolonne «Kapasitet enhet» [default_capacity_unit]: kapasitetsenhet mangler: satt til «senger» "
        "fordi formen er døgn" in lines
    )
    assert fingerprint() == before
    clean = tmp_path / "kommuner.csv"
    clean.write_bytes(BY_NAME["kommunenr_og_kommune.csv"].data)
    result = CliRunner().invoke(cli, ["import", str(clean), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert (
        "  hele kolonnen, kolonne «Merknad» [column_ignored]: kolonnen «Merknad» er ikke kjent og blir ikke lest"
        in (result.output.splitlines())
    )


def test_an_unreadable_file_has_a_code_in_the_problem(client: TestClient) -> None:
    response = client.post("/api/v1/imports", files={"file": ("tom.csv", b"   \n")})
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["detail"]) == ("file_empty", "Filen er tom")
    twice = "Navn;Nivå;level\nA;kommunal;kommunal\n".encode()
    response = client.post("/api/v1/imports", files={"file": ("to.csv", twice)})
    assert response.json()["code"] == "duplicate_column"
    assert response.json()["detail"] == (
        "To kolonner betyr det samme: «Nivå» og «level»; fjern eller gi nytt navn til en av dem"
    )


@pytest.mark.parametrize(
    ("reason", "norwegian", "code"),
    [
        ("The file is empty", "Filen er tom", "file_empty"),
        ("The file is a JPEG image, not CSV or XLSX", "Filen er et JPEG-bilde, ikke CSV eller XLSX", "file_unreadable"),
        (
            "The file is an old Excel (.xls) or Word file; save it as .xlsx or CSV, not CSV or XLSX",
            "Filen er en gammel Excel-fil (.xls) eller en Word-fil; lagre den som .xlsx eller CSV",
            "file_unreadable",
        ),
        (
            "The text is neither UTF-8 nor Windows-1252; save it as UTF-8 CSV",
            "Teksten er verken UTF-8 eller Windows-1252; lagre filen som CSV (UTF-8)",
            "file_unreadable",
        ),
        ("Line 7: unexpected end of data", "Linje 7: unexpected end of data", "file_unreadable"),
        ("Sheet 'Tilbud' could not be read", "Arket «Tilbud» kunne ikke leses", "file_unreadable"),
        (
            "The workbook has no sheet with a header row",
            "Arbeidsboken har ikke noe ark med en overskriftsrad",
            "file_unreadable",
        ),
    ],
)
def test_the_readers_reasons_are_told_in_norwegian(reason: str, norwegian: str, code: str) -> None:
    refused = import_errors.unreadable(reason)
    assert (refused.detail, refused.code) == (norwegian, code)


def test_the_templates_explanation_sheet_explains_every_column_in_norwegian() -> None:
    from io import BytesIO

    from openpyxl import load_workbook

    from app.domain.imports import templates
    from app.models.imports import ImportKind

    book = load_workbook(BytesIO(templates.template_xlsx(ImportKind.municipal_survey)))
    rows = [row for row in book["Forklaring"].iter_rows(min_row=2, values_only=True) if row[1]]
    assert len(rows) == sum(book[name].max_column for name in ("Tilbud", "Kommune", "Behov"))
    english = re.compile(r"\b(the|is|are|or|and|required|blank|number|give)\b", re.IGNORECASE)
    for sheet, column, _aliases, explanation in rows:
        assert explanation, f"{sheet} {column} is not explained"
        assert not english.search(str(explanation)), f"{sheet} {column}: {explanation}"
