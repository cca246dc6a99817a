"""Pathway templates in a real browser: a draft built, reordered and trimmed with the keyboard, published
through the confirmation and drawn as a flow across two lanes; a new version and its diff; the same step
moves without JavaScript. The list, the drawing, the editor and the history pass axe; every page is
photographed (test-output/e2e/pathway-*.png), the drawing also as printed.
"""

import re
import secrets
from dataclasses import dataclass, field

from playwright.sync_api import FloatRect, Locator, Page, expect

from tests.e2e.conftest import ORGANISATION_FOR_EDITOR
from tests.e2e.helpers import OUTPUT_DIR, ContextFactory, E2EServer, check_accessibility, login, shot

EDIT_URL = re.compile(r"/pathways/(\d+)/edit([?#].*)?$")
DETAIL_URL = re.compile(r"/pathways/(\d+)$")


@dataclass
class Step:
    title: str
    lanes: list[str]  # "municipal", "specialist"
    role: str  # the label, picked by typing it into the select
    forms: list[str] = field(default_factory=list)  # checkbox labels
    start: str = ""
    duration: str = ""
    handover_to: str = ""  # "municipal", "specialist" or "" for none
    items: list[str] = field(default_factory=list)  # hand-over codes
    checks: list[str] = field(default_factory=list)  # checklist codes
    check_text: str = ""


STEPS = [
    Step(
        "Utredning i lungepoliklinikken",
        ["specialist"],
        "Team i sykehuset",
        ["outpatient"],
        "0",
        "14",
        "municipal",
        ["discharge_summary", "medication_list"],
        ["what_matters_asked"],
    ),
    Step(
        "Lungerehabilitering",
        ["municipal", "specialist"],
        "Rehabiliteringsteam",
        ["inpatient", "day"],
        "14",
        "28",
        "municipal",
        ["rehabilitation_report", "individual_plan"],
        check_text="Røykeslutt tilbudt",
    ),
    Step("Oppfølging hos fastlegen", ["municipal"], "Fastlege", start="90"),
    Step(
        "Hverdagsrehabilitering hjemme",
        ["municipal"],
        "Hjemmetjenesten",
        ["home_based"],
        "42",
        "42",
        "specialist",
        ["referral"],
        ["coordinator_assigned"],
    ),
    Step(
        "Kontroll på sykehuset",
        ["specialist"],
        "Team i sykehuset",
        ["outpatient"],
        "120",
        "1",
        "municipal",
        ["discharge_summary"],
    ),
]


def _key_press(page: Page, target: Locator, key: str) -> None:
    target.focus()
    expect(target).to_be_focused()
    page.keyboard.press(key)


def _tick(page: Page, selector: str) -> None:
    box = page.locator(selector)
    _key_press(page, box, "Space")
    expect(box).to_be_checked()


def _type(page: Page, selector: str, text: str) -> None:
    if text:
        page.locator(selector).focus()
        page.keyboard.type(text)


def _add_step_with_the_keyboard(page: Page, step: Step) -> None:
    """Fill in the "Legg til steg" form with keys only (type, Space to tick, type-ahead in the select, Enter)."""
    form = page.locator("form.rk-add-step")
    _type(page, "#ns-title", step.title)
    for lane in step.lanes:
        _tick(page, f"#ns-levels-{lane}")
    role = page.locator("#ns-responsible_role")
    role.focus()
    page.keyboard.type(step.role)
    expect(role.locator("option:checked")).to_have_text(step.role)
    for code in step.forms:
        _tick(page, f"#ns-forms-{code}")
    _type(page, "#ns-start_day", step.start)
    _type(page, "#ns-duration_days", step.duration)
    if step.handover_to:
        _tick(page, f"#ns-handover_to_level-{step.handover_to}")
    for code in step.items:
        _tick(page, f"#ns-handover_items-{code}")
    for code in step.checks:
        _tick(page, f"#ns-checklist_codes-{code}")
    _type(page, "#ns-checklist_text", step.check_text)
    _key_press(page, form.get_by_role("button", name="Legg til steg"), "Enter")
    expect(page.locator("#steps-status")).to_have_text(f"Steget «{step.title}» er lagt til.")
    expect(page.locator("#ns-title")).to_have_value("")  # a fresh form for the next step


