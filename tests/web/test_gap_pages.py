"""The gap pages over HTTP: the filterable list (and a bad filter), registering with inline errors and the
personal-data guard, the gap page with its workflow, measures, comments and history, edit conflicts, who may
do what (a viewer comments, an editor of another organisation is refused), the summary, and overdue
measures on the front page and on the owner's page; nothing about gaps for anonymous readers unless public."""

import re
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.db import transaction
from app.domain import gaps
from app.models import Gap
from app.models.auth import Role
from app.models.gap import CommentCreate, GapStatus
from app.models.types import PERSONAL_DATA_MESSAGE
from app.settings import get_settings
from tests.factories import (
    SYSTEM,
    browser_login,
    fingerprint,
    form_token,
    make_gap,
    make_measure,
    make_organisation,
    make_user,
)

IDENTITY_NUMBER = "15076500565"  # a valid ordinary fødselsnummer (tests/domain/test_personal_data.py)


@pytest.fixture
def public_gaps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REHABKART_PUBLIC_GAPS", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("REHABKART_PUBLIC_GAPS")
    get_settings.cache_clear()


def _gap(gap_id: int) -> dict[str, Any]:
    with transaction() as session:
        return gaps.get(session, SYSTEM, gap_id)


def _gap_count() -> int:
    with transaction() as session:
        return int(session.execute(select(func.count()).select_from(Gap)).scalar_one())


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    token = form_token(client, "/gaps")
    return client.post(url, data={"csrftoken": token, **data}, follow_redirects=False)


def _form(owner_id: int, **overrides: str) -> dict[str, str]:
    data = {
        "title": "Ingen dagrehabilitering for KOLS",
        "description": "Pasienter fra Stord må reise langt",
        "category": "missing_service",
        "severity": "high",
        "patient_group": "copd",
        "municipalities": "4614, 4612",
        "region": "",
        "source": "dialogue_meeting",
        "source_reference": "Dialogmøte mars",
        "owner_id": str(owner_id),
    }
    data.update(overrides)
    return data


def _login(client: TestClient, email: str, role: Role, orgs: list[int]) -> TestClient:
    assert browser_login(client, make_user(email, role, orgs)).status_code == 303
    return client


# --- the list ----------------------------------------------------------------------------------------------------


def test_list_filters_and_shows_an_invalid_filter_inline(editor: TestClient, fonna: int) -> None:
    copd = make_gap(fonna)
    stroke = make_gap(fonna, title="Lang ventetid etter hjerneslag", category="waiting_time", patient_group="stroke")
    page = editor.get("/gaps")
    assert page.status_code == 200
    assert 'href="/gaps">Behov</a>' in page.text  # the menu link
    assert f'href="/gaps/{copd["id"]}"' in page.text
    assert f'href="/gaps/{stroke["id"]}"' in page.text
    assert "Registrer udekket behov" in page.text
    assert 'href="/gaps/board"' in page.text
    assert 'href="/gaps/summary"' in page.text

    filtered = editor.get("/gaps", params={"category": "waiting_time", "status": ["registered", "assessed"]})
    assert f'href="/gaps/{stroke["id"]}"' in filtered.text
    assert f'href="/gaps/{copd["id"]}"' not in filtered.text
    csv = re.search(r'href="(/api/v1/gaps\?[^"]+)">Last ned CSV', filtered.text)
    assert csv is not None
    assert "status=registered&amp;status=assessed&amp;category=waiting_time&amp;format=csv" in csv.group(1)

    assert f'href="/gaps/{copd["id"]}"' in editor.get("/gaps?patient_group=copd&municipality=4614").text
    assert "Ingen udekkede behov passer" in editor.get("/gaps?overdue=true").text

    bad = editor.get("/gaps?severity=enorm&municipality=12")
    assert bad.status_code == 422
    assert "Ukjent alvorlighet." in bad.text
    assert "Kommunenummer har fire sifre." in bad.text
    unknown = editor.get("/gaps?municipality=9999")
    assert unknown.status_code == 422
    assert "Ukjent kommunenummer «9999»" in unknown.text
    cursor = editor.get("/gaps?cursor=tull")
    assert cursor.status_code == 422
    assert "Lenken til neste side er ugyldig" in cursor.text


