"""The import page in a real browser: upload a CSV, see the dry-run preview, confirm, land on the batch page.

Run with htmx (the upload posts in the background and the preview is swapped into <main>) and without
JavaScript (plain multipart form posts, which is what the CSRF check of a file upload has to handle).
Every page is checked with axe and photographed (test-output/e2e/).
"""

import re
import secrets
import sqlite3
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import BrowserWatch, ContextFactory, E2EServer, check_accessibility, login, shot

FONNA_ORGNR = "983974694"  # Helse Fonna HF, the e2e editor's organisation
UNPROCESSABLE = r"status of 422 \(Unprocessable (Entity|Content)\)"
JS_MODES = [pytest.param(True, id="htmx"), pytest.param(False, id="no-js")]


def _check_accessibility(page: Page, name: str, new_context: ContextFactory, *, javascript: bool) -> None:
    """check_accessibility, also for a page shown without JavaScript: its HTML is served again to a page
    that runs scripts (from the same address, so links and styles resolve alike)."""
    if not javascript:
        html, url = page.content(), page.url
        page = new_context().new_page()
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        page.goto(url)
    check_accessibility(page, name)


def _upload(page: Page, path: Path) -> int:
    """Choose the kind and the file, press the button; the status the upload answered with."""
    page.get_by_role("radio", name="Tilbud (rehab-services)").check()
    page.get_by_label("Fil", exact=True).set_input_files(path)
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith("/imports")) as posted:
        page.get_by_role("button", name="Kontroller filen").click()
    return posted.value.status


@pytest.mark.parametrize("javascript", JS_MODES)
def test_upload_preview_and_confirm(
    javascript: bool,
    new_context: ContextFactory,
    watches: dict[int, BrowserWatch],
    e2e_server: E2EServer,
    tmp_path: Path,
) -> None:
    mode = "" if javascript else "-no-js"
    page = new_context(java_script_enabled=javascript).new_page()
    watches[id(page.context)].allow_console_error(UNPROCESSABLE)  # the preview of a file with errors
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Import").click()
    page.wait_for_url(re.compile(r"/imports$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Importer fra fil")
    shot(page, f"import{mode}")
    _check_accessibility(page, f"import{mode}", new_context, javascript=javascript)

    # A file with problems: each one on its row and column, and no way to apply it.
    key = secrets.token_hex(3)
    bad = tmp_path / "feil.csv"
    bad.write_text(
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Pasientgrupper\n"
        f"{FONNA_ORGNR};E2E-{key}-1;Kurs;spesialist;spa;kols\n"
        f"{FONNA_ORGNR};E2E-{key}-2;;spesialist;dag;\n",
        encoding="utf-8",
    )
    assert _upload(page, bad) == 422
    expect(page.get_by_role("alert")).to_contain_text("Filen har 2 feil")
    problems = page.locator("#problems tbody tr")
    expect(problems).to_have_count(2)
    spa = "ukjent form «spa»; bruk en av: døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital"
    expect(problems.nth(0).get_by_role("cell")).to_have_text(["2", "Form", spa, "unknown_code"])
    expect(problems.nth(1).get_by_role("cell")).to_have_text(["3", "Navn", "verdien mangler", "missing_value"])
    expect(page.get_by_role("button", name="Bekreft og importer")).to_have_count(0)
    shot(page, f"import-preview-errors{mode}")
    _check_accessibility(page, f"import-preview-errors{mode}", new_context, javascript=javascript)

    # A clean file: the counts, then confirm.
    page.get_by_role("link", name="Last opp en rettet fil").click()
    page.wait_for_url(re.compile(r"/imports$"))
    good = tmp_path / "tilbud.csv"
    good.write_text(
        "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Pasientgrupper\n"
        f"{FONNA_ORGNR};E2E-{key}-1;Importert kurs {key};spesialist;LMS;KOLS\n"
        f"{FONNA_ORGNR};E2E-{key}-2;Importert dagtilbud {key};spesialist;dag;Hjerneslag\n",
        encoding="utf-8",
    )
    assert _upload(page, good) == 200
    outcome = page.locator("#outcome")
    expect(outcome).to_contain_text("Filen kan importeres")
    counts = page.locator("#counts")
    expect(counts).to_contain_text("Rader i filen2")
    expect(counts).to_contain_text("Blir opprettet2")
    if javascript:
        expect(outcome).to_be_focused()  # autofocus after the swap: screen readers hear the outcome
    shot(page, f"import-preview{mode}")
    _check_accessibility(page, f"import-preview{mode}", new_context, javascript=javascript)

    page.get_by_role("button", name="Bekreft og importer").click()
    page.wait_for_url(re.compile(r"/imports/batches/\d+$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Import av tilbud.csv")
    batch = page.locator("#batch")
    expect(batch).to_contain_text("Opprettet2")
    expect(batch).to_contain_text(e2e_server.editor.email)
    shot(page, f"import-batch{mode}")
    _check_accessibility(page, f"import-batch{mode}", new_context, javascript=javascript)

    page.goto(f"/rehab-services?q={key}")
    expect(page.locator("#results")).to_contain_text(f"Importert kurs {key}")


def test_survey_facts_appear_on_the_municipality_page(page: Page, e2e_server: E2EServer, tmp_path: Path) -> None:
    """A municipal survey (the facts sheet only, so the demo services stay as they are) → Stord's page."""
    admin = e2e_server.admin
    login(page, e2e_server.base_url, admin.email, admin.password)
    survey = tmp_path / "kartlegging.csv"
    survey.write_text(
        "Kommunenr;År;Kreftkoordinator;Koordinerende enhet kontakt;Hverdagsrehabiliteringsteam;Rehabiliteringsplasser\n"
        "4614;2025;nei;;ja;4\n"
        "4614;2026;ja;Tlf. 53 00 00 00;;6\n",
        encoding="utf-8",
    )
    page.goto("/imports")
    page.get_by_role("radio", name="Kommuneundersøkelse (municipal-survey)").check()
    page.get_by_label("Fil", exact=True).set_input_files(survey)
    page.get_by_role("button", name="Kontroller filen").click()
    expect(page.locator("#counts")).to_contain_text("Rader i filen2")
    page.get_by_role("button", name="Bekreft og importer").click()
    page.wait_for_url(re.compile(r"/imports/batches/\d+$"))

    with sqlite3.connect(e2e_server.database) as conn:
        (stord,) = conn.execute(
            "SELECT id FROM organisation WHERE kind = 'municipality' AND municipality_number = '4614'"
        ).fetchone()
    page.goto(f"/organisations/{stord}")
    heading = page.get_by_role("heading", name="Kommuneundersøkelsen 2026")
    expect(heading).to_be_visible()
    latest = page.locator("#survey-latest")
    expect(latest).to_contain_text("KreftkoordinatorJa")
    expect(latest).to_contain_text("Oversikt over ventetidikke oppgitt")
    expect(page.locator("#survey-earlier")).to_contain_text("2025")
    shot(page, "municipality-survey")
    check_accessibility(page, "municipality-survey")
