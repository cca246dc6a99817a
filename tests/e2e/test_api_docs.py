"""The interactive API docs in a real browser: Swagger UI renders under the page's Content-Security-Policy."""

from playwright.sync_api import Page, expect

from app.settings import Settings
from tests.e2e.helpers import BrowserWatch, shot


def test_swagger_ui_renders_the_operations_without_csp_violations(
    page: Page, watch: BrowserWatch, app_settings: Settings
) -> None:
    response = page.goto("/api/docs")
    assert response is not None
    assert response.ok
    headers = response.headers
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"

    expect(page).to_have_title("Rehabkart API")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Rehabkart API")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 10
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/rehab-services").first).to_be_visible()
    # The stylesheet passed its SRI check and applies (Swagger UI colours GET operations blue).
    get_block = page.locator(".opblock-get").first
    assert get_block.evaluate("(el) => getComputedStyle(el).borderColor") == "rgb(97, 175, 254)"

    # An operation opens (React and the syntax highlighter style elements through the CSSOM, which the CSP allows).
    page.locator(".opblock-summary-control").first.click()
    opened = page.locator(".opblock.is-open").first
    expect(opened).to_be_visible()
    # "Try it out" calls the API from the page (connect-src 'self').
    opened.get_by_role("button", name="Try it out").click()
    opened.get_by_role("button", name="Execute").click()
    expect(opened.locator(".live-responses-table tr.response .response-col_status")).to_have_text("200")
    shot(page, "api-docs")

    assert sorted(set(watch.cdn_requests)) == sorted([app_settings.swagger_ui_js_url, app_settings.swagger_ui_css_url])
    assert watch.blocked_requests == []
    assert watch.csp_violations == []
