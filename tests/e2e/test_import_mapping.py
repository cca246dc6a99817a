"""The import page's column mapping in a real browser: a sheet with its own column names and a title row,
each unknown column mapped, the mapping saved as a profile, the file previewed and applied; with htmx and
without JavaScript. The mapping page is checked with axe and photographed (test-output/e2e/)."""

import re
import secrets
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import BrowserWatch, ContextFactory, E2EServer, check_accessibility, login, shot

FONNA_ORGNR = "983974694"  # Helse Fonna HF, the e2e editor's organisation
JS_MODES = [pytest.param(True, id="htmx"), pytest.param(False, id="no-js")]
MAPPING = {
    "Org.nr tilbyder": "Tilbyder orgnr",
    "Vår ID": "Ekstern ID",
    "Tilbudets navn": "Navn",
    "Helsetjenestenivå": "Nivå",
    "Type tilbud": "Form",
    "Merknad": "ignorer",
}


def _accessible(page: Page, name: str, new_context: ContextFactory, *, javascript: bool) -> None:
    if not javascript:  # the same HTML, served to a page that runs axe
        html, url = page.content(), page.url
        page = new_context().new_page()
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        page.goto(url)
    check_accessibility(page, name)


@pytest.mark.parametrize("javascript", JS_MODES)
def test_map_columns_save_a_profile_and_import(
    javascript: bool,
    new_context: ContextFactory,
    watches: dict[int, BrowserWatch],
    e2e_server: E2EServer,
    tmp_path: Path,
) -> None:
    mode = "" if javascript else "-no-js"
    key = secrets.token_hex(3)
    page = new_context(java_script_enabled=javascript).new_page()
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    page.goto(f"{e2e_server.base_url}/imports")
    path = tmp_path / "eksport.csv"
    path.write_text(
        "Eksport fra fagsystemet\n"
        + ";".join(MAPPING)
        + "\n"
        + f"{FONNA_ORGNR};MAP-{key}-1;Lungekurs;spesialist;dag;ring først\n"
        + f"{FONNA_ORGNR};MAP-{key}-2;Hjertekurs;spesialist;poliklinisk;\n",
        encoding="utf-8",
    )
    page.get_by_role("radio", name="Tilbud (rehab-services)").check()
    page.get_by_label("Fil", exact=True).set_input_files(path)
    page.get_by_role("button", name="Kontroller filen").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tilordne kolonner i eksport.csv")
    expect(page.locator("#unknown-columns tbody tr")).to_have_count(6)
    expect(page.locator("#unknown-columns tbody tr").nth(2)).to_contain_text("Lungekurs · Hjertekurs")
    shot(page, f"import-mapping{mode}")
    _accessible(page, f"import-mapping{mode}", new_context, javascript=javascript)

    for header, field in MAPPING.items():
        page.get_by_label(header, exact=True).select_option(label=field)
    page.get_by_label("Navn på profilen").fill(f"Fagsystemet {key}")
    page.get_by_role("button", name="Kontroller filen med disse kolonnene").click()
    expect(page.get_by_role("status")).to_contain_text("Filen kan importeres")
    page.get_by_role("button", name="Bekreft og importer").click()
    page.wait_for_url(re.compile(r"/imports/batches/\d+$"))

    # Next time the profile is offered on the form.
    page.goto(f"{e2e_server.base_url}/imports")
    expect(page.get_by_label("Importprofil")).to_contain_text(f"Fagsystemet {key}")
    expect(page.locator("#profiles")).to_contain_text(f"Fagsystemet {key} (Tilbud)")
    _accessible(page, f"import-profiles{mode}", new_context, javascript=javascript)
