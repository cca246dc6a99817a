"""The pathway pages over HTTP: the list, the drawing, the draft editor (steps added, edited, moved and
removed with plain form posts and with htmx), inline errors, publishing through the confirmation, frozen
versions, edit conflicts, editors of other organisations, and the version history with its diff."""

import re
from typing import Any

from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import pathways
from app.models.auth import Role
from app.models.pathway import PathwayCreate
from tests.factories import SYSTEM, browser_login, find_org_id, form_token, make_pathways, make_user, pathway_body

HX = {"HX-Request": "true", "HX-Target": "steps"}


def _draft(owner: int, series: str = "kols-lunge", **overrides: Any) -> dict[str, Any]:
    body = PathwayCreate.model_validate(pathway_body(owner, series, **overrides))
    with transaction() as session:
        return pathways.create(session, SYSTEM, body)


def _get(template_id: int) -> dict[str, Any]:
    with transaction() as session:
        return pathways.get(session, SYSTEM, template_id)


def _keys(template_id: int) -> list[str]:
    return [s["key"] for s in _get(template_id)["steps"]]


def _publish(template_id: int) -> dict[str, Any]:
    etag = f'"{_get(template_id)["version"]}"'  # read first: a writer holds the write lock (PostgreSQL)
    with transaction() as session:
        return pathways.publish(session, SYSTEM, template_id, etag)


def _step_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Hjemmebesøk",
        "key": "",
        "levels": ["municipal"],
        "responsible_role": "home_care_service",
        "forms": ["home_based"],
        "start_day": "30",
        "duration_days": "7",
        "handover_to_level": "",
        "handover_note": "",
        "checklist_text": "",
    }
    data.update(overrides)
    return data


def _post(client: TestClient, url: str, data: dict[str, Any], **kwargs: Any) -> Any:
    """A form post with the CSRF token and the template's current version (unless `data` names one)."""
    template_id = int(re.search(r"/pathways/(\d+)", url).group(1))  # type: ignore[union-attr]
    token = form_token(client, "/pathways")
    body = {"csrftoken": token, "version": str(_get(template_id)["version"]), **data}
    return client.post(url, data=body, follow_redirects=False, **kwargs)


def _flow(html: str) -> str:
    """The drawing's HTML (between the flow and the text list), without the soft hyphens in its long words."""
    start = html.index('class="rk-flow"')
    return html[start : html.index('id="steps-text-heading"')].replace("\u00ad", "")


def test_list_shows_published_templates_to_everyone_and_drafts_to_logged_in_users(anon: TestClient, fonna: int) -> None:
    draft, published = make_pathways(fonna)
    page = anon.get("/pathways")
    assert page.status_code == 200
    assert 'href="/pathways">Forløp</a>' in page.text  # the menu link
    assert f'href="/pathways/{published}"' in page.text
    assert f'href="/pathways/{draft}"' not in page.text
    assert "Nytt forløp" not in page.text
    assert anon.get(f"/pathways/{draft}", follow_redirects=False).headers["location"].startswith("/login?next=")

    browser_login(anon, make_user("leser@test.example", Role.viewer))
    logged_in = anon.get("/pathways").text
    assert f'href="/pathways/{published}"' in logged_in
    assert f'href="/pathways/{draft}"' in logged_in
    assert "Nytt forløp" not in logged_in  # a viewer may not write

    drafts = anon.get("/pathways", params={"status": "draft"}).text
    assert f'href="/pathways/{draft}"' in drafts
    assert f'href="/pathways/{published}"' not in drafts
    assert 'value="draft" selected' in drafts
    by_group = anon.get("/pathways", params={"patient_group": "lung"}).text  # COPD is under lung diseases
    assert f'href="/pathways/{published}"' in by_group
    assert "Ingen forløp passer" in anon.get("/pathways", params={"patient_group": "cancer"}).text
    assert f'value="{fonna}" selected' in anon.get("/pathways", params={"owner": fonna}).text
    other_owner = anon.get("/pathways", params={"owner": find_org_id("Helse Bergen HF")}).text
    assert f'href="/pathways/{published}"' not in other_owner

    fragment = anon.get(
        "/pathways", params={"status": "published"}, headers={"HX-Request": "true", "HX-Target": "results"}
    )
    assert "<html" not in fragment.text
    assert "<form" not in fragment.text
    assert f'href="/pathways/{published}"' in fragment.text


