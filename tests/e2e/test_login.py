"""Logging in and out in a real browser: keyboard use, errors, accessibility and the CDN assets."""

import re

from playwright.sync_api import Page, expect

from app.settings import Settings
from tests.e2e.helpers import BrowserWatch, E2EServer, check_accessibility, login, shot


def test_login_page_is_accessible_and_works_with_the_keyboard_alone(page: Page, e2e_server: E2EServer) -> None:
    admin = e2e_server.admin
    page.goto("/login")
    expect(page).to_have_title(re.compile("Logg inn"))
    shot(page, "login")
    check_accessibility(page, "login")

    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Hopp til hovedinnhold")
    expect(skip_link).to_be_focused()
    shot(page, "login-skip-link-focused")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-post")).to_be_focused()
    page.keyboard.type(admin.email)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Passord")).to_be_focused()
    page.keyboard.type(admin.password)
    page.keyboard.press("Enter")

    page.wait_for_url(f"{e2e_server.base_url}/")
    header = page.locator("header")
    expect(header).to_contain_text(admin.email)
    expect(header.get_by_role("button", name="Logg ut")).to_be_visible()
    expect(header.get_by_role("link", name="Logg inn")).to_have_count(0)
    shot(page, "home-after-keyboard-login")


def test_wrong_password_shows_an_inline_error(page: Page, watch: BrowserWatch, e2e_server: E2EServer) -> None:
    # The form comes back with 422, which Chromium logs as a failed resource load.
    watch.allow_console_error(r"status of 422 \(Unprocessable (Entity|Content)\)")
    page.goto("/login")
    page.get_by_label("E-post").fill(e2e_server.admin.email)
    page.get_by_label("Passord").fill("not the password at all")
    page.get_by_role("button", name="Logg inn").click()

    alert = page.get_by_role("alert")
    expect(alert).to_have_text("Feil e-post eller passord.")
    expect(page).to_have_url(re.compile(r"/login$"))
    email = page.get_by_label("E-post")
    expect(email).to_have_value(e2e_server.admin.email)
    for field in (email, page.get_by_label("Passord")):
        expect(field).to_have_attribute("aria-invalid", "true")
        expect(field).to_have_attribute("aria-describedby", "login-error")
    expect(page.get_by_label("Passord")).to_have_value("")
    shot(page, "login-wrong-password")
    check_accessibility(page, "login-wrong-password")


def test_logout_ends_the_session(page: Page, e2e_server: E2EServer) -> None:
    admin = e2e_server.admin
    login(page, e2e_server.base_url, admin.email, admin.password)
    me = page.request.get("/api/v1/me")
    assert me.status == 200, me.text()
    assert me.json()["user"]["email"] == admin.email

    page.get_by_role("button", name="Logg ut").click()
    page.wait_for_url(f"{e2e_server.base_url}/login?logged_out=true")
    expect(page.get_by_role("status")).to_contain_text("Du er logget ut.")
    expect(page.locator("header").get_by_role("link", name="Logg inn")).to_be_visible()
    expect(page.locator("header")).not_to_contain_text(admin.email)
    shot(page, "login-after-logout")

    assert page.request.get("/api/v1/me").status == 401


def test_front_page_is_accessible_logged_out_and_in(page: Page, e2e_server: E2EServer) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile("Rehabkart"))
    expect(page.get_by_role("heading", level=1)).to_have_count(1)
    expect(page.locator("header").get_by_role("link", name="Logg inn")).to_be_visible()
    shot(page, "home-logged-out")
    check_accessibility(page, "home-logged-out")

    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    expect(page.locator("header")).to_contain_text(e2e_server.editor.email)
    shot(page, "home-logged-in")
    check_accessibility(page, "home-logged-in")


def test_htmx_and_designsystemet_load_from_the_pinned_cdn_urls(
    page: Page, watch: BrowserWatch, app_settings: Settings
) -> None:
    stylesheets = [app_settings.designsystemet_theme_url, app_settings.designsystemet_css_url]
    page.goto("/login")
    page.wait_for_load_state("load")
    assert page.evaluate("typeof htmx") == "object"
    assert page.evaluate("htmx.version") == "2.0.11"

    # Both stylesheets arrived, passed their SRI check and are readable (CORS) …
    sheets = page.evaluate(
        """(urls) => urls.map((url) => {
          const sheet = [...document.styleSheets].find((s) => s.href === url);
          return sheet ? sheet.cssRules.length : -1;
        })""",
        stylesheets,
    )
    assert all(count > 0 for count in sheets), f"stylesheet rule counts {sheets}"
    # … and apply: the theme's tokens are defined and the primary button is styled by them.
    accent = page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--ds-color-accent-base-default').trim()"
    )
    assert accent, "the Designsystemet theme defines --ds-color-accent-base-default"
    button = page.get_by_role("button", name="Logg inn")
    background = button.evaluate("(el) => getComputedStyle(el).backgroundColor")
    assert background not in {"rgba(0, 0, 0, 0)", "rgb(239, 239, 239)", "rgb(240, 240, 240)", "buttonface"}
    assert button.evaluate("(el) => getComputedStyle(el).cursor") == "pointer"
    shot(page, "login-assets")

    assert sorted(set(watch.cdn_requests)) == sorted([app_settings.htmx_url, *stylesheets])
    assert watch.blocked_requests == []
