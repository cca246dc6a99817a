"""The action-plan editor in a real browser: the editor opens a network's plan for next year, creates it, writes
a section, adds a measure of the plan's own and sends the plan in; the page is then frozen and shows the new
status. axe on the draft (with its forms) and on the submitted plan. Screenshots:
test-output/e2e/network-plan-*.png.

The network is created through the API with an administrator's token (made with `rehabkart tokens create`),
owned by the editor's organisation and named with a random tag: the test does not depend on the demo data.
"""

import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from app.settings import Settings
from tests.e2e.conftest import _server_env
from tests.e2e.helpers import E2EServer, check_accessibility, login, shot
from tests.factories import network_body


@pytest.fixture(scope="module")
def api(e2e_server: E2EServer, app_settings: Settings) -> Iterator[httpx.Client]:
    """An API client with a read-write token of the e2e administrator."""
    created = subprocess.run(
        [
            sys.executable,
            "-c",
            "from app.cli import app; app(prog_name='rehabkart')",
            *("tokens", "create", "--user", e2e_server.admin.email, "--name", "e2e-plan", "--scope", "read_write"),
        ],
        cwd=e2e_server.database.parent,
        env=_server_env(app_settings, e2e_server.database),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stdout + created.stderr
    token = created.stdout.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=e2e_server.base_url, headers=headers, trust_env=False, timeout=10) as client:
        yield client


def _network(api: httpx.Client, owner_id: int) -> dict[str, Any]:
    name = f"Fagråd for rehabilitering {secrets.token_hex(3)}"
    response = api.post("/api/v1/networks", json=network_body(owner_id, name=name, kind="advisory_council"))
    assert response.status_code == 201, response.text
    network: dict[str, Any] = response.json()
    return network


def test_edit_a_section_add_a_measure_and_submit_the_plan(page: Page, e2e_server: E2EServer, api: httpx.Client) -> None:
    network = _network(api, e2e_server.editor_organisation_id)
    year = date.today().year + 1
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    page.goto(f"/networks/{network['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(network["name"])
    page.get_by_role("link", name=f"Handlingsplan for {year}").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Handlingsplan for {year}")

    page.get_by_role("button", name="Opprett handlingsplan").click()
    expect(page.locator("#plan-status")).to_have_text("Utkast")
    expect(page.locator("#plan-revision")).to_have_text("1")

    purpose = page.get_by_label("Tekst i «Formål»")
    purpose.fill("Fagrådet skal samordne rehabiliteringen mellom kommunene og helseforetaket.")
    page.get_by_role("button", name="Lagre kapitlene").click()
    expect(page.get_by_label("Tekst i «Formål»")).to_have_value(
        "Fagrådet skal samordne rehabiliteringen mellom kommunene og helseforetaket."
    )

    own = page.locator("form:has(#pm-what)")  # the form for a measure of the plan's own
    own.get_by_label("Område").fill("Kompetanse")
    own.get_by_label(re.compile(r"^Tiltak")).fill("Kurs i lungerehabilitering for kommunale fysioterapeuter")
    own.get_by_label("Ansvarlig").select_option(str(e2e_server.editor_organisation_id))
    own.get_by_label("Frist", exact=True).fill(f"{year}-06-30")
    own.get_by_label("Tidsramme").fill("1. halvår")
    own.get_by_role("button", name="Legg til tiltak").click()
    row = page.locator("table.rk-plan-measures tbody tr")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("Kurs i lungerehabilitering for kommunale fysioterapeuter")
    expect(row.first).to_contain_text("1. halvår")
    expect(row.first).to_contain_text("Planlagt")
    shot(page, "network-plan-draft")
    check_accessibility(page, "network-plan-draft")

    page.get_by_role("button", name="Send inn").click()
    expect(page.locator("#plan-status")).to_have_text("Sendt inn")
    expect(page.get_by_role("button", name="Lagre kapitlene")).to_have_count(0)
    expect(page.get_by_role("button", name="Lag ny revisjon")).to_be_visible()
    expect(page.get_by_text("Fagrådet skal samordne rehabiliteringen")).to_be_visible()
    shot(page, "network-plan-submitted")
    check_accessibility(page, "network-plan-submitted")

    stored = api.get(f"/api/v1/networks/{network['id']}/action-plans/{year}")
    assert stored.status_code == 200, stored.text
    plan = stored.json()
    assert plan["status"] == "submitted"
    assert [m["what"] for m in plan["measures"]] == ["Kurs i lungerehabilitering for kommunale fysioterapeuter"]
    assert plan["sections"][0]["text"].startswith("Fagrådet skal samordne")


def test_the_network_page_without_javascript(new_context: Any, e2e_server: E2EServer, api: httpx.Client) -> None:
    """The member and meeting forms are plain forms: a meeting is registered without JavaScript."""
    network = _network(api, e2e_server.editor_organisation_id)
    page = new_context(java_script_enabled=False).new_page()
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    page.goto(f"/networks/{network['id']}")
    form = page.locator("form:has(#mt-title)")
    form.get_by_label("Dato").fill("2026-03-12")
    form.get_by_label("Type møte").select_option("dialogue_meeting")
    form.get_by_label(re.compile(r"^Tittel")).fill("Dialogmøte om KOLS")
    form.get_by_role("button", name="Registrer møte").click()
    expect(page.get_by_role("heading", name="12.03.2026 – Dialogmøte om KOLS")).to_be_visible()
    expect(page.get_by_role("link", name="Registrer behov fra møtet")).to_be_visible()
    shot(page, "network-page-no-js")


def test_the_report_and_the_committee_overview_pass_axe(page: Page, e2e_server: E2EServer, api: httpx.Client) -> None:
    owner = e2e_server.editor_organisation_id
    name = f"Samhandlingsutvalg {secrets.token_hex(3)}"
    response = api.post("/api/v1/networks", json=network_body(owner, name=name, kind="collaboration_committee"))
    assert response.status_code == 201, response.text
    committee = response.json()
    child = api.post(
        "/api/v1/networks",
        json=network_body(owner, name=f"LMS-nettverk {secrets.token_hex(3)}", parent_id=committee["id"]),
    )
    assert child.status_code == 201, child.text
    network = child.json()
    year = date.today().year - 1
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)

    page.goto(f"/networks/{network['id']}/reports/{year}")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Årsrapport for {year}")
    page.get_by_label("Fritekst").fill("Nettverket holdt to kurs og et dialogmøte.")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_label("Fritekst")).to_have_value("Nettverket holdt to kurs og et dialogmøte.")
    shot(page, "network-report")
    check_accessibility(page, "network-report")

    page.goto(f"/networks/{committee['id']}/overview/{year}")
    expect(page.locator(f"#overview-{network['id']}")).to_contain_text("Utkast")
    shot(page, "network-overview")
    check_accessibility(page, "network-overview")
