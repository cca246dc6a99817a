"""The gap board through HTTP: a column per status, moves through the cards' forms (plain and htmx), refusals
shown on the card with their status code, and a read-only board for those who may not write."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import gaps
from app.models.auth import Role
from app.models.gap import GapStatus
from app.settings import get_settings
from tests.factories import SYSTEM, browser_login, form_token, make_gap, make_measure, make_user


def _column(html: str, status: str) -> str:
    """The markup of one column's list of cards."""
    match = re.search(rf'<ul class="rk-board-cards" aria-labelledby="col-{status}"[^>]*>(.*?)</ul>', html, re.S)
    assert match, f"a column for {status}"
    return match.group(1)


def _move(
    client: TestClient,
    gap: dict[str, Any],
    to: str,
    *,
    reason: str = "",
    version: int | None = None,
    query: str = "",
    htmx: bool = False,
) -> Any:
    data = {
        "csrftoken": form_token(client, "/gaps/board"),
        "version": str(gap["version"] if version is None else version),
        "to": to,
        "reason": reason,
    }
    headers = {"HX-Request": "true", "HX-Target": "gap-board"} if htmx else {}
    return client.post(f"/gaps/board/{gap['id']}/move{query}", data=data, headers=headers, follow_redirects=False)


def _status(gap_id: int) -> str:
    with transaction() as session:
        return str(gaps.get(session, SYSTEM, gap_id)["status"])


def test_the_board_shows_each_gap_in_the_column_of_its_status(editor: TestClient, fonna: int) -> None:
    new = make_gap(fonna, title="Ingen LMS for KOLS")
    assessed = make_gap(fonna, title="Lang ventetid på hjerneslagrehabilitering", patient_group="stroke")
    with transaction() as session:
        gaps.transition(session, SYSTEM, assessed["id"], GapStatus.assessed, None, '"1"')
    make_measure(assessed["id"], fonna, due_on="2020-01-01")

    response = editor.get("/gaps/board")

    assert response.status_code == 200
    html = response.text
    for status in ("registered", "assessed", "measure_planned", "resolved", "rejected"):
        assert re.search(rf'<h2 [^>]*id="col-{status}"', html)
    assert f'id="gap-{new["id"]}"' in _column(html, "registered")
    column = _column(html, "assessed")
    assert f'<a class="ds-link" href="/gaps/{assessed["id"]}">Lang ventetid på hjerneslagrehabilitering</a>' in column
    assert "Høy" in column
    assert "Helse Fonna HF" in column
    assert "1 åpent" in column
    assert "1 forfalt" in column
    assert 'id="gap-' not in _column(html, "resolved")
    # Only this page loads Sortable.js, and only its policy allows it.
    settings = get_settings()
    assert settings.sortable_url in response.headers["content-security-policy"]
    assert f'src="{settings.sortable_url}" integrity="{settings.sortable_integrity}"' in html
    assert settings.sortable_url not in editor.get("/").headers["content-security-policy"]


