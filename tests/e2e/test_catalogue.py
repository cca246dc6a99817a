"""The catalogue in a real browser: live filtering, create/edit/verify, edit conflicts, accessibility.

Every page is checked with axe and photographed (test-output/e2e/). Services the tests change are
created by the tests themselves, so the demo data keeps its shape for the filtering tests. The form
tests run twice: with htmx (posts in the background, <main> swapped) and without JavaScript.
"""

import re
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import BrowserContext, Locator, Page, Request, expect

from tests.e2e.conftest import ORGANISATION_FOR_EDITOR
from tests.e2e.helpers import (
    Account,
    BrowserWatch,
    ContextFactory,
    E2EServer,
    check_accessibility,
    login,
    shot,
)

KOLS_COURSE = "Lærings- og mestringskurs: Leve med KOLS (eksempel)"  # Helse Fonna, KOLS (under "lung")
STORD_COURSE = "Meistringskurs for kronisk sjuke (eksempel)"  # Stord kommune, KOLS too
CANCER_COURSE = "Lærings- og mestringskurs: Livet etter kreft (eksempel)"  # Helse Fonna, cancer
OSLO = ZoneInfo("Europe/Oslo")
SERVICE_URL = re.compile(r"/rehab-services/(\d+)$")
# Chromium logs the status of a 4xx page it loads; these are the responses the forms answer with on purpose.
UNPROCESSABLE = r"status of 422 \(Unprocessable (Entity|Content)\)"
CONFLICT = r"status of 409 \(Conflict\)"


def _results(page: Page) -> Locator:
    return page.locator("#results")


def _unique(name: str) -> str:
    return f"{name} {secrets.token_hex(3)}"


def _logged_in(
    new_context: ContextFactory, server: E2EServer, account: Account, *, java_script_enabled: bool = True
) -> Page:
    page = new_context(java_script_enabled=java_script_enabled).new_page()
    login(page, server.base_url, account.email, account.password)
    return page


def _create_service(page: Page, name: str, description: str = "") -> int:
    """Register a Helse Fonna service through the form (the fast way: no keyboard); its id."""
    page.goto("/rehab-services/new")
    page.get_by_role("combobox", name="Tilbyder").select_option(label=ORGANISATION_FOR_EDITOR)
    page.get_by_role("textbox", name="Navn", exact=True).fill(name)
    page.get_by_role("textbox", name="Beskrivelse").fill(description)
    page.get_by_role("radio", name="Spesialisthelsetjeneste").check()
    page.get_by_role("checkbox", name="Poliklinisk").check()
    page.get_by_role("checkbox", name="KOLS", exact=True).check()
    page.get_by_role("button", name="Lagre").click()
    page.wait_for_url(SERVICE_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    match = SERVICE_URL.search(page.url)
    assert match, page.url
    return int(match.group(1))


def _settled(page: Page) -> None:
    """Wait until htmx has no request in flight and the loading indicator has faded out completely.

    (axe measures the contrast of the half-faded "Henter …" otherwise.)
    """
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request')"
        " && getComputedStyle(document.getElementById('results-loading')).opacity === '0'"
    )


def _check_accessibility(page: Page, name: str, new_context: ContextFactory, *, javascript: bool) -> None:
    """check_accessibility, also for a page in a context without JavaScript (where axe cannot run).

    There the page's HTML is served again, from its own address, to a page that runs scripts.
    """
    if not javascript:
        html, url = page.content(), page.url
        page = new_context().new_page()
        page.route(url, lambda route: route.fulfill(status=200, content_type="text/html; charset=utf-8", body=html))
        page.goto(url)
    check_accessibility(page, name)


def _today() -> str:
    """Today in Norway, as the pages write dates."""
    return datetime.now(OSLO).strftime("%d.%m.%Y")


# --- Front page and organisation page ---------------------------------------------------------------------


