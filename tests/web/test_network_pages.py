"""The network pages over HTTP: the list and its filters, a network's page (members, meetings, gaps, deadlines,
plans and reports by year), creating and editing with inline errors and a stale version, the member and meeting
forms, a non-member refused, registering a gap from a meeting, the action-plan editor (sections, measures,
submit, approve, a new revision), the annual report's numbers and submitting it, and a committee's overview."""

import re
from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import gaps, networks
from app.domain.networks import plans, reports
from app.models.auth import Role
from app.models.gap import GapStatus
from app.models.network import ActionPlanWrite, PlanMeasureAdd
from app.models.types import PERSONAL_DATA_MESSAGE
from tests.factories import (
    SYSTEM,
    browser_login,
    form_token,
    make_gap,
    make_measure,
    make_meeting,
    make_member,
    make_network,
    make_organisation,
    make_user,
)

IDENTITY_NUMBER = "15076500565"  # a valid ordinary fødselsnummer (tests/domain/test_personal_data.py)
YEAR = date.today().year


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    token = form_token(client, "/networks")
    return client.post(url, data={"csrftoken": token, **data}, follow_redirects=False)


def _login(client: TestClient, email: str, role: Role, orgs: list[int]) -> TestClient:
    assert browser_login(client, make_user(email, role, orgs)).status_code == 303
    return client


def _network(network_id: int) -> dict[str, Any]:
    with transaction() as session:
        return networks.get(session, SYSTEM, network_id)


def _plan(network_id: int, year: int) -> dict[str, Any]:
    with transaction() as session:
        return plans.get_plan(session, SYSTEM, network_id, year)


def _table(page: Any) -> str:
    """The list's table (the deadlines above it link to networks too)."""
    match = re.search(r'id="network-table">(.*?)</table>', page.text, re.S)
    return match.group(1) if match else ""


def _form(owner_id: int, **overrides: str) -> dict[str, str]:
    data = {
        "name": "Fagråd for rehabilitering",
        "kind": "advisory_council",
        "owner_id": str(owner_id),
        "parent_id": "",
        "municipalities": "4614, 4612",
        "region": "",
        "mandate": "Samordne rehabilitering i regionen",
        "plan_due": "11-30",
        "report_due": "01-31",
        "aggregate_due": "02-28",
    }
    data.update(overrides)
    return data


# --- the list and a network's page ------------------------------------------------------------------------------


def test_list_filters_and_links_to_create(editor: TestClient, fonna: int) -> None:
    lung = make_network(fonna)
    other_org = make_organisation(name="Annen kommune")["id"]
    council = make_network(other_org, name="Fagråd i nord", kind="advisory_council")
    page = editor.get("/networks")
    assert page.status_code == 200
    assert 'href="/networks">Nettverk</a>' in page.text  # the menu link
    assert f'href="/networks/{lung["id"]}"' in page.text
    assert f'href="/networks/{council["id"]}"' in page.text
    assert 'href="/networks/new"' in page.text
    assert "Frister i dine nettverk" in page.text
    kind = _table(editor.get("/networks", params={"kind": "advisory_council"}))
    assert f'href="/networks/{council["id"]}"' in kind
    assert f'href="/networks/{lung["id"]}"' not in kind
    org = _table(editor.get("/networks", params={"organisation": str(fonna)}))
    assert f'href="/networks/{lung["id"]}"' in org
    assert f'href="/networks/{council["id"]}"' not in org
    found = _table(editor.get("/networks", params={"q": "nord"}))
    assert f'href="/networks/{council["id"]}"' in found
    assert f'href="/networks/{lung["id"]}"' not in found
    bad = editor.get("/networks", params={"kind": "klubb"})
    assert bad.status_code == 422
    assert "Ukjent type nettverk." in bad.text