def test_a_card_offers_only_the_moves_the_workflow_allows(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    html = editor.get("/gaps/board").text
    select = re.search(rf'<select [^>]*id="move-to-{gap["id"]}".*?</select>', html, re.S)
    assert select is not None
    assert re.findall(r'<option value="([a-z_]+)"', select.group(0)) == ["assessed", "rejected"]
    assert 'value="rejected" data-reason="true"' in select.group(0)
    assert "Begrunnelse (påkrevd ved avvisning og gjenåpning)" in html
    assert f'name="version" value="{gap["version"]}"' in html


def test_filters_narrow_the_board_and_a_move_returns_to_them(editor: TestClient, fonna: int) -> None:
    copd = make_gap(fonna, title="KOLS-behov")
    stroke = make_gap(fonna, title="Slagbehov", patient_group="stroke")
    html = editor.get("/gaps/board", params={"patient_group": "stroke", "category": "missing_service"}).text
    assert f'id="gap-{stroke["id"]}"' in html
    assert f'id="gap-{copd["id"]}"' not in html

    moved = _move(editor, stroke, "assessed", query="?patient_group=stroke&region=HV")

    assert moved.status_code == 303
    assert moved.headers["location"] == f"/gaps/board?patient_group=stroke&region=HV#gap-{stroke['id']}"
    assert _status(stroke["id"]) == "assessed"


def test_an_allowed_move_redirects_back_to_the_card(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)

    response = _move(editor, gap, "assessed")

    assert response.status_code == 303
    assert response.headers["location"] == f"/gaps/board#gap-{gap['id']}"
    assert _status(gap["id"]) == "assessed"
    assert f'id="gap-{gap["id"]}"' in _column(editor.get("/gaps/board").text, "assessed")


def test_a_refused_move_shows_the_reason_on_the_card(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    with transaction() as session:
        gaps.transition(session, SYSTEM, gap["id"], GapStatus.assessed, None, '"1"')

    response = _move(editor, {**gap, "version": 2}, "measure_planned")  # no measure yet

    assert response.status_code == 409
    html = response.text
    card = re.search(rf'<li class="rk-board-card" id="gap-{gap["id"]}".*?</li>', html, re.S)
    assert card is not None
    assert 'role="alert"' in card.group(0)
    assert "uten minst ett tiltak" in card.group(0)
    assert f'id="gap-{gap["id"]}"' in _column(html, "assessed")
    assert _status(gap["id"]) == "assessed"


def test_a_stale_version_is_refused_and_the_board_shows_what_is_stored(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    with transaction() as session:
        gaps.update(session, SYSTEM, gap["id"], {"title": "Endret av en annen"}, '"1"')

    response = _move(editor, gap, "assessed", version=1)

    assert response.status_code == 412
    assert "Noen andre har endret dette behovet" in response.text
    assert "Endret av en annen" in response.text
    assert _status(gap["id"]) == "registered"


def test_rejecting_without_a_reason_is_refused_and_with_one_allowed(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)

    missing = _move(editor, gap, "rejected", reason="  ")
    assert missing.status_code == 422
    assert "Oppgi en begrunnelse for å avvise" in missing.text
    assert _status(gap["id"]) == "registered"

    given = _move(editor, gap, "rejected", reason="Dekkes av tilbudet i Haugesund")
    assert given.status_code == 303
    with transaction() as session:
        stored = gaps.get(session, SYSTEM, gap["id"])
    assert (stored["status"], stored["status_reason"]) == ("rejected", "Dekkes av tilbudet i Haugesund")


def test_an_unknown_target_status_is_a_form_error(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna)
    response = _move(editor, gap, "gone")
    assert response.status_code == 422
    assert "Velg hvor behovet skal flyttes." in response.text


def test_with_htmx_a_move_answers_with_the_board_and_where_the_focus_goes(editor: TestClient, fonna: int) -> None:
    gap = make_gap(fonna, title="Mangler koordinator")

    response = _move(editor, gap, "assessed", htmx=True)

    assert response.status_code == 200
    html = response.text
    assert html.lstrip().startswith('<div id="gap-board"')
    assert "<html" not in html
    assert "<h1" not in html
    assert f'data-focus="move-{gap["id"]}"' in html
    assert f'id="gap-{gap["id"]}"' in _column(html, "assessed")
    assert 'id="board-status" hx-swap-oob="innerHTML"' in html
    assert "«Mangler koordinator» er flyttet til «vurdert»." in html

    refused = _move(editor, {**gap, "version": 2}, "measure_planned", htmx=True)
    assert refused.status_code == 409
    assert f'data-focus="move-to-{gap["id"]}"' in refused.text


def test_editors_of_another_organisation_see_the_board_read_only(editor: TestClient, owner_org: int) -> None:
    theirs = make_gap(owner_org, title="Andres behov")

    html = editor.get("/gaps/board").text

    assert "Andres behov" in html
    assert 'id="move-form-' not in html
    assert "data-draggable" not in html
    assert "Sortable" not in html
    assert "board.js" not in html
    response = _move(editor, theirs, "assessed")
    assert response.status_code == 403
    assert _status(theirs["id"]) == "registered"


def test_viewers_see_the_board_read_only(anon: TestClient, fonna: int) -> None:
    gap = make_gap(fonna, title="Synlig for lesere")
    assert browser_login(anon, make_user("leser@test.example", Role.viewer, [fonna])).status_code == 303

    html = anon.get("/gaps/board").text

    assert "Synlig for lesere" in html
    assert 'id="move-form-' not in html
    assert _move(anon, gap, "assessed").status_code == 403
    assert _status(gap["id"]) == "registered"


def test_anonymous_visitors_are_sent_to_log_in_unless_gaps_are_public(
    anon: TestClient, fonna: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_gap(fonna, title="Offentlig behov")
    response = anon.get("/gaps/board", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")

    monkeypatch.setenv("REHABKART_PUBLIC_GAPS", "true")
    get_settings.cache_clear()
    try:
        html = anon.get("/gaps/board").text
    finally:
        monkeypatch.delenv("REHABKART_PUBLIC_GAPS")
        get_settings.cache_clear()
    assert "Offentlig behov" in html
    assert 'id="move-form-' not in html


def test_a_reason_with_a_national_identity_number_is_refused_without_repeating_it(
    editor: TestClient, fonna: int
) -> None:
    from tests.domain.test_personal_data import ORDINARY

    gap = make_gap(fonna)

    response = _move(editor, gap, "rejected", reason=f"Gjelder pasient {ORDINARY}")

    assert response.status_code == 422
    assert ORDINARY not in response.text
    assert ORDINARY[-5:] not in response.text
    assert _status(gap["id"]) == "registered"