def test_front_page_shows_counts_recent_changes_and_unverified_services(page: Page) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Rehabiliteringstilbud")
    total_text = page.get_by_text(re.compile(r"\d+ tilbud registrert")).inner_text()
    total = int(re.search(r"(\d+) tilbud registrert", total_text).group(1))  # type: ignore[union-attr]
    assert total >= 22, total_text  # the demo data at least

    cards = page.locator(".rk-cards")

    def count_table(column: str) -> Locator:
        return cards.locator("table", has=page.get_by_role("columnheader", name=column, exact=True))

    levels = count_table("Nivå")
    expect(levels.locator("tbody tr")).to_have_count(2)
    level_counts = [int(n) for n in levels.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert sum(level_counts) == total, f"level counts {level_counts} do not add up to {total}"
    forms = count_table("Form")
    expect(forms.get_by_role("link", name="Lærings- og mestringstilbud")).to_have_attribute(
        "href", "/rehab-services?form=learning_and_mastery"
    )
    groups = count_table("Pasientgruppe")
    expect(groups.get_by_role("link", name="KOLS", exact=True)).to_be_visible()

    recent = page.locator("section", has=page.get_by_role("heading", name="Sist endret"))
    expect(recent.locator("tbody tr")).not_to_have_count(0)
    stale = page.locator("section", has=page.get_by_role("heading", name="Ikke verifisert på 12 måneder"))
    expect(stale.get_by_text(re.compile(r"\d+ tilbud er ikke bekreftet som oppdaterte det siste året"))).to_be_visible()
    shot(page, "catalogue-home")
    check_accessibility(page, "catalogue-home")

    # Every count matches the list its link leads to.
    mismatches: list[str] = []
    for link in cards.get_by_role("link").all():
        href = link.get_attribute("href") or ""
        count = int(link.locator("xpath=ancestor::tr[1]/td[2]").inner_text())
        listed = re.search(r"Viser (\d+) tilbud", page.request.get(href).text())
        shown = int(listed.group(1)) if listed else 0
        if shown != count:
            mismatches.append(f"{link.inner_text()!r}: {count} on the front page, {shown} listed at {href}")

    # A count leads to the list filtered the same way.
    groups.get_by_role("link", name="KOLS", exact=True).click()
    page.wait_for_url(re.compile(r"/rehab-services\?patient_group=copd$"))
    expect(page.locator("#f-patient_group")).to_have_value("copd")
    expect(_results(page).get_by_role("link", name=KOLS_COURSE)).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    shot(page, "catalogue-home-390px")
    assert not mismatches, "front-page counts that differ from their lists:\n" + "\n".join(mismatches)


def test_organisation_page_lists_its_services(page: Page, e2e_server: E2EServer) -> None:
    page.goto(f"/organisations/{e2e_server.editor_organisation_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(ORGANISATION_FOR_EDITOR)
    table = page.locator("main table")
    for name in (KOLS_COURSE, CANCER_COURSE):
        expect(table.get_by_role("link", name=name)).to_be_visible()
    shot(page, "organisation")
    check_accessibility(page, "organisation")

    table.get_by_role("link", name=KOLS_COURSE).click()
    page.wait_for_url(SERVICE_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(KOLS_COURSE)


# --- The list and its filters -----------------------------------------------------------------------------


def test_live_filtering_with_the_keyboard_keeps_the_url_bookmarkable(page: Page) -> None:
    page.goto("/rehab-services")
    expect(_results(page).get_by_role("link", name=CANCER_COURSE)).to_be_visible()
    shot(page, "list")
    check_accessibility(page, "list")
    # Marks this document: it survives htmx swaps, not a page load.
    page.evaluate("window.__sameDocument = true")

    # Pick from the selects by typing while they have focus (type-ahead), as a keyboard user does.
    municipality = page.locator("#f-municipality")
    municipality.focus()
    page.keyboard.type("Stord")
    expect(municipality).to_have_value("4614")
    page.keyboard.press("Tab")
    group = page.locator("#f-patient_group")
    expect(group).to_be_focused()
    page.keyboard.type("Lunge")
    expect(group).to_have_value("lung")

    expect(page).to_have_url(re.compile(r"[?&]municipality=4614(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]patient_group=lung(&|$)"))
    results = _results(page)
    expect(results.get_by_role("link", name=KOLS_COURSE)).to_be_visible()
    expect(results.get_by_role("link", name=STORD_COURSE)).to_be_visible()
    expect(results.get_by_role("link", name=CANCER_COURSE)).to_have_count(0)
    assert page.evaluate("window.__sameDocument === true"), "filtering reloaded the page instead of swapping #results"
    _settled(page)
    shot(page, "list-filtered")
    check_accessibility(page, "list-filtered")

    # The address is a bookmark: loading it again gives the same filters and results.
    bookmark = page.url
    page.goto(bookmark)
    expect(page.locator("#f-municipality")).to_have_value("4614")
    expect(page.locator("#f-patient_group")).to_have_value("lung")
    expect(page.locator("#f-municipality option:checked")).to_have_text("Stord (4614)")
    expect(page.locator("#f-patient_group option:checked")).to_have_text("Lungesykdommer")
    expect(results.get_by_role("link", name=KOLS_COURSE)).to_be_visible()
    expect(results.get_by_role("link", name=STORD_COURSE)).to_be_visible()
    expect(results.get_by_role("link", name=CANCER_COURSE)).to_have_count(0)

    # Free text narrows the results after the debounce, without Enter, with one request for the whole word.
    searches: list[str] = []

    def on_request(request: Request) -> None:
        if "/rehab-services?" in request.url and "q=" in request.url:
            searches.append(request.url)

    page.on("request", on_request)
    page.evaluate("window.__sameDocument = true")
    page.locator("#f-q").focus()
    page.keyboard.type("leve med", delay=40)
    expect(results.get_by_role("link", name=STORD_COURSE)).to_have_count(0)
    expect(results.get_by_role("link", name=KOLS_COURSE)).to_be_visible()
    expect(page).to_have_url(re.compile(r"[?&]q=leve(\+|%20)med(&|$)"))
    expect(page).to_have_url(re.compile(r"[?&]municipality=4614(&|$)"))
    expect(page.locator("#f-q")).to_be_focused()  # the swap leaves the field being typed in alone
    assert page.evaluate("window.__sameDocument === true"), "typing reloaded the page instead of swapping #results"
    assert 1 <= len(searches) <= 2, f"expected one debounced request for 8 keystrokes, got {searches}"
    _settled(page)
    shot(page, "list-filtered-free-text")

    # Back goes to the previous filter, as it would after page loads.
    page.go_back()
    expect(page).to_have_url(bookmark)
    expect(results.get_by_role("link", name=STORD_COURSE)).to_be_visible()
    expect(page.locator("#f-q")).to_have_value("")
    expect(page.locator("#f-municipality")).to_have_value("4614")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/rehab-services")
    shot(page, "list-390px")


def test_filtering_works_without_javascript(new_context: ContextFactory, e2e_server: E2EServer) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto("/rehab-services")
    page.locator("#f-municipality").select_option("4614")
    page.locator("#f-patient_group").select_option("lung")
    page.get_by_role("button", name="Filtrer").click()

    page.wait_for_url(re.compile(r"/rehab-services\?municipality=4614&patient_group=lung(&|$)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rehabiliteringstilbud")
    expect(page.locator("#f-municipality")).to_have_value("4614")
    expect(page.locator("#f-patient_group")).to_have_value("lung")
    results = _results(page)
    expect(results.get_by_role("link", name=KOLS_COURSE)).to_be_visible()
    expect(results.get_by_role("link", name=CANCER_COURSE)).to_have_count(0)
    shot(page, "list-filtered-without-javascript")


# --- Creating, editing and verifying ----------------------------------------------------------------------


# Run with htmx (the form posts in the background and swaps <main>) and without JavaScript (plain form posts).
JS_MODES = [pytest.param(True, id="htmx"), pytest.param(False, id="no-js")]


@pytest.mark.parametrize("javascript", JS_MODES)
def test_create_shows_inline_errors_then_saves_with_the_keyboard(
    javascript: bool, new_context: ContextFactory, watches: dict[int, BrowserWatch], e2e_server: E2EServer
) -> None:
    page = _logged_in(new_context, e2e_server, e2e_server.editor, java_script_enabled=javascript)
    watches[id(page.context)].allow_console_error(UNPROCESSABLE)
    mode = "" if javascript else "-no-js"
    problems: list[str] = []  # checked at the end, so one broken detail does not hide the rest
    page.get_by_role("link", name="Registrer nytt tilbud").click()
    page.wait_for_url(re.compile(r"/rehab-services/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Registrer nytt tilbud")
    shot(page, f"service-new{mode}")
    _check_accessibility(page, f"service-new{mode}", new_context, javascript=javascript)

    # Saved empty: every problem is listed at the top and shown at its field.
    with page.expect_response(lambda response: response.request.method == "POST") as posted:
        page.get_by_role("button", name="Lagre").click()
    assert posted.value.status == 422, f"POST {posted.value.url} answered {posted.value.status}, not 422"
    summary = page.locator(".ds-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_have_attribute("role", "alert")
    expect(summary.get_by_role("heading")).to_have_text("Rett opp dette før du lagrer:")
    name_link = summary.get_by_role("link", name="Navn: Må fylles ut.")
    expect(name_link).to_have_attribute("href", "#f-name")
    name = page.get_by_role("textbox", name="Navn", exact=True)
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_attribute("aria-describedby", "e-name")
    name_field = page.locator(".ds-field", has=page.locator("#f-name"))
    expect(name_field.locator("#e-name")).to_have_text("Må fylles ut.")
    expect(name).to_have_accessible_description("Må fylles ut.")
    for fieldset in ("Nivå", "Form"):
        group = page.get_by_role("group", name=fieldset, exact=True)
        expect(group).to_have_attribute("aria-invalid", "true")
        expect(group.locator(".ds-validation-message")).not_to_be_empty()
    expect(page).to_have_url(re.compile(r"/rehab-services/new$"))
    shot(page, f"service-new-errors{mode}")
    _check_accessibility(page, f"service-new-errors{mode}", new_context, javascript=javascript)

    # Every link in the summary leads to its field (for a group of checkboxes or radios: into the group).
    for link in summary.get_by_role("link").all():
        href = link.get_attribute("href") or ""
        if not re.fullmatch(r"#[A-Za-z][\w-]*", href) or page.locator(href).count() != 1:
            problems.append(f"error summary link {link.inner_text()!r} points at {href!r}, which is not on the page")
    # … and takes the keyboard there.
    name_link.focus()
    page.keyboard.press("Enter")
    expect(name).to_be_focused()

    # Now filled in properly, with the keyboard: type-ahead in the select, Tab between fields, Space to tick.
    service_name = _unique("Hjerte- og lungetrening i gruppe")
    page.locator("#f-provider_id").focus()
    page.keyboard.type("Helse Fonna")
    expect(page.locator("#f-provider_id option:checked")).to_have_text(ORGANISATION_FOR_EDITOR)
    page.keyboard.press("Tab")
    expect(name).to_be_focused()
    page.keyboard.type(service_name)
    page.keyboard.press("Tab")
    expect(page.get_by_role("textbox", name="Beskrivelse")).to_be_focused()
    page.keyboard.type("Trening to ganger i uka i tolv uker.")
    page.keyboard.press("Tab")
    municipal = page.get_by_role("radio", name="Kommunal")
    expect(municipal).to_be_focused()  # no level chosen yet: Tab lands on the first radio
    page.keyboard.press("ArrowDown")  # … and the arrows choose within the group
    expect(page.get_by_role("radio", name="Spesialisthelsetjeneste")).to_be_checked()
    page.keyboard.press("Tab")
    expect(page.get_by_role("checkbox", name="Døgn")).to_be_focused()
    page.keyboard.press("Tab")
    day = page.get_by_role("checkbox", name="Dag", exact=True)
    expect(day).to_be_focused()
    page.keyboard.press("Space")
    expect(day).to_be_checked()
    copd = page.get_by_role("checkbox", name="KOLS", exact=True)
    copd.focus()
    page.keyboard.press("Space")
    expect(copd).to_be_checked()
    page.get_by_role("button", name="Lagre").focus()
    page.keyboard.press("Enter")

    page.wait_for_url(SERVICE_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text(service_name)
    main = page.locator("main")
    expect(main.get_by_role("link", name=ORGANISATION_FOR_EDITOR)).to_be_visible()
    expect(main).to_contain_text("Spesialisthelsetjeneste")
    expect(main.locator("dd").first).to_have_text("Dag")
    expect(main).to_contain_text("Trening to ganger i uka i tolv uker.")
    assert not problems, "\n".join(problems)


def test_edit_then_verify_today(page: Page, e2e_server: E2EServer) -> None:
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    service_name = _unique("Poliklinisk lungerehabilitering Haugesund")
    service_id = _create_service(page, service_name)
    waiting = page.locator("dt", has_text="Ventetid (dager)").locator("xpath=following-sibling::dd[1]")
    verified = page.locator("dt", has_text="Sist verifisert").locator("xpath=following-sibling::dd[1]")
    expect(waiting).to_have_text("–")
    expect(verified).to_have_text("Aldri")

    page.get_by_role("link", name="Rediger").click()
    page.wait_for_url(re.compile(rf"/rehab-services/{service_id}/edit$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rediger tilbud")
    expect(page.get_by_role("textbox", name="Navn", exact=True)).to_have_value(service_name)
    shot(page, "service-edit")
    check_accessibility(page, "service-edit")
    page.get_by_role("textbox", name="Ventetid (dager)").fill("21")
    page.get_by_role("button", name="Lagre").click()

    page.wait_for_url(re.compile(rf"/rehab-services/{service_id}$"))
    expect(waiting).to_have_text("21 dager")
    expect(page.locator("main")).to_contain_text("Versjon")
    shot(page, "service-detail")
    check_accessibility(page, "service-detail")

    page.get_by_role("button", name="Verifisert i dag").click()
    page.wait_for_url(re.compile(rf"/rehab-services/{service_id}$"))
    expect(verified).to_have_text(_today())
    expect(page.get_by_text("Ikke verifisert siste 12 måneder")).to_have_count(0)
    shot(page, "service-detail-verified")


@pytest.mark.parametrize("javascript", JS_MODES)
def test_conflicting_edits_show_what_changed_and_keep_the_typing(
    javascript: bool, new_context: ContextFactory, watches: dict[int, BrowserWatch], e2e_server: E2EServer
) -> None:
    editor = _logged_in(new_context, e2e_server, e2e_server.editor, java_script_enabled=javascript)
    watches[id(editor.context)].allow_console_error(CONFLICT)
    mode = "" if javascript else "-no-js"
    original_name = _unique("Lungeskole")
    service_id = _create_service(editor, original_name, "Opprinnelig beskrivelse.")
    admin = _logged_in(new_context, e2e_server, e2e_server.admin)

    admin.goto(f"/rehab-services/{service_id}/edit")
    editor.goto(f"/rehab-services/{service_id}/edit")
    expect(editor.get_by_role("textbox", name="Navn", exact=True)).to_have_value(original_name)

    admins_name = original_name + " (nytt navn)"
    admin.get_by_role("textbox", name="Navn", exact=True).fill(admins_name)
    admin.get_by_role("checkbox", name="Dag", exact=True).check()
    admin.get_by_role("button", name="Lagre").click()
    admin.wait_for_url(re.compile(rf"/rehab-services/{service_id}$"))
    expect(admin.get_by_role("heading", level=1)).to_have_text(admins_name)

    editors_description = "Ny beskrivelse skrevet av redaktøren."
    editor.get_by_role("textbox", name="Beskrivelse").fill(editors_description)
    with editor.expect_response(lambda response: response.request.method == "POST") as posted:
        editor.get_by_role("button", name="Lagre").click()
    assert posted.value.status == 409, f"POST {posted.value.url} answered {posted.value.status}, not 409"

    alert = editor.locator("#conflict")
    expect(alert).to_be_visible()
    expect(alert).to_have_attribute("role", "alert")
    expect(alert.get_by_role("heading")).to_have_text("Noen andre lagret endringer mens du redigerte")
    row = alert.get_by_role("row", name=re.compile("^Navn"))
    expect(row.get_by_role("cell")).to_have_text([original_name, admins_name])
    # The other changed field is written as the pages write it, not as stored codes.
    forms_cells = alert.get_by_role("row", name=re.compile("^Form")).get_by_role("cell").all_inner_texts()
    problems: list[str] = []
    if forms_cells != ["Poliklinisk", "Dag, Poliklinisk"]:
        problems.append(f"the conflict table shows the forms as {forms_cells}, not ['Poliklinisk', 'Dag, Poliklinisk']")
    expect(editor.get_by_role("textbox", name="Beskrivelse")).to_have_value(editors_description)
    expect(editor).to_have_url(re.compile(rf"/rehab-services/{service_id}/edit$"))
    expect(editor.locator("input[name=version]")).to_have_value("2")  # the admin's version: saving again overwrites
    shot(editor, f"service-edit-conflict{mode}")
    _check_accessibility(editor, f"service-edit-conflict{mode}", new_context, javascript=javascript)

    editor.get_by_role("button", name="Lagre").click()
    editor.wait_for_url(re.compile(rf"/rehab-services/{service_id}$"))
    expect(editor.get_by_text(editors_description)).to_be_visible()
    saved_name = editor.get_by_role("heading", level=1).inner_text()
    if saved_name != admins_name:
        problems.append(
            f"the editor changed only the description, yet saving again put the old name {saved_name!r} back "
            f"over the admin's {admins_name!r}"
        )
    assert not problems, "\n".join(problems)


# --- Logging out ------------------------------------------------------------------------------------------


def test_logout_from_the_header(page: Page, context: BrowserContext, e2e_server: E2EServer) -> None:
    editor = e2e_server.editor
    login(page, e2e_server.base_url, editor.email, editor.password)
    page.goto(f"/organisations/{e2e_server.editor_organisation_id}")
    page.get_by_role("link", name=KOLS_COURSE).click()
    page.wait_for_url(SERVICE_URL)
    detail = page.url
    expect(page.get_by_role("link", name="Rediger")).to_be_visible()

    header = page.locator("header")
    header.get_by_role("button", name="Logg ut").click()
    page.wait_for_url(re.compile(r"/login(\?|$)"))
    expect(page.get_by_role("status")).to_have_text("Du er logget ut.")
    expect(header.get_by_role("link", name="Logg inn")).to_be_visible()
    expect(header).not_to_contain_text(editor.email)
    assert not [c for c in context.cookies() if c["name"] != "rehabkart_csrf"], context.cookies()

    page.goto(detail)
    expect(page.get_by_role("heading", level=1)).to_have_text(KOLS_COURSE)
    expect(page.get_by_role("link", name="Rediger")).to_have_count(0)
    expect(page.get_by_role("button", name="Verifisert i dag")).to_have_count(0)
    page.goto("/rehab-services/new")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Frehab-services%2Fnew$"))
