"""The gap board in a real browser: a card dragged by mouse to another column (Sortable.js through htmx), a
refused drop shown on the card, a drop that needs a reason asking for it; a move with the keyboard only (menu,
reason, "Flytt"), the focus back on the moved card; the same move without JavaScript; axe on the board.
Screenshots: test-output/e2e/gap-board-*.png.

The gaps are registered through the API with an administrator's token (made with `rehabkart tokens create`),
owned by the editor's organisation, each with its own title: the tests do not depend on the demo data.
"""

import secrets
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from app.settings import Settings
from tests.e2e.conftest import _server_env
from tests.e2e.helpers import BrowserWatch, ContextFactory, E2EServer, check_accessibility, login, shot
from tests.factories import gap_body

CONFLICT = r"status of 409 \(Conflict\)"


@pytest.fixture(scope="module")
def api(e2e_server: E2EServer, app_settings: Settings) -> Iterator[httpx.Client]:
    """An API client with a read-write token of the e2e administrator."""
    created = subprocess.run(
        [
            sys.executable,
            "-c",
            "from app.cli import app; app(prog_name='rehabkart')",
            *("tokens", "create", "--user", e2e_server.admin.email, "--name", "e2e-tavle", "--scope", "read_write"),
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


def _gap(api: httpx.Client, owner_id: int, title: str, *, to: str | None = None) -> dict[str, Any]:
    """A gap of the editor's organisation, registered (and moved on to `to`) through the API."""
    response = api.post("/api/v1/gaps", json=gap_body(owner_id, title=f"{title} {secrets.token_hex(3)}"))
    assert response.status_code == 201, response.text
    gap: dict[str, Any] = response.json()
    if to:
        moved = api.post(
            f"/api/v1/gaps/{gap['id']}/transitions", json={"to": to}, headers={"If-Match": response.headers["etag"]}
        )
        assert moved.status_code == 200, moved.text
        gap = moved.json()
    return gap


def _column(page: Page, status: str) -> Locator:
    return page.locator(f'ul.rk-board-cards[data-status="{status}"]')


def _settled(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def _open_board(page: Page, e2e_server: E2EServer, tag: str = "") -> None:
    """The board as the editor sees it; with `tag`, filtered to the gaps whose titles carry it."""
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    page.goto(f"/gaps/board?q={tag}" if tag else "/gaps/board")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tavle over udekkede behov")


def test_drag_a_card_to_the_next_column_and_a_refused_drop_goes_back(
    page: Page, e2e_server: E2EServer, api: httpx.Client, watch: BrowserWatch
) -> None:
    tag = secrets.token_hex(4)  # the board filtered to this test's two gaps: every column in view
    gap = _gap(api, e2e_server.editor_organisation_id, f"Dras til vurdert {tag}")
    planned = _gap(api, e2e_server.editor_organisation_id, f"Uten tiltak {tag}", to="assessed")
    _open_board(page, e2e_server, tag)
    card = page.locator(f"#gap-{gap['id']}")
    expect(_column(page, "registered").locator(card)).to_be_visible()
    shot(page, "gap-board")

    card.drag_to(_column(page, "assessed"), source_position={"x": 4, "y": 4})

    expect(page.locator("#board-status")).to_have_text(f"«{gap['title']}» er flyttet til «vurdert».")
    _settled(page)
    expect(_column(page, "assessed").locator(f"#gap-{gap['id']}")).to_be_visible()
    page.reload()
    expect(_column(page, "assessed").locator(f"#gap-{gap['id']}")).to_be_visible()
    assert api.get(f"/api/v1/gaps/{gap['id']}").json()["status"] == "assessed"

    # "Tiltak planlagt" needs a measure: the server refuses, the card is back in its column with the reason.
    watch.allow_console_error(CONFLICT)
    refused = page.locator(f"#gap-{planned['id']}")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        refused.drag_to(_column(page, "measure_planned"), source_position={"x": 4, "y": 4})
    assert posted.value.status == 409
    _settled(page)
    expect(_column(page, "assessed").locator(f"#gap-{planned['id']}")).to_be_visible()
    expect(refused.get_by_role("alert")).to_contain_text("uten minst ett tiltak")
    expect(page.locator(f"#move-to-{planned['id']}")).to_be_focused()
    shot(page, "gap-board-refused")
    assert api.get(f"/api/v1/gaps/{planned['id']}").json()["status"] == "assessed"

    # "Avvist" needs a reason: the drop opens the card's reason field instead of posting; Enter sends it.
    card.drag_to(_column(page, "rejected"), source_position={"x": 4, "y": 4})
    reason = page.locator(f"#move-reason-{gap['id']}")
    expect(reason).to_be_focused()
    expect(_column(page, "assessed").locator(f"#gap-{gap['id']}")).to_be_visible()
    expect(page.locator(f"#move-to-{gap['id']} option:checked")).to_have_text("Avvist")
    page.keyboard.type("Dekket av et annet tilbud")
    page.keyboard.press("Enter")
    expect(page.locator("#board-status")).to_have_text(f"«{gap['title']}» er flyttet til «avvist».")
    _settled(page)
    expect(_column(page, "rejected").locator(f"#gap-{gap['id']}")).to_be_visible()


def test_move_a_card_with_the_keyboard_only(page: Page, e2e_server: E2EServer, api: httpx.Client) -> None:
    gap = _gap(api, e2e_server.editor_organisation_id, "Avvises med tastaturet")
    _open_board(page, e2e_server)
    title = gap["title"]
    reason = page.locator(f"#move-reason-{gap['id']}")
    expect(reason).to_be_hidden()  # asked for only when the move needs it

    page.get_by_role("link", name=title).focus()
    page.keyboard.press("Tab")
    menu = page.get_by_role("combobox", name=f"Flytt til «{title}»")
    expect(menu).to_be_focused()
    page.keyboard.type("Avvist")
    expect(menu.locator("option:checked")).to_have_text("Avvist")
    expect(reason).to_be_visible()
    page.keyboard.press("Tab")
    expect(reason).to_be_focused()
    page.keyboard.type("Dekkes av tilbudet i nabokommunen")
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name=f"Flytt «{title}»")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")

    expect(page.locator("#board-status")).to_have_text(f"«{title}» er flyttet til «avvist».")
    _settled(page)
    expect(_column(page, "rejected").locator(f"#gap-{gap['id']}")).to_be_visible()
    expect(button).to_be_focused()  # back on the moved card, in its new column
    stored = api.get(f"/api/v1/gaps/{gap['id']}").json()
    assert (stored["status"], stored["status_reason"]) == ("rejected", "Dekkes av tilbudet i nabokommunen")
    shot(page, "gap-board-keyboard")


def test_without_javascript_a_card_moves_with_its_form(
    new_context: ContextFactory, e2e_server: E2EServer, api: httpx.Client
) -> None:
    gap = _gap(api, e2e_server.editor_organisation_id, "Flyttes uten JavaScript")
    page = new_context(java_script_enabled=False).new_page()
    _open_board(page, e2e_server)
    expect(page.locator(f"#move-reason-{gap['id']}")).to_be_visible()  # always there without the script

    page.locator(f"#move-to-{gap['id']}").select_option("assessed")
    page.get_by_role("button", name=f"Flytt «{gap['title']}»").click()

    page.wait_for_url(f"**/gaps/board#gap-{gap['id']}")
    expect(_column(page, "assessed").locator(f"#gap-{gap['id']}")).to_be_visible()
    assert api.get(f"/api/v1/gaps/{gap['id']}").json()["status"] == "assessed"
    shot(page, "gap-board-no-js")


def test_the_board_passes_axe(page: Page, e2e_server: E2EServer, api: httpx.Client) -> None:
    _gap(api, e2e_server.editor_organisation_id, "Til axe")
    _gap(api, e2e_server.editor_organisation_id, "Vurdert til axe", to="assessed")
    _open_board(page, e2e_server)
    check_accessibility(page, "gap-board")
