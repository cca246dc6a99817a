"""Coverage in a real browser: the heat map opened from a pathway, a cell opened with the keyboard only (the
panel takes the focus and lists the covering service), sorting, the map's linked municipalities and legend,
the same without JavaScript, and the municipality page. Every page with JavaScript passes axe and is photographed
(test-output/e2e/coverage-*.png), the heat map also as printed.
"""

import re

from playwright.sync_api import Page, expect

from tests.e2e.helpers import ContextFactory, check_accessibility, shot

CANCER = "Pakkeforløp hjem for pasienter med kreft (eksempel)"  # the demo's cancer pathway, Helse Nord
COORDINATORS = "Kreftkoordinatorer: behovskartlegging etter diagnose (eksempel)"  # covers Bodø's first step
HELSE_NORD = 80


def _open_heat_map(page: Page) -> None:
    page.goto("/pathways")
    page.get_by_role("link", name=CANCER).first.click()
    page.get_by_role("link", name="Dekning i kommunene").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Dekning: {CANCER}")


def _row_names(page: Page) -> list[str]:
    return page.locator("#coverage-table tbody th").all_inner_texts()


def test_a_cell_opens_with_the_keyboard_and_the_map_links_every_municipality(page: Page) -> None:
    _open_heat_map(page)
    assert page.get_by_role("combobox", name="Område").input_value() == "HN"  # the owner's region
    assert len(_row_names(page)) == HELSE_NORD
    check_accessibility(page, "coverage-heat-map")
    shot(page, "coverage-heat-map")

    # Keyboard only: from Bodø's name, Tab to its first cell and open it.
    page.get_by_role("link", name="Bodø", exact=True).first.focus()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.closest('td').id")
    assert focused.startswith("cell-1804-")
    page.keyboard.press("Enter")
    panel = page.locator("#coverage-detail")
    expect(panel.get_by_role("heading", level=2)).to_have_text(f"Bodø: {CANCER}")
    expect(panel.get_by_role("heading", level=2)).to_be_focused()
    expect(panel.locator(".rk-cov-current").get_by_role("link", name=COORDINATORS)).to_be_visible()
    expect(panel.locator(".rk-cov-current")).to_contain_text("Dekket")
    assert page.url.endswith("/coverage")  # the panel opened in place
    check_accessibility(page, "coverage-cell-panel")
    shot(page, "coverage-cell-panel")
    # Back to the cell it came from.
    panel.get_by_role("link", name="Tilbake til tabellen").press("Enter")
    expect(page).to_have_url(re.compile(f"#{focused}$"))

    # A missing cell says why, in words (wait for its own panel: leaving mid-request would abort it).
    missing = page.locator("#coverage-table td.rk-cov-missing").first
    town = missing.locator("xpath=..").locator("th").inner_text()
    key = (missing.get_attribute("id") or "")[len("cell-0000-") :]
    missing.locator("a").press("Enter")
    expect(panel.get_by_role("heading", level=2)).to_have_text(f"{town}: {CANCER}")
    expect(panel.locator(f"#step-{key}.rk-cov-current .rk-hint")).not_to_be_empty()

    # The map: a titled link per municipality, a legend that counts them all.
    links = page.locator("figure svg a")
    assert links.count() == HELSE_NORD
    bodo = page.locator("figure svg a[href$='/coverage/1804']")
    expect(bodo.locator("title")).to_contain_text("Bodø: ")
    legend = page.locator(".rk-coverage-legend li").all_inner_texts()
    counts = [re.search(r"(\d+) kommuner?$", text) for text in legend]
    assert sum(int(m.group(1)) for m in counts if m) == HELSE_NORD
    assert all(counts)
    bodo.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/coverage/1804$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Dekning i Bodø")
    check_accessibility(page, "coverage-cells")
    shot(page, "coverage-cells")


def test_sorting_by_population_and_share(page: Page) -> None:
    _open_heat_map(page)
    page.get_by_role("link", name="Innbyggere").click()
    populations = [
        int(text.replace("\u00a0", ""))
        for text in page.locator("#coverage-table tbody td.rk-number").all_inner_texts()
        if "/" not in text
    ]
    assert populations == sorted(populations)
    expect(page.locator("th[aria-sort='ascending']")).to_contain_text("Innbyggere")
    page.get_by_role("link", name="Innbyggere").click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Innbyggere")
    assert _row_names(page)[0] == "Tromsø"

    page.get_by_role("link", name="Dekket", exact=True).click()
    page.get_by_role("link", name="Dekket", exact=True).click()
    expect(page.locator("th[aria-sort='descending']")).to_contain_text("Dekket")
    first = page.locator("#coverage-table tbody tr").first
    expect(first.locator("td").last).to_contain_text("4/4")
    page.emulate_media(media="print")
    shot(page, "coverage-heat-map-print")


def test_without_javascript_a_cell_is_a_page_and_the_region_a_form(new_context: ContextFactory) -> None:
    page = new_context(java_script_enabled=False).new_page()
    _open_heat_map(page)
    page.get_by_role("combobox", name="Område").select_option(label="Helse Vest RHF")
    page.get_by_role("button", name="Vis").click()
    assert "region=HV" in page.url
    assert len(_row_names(page)) == 66
    page.locator("#cell-4614-sp1-behovskartlegging-sykehus a").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dekning i Stord")
    assert page.url.endswith("#step-sp1-behovskartlegging-sykehus")
    shot(page, "coverage-cells-without-js")


def test_the_municipality_page(page: Page) -> None:
    page.goto("/municipalities/1804")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bodø")
    expect(page.get_by_role("heading", name="Hva kan innbyggerne få?")).to_be_visible()
    expect(page.get_by_role("heading", level=3, name=CANCER)).to_be_visible()
    expect(page.get_by_role("link", name=COORDINATORS).first).to_be_visible()
    check_accessibility(page, "coverage-municipality")
    shot(page, "coverage-municipality")
