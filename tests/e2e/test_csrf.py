"""Cross-site request forgery in a real browser: a page on another port of the same host plants its own
CSRF cookie and token and auto-posts to Rehabkart while an editor is logged in (the finding of issue 9)."""

import re

import httpx
from playwright.sync_api import BrowserContext, Page, Route, expect

from tests.e2e.helpers import BrowserWatch, E2EServer, login, shot

ATTACKER = "http://127.0.0.1:8300"  # another port: the same site to the browser, another origin


def _attacker_page(route: Route, action: str, cookie: str, token: str) -> None:
    html = f"""<!doctype html><html><body>
<form id="f" method="post" action="{action}"><input type="hidden" name="csrftoken" value="{token}"></form>
<script>document.cookie = "{cookie}; path=/"; document.getElementById("f").submit();</script>
</body></html>"""
    route.fulfill(status=200, body=html, headers={"Content-Type": "text/html"})


def test_a_page_on_another_port_cannot_post_for_a_logged_in_editor(
    context: BrowserContext, page: Page, watch: BrowserWatch, e2e_server: E2EServer
) -> None:
    base = e2e_server.base_url
    login(page, base, e2e_server.editor.email, e2e_server.editor.password)
    services = httpx.get(
        f"{base}/api/v1/rehab-services", params={"provider": e2e_server.editor_organisation_id, "limit": 1}
    ).json()["items"]
    target = services[0]
    # The attacker's own valid pair: a pre-login cookie and the token made for it.
    with httpx.Client(base_url=base) as attacker:
        form = attacker.get("/login").text
        token = re.search(r'name="csrftoken" value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
        nonce = attacker.cookies["rehabkart_csrf"]
    action = f"{base}/rehab-services/{target['id']}/verify"
    context.route(f"{ATTACKER}/**", lambda route: _attacker_page(route, action, f"rehabkart_csrf={nonce}", token))

    with page.expect_response(action) as posted:
        page.goto(f"{ATTACKER}/gevinst")
    assert posted.value.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text("Du har ikke tilgang")
    expect(page.locator("main")).to_contain_text("Skjemaet var utløpt eller ble ikke sendt fra Rehabkart")
    shot(page, "csrf-refused")
    after = httpx.get(f"{base}/api/v1/rehab-services/{target['id']}").json()
    assert after["version"] == target["version"], "the forged post changed the service"
    # The refusal itself is the one console error expected here.
    expected = [e for e in watch.console_errors if "status of 403" in e and action in e]
    assert len(expected) == 1
    watch.console_errors.remove(expected[0])
