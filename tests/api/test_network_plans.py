"""A network's action plans and annual reports through the API: workflows, frozen revisions, approval by the
committee, the report's pre-filled figures, the committee's aggregate, who may write, the personal-data guard."""

from typing import Any

from fastapi.testclient import TestClient

from app.db import transaction
from app.models import AnnualReport
from app.models.auth import Role
from app.models.types import utcnow
from tests.conftest import TokenFactory
from tests.factories import (
    find_org_id,
    make_gap,
    make_measure,
    make_meeting,
    make_member,
    make_network,
    make_pathways,
    make_service,
    measure_body,
)

API = "/api/v1/networks"


def _if(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    data: dict[str, Any] = response.json()
    return data


def _plan(network_id: int, year: int = 2027) -> str:
    return f"{API}/{network_id}/action-plans/{year}"


def _report(network_id: int, year: int) -> str:
    return f"{API}/{network_id}/reports/{year}"


def test_a_plan_is_drafted_submitted_approved_and_revised(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org, mandate="Samordne lungerehabilitering")
    url = _plan(network["id"])
    _problem(client.get(url), 404)
    created = client.put(url, json={})
    assert created.status_code == 201, created.text
    plan = created.json()
    assert (plan["revision"], plan["status"], plan["version"], plan["due_on"]) == (1, "draft", 1, "2026-11-30")
    assert [s["key"] for s in plan["sections"]][:2] == ["formal", "mandat_og_organisering"]
    assert [s["title"] for s in plan["sections"]][-2:] == ["Mål og tiltak per område", "Litteratur"]
    assert plan["sections"][1]["text"] == "Samordne lungerehabilitering"
    assert client.get(url).json() == plan
    assert client.get(url).headers["ETag"] == '"1"'

    sections = [{"key": "formal", "title": "Formål", "text": "Bedre lungerehabilitering i Sunnhordland"}]
    _problem(client.put(url, json={"sections": sections}), 428)
    _problem(client.put(url, json={"sections": sections}, headers=_if(7)), 412)
    _problem(client.put(url, json={"sections": sections * 2}, headers=_if(1)), 422)  # keys are unique
    edited = client.put(url, json={"sections": sections}, headers=_if(1))
    assert (edited.status_code, edited.json()["version"], edited.json()["sections"]) == (200, 2, sections)

    # A measure of the plan's own, and one of the network's gaps.
    own = client.post(
        f"{url}/measures", json={**measure_body(owner_org), "area": "Kompetanse", "time_frame": "Vår 2027"}
    )
    assert own.status_code == 201, own.text
    assert (own.json()["gap_id"], own.json()["area"], own.json()["position"]) == (None, "Kompetanse", 0)
    gap = make_gap(owner_org, network_id=network["id"])
    gap_measure = make_measure(gap["id"], owner_org, what="Dagtilbud i Stord")
    linked = client.post(f"{url}/measures", json={"measure_id": gap_measure["id"], "contact": "Fagutvikler"})
    assert (linked.status_code, linked.json()["gap_id"], linked.json()["position"]) == (201, gap["id"], 1)
    _problem(client.post(f"{url}/measures", json={"measure_id": gap_measure["id"]}), 409)
    stray = make_measure(make_gap(owner_org)["id"], owner_org)  # a gap the network does not follow
    _problem(client.post(f"{url}/measures", json={"measure_id": stray["id"]}), 422)
    _problem(client.post(f"{url}/measures", json={"measure_id": stray["id"], "what": "Begge deler"}), 422)
    _problem(client.post(f"{url}/measures", json={"area": "Bare område"}), 422)
    changed = client.patch(f"{url}/measures/{gap_measure['id']}", json={"area": "Tilbud"}, headers=_if(1))
    assert (changed.status_code, changed.json()["area"]) == (200, "Tilbud")
    refused = _problem(client.patch(f"{url}/measures/{gap_measure['id']}", json={"what": "X"}, headers=_if(1)), 409)
    assert "udekkede behovet" in refused["detail"]
    own_changed = client.patch(
        f"{url}/measures/{own.json()['id']}", json={"what": "Kurs for fysioterapeuter"}, headers=_if(1)
    )
    assert (own_changed.json()["what"], own_changed.json()["version"]) == ("Kurs for fysioterapeuter", 2)
    plan = client.get(url).json()
    assert [m["id"] for m in plan["measures"]] == [own.json()["id"], gap_measure["id"]]

    # Submitted: frozen, except the progress of the plan's own measures.
    submitted = client.post(f"{url}/submit", headers=_if(plan["version"]))
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted"), submitted.text
    frozen = _problem(client.post(f"{url}/measures", json=measure_body(owner_org)), 409)
    assert "kan ikke endres" in frozen["detail"]
    _problem(client.patch(f"{url}/measures/{own.json()['id']}", json={"area": "Nytt"}, headers=_if(2)), 409)
    _problem(client.delete(f"{url}/measures/{own.json()['id']}", headers=_if(2)), 409)
    progress = client.patch(f"{url}/measures/{own.json()['id']}", json={"status": "in_progress"}, headers=_if(2))
    assert (progress.status_code, progress.json()["status"]) == (200, "in_progress")
    _problem(client.post(f"{url}/submit", headers=_if(submitted.json()["version"])), 409)
    approved = client.post(f"{url}/approve", headers=_if(submitted.json()["version"]))  # an administrator
    assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text
    assert approved.json()["approved_by"]

    revised = client.post(f"{url}/revise", headers=_if(approved.json()["version"]))
    assert revised.status_code == 201, revised.text
    second = revised.json()
    assert (second["revision"], second["status"], second["sections"]) == (2, "draft", sections)
    assert second["version"] == approved.json()["version"] + 1  # an ETag never names two revisions
    assert [m["id"] for m in second["measures"]] == [own.json()["id"], gap_measure["id"]]
    assert second["measures"][1]["area"] == "Tilbud"
    _problem(client.post(f"{url}/revise", headers=_if(second["version"])), 409)
    removed = client.delete(f"{url}/measures/{own.json()['id']}", headers=_if(3))
    assert removed.status_code == 204, removed.text
    revisions = client.get(f"{url}/revisions").json()["items"]
    assert [(r["revision"], r["status"], len(r["measures"])) for r in revisions] == [
        (1, "approved", 2),
        (2, "draft", 1),
    ]
    assert client.get(url).json()["revision"] == 2

    # The PUT on a submitted plan makes the next revision too.
    third_base = client.post(f"{url}/submit", headers=_if(client.get(url).json()["version"])).json()
    put = client.put(url, json={"sections": sections}, headers=_if(third_base["version"]))
    assert (put.status_code, put.json()["revision"], put.json()["status"]) == (201, 3, "draft")


def test_a_plan_only_measure_taken_out_of_its_only_revision_is_deleted(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    url = _plan(network["id"])
    client.put(url, json={})
    own = client.post(f"{url}/measures", json=measure_body(owner_org)).json()
    assert client.delete(f"{url}/measures/{own['id']}", headers=_if(1)).status_code == 204
    assert client.get(url).json()["measures"] == []
    _problem(client.patch(f"{url}/measures/{own['id']}", json={"area": "X"}, headers=_if(2)), 404)


def test_approval_is_for_the_committee_members_or_an_administrator(
    anon: TestClient, client: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    stord, bergen = find_org_id("Stord", "municipality"), find_org_id("Bergen", "municipality")
    committee = make_network(owner_org, name="Samhandlingsutvalget", kind="collaboration_committee")
    make_member(committee["id"], bergen)
    network = make_network(owner_org, parent_id=committee["id"])
    make_member(network["id"], stord)
    alone = make_network(owner_org, name="Uten utvalg")
    make_member(alone["id"], stord)
    network_editor = _bearer(make_token(Role.editor, [stord]))
    committee_editor = _bearer(make_token(Role.editor, [bergen]))

    for target in (network, alone):
        url = _plan(target["id"])
        assert anon.put(url, json={}, headers=network_editor).status_code == 201
        assert anon.post(f"{url}/submit", headers={**network_editor, **_if(1)}).status_code == 200
        _problem(anon.post(f"{url}/approve", headers={**network_editor, **_if(2)}), 403)
    approved = anon.post(f"{_plan(network['id'])}/approve", headers={**committee_editor, **_if(2)})
    assert (approved.status_code, approved.json()["status"]) == (200, "approved"), approved.text
    refused = _problem(anon.post(f"{_plan(alone['id'])}/approve", headers={**committee_editor, **_if(2)}), 403)
    assert "administratorer" in refused["detail"]
    assert client.post(f"{_plan(alone['id'])}/approve", headers=_if(2)).status_code == 200


def test_a_non_member_cannot_write_the_plan_or_the_report(
    anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    stord, bergen = find_org_id("Stord", "municipality"), find_org_id("Bergen", "municipality")
    network = make_network(owner_org)
    make_member(network["id"], stord)
    member = _bearer(make_token(Role.editor, [stord]))
    outsider = _bearer(make_token(Role.editor, [bergen]))
    viewer = _bearer(make_token(Role.viewer, [stord]))
    url = _plan(network["id"])
    _problem(anon.put(url, json={}, headers=outsider), 403)
    _problem(anon.put(url, json={}, headers=viewer), 403)
    assert anon.put(url, json={}, headers=member).status_code == 201
    _problem(anon.post(f"{url}/measures", json=measure_body(stord), headers=outsider), 403)
    _problem(anon.post(f"{url}/submit", headers={**outsider, **_if(1)}), 403)
    _problem(anon.put(_report(network["id"], 2026), json={"text": "Hei"}, headers=outsider), 403)
    _problem(anon.post(f"{_report(network['id'], 2026)}/submit", headers={**outsider, **_if(0)}), 403)
    assert anon.put(_report(network["id"], 2026), json={"text": "Hei"}, headers=member).status_code == 200
    assert anon.get(url, headers=outsider).status_code == 200
    assert anon.get(_report(network["id"], 2026), headers=outsider).status_code == 200
    _problem(anon.get(url), 401)


def test_no_identity_numbers_in_plans_or_reports(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    url = _plan(network["id"])
    bad = [{"key": "formal", "title": "Formål", "text": "Gjelder pasient 15076500565"}]
    problem = _problem(client.put(url, json={"sections": bad}), 422)
    assert problem["type"].endswith("personal-data"), problem
    client.put(url, json={})
    _problem(client.put(url, json={"sections": bad}, headers=_if(1)), 422)
    _problem(client.post(f"{url}/measures", json={**measure_body(owner_org), "contact": "Kari 15076500565"}), 422)
    _problem(client.put(_report(network["id"], 2026), json={"text": "Pasient 150765 00565 fikk ikke tilbud"}), 422)
    client.put(_report(network["id"], 2026), json={"text": "Godt år"})
    _problem(
        client.put(_report(network["id"], 2026), json={"measure_notes": {"1": "15076500565"}}, headers=_if(1)), 422
    )


def _resolve(client: TestClient, gap_id: int, measure_id: int) -> None:
    gap_url = f"/api/v1/gaps/{gap_id}"
    for target in ("assessed", "measure_planned"):
        version = client.get(gap_url).json()["version"]
        assert client.post(f"{gap_url}/transitions", json={"to": target}, headers=_if(version)).status_code == 200
    done = client.patch(f"{gap_url}/measures/{measure_id}", json={"status": "done"}, headers=_if(1))
    assert done.status_code == 200, done.text
    version = client.get(gap_url).json()["version"]
    resolved = client.post(f"{gap_url}/transitions", json={"to": "resolved"}, headers=_if(version))
    assert resolved.status_code == 200, resolved.text


def test_the_report_is_pre_filled_from_the_data_and_frozen_when_submitted(client: TestClient, owner_org: int) -> None:
    year = utcnow().year  # gaps are registered now
    _draft, published = make_pathways(owner_org)
    series = client.get(f"/api/v1/pathway-templates/{published}").json()["series"]
    network = make_network(owner_org, series=[series])
    other = make_network(owner_org, name="Et annet nettverk")
    make_meeting(network["id"], held_on=f"{year}-03-01", title="Vårmøte")
    make_meeting(network["id"], held_on=f"{year}-09-15", title="Høstmøte", kind="dialogue_meeting")
    make_meeting(network["id"], held_on=f"{year - 1}-12-01", title="Fjorårets møte")
    make_meeting(other["id"], held_on=f"{year}-05-01", title="Et annet nettverks møte")
    resolved = make_gap(owner_org, network_id=network["id"], title="Løst behov")
    resolved_measure = make_measure(resolved["id"], owner_org)
    _resolve(client, resolved["id"], resolved_measure["id"])
    open_gap = make_gap(owner_org, network_id=network["id"], title="Åpent behov")
    open_measure = make_measure(open_gap["id"], owner_org, status="in_progress")
    make_gap(owner_org, network_id=other["id"])
    make_service()  # Helse Fonna, specialist and inpatient: the middle step in Stord and Fitjar

    url = _plan(network["id"], year)
    client.put(url, json={})
    done = client.post(f"{url}/measures", json={**measure_body(owner_org), "status": "done"}).json()
    planned = client.post(f"{url}/measures", json={**measure_body(owner_org, what="Kurs"), "area": "Kompetanse"}).json()
    client.post(f"{url}/measures", json={"measure_id": open_measure["id"]})
    with transaction() as session:  # last year's report, as submitted then
        session.add(
            AnnualReport(
                network_id=network["id"],
                year=year - 1,
                status="submitted",
                snapshot={"coverage": [{"series": series, "share": 0.5}]},
            )
        )

    report = client.get(_report(network["id"], year))
    assert report.status_code == 200, report.text
    data = report.json()
    assert (data["id"], data["status"], data["version"], data["due_on"]) == (None, "draft", 0, f"{year + 1}-01-31")
    figures = data["figures"]
    assert [(m["held_on"], m["title"]) for m in figures["meetings"]] == [
        (f"{year}-03-01", "Vårmøte"),
        (f"{year}-09-15", "Høstmøte"),
    ]
    measures = {m["id"]: m for m in figures["measures"]["items"]}
    assert [measures[i]["status"] for i in (done["id"], planned["id"], open_measure["id"])] == [
        "done",
        "planned",
        "in_progress",
    ]
    assert figures["measures"]["by_status"] == {"planned": 1, "in_progress": 1, "done": 1, "cancelled": 0}
    assert figures["gaps"]["counts"] == {"registered": 2, "resolved": 1, "open": 1}
    assert [g["title"] for g in figures["gaps"]["resolved"]] == ["Løst behov"]
    assert [g["title"] for g in figures["gaps"]["open"]] == ["Åpent behov"]
    (cov,) = figures["coverage"]
    assert (cov["series"], cov["template_id"], cov["municipalities"], cov["steps"]) == (series, published, 2, 3)
    assert cov["covered_cells"] == 2
    assert cov["share"] == round(2 / 6, 4)
    assert (cov["previous_share"], cov["change"]) == (0.5, round(2 / 6 - 0.5, 4))

    notes = {str(planned["id"]): "Mangler midler til kursholder"}
    saved = client.put(_report(network["id"], year), json={"text": "Et godt år", "measure_notes": notes})
    assert (saved.status_code, saved.json()["version"]) == (200, 1), saved.text
    reasons = {m["id"]: m["reason"] for m in saved.json()["figures"]["measures"]["items"]}
    assert reasons[planned["id"]] == "Mangler midler til kursholder"
    assert reasons[done["id"]] is None
    unknown = client.put(_report(network["id"], year), json={"measure_notes": {"999999": "x"}}, headers=_if(1))
    assert _problem(unknown, 422)["errors"][0]["field"] == "measure_notes.999999"
    _problem(client.put(_report(network["id"], year), json={"text": "Nytt"}), 428)

    submitted = client.post(f"{_report(network['id'], year)}/submit", headers=_if(1))
    assert (submitted.status_code, submitted.json()["status"]) == (200, "submitted"), submitted.text
    make_meeting(network["id"], held_on=f"{year}-10-01", title="Senere møte")
    after = client.get(_report(network["id"], year)).json()
    assert after["figures"] == submitted.json()["figures"]  # the snapshot, not the data as it is now
    assert len(after["figures"]["meetings"]) == 2
    frozen = _problem(client.put(_report(network["id"], year), json={"text": "Endret"}, headers=_if(2)), 409)
    assert "sendt inn" in frozen["detail"]
    _problem(client.post(f"{_report(network['id'], year)}/submit", headers=_if(2)), 409)
    # Next year's report compares with this one's snapshot.
    next_year = client.get(_report(network["id"], year + 1)).json()
    assert next_year["figures"]["coverage"][0]["previous_share"] == cov["share"]


def test_the_committee_aggregate(client: TestClient, owner_org: int) -> None:
    committee = make_network(owner_org, name="Samhandlingsutvalget", kind="collaboration_committee")
    first = make_network(owner_org, name="A-nettverket", parent_id=committee["id"])
    second = make_network(owner_org, name="B-nettverket", parent_id=committee["id"])
    make_meeting(first["id"], held_on="2026-03-01")
    make_meeting(second["id"], held_on="2026-04-01")
    make_meeting(second["id"], held_on="2026-05-01", title="Seminar", kind="seminar")
    client.put(_plan(first["id"], 2027), json={})
    client.post(f"{_plan(first['id'], 2027)}/submit", headers=_if(1))
    client.put(_plan(second["id"], 2027), json={})
    assert client.post(f"{_report(first['id'], 2026)}/submit", headers={"If-Match": "*"}).status_code == 200

    response = client.get(f"{API}/{committee['id']}/aggregate/2026")
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["aggregate"]["due_on"] == "2027-02-28"
    rows = {r["network_name"]: r for r in data["networks"]}
    assert list(rows) == ["A-nettverket", "B-nettverket"]
    assert (rows["A-nettverket"]["plan"]["status"], rows["A-nettverket"]["report"]["status"]) == (
        "submitted",
        "submitted",
    )
    assert rows["A-nettverket"]["report"]["state"] == "done"
    assert (rows["B-nettverket"]["plan"]["status"], rows["B-nettverket"]["report"]["status"]) == ("draft", None)
    assert rows["B-nettverket"]["plan"]["due_on"] == "2026-11-30"
    totals = data["combined"]["totals"]
    assert (totals["networks"], totals["reports_submitted"], totals["plans_submitted"], totals["meetings"]) == (
        2,
        1,
        1,
        3,
    )
    assert [r["network_name"] for r in data["combined"]["reports"]] == ["A-nettverket", "B-nettverket"]
    assert data["aggregate"]["state"] != "done"
    _problem(client.get(f"{API}/{first['id']}/aggregate/2026"), 409)
    deadlines = client.get(f"{API}/{first['id']}/deadlines", params={"today": "2026-11-10"}).json()
    assert {(d["kind"], d["year"], d["state"]) for d in deadlines} >= {("plan", 2027, "done"), ("report", 2026, "done")}


def test_revisions_page_and_share_their_measures(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    url = _plan(network["id"])
    client.put(url, json={})
    gap = make_gap(owner_org, network_id=network["id"])
    measure = make_measure(gap["id"], owner_org)
    client.post(f"{url}/measures", json={"measure_id": measure["id"], "area": "Tilbud"})
    for _ in range(2):
        version = client.get(url).json()["version"]
        assert client.post(f"{url}/submit", headers=_if(version)).status_code == 200
        assert client.post(f"{url}/revise", headers=_if(version + 1)).status_code == 201
    first = client.get(f"{url}/revisions", params={"limit": 2}).json()
    rest = client.get(f"{url}/revisions", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [r["revision"] for r in first["items"] + rest["items"]] == [1, 2, 3]
    assert rest["next_cursor"] is None
    # A measure is one row: its progress under the gap shows in every revision that lists it.
    changed = client.patch(
        f"/api/v1/gaps/{gap['id']}/measures/{measure['id']}", json={"status": "in_progress"}, headers=_if(1)
    )
    assert changed.status_code == 200, changed.text
    statuses = [r["measures"][0]["status"] for r in client.get(f"{url}/revisions").json()["items"]]
    assert statuses == ["in_progress"] * 3
    assert client.get(url).json()["measures"][0]["area"] == "Tilbud"


def test_plans_and_reports_are_in_the_change_feed_with_urls_that_answer(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    plan = client.put(_plan(network["id"]), json={}).json()
    report = client.put(_report(network["id"], 2026), json={"text": "Et godt år"})
    assert report.status_code in (200, 201), report.text
    feed = client.get("/api/v1/changes", params={"limit": 1000}).json()["items"]
    urls = {(i["entity_type"], i["url"]) for i in feed}
    plan_url = f"/api/v1/action-plans/{plan['id']}"
    report_url = f"/api/v1/annual-reports/{report.json()['id']}"
    assert ("action_plan", plan_url) in urls
    assert ("annual_report", report_url) in urls
    by_id = client.get(plan_url)
    assert (by_id.status_code, by_id.json(), by_id.headers["ETag"]) == (200, plan, f'"{plan["version"]}"')
    assert client.get(report_url).json()["text"] == "Et godt år"
    _problem(client.get("/api/v1/action-plans/999999"), 404)
    _problem(client.get("/api/v1/annual-reports/999999"), 404)