def test_anonymous_visitors_are_sent_to_log_in(anon: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    assert anon.get("/networks", follow_redirects=False).headers["location"].startswith("/login?next=")
    assert anon.get(f"/networks/{network['id']}", follow_redirects=False).status_code == 303
    assert anon.get(f"/networks/{network['id']}/plans/{YEAR}", follow_redirects=False).status_code == 303
    assert 'href="/networks"' not in anon.get("/").text


def test_a_networks_page_shows_members_meetings_gaps_and_deadlines(editor: TestClient, fonna: int) -> None:
    committee = make_network(fonna, name="Samhandlingsutvalget Fonna", kind="collaboration_committee")
    network = make_network(fonna, parent_id=committee["id"], series=[], patient_groups=["copd"])
    stord = make_organisation(name="Stord kommune test", kind="other")["id"]
    make_member(network["id"], stord, role="leader", representative_name="Kari Nordmann")
    meeting = make_meeting(network["id"], title="Dialogmøte om KOLS", minutes="Drøftet ventetid")
    gap = make_gap(fonna, title="Ventetid på KOLS-rehabilitering", network_id=network["id"], meeting_id=meeting["id"])
    page = editor.get(f"/networks/{network['id']}")
    assert page.status_code == 200
    text = page.text
    assert "Fagnettverk" in text
    assert f'href="/networks/{committee["id"]}">Samhandlingsutvalget Fonna</a>' in text
    assert "Stord kommune test" in text
    assert "Leder" in text
    assert "Kari Nordmann" in text
    assert "Dialogmøte om KOLS" in text
    assert "Drøftet ventetid" in text
    assert f'href="/gaps/{gap["id"]}"' in text
    assert f"/gaps/new?network_id={network['id']}&amp;meeting_id={meeting['id']}" in text
    assert f"/gaps?network={network['id']}" in text
    assert "Registrer behov fra møtet" in text
    assert f'href="/networks/{network["id"]}/plans/{YEAR + 1}"' in text
    assert f'href="/networks/{network["id"]}/reports/{YEAR - 1}"' in text
    assert 'id="deadlines"' in text
    assert re.search(r"Handlingsplan for \d{4}", text)
    assert "30.11." in text  # the yearly deadline
    assert "Endre nettverket" in text  # the owner's editor manages it
    assert "Legg til medlem" in text
    assert "Registrer møte" in text
    committee_page = editor.get(f"/networks/{committee['id']}")
    assert f'href="/networks/{network["id"]}"' in committee_page.text
    assert f'href="/networks/{committee["id"]}/overview/{YEAR}"' in committee_page.text
    listed = editor.get(f"/gaps?network={network['id']}")
    assert f'href="/gaps/{gap["id"]}"' in listed.text
    assert editor.get("/gaps?network=abc").status_code == 422


# --- creating and editing -----------------------------------------------------------------------------------------


def test_create_a_network_with_errors_inline_then_saved(editor: TestClient, fonna: int) -> None:
    form = editor.get("/networks/new")
    assert form.status_code == 200
    assert f'<option value="{fonna}" selected>' in form.text
    bad = _post(
        editor,
        "/networks",
        _form(fonna, name="", municipalities="46x4", plan_due="30.11", mandate=f"Gjelder {IDENTITY_NUMBER}"),
    )
    assert bad.status_code == 422
    assert "Navn: Må fylles ut." in bad.text
    assert "Skriv kommunenumre med fire sifre" in bad.text
    assert "Skriv måned og dag som MM-DD" in bad.text
    assert PERSONAL_DATA_MESSAGE in bad.text
    assert IDENTITY_NUMBER not in bad.text
    unknown = _post(editor, "/networks", _form(fonna, municipalities="9999"))
    assert unknown.status_code == 422
    assert "Ukjent kommunenummer «9999»" in unknown.text or "ukjent kommunenummer «9999»" in unknown.text
    not_committee = make_network(fonna, name="Vanlig nettverk")
    parent = _post(editor, "/networks", _form(fonna, parent_id=str(not_committee["id"])))
    assert parent.status_code == 422
    assert "samhandlingsutvalg" in parent.text
    saved = _post(editor, "/networks", {**_form(fonna), "patient_groups": "copd"})
    assert saved.status_code == 303
    network_id = int(saved.headers["location"].rsplit("/", 1)[1])
    network = _network(network_id)
    assert network["kind"] == "advisory_council"
    assert network["municipalities"] == ["4612", "4614"]
    assert network["patient_groups"] == ["copd"]
    other = make_organisation(name="Fremmed eier AS")["id"]
    refused = _post(editor, "/networks", _form(other))
    assert refused.status_code == 403


def test_edit_a_network_and_a_stale_version(editor: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    form = editor.get(f"/networks/{network['id']}/edit")
    assert form.status_code == 200
    assert 'value="4614 4615"' in form.text
    url = f"/networks/{network['id']}/edit"
    data = _form(fonna, name="Nytt navn", kind="professional_network", municipalities="4614", version="1")
    assert _post(editor, url, data).status_code == 303
    assert _network(network["id"])["name"] == "Nytt navn"
    stale = _post(editor, url, {**data, "name": "Enda et navn"})
    assert stale.status_code == 409
    assert "Noen andre har endret dette" in stale.text
    assert 'value="Enda et navn"' in stale.text  # what was typed stays
    assert _network(network["id"])["name"] == "Nytt navn"


# --- members and meetings -------------------------------------------------------------------------------------


def test_member_forms_add_edit_and_remove(editor: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    stord = make_organisation(name="Stord kommune test", kind="other")["id"]
    url = f"/networks/{network['id']}/members"
    bad = _post(editor, url, {"organisation_id": "", "role": "member", "representative_email": "ikke-epost"})
    assert bad.status_code == 422
    assert "Velg organisasjon." in bad.text
    assert "Skriv en gyldig e-postadresse." in bad.text
    added = _post(editor, url, {"organisation_id": str(stord), "role": "secretary", "representative_name": "Ola"})
    assert added.status_code == 303
    twice = _post(editor, url, {"organisation_id": str(stord), "role": "secretary"})
    assert twice.status_code == 409
    assert "er allerede med i nettverket som sekretær" in twice.text
    with transaction() as session:
        (member,) = networks.list_members(session, SYSTEM, network["id"])[0]
    edit = editor.get(f"{url}/{member['id']}/edit")
    assert edit.status_code == 200
    assert 'value="Ola"' in edit.text
    changed = _post(
        editor, f"{url}/{member['id']}", {"role": "leader", "representative_name": "Ola Nordmann", "version": "1"}
    )
    assert changed.status_code == 303
    stale = _post(editor, f"{url}/{member['id']}", {"role": "member", "version": "1"})
    assert stale.status_code == 409
    assert "Noen andre har endret dette" in stale.text
    page = editor.get(f"/networks/{network['id']}")
    assert "Ola Nordmann" in page.text
    assert "Leder" in page.text
    removed = _post(editor, f"{url}/{member['id']}/delete", {"version": "2"})
    assert removed.status_code == 303
    with transaction() as session:
        assert networks.list_members(session, SYSTEM, network["id"])[0] == []


def test_meeting_forms_add_with_errors_and_edit(editor: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    url = f"/networks/{network['id']}/meetings"
    bad = _post(editor, url, {"held_on": "", "kind": "seminar", "title": "", "minutes": f"Pasient {IDENTITY_NUMBER}"})
    assert bad.status_code == 422
    assert "Tittel: Må fylles ut." in bad.text
    assert "Dato: Skriv en gyldig dato." in bad.text
    assert PERSONAL_DATA_MESSAGE in bad.text
    assert IDENTITY_NUMBER not in bad.text
    ok = _post(editor, url, {"held_on": "2026-03-12", "kind": "dialogue_meeting", "title": "Dialogmøte i mars"})
    assert ok.status_code == 303
    with transaction() as session:
        (meeting,) = networks.list_meetings(session, SYSTEM, network["id"])[0]
    edit = editor.get(f"{url}/{meeting['id']}/edit")
    assert edit.status_code == 200
    assert 'value="Dialogmøte i mars"' in edit.text
    data = {"held_on": "2026-03-13", "kind": "dialogue_meeting", "title": "Dialogmøte 13. mars", "version": "1"}
    assert _post(editor, f"{url}/{meeting['id']}", data).status_code == 303
    stale = _post(editor, f"{url}/{meeting['id']}", {**data, "title": "Noe annet"})
    assert stale.status_code == 409
    page = editor.get(f"/networks/{network['id']}")
    assert "13.03.2026 – Dialogmøte 13. mars" in page.text


def test_a_non_member_reads_but_is_refused_writes(anon: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    meeting = make_meeting(network["id"])
    outsider_org = make_organisation(name="Utenforstående AS")["id"]
    client = _login(anon, "utenfor@test.example", Role.editor, [outsider_org])
    page = client.get(f"/networks/{network['id']}")
    assert page.status_code == 200
    assert "Endre nettverket" not in page.text
    assert "Legg til medlem" not in page.text
    assert "Registrer møte" not in page.text
    assert "Endre møtet" not in page.text
    assert client.get(f"/networks/{network['id']}/edit").status_code == 403
    assert client.get(f"/networks/{network['id']}/meetings/{meeting['id']}/edit").status_code == 403
    refused = _post(client, f"/networks/{network['id']}/meetings", {"held_on": "2026-01-01", "title": "X"})
    assert refused.status_code == 403
    assert "Du har ikke tilgang" in refused.text or "Bare redaktører" in refused.text
    assert _post(client, f"/networks/{network['id']}/plans/{YEAR + 1}", {}).status_code == 403
    # A member organisation's editor works in the network (meetings), but does not manage it.
    make_member(network["id"], outsider_org)
    member_page = client.get(f"/networks/{network['id']}")
    assert "Registrer møte" in member_page.text
    assert "Legg til medlem" not in member_page.text
    ok = _post(
        client, f"/networks/{network['id']}/meetings", {"held_on": "2026-01-01", "kind": "meeting", "title": "Møte"}
    )
    assert ok.status_code == 303


def test_register_a_gap_from_a_meeting(editor: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    meeting = make_meeting(network["id"])
    form = editor.get(f"/gaps/new?network_id={network['id']}&meeting_id={meeting['id']}")
    assert form.status_code == 200
    assert f'name="network_id" value="{network["id"]}"' in form.text
    assert f'name="meeting_id" value="{meeting["id"]}"' in form.text
    assert '<option value="dialogue_meeting" selected>' in form.text
    data = {
        "title": "Mangler lærings- og mestringstilbud",
        "category": "missing_service",
        "severity": "medium",
        "municipalities": "4614",
        "source": "dialogue_meeting",
        "owner_id": str(fonna),
        "network_id": str(network["id"]),
        "meeting_id": str(meeting["id"]),
    }
    token = form_token(editor, "/gaps/new")
    created = editor.post("/gaps", data={"csrftoken": token, **data}, follow_redirects=False)
    assert created.status_code == 303
    gap_id = int(created.headers["location"].rsplit("/", 1)[1])
    with transaction() as session:
        gap = gaps.get(session, SYSTEM, gap_id)
    assert (gap["network_id"], gap["meeting_id"]) == (network["id"], meeting["id"])
    assert f'href="/gaps/{gap_id}"' in editor.get(f"/networks/{network['id']}").text


# --- the action plan ----------------------------------------------------------------------------------------------


def test_plan_edit_add_measures_and_submit(editor: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    year = YEAR + 1
    url = f"/networks/{network['id']}/plans/{year}"
    empty = editor.get(url)
    assert empty.status_code == 200
    assert "Opprett handlingsplan" in empty.text
    assert _post(editor, url, {}).status_code == 303
    page = editor.get(url)
    assert "Formål" in page.text
    assert "Mål og tiltak per område" in page.text
    assert "Samordne lungerehabilitering" in page.text  # the mandate section starts with the mandate
    plan = _plan(network["id"], year)
    bad = _post(editor, url, {"version": str(plan["version"]), "text-formal": f"Om {IDENTITY_NUMBER}"})
    assert bad.status_code == 422
    assert PERSONAL_DATA_MESSAGE in bad.text
    assert IDENTITY_NUMBER not in bad.text
    saved = _post(editor, url, {"version": str(plan["version"]), "text-formal": "Bedre lungerehabilitering"})
    assert saved.status_code == 303
    plan = _plan(network["id"], year)
    assert plan["sections"][0]["text"] == "Bedre lungerehabilitering"
    stale = _post(editor, url, {"version": "1", "text-formal": "Gammel"})
    assert stale.status_code == 409
    assert "Noen andre har endret dette" in stale.text

    missing = _post(editor, f"{url}/measures", {"source": "own", "what": "", "responsible_id": "", "status": "planned"})
    assert missing.status_code == 422
    assert "Rett opp dette før du legger til tiltaket" in missing.text
    own = {
        "source": "own",
        "area": "Kompetanse",
        "what": "Kurs for kommunale fysioterapeuter",
        "responsible_id": str(fonna),
        "due_on": f"{year}-06-30",
        "status": "planned",
        "time_frame": "1. halvår",
        "contact": "Fagrådets leder",
    }
    assert _post(editor, f"{url}/measures", own).status_code == 303
    gap = make_gap(fonna, network_id=network["id"])
    gap_measure = make_measure(gap["id"], fonna, what="Utrede dagtilbud i Stord")
    page = editor.get(url)
    assert "Kurs for kommunale fysioterapeuter" in page.text
    assert "1. halvår" in page.text
    assert re.search(rf'<option value="{gap_measure["id"]}"\s*>Utrede dagtilbud i Stord \(behov: ', page.text)
    picked = _post(
        editor, f"{url}/measures", {"source": "gap", "measure_id": str(gap_measure["id"]), "area": "Samhandling"}
    )
    assert picked.status_code == 303
    plan = _plan(network["id"], year)
    assert [m["what"] for m in plan["measures"]] == ["Kurs for kommunale fysioterapeuter", "Utrede dagtilbud i Stord"]
    own_id = plan["measures"][0]["id"]
    edit = editor.get(f"{url}/measures/{own_id}/edit")
    assert edit.status_code == 200
    changed = _post(
        editor,
        f"{url}/measures/{own_id}",
        {**{k: v for k, v in own.items() if k != "source"}, "time_frame": "Hele året", "version": "1"},
    )
    assert changed.status_code == 303
    assert _plan(network["id"], year)["measures"][0]["time_frame"] == "Hele året"
    removed = _post(editor, f"{url}/measures/{gap_measure['id']}/delete", {"version": str(gap_measure["version"])})
    assert removed.status_code == 303
    assert len(_plan(network["id"], year)["measures"]) == 1

    plan = _plan(network["id"], year)
    submitted = _post(editor, f"{url}/submit", {"version": str(plan["version"])})
    assert submitted.status_code == 303
    page = editor.get(url)
    assert "Sendt inn" in page.text
    assert "Lagre kapitlene" not in page.text
    assert "Lag ny revisjon" in page.text
    assert "Godkjenn" not in page.text  # the network reports to no committee: administrators approve
    frozen = _post(editor, f"{url}/measures", own)
    assert frozen.status_code == 409
    assert "kan ikke endres" in frozen.text
    # A submitted plan's own measures still have their progress recorded.
    progress_form = editor.get(f"{url}/measures/{own_id}/edit")
    assert 'name="status"' in progress_form.text
    assert 'name="area"' not in progress_form.text
    measure_version = _plan(network["id"], year)["measures"][0]["version"]
    progress = _post(editor, f"{url}/measures/{own_id}", {"status": "in_progress", "version": str(measure_version)})
    assert progress.status_code == 303
    assert _plan(network["id"], year)["measures"][0]["status"] == "in_progress"
    plan = _plan(network["id"], year)
    assert _post(editor, f"{url}/approve", {"version": str(plan["version"])}).status_code == 403
    revised = _post(editor, f"{url}/revise", {"version": str(plan["version"])})
    assert revised.status_code == 303
    plan = _plan(network["id"], year)
    assert (plan["revision"], plan["status"]) == (2, "draft")
    assert "Revisjon 1" in editor.get(url).text


def test_the_committee_approves_a_submitted_plan(anon: TestClient, fonna: int) -> None:
    committee_org = make_organisation(name="Utvalgsmedlem AS")["id"]
    committee = make_network(fonna, name="Utvalget", kind="collaboration_committee")
    make_member(committee["id"], committee_org)
    network = make_network(fonna, parent_id=committee["id"])
    with transaction() as session:
        plan = plans.put_plan(session, SYSTEM, network["id"], YEAR + 1, ActionPlanWrite(), None)[0]
        plans.submit(session, SYSTEM, network["id"], YEAR + 1, f'"{plan["version"]}"')
    client = _login(anon, "utvalg@test.example", Role.editor, [committee_org])
    url = f"/networks/{network['id']}/plans/{YEAR + 1}"
    page = client.get(url)
    assert "Godkjenn" in page.text
    plan = _plan(network["id"], YEAR + 1)
    assert _post(client, f"{url}/approve", {"version": str(plan["version"])}).status_code == 303
    assert _plan(network["id"], YEAR + 1)["status"] == "approved"
    assert "Godkjent" in client.get(url).text


# --- the annual report ------------------------------------------------------------------------------------------


def test_report_page_numbers_reasons_and_submit(editor: TestClient, fonna: int) -> None:
    year = YEAR - 1
    network = make_network(fonna)
    make_meeting(network["id"], held_on=f"{year}-03-12", title="Vårmøtet")
    make_meeting(network["id"], held_on=f"{year}-10-01", kind="seminar", title="Høstseminaret")
    make_meeting(network["id"], held_on=f"{year - 1}-10-01", title="Fjorårets møte")
    gap = make_gap(fonna, network_id=network["id"])
    with transaction() as session:
        plans.put_plan(session, SYSTEM, network["id"], year, ActionPlanWrite(), None)
        done = plans.add_measure(
            session, SYSTEM, network["id"], year, PlanMeasureAdd(what="Kurs", responsible_id=fonna, status="done")
        )
        open_one = plans.add_measure(
            session, SYSTEM, network["id"], year, PlanMeasureAdd(what="Nytt tilbud", responsible_id=fonna)
        )
        gaps.transition(session, SYSTEM, gap["id"], GapStatus.assessed, None, '"1"')
    url = f"/networks/{network['id']}/reports/{year}"
    page = editor.get(url)
    assert page.status_code == 200
    text = page.text
    assert re.search(r'id="fig-meetings">2<', text)
    assert re.search(r'id="fig-measures">2<', text)
    assert re.search(r'id="fig-measures-done">1<', text)
    assert re.search(r'id="fig-gaps-open">1<', text)
    assert "Vårmøtet" in text
    assert "Høstseminaret" in text
    assert "Fjorårets møte" not in text
    assert f'name="note-{open_one["id"]}"' in text
    assert f'name="note-{done["id"]}"' not in text  # a reason only where the measure is not done
    bad = _post(editor, url, {"version": "0", "text": f"Om {IDENTITY_NUMBER}", f"note-{open_one['id']}": "Ikke tid"})
    assert bad.status_code == 422
    assert PERSONAL_DATA_MESSAGE in bad.text
    assert IDENTITY_NUMBER not in bad.text
    saved = _post(editor, url, {"version": "0", "text": "Et godt år", f"note-{open_one['id']}": "Manglet midler"})
    assert saved.status_code == 303
    page = editor.get(url)
    assert "Manglet midler" in page.text
    assert "Et godt år" in page.text
    submitted = _post(
        editor,
        url,
        {"version": "1", "text": "Et godt år.", f"note-{open_one['id']}": "Manglet midler", "action": "submit"},
    )
    assert submitted.status_code == 303
    with transaction() as session:
        report = reports.get_report(session, SYSTEM, network["id"], year)
    assert (report["status"], report["text"]) == ("submitted", "Et godt år.")
    page = editor.get(url)
    assert "Sendt inn" in page.text
    assert f'name="note-{open_one["id"]}"' not in page.text
    frozen = _post(editor, url, {"version": str(report["version"]), "text": "Endring"})
    assert frozen.status_code == 409
    assert "er sendt inn og kan ikke endres" in frozen.text


# --- a committee's overview and the front page ----------------------------------------------------------------


def test_committee_overview_and_front_page_deadlines(editor: TestClient, fonna: int) -> None:
    year = YEAR - 1
    committee = make_network(fonna, name="Samhandlingsutvalget", kind="collaboration_committee")
    first = make_network(fonna, name="Lungenettverket", parent_id=committee["id"])
    second = make_network(fonna, name="LMS-nettverket", parent_id=committee["id"])
    with transaction() as session:
        reports.submit_report(session, SYSTEM, first["id"], year, '"0"')
    page = editor.get(f"/networks/{committee['id']}/overview/{year}")
    assert page.status_code == 200
    row_first = re.search(rf'id="overview-{first["id"]}">(.*?)</tr>', page.text, re.S)
    row_second = re.search(rf'id="overview-{second["id"]}">(.*?)</tr>', page.text, re.S)
    assert row_first is not None
    assert row_second is not None
    assert "Sendt inn" in row_first.group(1)
    assert "Ikke påbegynt" in row_second.group(1)
    assert re.search(r'id="reports-submitted">1 av 2', page.text)
    not_committee = editor.get(f"/networks/{first['id']}/overview/{year}")
    assert not_committee.status_code == 409
    home = editor.get("/")
    assert "Frister i nettverkene dine" in home.text
    assert "LMS-nettverket" in home.text


def test_plan_and_report_pages_link_their_documents(editor: TestClient, fonna: int) -> None:
    network = make_network(fonna)
    year = YEAR + 1
    url = f"/networks/{network['id']}/plans/{year}"
    assert ".pdf" not in editor.get(url).text  # no plan yet: nothing to download
    assert _post(editor, url, {}).status_code == 303
    page = editor.get(url).text
    pdf = f"/api/v1/networks/{network['id']}/action-plans/{year}.pdf"
    assert f'href="{pdf}"' in page
    assert f'href="/api/v1/networks/{network["id"]}/action-plans/{year}.docx"' in page
    document = editor.get(pdf)  # the browser's session is enough
    assert document.status_code == 200
    assert document.headers["content-type"] == "application/pdf"
    assert document.content.startswith(b"%PDF")
    report = editor.get(f"/networks/{network['id']}/reports/{YEAR}").text
    assert f'href="/api/v1/networks/{network["id"]}/reports/{YEAR}.docx"' in report
