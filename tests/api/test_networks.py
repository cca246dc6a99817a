"""Networks through the API: networks, their members and meetings; validation, versions, who may write."""

from typing import Any

from fastapi.testclient import TestClient

from app.models.auth import Role
from tests.conftest import TokenFactory
from tests.factories import (
    find_org_id,
    gap_body,
    make_meeting,
    make_member,
    make_network,
    meeting_body,
    network_body,
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


def _fields(problem: dict[str, Any]) -> list[str]:
    return [e["field"] for e in problem["errors"]]


def test_a_network_is_created_read_listed_and_changed(client: TestClient, owner_org: int) -> None:
    created = client.post(API, json=network_body(owner_org, series=[]))
    assert created.status_code == 201, created.text
    network = created.json()
    assert created.headers["Location"] == f"{API}/{network['id']}"
    assert created.headers["ETag"] == '"1"'
    assert (network["plan_due"], network["report_due"], network["aggregate_due"]) == ("11-30", "01-31", "02-28")
    assert network["municipalities"] == ["4614", "4615"]
    assert network["patient_groups"] == ["copd"]
    assert network["owner_name"] == "Forløpseier AS"  # the owner_org fixture
    assert client.get(f"{API}/{network['id']}").json() == network

    url = f"{API}/{network['id']}"
    changed = client.patch(url, json={"plan_due": "12-01", "region": "HV", "municipalities": []}, headers=_if(1))
    assert changed.status_code == 200, changed.text
    assert (changed.json()["plan_due"], changed.json()["region"], changed.json()["version"]) == ("12-01", "HV", 2)
    same = client.patch(url, json={"plan_due": "12-01"}, headers=_if(2))
    assert same.json()["version"] == 2  # nothing changed, no new version
    _problem(client.patch(url, json={"name": "X"}, headers=_if(1)), 412)
    _problem(client.patch(url, json={"name": "X"}), 428)
    _problem(client.patch(url, json={"name": None}, headers=_if(2)), 422)

    listed = client.get(API, params={"q": "lungerehab", "kind": "professional_network"}).json()["items"]
    assert [n["id"] for n in listed] == [network["id"]]
    assert client.get(API, params={"kind": "learning_network"}).json()["items"] == []
    assert [n["id"] for n in client.get(API, params={"organisation": owner_org}).json()["items"]] == [network["id"]]


def test_bad_networks_are_422_at_their_field(client: TestClient, owner_org: int) -> None:
    body = network_body(
        owner_org,
        municipalities=["9999"],
        patient_groups=["kols"],
        series=["finnes-ikke"],
        region="XX",
    )
    problem = _problem(client.post(API, json=body), 422)
    assert set(_fields(problem)) == {"municipalities.0", "patient_groups.0", "series.0", "region"}
    _problem(client.post(API, json=network_body(owner_org, plan_due="11-31x")), 422)
    _problem(client.post(API, json=network_body(999_999)), 422)
    _problem(client.post(API, json=network_body(owner_org, name="Nettverk 15076500565 Kari")), 422)
    assert client.get(API).json()["items"] == []


def test_a_network_reports_to_a_committee_never_in_a_circle(client: TestClient, owner_org: int) -> None:
    committee = make_network(owner_org, name="Samhandlingsutvalget", kind="collaboration_committee")
    plain = make_network(owner_org, name="Et annet nettverk")
    child = client.post(API, json=network_body(owner_org, parent_id=committee["id"]))
    assert child.status_code == 201, child.text
    not_a_committee = _problem(client.post(API, json=network_body(owner_org, parent_id=plain["id"])), 422)
    assert _fields(not_a_committee) == ["parent_id"]
    upper = make_network(owner_org, name="Overordnet", kind="collaboration_committee")
    assert client.patch(f"{API}/{committee['id']}", json={"parent_id": upper["id"]}, headers=_if(1)).status_code == 200
    circle = client.patch(f"{API}/{upper['id']}", json={"parent_id": committee["id"]}, headers=_if(1))
    assert _fields(_problem(circle, 422)) == ["parent_id"]
    assert client.get(API, params={"parent": committee["id"]}).json()["items"][0]["id"] == child.json()["id"]
    refused = _problem(client.delete(f"{API}/{committee['id']}", headers=_if(2)), 409)
    assert "rapporterer fortsatt" in refused["detail"]
    assert client.delete(f"{API}/{child.json()['id']}", headers=_if(1)).status_code == 204
    assert client.delete(f"{API}/{committee['id']}", headers=_if(2)).status_code == 204
    _problem(client.get(f"{API}/{committee['id']}"), 404)


def test_members_with_representatives(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    stord = find_org_id("Stord", "municipality")
    url = f"{API}/{network['id']}/members"
    body = {
        "organisation_id": stord,
        "role": "member",
        "representative_name": "Kari Nordmann",
        "representative_title": "Kommuneoverlege",
        "representative_email": "kari@stord.kommune.no",
    }
    added = client.post(url, json=body)
    assert added.status_code == 201, added.text
    member = added.json()
    assert (member["organisation_name"], member["role"], added.headers["ETag"]) == ("Stord", "member", '"1"')
    _problem(client.post(url, json=body), 409)
    assert client.post(url, json={**body, "role": "leader"}).status_code == 201  # another role is another row
    _problem(client.post(url, json={**body, "representative_email": "ikke en e-post"}), 422)
    _problem(client.post(url, json={**body, "representative_name": "Kari 150765 00565"}), 422)
    _problem(client.post(url, json={**body, "organisation_id": 999_999}), 422)

    changed = client.patch(f"{url}/{member['id']}", json={"representative_title": "Leder"}, headers=_if(1))
    assert (changed.status_code, changed.json()["version"]) == (200, 2)
    _problem(client.patch(f"{url}/{member['id']}", json={"role": "leader"}, headers=_if(2)), 409)  # taken
    assert len(client.get(url).json()["items"]) == 2
    assert client.delete(f"{url}/{member['id']}", headers=_if(2)).status_code == 204
    assert [m["role"] for m in client.get(url).json()["items"]] == ["leader"]


def test_editors_of_members_write_meetings_but_do_not_manage_the_network(
    anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    network = make_network(owner_org)
    stord, bergen = find_org_id("Stord", "municipality"), find_org_id("Bergen", "municipality")
    make_member(network["id"], stord)
    member_editor = _bearer(make_token(Role.editor, [stord]))
    outsider = _bearer(make_token(Role.editor, [bergen]))
    restricted_member = _bearer(make_token(Role.editor, [stord, bergen], organisation_id=stord))
    restricted_outsider = _bearer(make_token(Role.admin, organisation_id=bergen))
    url = f"{API}/{network['id']}/meetings"

    created = anon.post(url, json=meeting_body(), headers=member_editor)
    assert created.status_code == 201, created.text
    assert anon.post(url, json=meeting_body(title="Nytt møte"), headers=restricted_member).status_code == 201
    _problem(anon.post(url, json=meeting_body(), headers=outsider), 403)
    _problem(anon.post(url, json=meeting_body(), headers=restricted_outsider), 403)
    _problem(anon.patch(f"{API}/{network['id']}", json={"name": "X"}, headers={**member_editor, **_if(1)}), 403)
    _problem(anon.post(f"{API}/{network['id']}/members", json={"organisation_id": bergen}, headers=member_editor), 403)
    # Everyone logged in reads; nobody else.
    assert anon.get(url, headers=outsider).status_code == 200
    _problem(anon.get(url), 401)
    _problem(anon.get(API), 401)


def test_meetings_newest_first_changed_and_deleted(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    old = make_meeting(network["id"], held_on="2025-10-01", title="Høstmøte")
    new = make_meeting(network["id"], held_on="2026-02-01", title="Vintermøte", kind="seminar")
    url = f"{API}/{network['id']}/meetings"
    items = client.get(url).json()["items"]
    assert [m["title"] for m in items] == ["Vintermøte", "Høstmøte"]
    assert items[0]["gaps"] == []
    first = client.get(url, params={"limit": 1}).json()
    rest = client.get(url, params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert ([m["id"] for m in first["items"]], [m["id"] for m in rest["items"]]) == ([new["id"]], [old["id"]])
    assert rest["next_cursor"] is None
    changed = client.patch(f"{url}/{old['id']}", json={"decisions": "Vedtatt: kurs i 2027"}, headers=_if(1))
    assert (changed.status_code, changed.json()["decisions"]) == (200, "Vedtatt: kurs i 2027")
    _problem(client.patch(f"{url}/{old['id']}", json={"title": None}, headers=_if(2)), 422)
    _problem(client.patch(f"{url}/{old['id']}", json={"minutes": "Pasient 15076500565"}, headers=_if(2)), 422)
    assert client.delete(f"{url}/{old['id']}", headers=_if(2)).status_code == 204
    assert [m["id"] for m in client.get(url).json()["items"]] == [new["id"]]
    _problem(client.patch(f"{url}/{old['id']}", json={"title": "X"}, headers=_if(3)), 404)


def test_network_writes_are_in_the_change_feed(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    feed = client.get("/api/v1/changes").json()["items"]
    assert any(item.get("url") == f"/api/v1/networks/{network['id']}" for item in feed), feed


def test_a_gap_registered_at_a_meeting_is_followed_by_the_network(client: TestClient, owner_org: int) -> None:
    network = make_network(owner_org)
    other = make_network(owner_org, name="Et annet nettverk")
    meeting = make_meeting(network["id"])
    body = gap_body(owner_org, network_id=network["id"], meeting_id=meeting["id"])
    gap = client.post("/api/v1/gaps", json=body)
    assert gap.status_code == 201, gap.text
    assert (gap.json()["network_id"], gap.json()["meeting_id"]) == (network["id"], meeting["id"])
    meetings = client.get(f"{API}/{network['id']}/meetings").json()["items"]
    assert meetings[0]["gaps"] == [gap.json()["id"]]
    followed = client.get("/api/v1/gaps", params={"network": network["id"]}).json()["items"]
    assert [g["id"] for g in followed] == [gap.json()["id"]]
    assert client.get("/api/v1/gaps", params={"network": other["id"]}).json()["items"] == []
    wrong = client.post("/api/v1/gaps", json={**body, "network_id": other["id"]})
    assert _fields(_problem(wrong, 422)) == ["meeting_id"]
    alone = client.post("/api/v1/gaps", json={**body, "network_id": None})
    assert _fields(_problem(alone, 422)) == ["network_id"]
