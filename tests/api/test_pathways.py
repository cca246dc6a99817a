"""Pathway templates through the API: drafts, publishing, versions, diffs, validation and who may see what."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models.auth import Role
from tests.conftest import TokenFactory
from tests.factories import create_organisation, fingerprint, pathway_body

API = "/api/v1/pathway-templates"


def _create(client: TestClient, owner_org: int, series: str = "kols-lunge", **overrides: Any) -> dict[str, Any]:
    response = client.post(API, json=pathway_body(owner_org, series, **overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _act(client: TestClient, template: dict[str, Any], action: str) -> Any:
    return client.post(f"{API}/{template['id']}/{action}", headers={"If-Match": f'"{template["version"]}"'})


def test_a_draft_is_created_with_its_steps_in_order(client: TestClient, owner_org: int) -> None:
    response = client.post(API, json=pathway_body(owner_org))
    assert response.status_code == 201
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"{API}/{response.json()['id']}"
    created = response.json()
    assert (created["series"], created["series_version"], created["status"]) == ("kols-lunge", 1, "draft")
    assert [s["key"] for s in created["steps"]] == ["utredning", "rehabilitering", "oppfolging"]
    assert created["steps"][1]["levels"] == ["municipal", "specialist"]
    assert created["steps"][1]["checklist"] == [
        {"code": "what_matters_asked", "text": None},
        {"code": None, "text": "Røykeslutt tilbudt"},
    ]
    assert created["owner_name"] == "Forløpseier AS"
    assert client.get(f"{API}/{created['id']}").json() == created


def test_published_versions_are_frozen(client: TestClient, owner_org: int) -> None:
    draft = _create(client, owner_org)
    published = _act(client, draft, "publish")
    assert published.status_code == 200
    assert published.json()["status"] == "published"
    assert published.json()["published_at"]
    url, etag = f"{API}/{draft['id']}", {"If-Match": published.headers["etag"]}
    before = fingerprint()
    steps = published.json()["steps"][::-1]
    for response in (
        client.patch(url, json={"title": "Endret"}, headers=etag),
        client.patch(url, json={"steps": steps}, headers=etag),
        client.delete(url, headers=etag),
        client.post(f"{url}/publish", headers=etag),
    ):
        assert response.status_code == 409, response.text
        assert response.headers["content-type"] == "application/problem+json"
    assert "new-version" in client.patch(url, json={"title": "Endret"}, headers=etag).json()["detail"]
    assert fingerprint() == before


def test_one_draft_per_series_and_publishing_retires_the_previous_version(client: TestClient, owner_org: int) -> None:
    first = _act(client, _create(client, owner_org), "publish").json()
    second = _act(client, first, "new-version")
    assert second.status_code == 201
    draft = second.json()
    assert (draft["series_version"], draft["status"]) == (2, "draft")
    assert draft["steps"] == first["steps"]
    assert _act(client, first, "new-version").status_code == 409
    assert client.post(API, json=pathway_body(owner_org)).status_code == 409  # the series has a draft
    edited = client.patch(f"{API}/{draft['id']}", json={"title": "KOLS, versjon 2"}, headers={"If-Match": '"1"'}).json()
    assert _act(client, edited, "publish").json()["status"] == "published"
    assert client.get(f"{API}/{first['id']}").json()["status"] == "retired"
    versions = client.get(API, params={"series": "kols-lunge"}).json()["items"]
    assert [(v["series_version"], v["status"]) for v in versions] == [(1, "retired"), (2, "published")]
    current = client.get(f"{API}/{draft['id']}").json()
    assert _act(client, current, "retire").json()["status"] == "retired"


def test_drafts_can_be_deleted(client: TestClient, owner_org: int) -> None:
    draft = _create(client, owner_org)
    assert client.delete(f"{API}/{draft['id']}").status_code == 428
    assert client.delete(f"{API}/{draft['id']}", headers={"If-Match": '"1"'}).status_code == 204
    assert client.get(f"{API}/{draft['id']}").status_code == 404


def test_drafts_need_a_login_published_versions_are_public(
    client: TestClient, anon: TestClient, owner_org: int
) -> None:
    draft = _create(client, owner_org)
    published = _act(client, _create(client, owner_org, "hjerneslag"), "publish").json()
    assert anon.get(f"{API}/{draft['id']}").status_code == 401
    assert anon.get(f"{API}/{published['id']}").status_code == 200
    assert [t["id"] for t in anon.get(API).json()["items"]] == [published["id"]]
    assert {t["id"] for t in client.get(API).json()["items"]} == {draft["id"], published["id"]}


def test_lists_filter_and_page(client: TestClient, owner_org: int) -> None:
    kols = _create(client, owner_org)
    slag = _create(client, owner_org, "hjerneslag", title="Hjerneslag", patient_groups=["stroke"])
    assert [t["id"] for t in client.get(API, params={"patient_group": "lung"}).json()["items"]] == [kols["id"]]
    assert [t["id"] for t in client.get(API, params={"q": "hjerneslag"}).json()["items"]] == [slag["id"]]
    assert client.get(API, params={"status": "published"}).json()["items"] == []
    assert client.get(API, params={"owner": owner_org}).json()["items"][0]["id"] == kols["id"]
    first = client.get(API, params={"limit": 1}).json()
    assert [t["id"] for t in first["items"]] == [kols["id"]]
    rest = client.get(API, params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [t["id"] for t in rest["items"]] == [slag["id"]]
    assert client.get(API, params={"patient_group": "kols"}).status_code == 422


def test_the_diff_between_versions(client: TestClient, owner_org: int) -> None:
    def step(key: str, title: str | None = None) -> dict[str, Any]:
        return {"key": key, "title": title or key.upper(), "levels": ["municipal"], "responsible_role": "coordinator"}

    v1 = _act(client, _create(client, owner_org, steps=[step(k) for k in "abcde"]), "publish").json()
    v2 = _act(client, v1, "new-version").json()
    changed = client.patch(
        f"{API}/{v2['id']}",
        json={"title": "Ny tittel", "steps": [step("a"), step("c", "Endret"), step("d"), step("b"), step("f")]},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    diff = client.get(f"{API}/{v2['id']}/diff", params={"against": v1["id"]}).json()
    assert diff["fields"] == [{"field": "title", "before": "KOLS: lungerehabilitering", "after": "Ny tittel"}]
    assert [(s["key"], s["change"]) for s in diff["steps"]] == [
        ("c", "changed"),
        ("b", "moved"),
        ("f", "added"),
        ("e", "removed"),
    ]
    assert diff["steps"][0]["fields"] == [{"field": "title", "before": "C", "after": "Endret"}]
    assert diff["steps"][1]["fields"] == [{"field": "position", "before": 2, "after": 4}]
    other = _create(client, owner_org, "annen-serie")
    assert client.get(f"{API}/{v2['id']}/diff", params={"against": other["id"]}).status_code == 422


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"title": ""}, "/title"),
        ({"steps": [{"key": "a", "title": "A", "levels": [], "responsible_role": "gp"}]}, "/steps/0/levels"),
        (
            {
                "steps": [
                    {"key": "a", "title": "A", "levels": ["municipal"], "responsible_role": "gp"},
                    {"key": "a", "title": "B", "levels": ["municipal"], "responsible_role": "gp"},
                ]
            },
            "/steps/1/key",
        ),
        ({"patient_groups": ["copd", "kols"]}, "/patient_groups/1"),
        (
            {
                "steps": [
                    {"key": "a", "title": "A", "levels": ["municipal"], "forms": ["sofa"], "responsible_role": "gp"}
                ]
            },
            "/steps/0/forms/0",
        ),
        (
            {
                "steps": [
                    {"key": f"s{i}", "title": "S", "levels": ["municipal"], "responsible_role": "gp"}
                    for i in range(201)
                ]
            },
            "/steps",
        ),
        (
            {"steps": [{"key": "Ikke slug", "title": "A", "levels": ["municipal"], "responsible_role": "gp"}]},
            "/steps/0/key",
        ),
    ],
)
def test_invalid_templates_are_refused_with_field_paths(
    client: TestClient, owner_org: int, change: dict[str, Any], pointer: str
) -> None:
    before = fingerprint()
    response = client.post(API, json=pathway_body(owner_org, **change))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert pointer in [e["pointer"] for e in response.json()["errors"]]
    assert fingerprint() == before


def test_an_editor_of_another_organisation_can_neither_edit_nor_publish(
    client: TestClient, anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    draft = _create(client, owner_org)
    other = create_organisation(client, name="Annen eier AS")["id"]
    headers = {"Authorization": f"Bearer {make_token(Role.editor, [other])}", "If-Match": '"1"'}
    before = fingerprint()
    assert anon.patch(f"{API}/{draft['id']}", json={"title": "X"}, headers=headers).status_code == 403
    assert anon.post(f"{API}/{draft['id']}/publish", headers=headers).status_code == 403
    assert anon.post(API, json=pathway_body(owner_org, "egen"), headers=headers).status_code == 403
    assert fingerprint() == before
    mine = {"Authorization": f"Bearer {make_token(Role.editor, [owner_org])}", "If-Match": '"1"'}
    assert anon.post(f"{API}/{draft['id']}/publish", headers=mine).status_code == 200


def test_writes_are_audited_and_in_the_change_feed(client: TestClient, owner_org: int) -> None:
    draft = _create(client, owner_org)
    _act(client, draft, "publish")
    events = client.get("/api/v1/audit-events", params={"entity_type": "pathway_template"}).json()["items"]
    assert [e["action"] for e in events] == ["publish", "create"]
    changes = client.get("/api/v1/changes").json()["items"]
    feed = [c for c in changes if c["entity_type"] == "pathway_template"]
    assert [(c["action"], c["version"]) for c in feed] == [("create", 1), ("publish", 2)]
    assert feed[0]["url"] == f"{API}/{draft['id']}"