def test_list_pages_with_a_cursor(editor: TestClient, fonna: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.web.routes import gaps as routes

    monkeypatch.setattr(routes, "PAGE_SIZE", 1)
    first, second = make_gap(fonna), make_gap(fonna, title="Andre behov")
    page = editor.get("/gaps?status=registered")
    assert f'href="/gaps/{first["id"]}"' in page.text
    assert f'href="/gaps/{second["id"]}"' not in page.text
    next_url = re.search(r'href="(/gaps\?[^"]*cursor=[^"]+)"', page.text)
    assert next_url is not None
    assert f'href="/gaps/{second["id"]}"' in editor.get(next_url.group(1).replace("&amp;", "&")).text


def test_anonymous_readers_get_no_gap_data_unless_gaps_are_public(anon: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    make_measure(gap["id"], fonna, what="Skriv rapport om KOLS", due_on=str(date.today() - timedelta(days=30)))
    assert anon.get("/gaps", follow_redirects=False).headers["location"].startswith("/login?next=")
    assert anon.get(f"/gaps/{gap['id']}", follow_redirects=False).status_code == 303
    assert anon.get("/gaps/summary", follow_redirects=False).status_code == 303
    home = anon.get("/")
    assert "Skriv rapport om KOLS" not in home.text
    assert "Forfalte tiltak" not in home.text
    assert 'href="/gaps"' not in home.text
    org = anon.get(f"/organisations/{fonna}")
    assert "Skriv rapport om KOLS" not in org.text
    assert "/gaps?owner=" not in org.text


@pytest.mark.usefixtures("public_gaps")
def test_public_gaps_are_readable_anonymously_without_comments(anon: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    page = anon.get(f"/gaps/{gap['id']}")
    assert page.status_code == 200
    assert gap["title"] in page.text
    assert "Historikk" not in page.text
    assert "Endre status" not in page.text
    assert 'href="/gaps"' in anon.get("/").text


# --- registering ------------------------------------------------------------------------------------------------


def test_register_a_gap(editor: TestClient, fonna: int) -> None:
    form = editor.get("/gaps/new")
    assert form.status_code == 200
    assert f'<option value="{fonna}" selected>' in form.text  # the editor's one organisation
    response = _post(editor, "/gaps", _form(fonna))
    assert response.status_code == 303
    gap_id = int(response.headers["location"].rsplit("/", 1)[1])
    gap = _gap(gap_id)
    assert gap["municipalities"] == ["4612", "4614"]
    assert gap["status"] == "registered"
    assert gap["owner_id"] == fonna
    region = _post(editor, "/gaps", _form(fonna, municipalities="", region="HV"))
    assert region.status_code == 303


def test_register_with_errors_shows_them_inline_and_writes_nothing(editor: TestClient, fonna: int) -> None:
    other = make_organisation(name="Annen eier AS")["id"]
    form_token(editor, "/gaps")
    before = fingerprint(ignore=("user_session",))
    response = _post(
        editor,
        "/gaps",
        _form(fonna, title="", description=f"Gjelder pasient {IDENTITY_NUMBER}", municipalities="46x4"),
    )
    assert response.status_code == 422
    assert PERSONAL_DATA_MESSAGE in response.text
    assert "Tittel: Må fylles ut." in response.text
    assert "Skriv kommunenumre med fire sifre" in response.text
    assert IDENTITY_NUMBER not in response.text
    assert "150765" not in response.text
    assert "Gjelder pasient •••••••••••" in response.text  # what was typed, masked
    unknown = _post(editor, "/gaps", _form(fonna, municipalities="9999", patient_group="kolss"))
    assert unknown.status_code == 422
    assert "ukjent kommunenummer «9999»" in unknown.text
    both = _post(editor, "/gaps", _form(fonna, region="HV"))
    assert both.status_code == 422
    assert "oppgi enten kommuner eller en hel region" in both.text
    refused = _post(editor, "/gaps", _form(other))
    assert refused.status_code == 403
    assert "Du kan ikke registrere udekkede behov for denne eieren." in refused.text
    assert fingerprint(ignore=("user_session",)) == before


# --- the gap page ------------------------------------------------------------------------------------------------


def test_gap_page_shows_measures_comments_and_history(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    late = make_measure(gap["id"], fonna, what="Utred dagtilbud", due_on=str(date.today() - timedelta(days=3)))
    make_measure(gap["id"], fonna, what="Ferdig tiltak", status="done", done_on="2026-01-05")
    with transaction() as session:
        gaps.add_comment(session, SYSTEM, gap["id"], CommentCreate(text="Tatt opp i samhandlingsutvalget"))
    page = editor.get(f"/gaps/{gap['id']}")
    assert page.status_code == 200
    text = page.text
    assert "Utred dagtilbud" in text
    assert "Ferdig tiltak" in text
    row = text[text.index(f'id="measure-{late["id"]}"') :]
    assert "forfalt" in row[: row.index("</tr>")]
    assert "05.01.2026" in text
    assert "Tatt opp i samhandlingsutvalget" in text
    assert "Registrerte behovet" in text
    assert "La til et tiltak" in text
    assert "Manglende tilbud" in text
    assert "Høy" in text
    assert "Dialogmøte" in text
    assert ">Endre status<" in text
    assert "Legg til tiltak" in text


def test_transitions_allowed_and_refused(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    url = f"/gaps/{gap['id']}/transition"
    ok = _post(editor, url, {"to": "assessed", "reason": "", "version": "1"})
    assert ok.status_code == 303
    assert ok.headers["location"] == f"/gaps/{gap['id']}#status"
    assert _gap(gap["id"])["status"] == "assessed"

    refused = _post(editor, url, {"to": "measure_planned", "reason": "", "version": "2"})
    assert refused.status_code == 409
    assert "legg til et tiltak først" in refused.text
    not_allowed = _post(editor, url, {"to": "resolved", "reason": "", "version": "2"})
    assert not_allowed.status_code == 409
    assert "kan det bare gå til «tiltak planlagt» eller «avvist»" in not_allowed.text
    no_reason = _post(editor, url, {"to": "rejected", "reason": " ", "version": "2"})
    assert no_reason.status_code == 422
    assert "påkrevd for å avvise" in no_reason.text
    personal = _post(editor, url, {"to": "rejected", "reason": f"Se {IDENTITY_NUMBER}", "version": "2"})
    assert personal.status_code == 422
    assert IDENTITY_NUMBER not in personal.text
    stale = _post(editor, url, {"to": "rejected", "reason": "Dekket av nytt tilbud", "version": "1"})
    assert stale.status_code == 409
    assert "Noen andre har endret dette" in stale.text
    assert _gap(gap["id"])["status"] == "assessed"
    rejected = _post(editor, url, {"to": "rejected", "reason": "Dekket av nytt tilbud", "version": "2"})
    assert rejected.status_code == 303
    page = editor.get(f"/gaps/{gap['id']}")
    assert "Avvist: Dekket av nytt tilbud" in page.text
    assert "Status: Vurdert → Avvist" in page.text  # the history
    assert "Legg til tiltak" not in page.text  # measures of a rejected gap are read-only


def test_edit_with_a_stale_version_is_refused_inline(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    form = editor.get(f"/gaps/{gap['id']}/edit")
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.text
    saved = _post(editor, f"/gaps/{gap['id']}/edit", _form(fonna, title="Nytt navn", version="1"))
    assert saved.status_code == 303
    assert _gap(gap["id"])["title"] == "Nytt navn"
    assert "Tittel: Ingen dagrehabilitering for KOLS → Nytt navn" in editor.get(f"/gaps/{gap['id']}").text
    stale = _post(editor, f"/gaps/{gap['id']}/edit", _form(fonna, title="Mitt navn", version="1"))
    assert stale.status_code == 409
    assert "Noen andre har endret dette" in stale.text
    assert 'value="Mitt navn"' in stale.text
    assert 'name="version" value="2"' in stale.text
    assert _gap(gap["id"])["title"] == "Nytt navn"
    bad = _post(editor, f"/gaps/{gap['id']}/edit", _form(fonna, title="", version="2"))
    assert bad.status_code == 422
    assert "Må fylles ut." in bad.text


def test_measures_added_changed_and_deleted(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    base = f"/gaps/{gap['id']}/measures"
    data = {"what": "Kartlegge behovet", "responsible_id": str(fonna), "due_on": "2020-01-01", "status": "planned"}
    assert _post(editor, base, {**data, "done_on": "", "note": ""}).status_code == 303
    missing = _post(editor, base, {**data, "what": "", "responsible_id": ""})
    assert missing.status_code == 422
    assert "Velg ansvarlig organisasjon." in missing.text
    (measure,) = gaps_measures(gap["id"])
    assert measure["overdue"]
    done = _post(editor, f"{base}/{measure['id']}", {"status": "done", "version": str(measure["version"])})
    assert done.status_code == 303
    (measure,) = gaps_measures(gap["id"])
    assert measure["status"] == "done"
    assert measure["done_on"] is not None
    stale = _post(editor, f"{base}/{measure['id']}", {"status": "planned", "version": "1"})
    assert stale.status_code == 409
    assert "Noen andre har endret dette" in stale.text
    edit = editor.get(f"{base}/{measure['id']}/edit")
    assert edit.status_code == 200
    assert 'value="Kartlegge behovet"' in edit.text
    full = {
        "form": "edit",
        "version": str(measure["version"]),
        **data,
        "status": "in_progress",
        "done_on": "",
        "note": "x",
    }
    assert _post(editor, f"{base}/{measure['id']}", full).status_code == 303
    (measure,) = gaps_measures(gap["id"])
    assert measure["status"] == "in_progress"
    assert measure["note"] == "x"
    deleted = _post(editor, f"{base}/{measure['id']}/delete", {"version": str(measure["version"])})
    assert deleted.status_code == 303
    assert gaps_measures(gap["id"]) == []


def gaps_measures(gap_id: int) -> list[dict[str, Any]]:
    with transaction() as session:
        return gaps.list_measures(session, SYSTEM, gap_id)[0]


def test_delete_with_confirmation(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    confirm = editor.get(f"/gaps/{gap['id']}/delete")
    assert confirm.status_code == 200
    assert "Ja, slett behovet" in confirm.text
    assert _post(editor, f"/gaps/{gap['id']}/delete", {"version": "1"}).headers["location"] == "/gaps"
    assert editor.get(f"/gaps/{gap['id']}").status_code == 404


def test_viewer_comments_but_cannot_edit(anon: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    viewer = _login(anon, "leser@test.example", Role.viewer, [fonna])
    page = viewer.get(f"/gaps/{gap['id']}")
    assert page.status_code == 200
    assert "Endre status" not in page.text
    assert "Legg til tiltak" not in page.text
    assert "/edit" not in page.text
    assert "Legg til kommentar" in page.text
    commented = _post(viewer, f"/gaps/{gap['id']}/comments", {"text": "Vi ser det samme i Stord"})
    assert commented.status_code == 303
    assert "Vi ser det samme i Stord" in viewer.get(f"/gaps/{gap['id']}").text
    empty = _post(viewer, f"/gaps/{gap['id']}/comments", {"text": f"Pasient {IDENTITY_NUMBER}"})
    assert empty.status_code == 422
    assert PERSONAL_DATA_MESSAGE in empty.text
    assert IDENTITY_NUMBER not in empty.text
    assert viewer.get(f"/gaps/{gap['id']}/edit").status_code == 403
    refused = _post(viewer, f"/gaps/{gap['id']}/edit", _form(fonna, version="1"))
    assert refused.status_code == 403
    assert _post(viewer, f"/gaps/{gap['id']}/transition", {"to": "assessed", "version": "1"}).status_code == 403
    assert _gap(gap["id"])["status"] == "registered"


def test_editor_of_another_organisation_is_refused(anon: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    other = make_organisation(name="Annen institusjon AS")["id"]
    outsider = _login(anon, "annen@test.example", Role.editor, [other])
    page = outsider.get(f"/gaps/{gap['id']}")
    assert "Endre status" not in page.text
    refused = _post(outsider, f"/gaps/{gap['id']}/transition", {"to": "assessed", "version": "1"})
    assert refused.status_code == 403
    assert "Du har ikke tilgang" in refused.text
    assert (
        _post(outsider, f"/gaps/{gap['id']}/measures", {"what": "x", "responsible_id": str(other)}).status_code == 403
    )
    assert _post(outsider, f"/gaps/{gap['id']}/delete", {"version": "1"}).status_code == 403
    assert _gap(gap["id"])["version"] == 1


# --- the summary and overdue measures ---------------------------------------------------------------------------


def test_summary_counts_open_gaps_by_patient_group_and_region(editor: TestClient, fonna: int) -> None:
    make_gap(fonna)
    make_gap(fonna, title="KOLS i hele regionen", municipalities=[], region="HV")
    make_gap(fonna, title="Hjerneslag", patient_group="stroke")
    closed = make_gap(fonna, title="Avvist")
    with transaction() as session:
        gaps.transition(session, SYSTEM, closed["id"], GapStatus.rejected, "Nei", '"1"')
    page = editor.get("/gaps/summary")
    assert page.status_code == 200
    html = page.text
    assert "<caption" in html
    assert 'scope="row"' in html
    assert 'scope="col"' in html
    copd_hv = (
        "/gaps?status=registered&amp;status=assessed&amp;status=measure_planned&amp;patient_group=copd&amp;region=HV"
    )
    assert f'href="{copd_hv}">2</a>' in html
    stroke_hv = copd_hv.replace("copd", "stroke")
    assert f'href="{stroke_hv}">1</a>' in html
    assert 'href="/gaps?status=registered&amp;status=assessed&amp;status=measure_planned">3</a>' in html
    listed = editor.get(copd_hv.replace("&amp;", "&"))
    assert len(re.findall(r'href="/gaps/\d+"', listed.text)) == 2


def test_overdue_measures_on_front_page_and_owner_page(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    late = make_measure(gap["id"], fonna, what="Avklare ansvar", due_on=str(date.today() - timedelta(days=10)))
    make_measure(gap["id"], fonna, what="Framtidig tiltak", due_on=str(date.today() + timedelta(days=10)))
    home = editor.get("/")
    assert "Forfalte tiltak" in home.text
    assert f'href="/gaps/{gap["id"]}#measure-{late["id"]}">Avklare ansvar</a>' in home.text
    assert "Framtidig tiltak" not in home.text
    org = editor.get(f"/organisations/{fonna}")
    assert "Avklare ansvar" in org.text
    assert f'href="/gaps?owner={fonna}"' in org.text
    other = make_organisation(name="Uten behov AS")["id"]
    assert "Avklare ansvar" not in editor.get(f"/organisations/{other}").text
    with transaction() as session:
        assert [m["id"] for m in gaps.overdue_measures(session, SYSTEM, owner_id=fonna)] == [late["id"]]
        assert gaps.overdue_measures(session, SYSTEM, owner_id=other) == []


def test_a_refused_measure_change_is_shown_on_the_gap_page(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    measure = make_measure(gap["id"], fonna)
    with transaction() as session:
        gaps.transition(session, SYSTEM, gap["id"], GapStatus.assessed, None, '"1"')
        gaps.transition(session, SYSTEM, gap["id"], GapStatus.measure_planned, None, '"2"')
    base = f"/gaps/{gap['id']}/measures/{measure['id']}"
    cancel = _post(editor, base, {"status": "cancelled", "version": "1"})
    assert cancel.status_code == 409
    assert "det siste som ikke er avbrutt" in cancel.text
    delete = _post(editor, f"{base}/delete", {"version": "1"})
    assert delete.status_code == 409
    assert "Tiltaket kan ikke slettes" in delete.text
    assert gaps_measures(gap["id"])[0]["status"] == "planned"