def test_the_drawing_has_two_lanes_the_steps_in_order_and_labelled_hand_overs(anon: TestClient, fonna: int) -> None:
    published = _publish(_draft(fonna)["id"])
    response = anon.get(f"/pathways/{published['id']}")
    assert response.status_code == 200
    html = response.text
    flow = _flow(html)
    assert 'role="img"' in html
    assert 'tabindex="0"' in html
    assert 'rk-lane-label"><span>Kommune</span>' in flow
    assert 'rk-lane-label"><span>Spesialisthelsetjenesten</span>' in flow
    assert "Re\u00adha\u00adbi\u00adli\u00adte\u00adrings\u00adteam" in html  # long words may break, with a hyphen
    # The steps left to right, each in its lanes (a step in both lanes spans both).
    boxes = re.findall(r'rk-flow-box rk-at-(\w+)" data-step="([a-z-]+)"', flow)
    assert boxes == [("specialist", "utredning"), ("both", "rehabilitering"), ("municipal", "oppfolging")]
    # Between them the arrows: the hand-over to the municipality goes up a lane and says what travels.
    arrows = re.findall(r"rk-arrow rk-arrow--(\w+)", flow)
    assert arrows == ["up", "municipal"]
    assert '<span class="rk-arrow-label">Epikrise, Individuell plan</span>' in flow
    assert flow.index("utredning") < flow.index("rk-arrow--up") < flow.index("rehabilitering")
    # Timing and checklist under each step.
    assert "Dag 0, varighet 14 dager" in flow
    assert "«Hva er viktig for deg?» er spurt" in flow
    assert "Røykeslutt tilbudt" in flow
    # The text equivalent: the same steps, in the same order, with the same facts.
    text = html[html.index('id="steps-text-heading"') :]
    titles = re.findall(r'<h3 class="ds-heading" data-size="2xs">([^<]+)</h3>', text)
    assert titles == ["Utredning i spesialisthelsetjenesten", "Lungerehabilitering", "Oppfølging hjemme"]
    assert "Til kommune: Epikrise, Individuell plan" in text
    assert "Kommune og spesialisthelsetjenesten" in text
    # The facts about the template, and no edit controls for a reader.
    assert "Publisert" in html
    assert "Versjon 1" in html
    assert 'href="https://www.helsedirektoratet.no/"' in html
    assert "Forløpseier" not in html
    assert "Helse Fonna HF" in html
    assert "KOLS" in html
    for control in ("Rediger utkast", "Ny versjon", "Trekk tilbake", "/publish"):
        assert control not in html