def _step_titles(page: Page) -> Locator:
    return page.locator(".rk-step-list > li h3")


def _settled(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def _create_draft(page: Page, series: str, title: str) -> int:
    page.goto("/pathways")
    page.get_by_role("link", name="Nytt forløp").click()
    page.wait_for_url(re.compile(r"/pathways/new$"))
    page.get_by_role("textbox", name="Serie").fill(series)
    page.get_by_role("textbox", name="Tittel", exact=True).fill(title)
    page.get_by_role("textbox", name="Beskrivelse").fill("Fra forverring på sykehuset til trening hjemme.")
    page.get_by_role("combobox", name="Eier").select_option(label=ORGANISATION_FOR_EDITOR)
    page.get_by_role("checkbox", name="KOLS", exact=True).check()
    page.get_by_role("textbox", name="Kildens tittel").fill("Nasjonal faglig retningslinje for KOLS")
    page.get_by_role("textbox", name="Kildens nettadresse").fill("https://www.helsedirektoratet.no/retningslinjer/kols")
    page.get_by_role("button", name="Lagre utkast").click()
    page.wait_for_url(EDIT_URL)
    expect(page.get_by_role("heading", level=1)).to_have_text("Rediger utkast")
    match = EDIT_URL.search(page.url)
    assert match, page.url
    return int(match.group(1))


def test_build_a_pathway_with_the_keyboard_publish_it_and_see_it_drawn(page: Page, e2e_server: E2EServer) -> None:
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    page.get_by_role("navigation", name="Hovedmeny").get_by_role("link", name="Forløp").click()
    page.wait_for_url(re.compile(r"/pathways$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pasientforløp")
    shot(page, "pathway-list")
    check_accessibility(page, "pathway-list")

    suffix = secrets.token_hex(3)
    series, title = f"kols-e2e-{suffix}", f"KOLS: fra sykehus til hjem {suffix}"
    template_id = _create_draft(page, series, title)
    check_accessibility(page, "pathway-editor-empty")

    # Five steps, each typed in with the keyboard; with htmx the list grows in place.
    page.evaluate("window.__sameDocument = true")
    for step in STEPS:
        _add_step_with_the_keyboard(page, step)
    expect(_step_titles(page)).to_have_text([f"{i}. {s.title}" for i, s in enumerate(STEPS, 1)])
    assert page.evaluate("window.__sameDocument === true"), "adding a step reloaded the page instead of swapping #steps"

    # Move "Hverdagsrehabilitering hjemme" up with the keyboard: from its "Rediger" link, Tab to "Flytt opp".
    moving = STEPS[3].title
    page.get_by_role("link", name=f"Rediger «{moving}»").focus()
    page.keyboard.press("Tab")
    up = page.get_by_role("button", name=f"Flytt opp «{moving}»")
    expect(up).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#steps-status")).to_have_text(f"Steget «{moving}» er flyttet opp til plass 3.")
    expect(_step_titles(page).nth(2)).to_have_text(f"3. {moving}")
    expect(up).to_be_focused()  # the focus stays on the button that moved with its step

    # Remove "Oppfølging hos fastlegen", also with the keyboard: Rediger → Flytt opp → Flytt ned → Fjern.
    removing = STEPS[2].title
    page.get_by_role("link", name=f"Rediger «{removing}»").focus()
    for _ in range(3):
        page.keyboard.press("Tab")
    remove = page.get_by_role("button", name=f"Fjern «{removing}»")
    expect(remove).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#steps-status")).to_have_text(f"Steget «{removing}» er fjernet.")
    final = [STEPS[0].title, STEPS[1].title, STEPS[3].title, STEPS[4].title]
    expect(_step_titles(page)).to_have_text([f"{i}. {t}" for i, t in enumerate(final, 1)])
    assert page.evaluate("window.__sameDocument === true"), "a step action reloaded the page"
    _settled(page)
    # The fields form got the new version out of band: saving it now is no conflict.
    page.locator("#f-description").fill("Fra forverring på sykehuset til trening hjemme, med kontroll etterpå.")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Endringene er lagret.")).to_be_visible()
    expect(_step_titles(page)).to_have_count(4)
    page.goto(f"/pathways/{template_id}/edit")
    shot(page, "pathway-editor")
    check_accessibility(page, "pathway-editor")

    # Publish through the confirmation.
    page.get_by_role("link", name="Publiser", exact=True).click()
    page.wait_for_url(re.compile(rf"/pathways/{template_id}/publish$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Publiser versjon 1?")
    shot(page, "pathway-publish-confirm")
    check_accessibility(page, "pathway-publish-confirm")
    page.get_by_role("button", name="Ja, publiser").click()
    page.wait_for_url(re.compile(rf"/pathways/{template_id}$"))

    # The drawing: two lanes, the boxes in order, arrows labelled with what travels.
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    main = page.locator("main")
    expect(main.locator(".rk-meta .ds-tag")).to_have_text("Publisert")
    expect(main.get_by_role("link", name="Rediger utkast")).to_have_count(0)
    expect(main.get_by_role("link", name="Ny versjon")).to_be_visible()
    drawing = page.get_by_role("img", name=re.compile(r"^Flytdiagram med 4 steg"))
    expect(drawing).to_be_visible()
    expect(drawing.locator(".rk-lane-label")).to_have_text(["Kommune", re.compile("^Spesialist")])
    boxes = drawing.locator(".rk-flow-box")
    titles = [text.replace("\u00ad", "") for text in boxes.locator(".rk-flow-title").all_inner_texts()]
    assert titles == [f"{i} {t}" for i, t in enumerate(final, 1)], titles
    expect(drawing.locator(".rk-arrow")).to_have_count(4)  # three between the steps, one out of the last
    drawn = [text.replace("\u00ad", "") for text in drawing.locator(".rk-arrow-label").all_inner_texts()]
    assert drawn == [
        "Epikrise, Legemiddelliste",
        "Individuell plan, Rehabiliteringsrapport",
        "Henvisning",
        "Epikrise",
    ], drawn
    widths = drawing.locator(".rk-flow-col").evaluate_all(
        "cols => cols.map(c => c.className.replace('rk-flow-col rk-flow-', '') + ' ' + c.offsetWidth)"
    )
    fits = drawing.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
    assert fits, f"four steps do not fit 1280 px without scrolling: {widths}"
    expect(drawing.locator(".rk-flow-endnode")).to_have_text("Videre i kommunen")
    expect(boxes.first).to_contain_text("Dag 0, varighet 14 dager")
    expect(boxes.nth(1)).to_contain_text("Røykeslutt tilbudt")
    # Laid out as a flow: left to right; each box in its lane (the municipality above, a shared step across).
    rects = [box.bounding_box() for box in boxes.all()]
    lanes = [lane.bounding_box() for lane in drawing.locator(".rk-lane-label").all()]
    assert all(rects)
    assert all(lanes)
    xs = [r["x"] for r in rects if r]
    assert xs == sorted(xs), f"the boxes are not left to right: {xs}"
    municipal, specialist = lanes[0], lanes[1]
    assert municipal
    assert specialist
    assert municipal["y"] < specialist["y"]

    def centre(rect: FloatRect | None) -> float:
        assert rect
        return rect["y"] + rect["height"] / 2

    assert specialist["y"] <= centre(rects[0]) <= specialist["y"] + specialist["height"], (
        "step 1 is not in the specialist lane"
    )
    assert municipal["y"] <= centre(rects[2]) <= municipal["y"] + municipal["height"], (
        "step 3 is not in the municipal lane"
    )
    both = rects[1]
    assert both
    divider = municipal["y"] + municipal["height"]
    assert both["y"] < divider < both["y"] + both["height"], "step 2 does not span both lanes"
    # The same facts as text for screen readers.
    steps_text = page.get_by_role("list", name="Stegene i rekkefølge")
    expect(steps_text.get_by_role("heading", level=3)).to_have_text(final)
    expect(steps_text).to_contain_text("Til kommune: Epikrise, Legemiddelliste")
    shot(page, "pathway-detail")
    drawing.screenshot(path=str(OUTPUT_DIR / "pathway-flow.png"))
    check_accessibility(page, "pathway-detail")
    # Printed: the drawing on an A4 landscape page (about 1040 px wide), without the page's chrome.
    page.set_viewport_size({"width": 1040, "height": 800})
    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    assert drawing.evaluate("el => el.scrollWidth <= el.clientWidth + 1"), "the printed drawing is cut off"
    shot(page, "pathway-detail-print")
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 390, "height": 844})
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= 390, f"at 390 px the page is {overflow} px wide: it should reflow (WCAG 1.4.10)"
    shot(page, "pathway-detail-390px")
    page.set_viewport_size({"width": 1280, "height": 800})

    # A new version, with a changed title: the history shows both and what changed, in bokmål.
    page.get_by_role("link", name="Ny versjon").click()
    page.wait_for_url(re.compile(rf"/pathways/{template_id}/new-version$"))
    page.get_by_role("button", name="Ja, lag ny versjon").click()
    page.wait_for_url(EDIT_URL)
    page.locator("#f-title").fill(f"{title} (revidert)")
    page.get_by_role("button", name="Lagre", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Endringene er lagret.")).to_be_visible()
    page.get_by_role("link", name=f"Rediger «{STEPS[4].title}»").focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Kontroll på sykehuset" one up
    expect(_step_titles(page).nth(2)).to_have_text(f"3. {STEPS[4].title}")
    page.goto(f"/pathways/series/{series}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Versjonshistorikk")
    rows = page.locator("#versions tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Utkast")
    expect(rows.nth(1)).to_contain_text("Publisert")
    diff = page.locator("#diff")
    expect(diff.get_by_role("row", name=re.compile("^Tittel"))).to_contain_text("(revidert)")
    expect(diff.locator("#diff-steps")).to_contain_text("Flyttet")
    shot(page, "pathway-history")
    check_accessibility(page, "pathway-history")


def test_steps_move_without_javascript(new_context: ContextFactory, e2e_server: E2EServer) -> None:
    page = new_context(java_script_enabled=False).new_page()
    login(page, e2e_server.base_url, e2e_server.editor.email, e2e_server.editor.password)
    suffix = secrets.token_hex(3)
    template_id = _create_draft(page, f"uten-js-{suffix}", f"Forløp uten JavaScript {suffix}")
    for name in ("Første steg", "Andre steg"):
        form = page.locator("form.rk-add-step")
        form.get_by_role("textbox", name="Tittel", exact=True).fill(name)
        form.get_by_role("checkbox", name="Kommune", exact=True).check()
        form.get_by_role("combobox", name="Ansvarlig").select_option(label="Koordinator")
        form.get_by_role("button", name="Legg til steg").click()
        page.wait_for_url(EDIT_URL)
    expect(_step_titles(page)).to_have_text(["1. Første steg", "2. Andre steg"])
    page.get_by_role("button", name="Flytt opp «Andre steg»").click()
    page.wait_for_url(re.compile(rf"/pathways/{template_id}/edit\?step=andre-steg&did=up#step-andre-steg$"))
    expect(_step_titles(page)).to_have_text(["1. Andre steg", "2. Første steg"])
    expect(page.locator("#steps-status")).to_have_text("Steget «Andre steg» er flyttet opp til plass 1.")
    shot(page, "pathway-editor-no-js")