def test_editor_creates_a_draft_and_adds_moves_edits_and_removes_steps(editor: TestClient, fonna: int) -> None:
    token = form_token(editor, "/pathways/new")
    bad = editor.post("/pathways/new", data={"csrftoken": token, "series": "Hjerte 1", "title": "", "owner_id": ""})
    assert bad.status_code == 422
    assert 'id="e-f-series"' in bad.text
    assert "Bruk små bokstaver" in bad.text
    assert 'id="e-f-title"' in bad.text
    assert "Må fylles ut." in bad.text
    assert "Velg eier." in bad.text
    created = editor.post(
        "/pathways/new",
        data={
            "csrftoken": token,
            "series": "hjerte",
            "title": "Hjerterehabilitering",
            "owner_id": str(fonna),
            "patient_groups": ["copd"],
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    match = re.fullmatch(r"/pathways/(\d+)/edit", created.headers["location"])
    assert match
    template_id = int(match.group(1))
    base = f"/pathways/{template_id}"
    editor_page = editor.get(f"{base}/edit").text
    assert "Ingen steg ennå" in editor_page
    assert f'<option value="{fonna}" selected>Helse Fonna HF</option>' in editor_page

    added = _post(editor, f"{base}/steps", _step_form())
    assert added.status_code == 303
    assert added.headers["location"] == f"{base}/edit?step=hjemmebesok&did=added#step-hjemmebesok"
    assert "Steget «Hjemmebesøk» er lagt til." in editor.get(added.headers["location"]).text
    _post(
        editor,
        f"{base}/steps",
        _step_form(
            title="Utredning",
            levels=["specialist"],
            responsible_role="hospital_team",
            handover_to_level="municipal",
            handover_items=["discharge_summary", "medication_list"],
            checklist_codes=["what_matters_asked"],
            checklist_text="Mål for rehabiliteringen avtalt\n\n",
        ),
    )
    _post(editor, f"{base}/steps", _step_form(title="Oppfølging hos fastlegen", responsible_role="gp"))
    assert _keys(template_id) == ["hjemmebesok", "utredning", "oppfolging-hos-fastlegen"]
    utredning = _get(template_id)["steps"][1]
    assert utredning["handover"] == {
        "to_level": "municipal",
        "items": ["discharge_summary", "medication_list"],
        "note": None,
    }
    assert utredning["checklist"] == [
        {"code": "what_matters_asked", "text": None},
        {"code": None, "text": "Mål for rehabiliteringen avtalt"},
    ]

    moved = _post(editor, f"{base}/steps/utredning/move", {"direction": "up"})
    assert moved.headers["location"] == f"{base}/edit?step=utredning&did=up#step-utredning"
    assert "Steget «Utredning» er flyttet opp til plass 1." in editor.get(moved.headers["location"]).text
    _post(editor, f"{base}/steps/hjemmebesok/move", {"direction": "down"})
    assert _keys(template_id) == ["utredning", "oppfolging-hos-fastlegen", "hjemmebesok"]
    _post(editor, f"{base}/steps/utredning/move", {"direction": "up"})  # already first: nothing happens
    assert _keys(template_id) == ["utredning", "oppfolging-hos-fastlegen", "hjemmebesok"]

    step_page = editor.get(f"{base}/steps/utredning")
    assert step_page.status_code == 200
    assert 'value="Utredning"' in step_page.text
    assert 'id="s-handover_items-discharge_summary" name="handover_items" value="discharge_summary"\n' in step_page.text
    saved = _post(
        editor,
        f"{base}/steps/utredning",
        _step_form(
            title="Utredning på sykehuset",
            key="utredning",
            levels=["specialist", "municipal"],
            responsible_role="hospital_team",
            checklist_codes=["what_matters_asked", "coordinator_assigned"],
        ),
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"{base}/edit?step=utredning&did=saved#step-utredning"
    step = _get(template_id)["steps"][0]
    assert (step["title"], step["levels"], step["handover"]) == (
        "Utredning på sykehuset",
        ["municipal", "specialist"],
        None,
    )
    assert [c["code"] for c in step["checklist"]] == ["what_matters_asked", "coordinator_assigned"]

    removed = _post(editor, f"{base}/steps/oppfolging-hos-fastlegen/remove", {})
    assert removed.status_code == 303
    assert "Steget er fjernet." in editor.get(removed.headers["location"]).text
    assert _keys(template_id) == ["utredning", "hjemmebesok"]

    fields = _post(
        editor,
        f"{base}/edit",
        {"title": "Hjerterehabilitering i Fonna", "owner_id": str(fonna), "source_title": "Pakkeforløp hjerneslag"},
    )
    assert fields.status_code == 303
    assert "Endringene er lagret." in editor.get(fields.headers["location"]).text
    template = _get(template_id)
    assert (template["title"], template["source"]["title"], template["patient_groups"]) == (
        "Hjerterehabilitering i Fonna",
        "Pakkeforløp hjerneslag",
        [],
    )
    assert _keys(template_id) == ["utredning", "hjemmebesok"]  # saving the fields leaves the steps alone


def test_with_htmx_the_step_list_is_swapped_in_place(editor: TestClient, fonna: int) -> None:
    draft = _draft(fonna)
    base = f"/pathways/{draft['id']}"
    response = _post(editor, f"{base}/steps/oppfolging/move", {"direction": "up"}, headers=HX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert response.text.lstrip().startswith('<section id="steps"')
    assert 'id="fields-version" value="2" hx-swap-oob="true"' in response.text  # the fields form stays current
    assert '<p id="steps-status" hx-swap-oob="innerHTML">Steget «Oppfølging hjemme» er flyttet opp til plass 2.' in (
        response.text
    )
    assert response.text.count('name="version" value="2"') >= 3
    assert _keys(draft["id"]) == ["utredning", "oppfolging", "rehabilitering"]

    added = _post(editor, f"{base}/steps", _step_form(title=""), headers=HX)
    assert added.status_code == 422
    assert "<html" not in added.text
    assert 'id="e-ns-title"' in added.text

    removed = _post(editor, f"{base}/steps/utredning/remove", {}, headers=HX)
    assert "Steget «Utredning i spesialisthelsetjenesten» er fjernet." in removed.text
    assert _keys(draft["id"]) == ["oppfolging", "rehabilitering"]


def test_errors_are_shown_at_the_field_of_the_step_they_belong_to(editor: TestClient, fonna: int) -> None:
    draft = _draft(fonna)
    base = f"/pathways/{draft['id']}"
    bad = _post(
        editor,
        f"{base}/steps",
        _step_form(title="", key="Ugyldig nøkkel", levels=[], responsible_role="", start_day="tre", duration_days="-1"),
    )
    assert bad.status_code == 422
    html = bad.text
    for name, message in {
        "title": "Må fylles ut.",
        "key": "Bruk små bokstaver (a–z), tall og bindestrek",
        "levels": "Velg kommune, spesialisthelsetjenesten eller begge.",
        "responsible_role": "Velg hvem som har ansvaret.",
        "start_day": "Må være et helt tall.",
        "duration_days": "Må være minst 0.",
    }.items():
        assert re.search(rf'id="e-ns-{name}">{re.escape(message)}', html), name
        assert f'href="#ns-{name}"' in html  # the summary links to the field
    assert (
        'id="ns-title" name="title" type="text" value="" required aria-invalid="true" aria-describedby="e-ns-title"'
        in html
    )
    assert 'value="Ugyldig nøkkel"' in html  # what was typed is kept
    assert _keys(draft["id"]) == ["utredning", "rehabilitering", "oppfolging"]

    duplicate = _post(editor, f"{base}/steps", _step_form(key="rehabilitering"))
    assert duplicate.status_code == 422
    assert 'id="e-ns-key">Nøkkelen «rehabilitering» brukes allerede av steg 2.' in duplicate.text

    handover = _post(editor, f"{base}/steps", _step_form(handover_items=["referral"]))
    assert 'id="e-ns-handover_to_level">Velg hvem steget overleveres til.' in handover.text

    # On the page for one step, an error in that step (index 1) shows at its own fields.
    step = _post(editor, f"{base}/steps/rehabilitering", _step_form(title="", key="rehabilitering"))
    assert step.status_code == 422
    assert 'id="e-s-title">Må fylles ut.' in step.text

    fields = _post(editor, f"{base}/edit", {"title": "", "owner_id": str(fonna), "source_url": "ftp://x"})
    assert fields.status_code == 422
    assert 'id="e-f-title">Må fylles ut.' in fields.text
    assert 'id="e-f-source_url">Skriv en nettadresse som begynner med https:// eller http://.' in fields.text


def test_publish_through_the_confirmation_then_the_version_is_frozen(editor: TestClient, fonna: int) -> None:
    draft = _draft(fonna)
    base = f"/pathways/{draft['id']}"
    detail = editor.get(base).text
    assert f'href="{base}/edit">Rediger utkast' in detail
    assert f'href="{base}/publish">Publiser' in detail
    confirm = editor.get(f"{base}/publish")
    assert confirm.status_code == 200
    assert "Publiser versjon 1?" in confirm.text
    assert "Ja, publiser" in confirm.text
    assert _get(draft["id"])["status"] == "draft"  # looking at the confirmation changes nothing

    published = _post(editor, f"{base}/publish", {})
    assert published.status_code == 303
    assert published.headers["location"] == base
    assert _get(draft["id"])["status"] == "published"
    detail = editor.get(base).text
    assert "Publisert" in detail
    for control in ("Rediger utkast", f"{base}/edit", "Flytt opp", f"{base}/publish"):
        assert control not in detail
    assert f'href="{base}/new-version">Ny versjon' in detail
    assert f'href="{base}/retire"' in detail

    # A published version is refused with a Norwegian 409 page, however it is asked.
    for url, data in (
        (f"{base}/edit", {"title": "Endret", "owner_id": str(fonna)}),
        (f"{base}/steps", _step_form()),
        (f"{base}/steps/utredning/move", {"direction": "down"}),
        (f"{base}/steps/utredning/remove", {}),
        (f"{base}/publish", {}),
    ):
        refused = _post(editor, url, data)
        assert refused.status_code == 409, url
        assert "Versjon 1 av «KOLS: lungerehabilitering» er publisert og kan ikke endres lenger" in refused.text or (
            "Bare et utkast kan publiseres." in refused.text
        )
        assert "<html" in refused.text
        assert 'lang="nb"' in refused.text
    assert editor.get(f"{base}/edit").status_code == 409
    assert _get(draft["id"])["title"] == "KOLS: lungerehabilitering"

    # A new version through its confirmation: the copy is a draft to edit.
    assert "Lag en ny versjon?" in editor.get(f"{base}/new-version").text
    copied = _post(editor, f"{base}/new-version", {})
    assert copied.status_code == 303
    new_id = int(re.fullmatch(r"/pathways/(\d+)/edit", copied.headers["location"]).group(1))  # type: ignore[union-attr]
    assert (_get(new_id)["series_version"], _get(new_id)["status"]) == (2, "draft")
    assert f'href="/pathways/{new_id}/edit">Rediger utkastet (versjon 2)' in editor.get(base).text
    assert editor.get(f"{base}/new-version").status_code == 409  # one draft per series

    # And retiring, also confirmed.
    assert "Trekk tilbake versjon 1?" in editor.get(f"{base}/retire").text
    assert _post(editor, f"{base}/retire", {}).status_code == 303
    assert _get(draft["id"])["status"] == "retired"


def test_publishing_a_draft_without_steps_is_explained(editor: TestClient, fonna: int) -> None:
    draft = _draft(fonna, steps=[])
    assert "Legg til minst ett steg før du publiserer." in editor.get(f"/pathways/{draft['id']}/publish").text
    response = _post(editor, f"/pathways/{draft['id']}/publish", {})
    assert response.status_code == 422
    assert "Legg til minst ett steg før du publiserer." in response.text
    assert _get(draft["id"])["status"] == "draft"


def test_a_stale_version_gives_the_conflict_message_and_changes_nothing(editor: TestClient, fonna: int) -> None:
    draft = _draft(fonna)
    base = f"/pathways/{draft['id']}"
    with transaction() as session:  # someone else saves first
        pathways.update(session, SYSTEM, draft["id"], {"title": "KOLS, revidert"}, '"1"')

    moved = _post(editor, f"{base}/steps/oppfolging/move", {"direction": "up", "version": "1"})
    assert moved.status_code == 409
    assert "Noen andre lagret endringer mens du redigerte" in moved.text
    assert "Endringen din ble ikke lagret." in moved.text
    assert "<td>KOLS: lungerehabilitering</td><td>KOLS, revidert</td>" in moved.text
    assert _keys(draft["id"]) == ["utredning", "rehabilitering", "oppfolging"]

    added = _post(editor, f"{base}/steps", _step_form(title="Mitt nye steg", version="1"), headers=HX)
    assert added.status_code == 409
    assert "Noen andre lagret endringer" in added.text
    assert 'value="Mitt nye steg"' in added.text  # the typing is kept
    assert len(_keys(draft["id"])) == 3

    fields = _post(
        editor,
        f"{base}/edit",
        {"title": "KOLS: lungerehabilitering", "description": "Min tekst", "owner_id": str(fonna), "version": "1"},
    )
    assert fields.status_code == 409
    assert "Det du har skrevet er beholdt under." in fields.text
    assert "Min tekst" in fields.text
    assert 'value="KOLS, revidert"' in fields.text  # a field this user left alone takes the saved value
    assert 'name="version" id="fields-version" value="2"' in fields.text  # saving again overwrites

    step = _post(editor, f"{base}/steps/utredning", _step_form(key="utredning", version="1"))
    assert step.status_code == 409
    assert _get(draft["id"])["title"] == "KOLS, revidert"


def test_an_editor_of_another_organisation_is_refused(anon: TestClient, fonna: int) -> None:
    draft = _draft(fonna)
    published = _publish(_draft(fonna, "kols-publisert")["id"])
    bergen = find_org_id("Helse Bergen HF")
    browser_login(anon, make_user("bergen@test.example", Role.editor, [bergen]))
    base = f"/pathways/{draft['id']}"
    detail = anon.get(base)
    assert detail.status_code == 200
    assert "Rediger utkast" not in detail.text
    assert "/publish" not in detail.text
    assert "Ny versjon" not in anon.get(f"/pathways/{published['id']}").text
    for url in (f"{base}/edit", f"{base}/steps/utredning", f"{base}/publish"):
        refused = anon.get(url)
        assert refused.status_code == 403, url
        assert "Du har ikke tilgang" in refused.text
    for url, data in (
        (f"{base}/edit", {"title": "Kapret", "owner_id": str(bergen)}),
        (f"{base}/steps", _step_form()),
        (f"{base}/steps/utredning/move", {"direction": "down"}),
        (f"{base}/steps/utredning/remove", {}),
        (f"{base}/publish", {}),
        (f"/pathways/{published['id']}/retire", {}),
    ):
        refused = _post(anon, url, data)
        assert refused.status_code == 403, url
        assert "Bare redaktører i organisasjonen som eier forløpet, kan endre det." in refused.text
    assert _get(draft["id"])["title"] == "KOLS: lungerehabilitering"
    assert _keys(draft["id"]) == ["utredning", "rehabilitering", "oppfolging"]
    assert _get(published["id"])["status"] == "published"
    # The new-draft form offers only the organisations this editor may write for.
    new = anon.get("/pathways/new").text
    assert f'<option value="{bergen}" selected>' in new  # the only choice, chosen
    assert f'<option value="{fonna}"' not in new


def test_anonymous_users_are_sent_to_login(anon: TestClient, fonna: int) -> None:
    draft = _draft(fonna)
    for url in ("/pathways/new", f"/pathways/{draft['id']}/edit", f"/pathways/{draft['id']}/publish"):
        response = anon.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next=")
    assert anon.post(f"/pathways/{draft['id']}/steps", data=_step_form()).status_code == 403  # no CSRF token


def test_history_lists_every_version_and_shows_the_diff_in_bokmal(editor: TestClient, fonna: int) -> None:
    first = _publish(_draft(fonna)["id"])
    with transaction() as session:
        second = pathways.new_version(session, SYSTEM, first["id"], f'"{first["version"]}"')
    steps = [dict(s) for s in second["steps"]]
    utredning, rehabilitering, _oppfolging = steps
    rehabilitering = {**rehabilitering, "duration_days": 28}
    new_step = {
        "key": "kontroll",
        "title": "Kontroll etter tre måneder",
        "levels": ["specialist"],
        "responsible_role": "hospital_team",
    }
    with transaction() as session:
        pathways.update(
            session,
            SYSTEM,
            second["id"],
            {"title": "KOLS, versjon 2", "steps": [rehabilitering, utredning, new_step]},
            '"1"',
        )
    page = editor.get("/pathways/series/kols-lunge")
    assert page.status_code == 200
    html = page.text
    rows = re.findall(r'<td class="rk-number">(\d+)</td>\s*<td><a class="ds-link" href="/pathways/(\d+)"', html)
    assert rows == [("2", str(second["id"])), ("1", str(first["id"]))]  # newest first
    assert "Utkast" in html
    assert "Publisert" in html
    # By default the newest two are compared.
    diff = html[html.index('id="diff"') :]
    assert '<th scope="row">Tittel</th><td>KOLS: lungerehabilitering</td><td>KOLS, versjon 2</td>' in diff
    assert re.search(r">Endret</span> <strong>Lungerehabilitering</strong>", diff)
    assert '<th scope="row">Varighet (dager)</th><td>–</td><td>28</td>' in diff
    assert re.search(r">Lagt til</span> <strong>Kontroll etter tre måneder</strong>", diff)
    assert re.search(r">Fjernet</span> <strong>Oppfølging hjemme</strong>", diff)
    # Any two versions can be picked; the same version twice is explained.
    same = editor.get("/pathways/series/kols-lunge", params={"before": first["id"], "after": first["id"]}).text
    assert "Velg to ulike versjoner" in same
    backwards = editor.get("/pathways/series/kols-lunge", params={"before": second["id"], "after": first["id"]}).text
    assert re.search(r">Lagt til</span> <strong>Oppfølging hjemme</strong>", backwards)
    # An unknown series is a Norwegian 404.
    missing = editor.get("/pathways/series/finnes-ikke")
    assert missing.status_code == 404
    assert "Fant ingen versjoner av serien «finnes-ikke»." in missing.text


def test_a_moved_step_is_reported_as_moved(editor: TestClient, fonna: int) -> None:
    first = _publish(_draft(fonna)["id"])
    with transaction() as session:
        second = pathways.new_version(session, SYSTEM, first["id"], f'"{first["version"]}"')
        a, b, c = second["steps"]
        pathways.update(session, SYSTEM, second["id"], {"steps": [b, c, a]}, '"1"')
    diff = editor.get("/pathways/series/kols-lunge").text
    assert re.search(r">Flyttet</span> <strong>Utredning i spesialisthelsetjenesten</strong>", diff)
    assert '<th scope="row">Plass</th><td>plass 1</td><td>plass 3</td>' in diff
