"""The authorisation matrix: every write route × every kind of caller, generated from the app's routes.

A refused request must leave the database exactly as it was. A new write route without an entry here
fails `test_matrix_covers_every_write_route`.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import auth
from app.domain.imports import profiles as import_profiles
from app.main import create_app
from app.models.auth import ApiToken, Role, TokenCreate, TokenScope, UserCreate
from app.models.imports import ImportProfileCreate
from app.models.types import utcnow
from tests.conftest import SYSTEM, TokenFactory
from tests.factories import (
    fingerprint,
    gap_body,
    make_gap,
    make_measure,
    make_meeting,
    make_member,
    make_network,
    make_organisation,
    make_pathways,
    make_service,
    measure_body,
    meeting_body,
    network_body,
    pathway_body,
    service_body,
)

PRINCIPALS = (
    "anonymous",
    "viewer",
    "editor_other",
    "editor_owner",
    "admin",
    "read_token",
    "revoked_token",
    "expired_token",
    # Tokens restricted to one organisation (`--org`): the owner's, or another one.
    "admin_token_owner_org",
    "admin_token_other_org",
    "editor_token_owner_org",
)
REFUSED_TOKENS = {"anonymous": 401, "revoked_token": 401, "expired_token": 401}


def row(
    admin: int, owner: int, *, viewer: int = 403, other: int = 403, read: int = 403, restricted: int | None = None
) -> dict[str, int]:
    """Statuses per principal. A token restricted to the owner's organisation writes what the owner's editor
    may (`restricted` overrides), never administration; one restricted to another organisation writes nothing."""
    in_org = owner if restricted is None else restricted
    return {
        **REFUSED_TOKENS,
        "viewer": viewer,
        "editor_other": other,
        "editor_owner": owner,
        "admin": admin,
        "read_token": read,
        "admin_token_owner_org": in_org,
        "admin_token_other_org": 403,
        "editor_token_owner_org": in_org,
    }


EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("POST", "/api/v1/organisations"): row(201, 403),
    ("PATCH", "/api/v1/organisations/{organisation_id}"): row(200, 200),
    ("POST", "/api/v1/rehab-services"): row(201, 201),
    ("PATCH", "/api/v1/rehab-services/{service_id}"): row(200, 200),
    ("DELETE", "/api/v1/rehab-services/{service_id}"): row(204, 204),
    ("PUT", "/api/v1/rehab-services/by-external-id/{provider_id}/{external_id}"): row(201, 201),
    # Tokens are made by people who log in, never by other tokens.
    ("POST", "/api/v1/tokens"): row(403, 403),
    # The target token belongs to the viewer; others are told it does not exist.
    ("DELETE", "/api/v1/tokens/{token_id}"): row(200, 404, viewer=200, other=404, restricted=403),
    ("POST", "/api/v1/users"): row(201, 403),
    ("PATCH", "/api/v1/users/{user_id}"): row(200, 403),
    ("POST", "/api/v1/imports"): row(201, 201),
    ("POST", "/api/v1/pathway-templates"): row(201, 201),
    ("PATCH", "/api/v1/pathway-templates/{template_id}"): row(200, 200),
    ("DELETE", "/api/v1/pathway-templates/{template_id}"): row(204, 204),
    ("POST", "/api/v1/pathway-templates/{template_id}/publish"): row(200, 200),
    ("POST", "/api/v1/pathway-templates/{template_id}/new-version"): row(201, 201),
    ("POST", "/api/v1/pathway-templates/{template_id}/retire"): row(200, 200),
    # The world's gap names Stord; none of the principals edits Stord, so the municipality rule is
    # tested in tests/api/test_gaps.py. Deleting is the owner's.
    ("POST", "/api/v1/gaps"): row(201, 201),
    ("PATCH", "/api/v1/gaps/{gap_id}"): row(200, 200),
    ("DELETE", "/api/v1/gaps/{gap_id}"): row(204, 204),
    ("POST", "/api/v1/gaps/{gap_id}/transitions"): row(200, 200),
    ("POST", "/api/v1/gaps/{gap_id}/measures"): row(201, 201),
    ("PATCH", "/api/v1/gaps/{gap_id}/measures/{measure_id}"): row(200, 200),
    ("DELETE", "/api/v1/gaps/{gap_id}/measures/{measure_id}"): row(204, 204),
    # The gap is the municipality's (Alta's); none of the principals edits Alta, so only administrators may.
    ("POST", "/api/v1/gaps/from-coverage"): row(201, 403),
    # Anyone logged in comments (a viewer too), not with a read-only token; a restricted token on its own gaps.
    ("POST", "/api/v1/gaps/{gap_id}/comments"): row(201, 201, viewer=201, other=201),
    # Networks: the owner's editors manage; editors of a member organisation also write meetings (the
    # world's network has no member organisation among the principals': tested in tests/api/test_networks.py).
    ("POST", "/api/v1/networks"): row(201, 201),
    ("PATCH", "/api/v1/networks/{network_id}"): row(200, 200),
    ("DELETE", "/api/v1/networks/{network_id}"): row(204, 204),
    ("POST", "/api/v1/networks/{network_id}/members"): row(201, 201),
    ("PATCH", "/api/v1/networks/{network_id}/members/{member_id}"): row(200, 200),
    ("DELETE", "/api/v1/networks/{network_id}/members/{member_id}"): row(204, 204),
    ("POST", "/api/v1/networks/{network_id}/meetings"): row(201, 201),
    ("PATCH", "/api/v1/networks/{network_id}/meetings/{meeting_id}"): row(200, 200),
    ("DELETE", "/api/v1/networks/{network_id}/meetings/{meeting_id}"): row(204, 204),
    # Plans and reports: written by those who work in the network (the owner's editors here); the world's
    # network reports to no committee, so only administrators approve (committee members: test_network_plans).
    ("PUT", "/api/v1/networks/{network_id}/action-plans/{year}"): row(200, 200),
    ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/submit"): row(200, 200),
    ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/approve"): row(200, 403, restricted=403),
    ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/revise"): row(201, 201),
    ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/measures"): row(201, 201),
    ("PATCH", "/api/v1/networks/{network_id}/action-plans/{year}/measures/{measure_id}"): row(200, 200),
    ("DELETE", "/api/v1/networks/{network_id}/action-plans/{year}/measures/{measure_id}"): row(204, 204),
    ("PUT", "/api/v1/networks/{network_id}/reports/{year}"): row(200, 200),
    ("POST", "/api/v1/networks/{network_id}/reports/{year}/submit"): row(200, 200),
    # Import profiles are the organisation's: outside it (and its restricted tokens) they do not exist.
    ("POST", "/api/v1/imports/profiles"): row(201, 201),
    ("PATCH", "/api/v1/imports/profiles/{profile_id}"): {
        **row(200, 200, viewer=404, other=404),
        "admin_token_other_org": 404,
    },
    ("DELETE", "/api/v1/imports/profiles/{profile_id}"): {
        **row(204, 204, viewer=404, other=404),
        "admin_token_other_org": 404,
    },
}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def test_matrix_covers_every_write_route() -> None:
    # The API's routes as the app itself publishes them (the pages' login/logout are tested for CSRF).
    routes = {
        (method.upper(), path)
        for path, operations in create_app().openapi()["paths"].items()
        for method in operations
        if method.upper() in WRITE_METHODS
    }
    assert routes == set(EXPECTED), "add the new write route to EXPECTED with its status per principal"


@dataclass
class World:
    headers: dict[str, dict[str, str]]
    owner_org: int
    other_org: int
    service_id: int
    viewer_user: int
    viewer_spare_token: int
    draft_pathway: int
    published_pathway: int
    gap: int
    gap_measure: int
    network: int
    network_member: int
    meeting: int
    import_profile: int = 0
    plan_measure: int = 0  # a measure of the draft plan for 2027 (the plan for 2028 is submitted)


@pytest.fixture
def world(make_token: TokenFactory) -> World:
    owner = make_organisation(name="Eier AS")
    other = make_organisation(name="Annen AS")
    service = make_service(owner["id"])

    def bearer(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    with transaction() as session:
        viewer = auth.create_user(session, SYSTEM, UserCreate(email="viewer@test.example", name="V"))
        viewer_token = auth.create_token(
            session, SYSTEM, TokenCreate(name="main", scope=TokenScope.read_write, user_id=viewer["id"])
        )
        spare = auth.create_token(session, SYSTEM, TokenCreate(name="spare", user_id=viewer["id"]))
    revoked = make_token()
    expired = make_token()
    with transaction() as session:
        auth.revoke_token(session, SYSTEM, auth.resolve_token(session, revoked).actor.token_id, "*")  # type: ignore[union-attr,arg-type]
        session.execute(
            ApiToken.__table__.update()  # type: ignore[attr-defined]
            .where(ApiToken.__table__.c.token_hash == hashlib.sha256(expired.encode()).hexdigest())  # type: ignore[attr-defined]
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    draft, published = make_pathways(owner["id"])
    gap = make_gap(owner["id"])
    network = make_network(owner["id"])
    return World(
        network=network["id"],
        network_member=make_member(network["id"], owner["id"], role="leader")["id"],
        meeting=make_meeting(network["id"])["id"],
        draft_pathway=draft,
        published_pathway=published,
        gap=gap["id"],
        gap_measure=make_measure(gap["id"], owner["id"])["id"],
        headers={
            "anonymous": {},
            "viewer": bearer(viewer_token["token"]),
            "editor_other": bearer(make_token(Role.editor, [other["id"]])),
            "editor_owner": bearer(make_token(Role.editor, [owner["id"]])),
            "admin": bearer(make_token(Role.admin)),
            "read_token": bearer(make_token(Role.admin, scope=TokenScope.read)),
            "revoked_token": bearer(revoked),
            "expired_token": bearer(expired),
            "admin_token_owner_org": bearer(make_token(Role.admin, organisation_id=owner["id"])),
            "admin_token_other_org": bearer(make_token(Role.admin, organisation_id=other["id"])),
            "editor_token_owner_org": bearer(
                make_token(Role.editor, [owner["id"], other["id"]], organisation_id=owner["id"])
            ),
        },
        owner_org=owner["id"],
        other_org=other["id"],
        service_id=service["id"],
        viewer_user=viewer["id"],
        viewer_spare_token=spare["id"],
        import_profile=_import_profile(owner["id"]),
        plan_measure=_plans(network["id"], owner["id"]),
    )


def _plans(network_id: int, owner: int) -> int:
    """A draft plan for 2027 (version 2) with a measure of its own (version 1); a submitted plan for 2028
    (version 2); the measure's id."""
    from app.domain.networks import plans
    from app.models.network import ActionPlanWrite, PlanMeasureAdd

    with transaction() as session:
        plans.put_plan(session, SYSTEM, network_id, 2027, ActionPlanWrite(), None)
        measure = plans.add_measure(
            session, SYSTEM, network_id, 2027, PlanMeasureAdd.model_validate(measure_body(owner))
        )
        plans.put_plan(session, SYSTEM, network_id, 2028, ActionPlanWrite(), None)
        plans.submit(session, SYSTEM, network_id, 2028, '"1"')
    return int(measure["id"])


def _import_profile(owner: int) -> int:
    with transaction() as session:
        data = ImportProfileCreate(organisation_id=owner, name="Fagsystemet", mapping={"Navnet": "name"})
        return int(import_profiles.create_profile(session, SYSTEM, data)["id"])


def request_for(route: tuple[str, str], w: World) -> tuple[str, dict[str, Any] | None, dict[str, str]]:
    _method, path = route
    if_match = {"If-Match": '"1"'}
    upsert = {k: v for k, v in service_body(w.owner_org).items() if k != "provider_id"}
    table: dict[tuple[str, str], tuple[str, dict[str, Any] | None, dict[str, str]]] = {
        ("POST", "/api/v1/organisations"): (path, {"kind": "other", "name": "Ny"}, {}),
        ("PATCH", "/api/v1/organisations/{organisation_id}"): (
            f"/api/v1/organisations/{w.owner_org}",
            {"name": "Nytt navn"},
            if_match,
        ),
        ("POST", "/api/v1/rehab-services"): (path, service_body(w.owner_org), {}),
        ("PATCH", "/api/v1/rehab-services/{service_id}"): (
            f"/api/v1/rehab-services/{w.service_id}",
            {"waiting_time_days": 5},
            if_match,
        ),
        ("DELETE", "/api/v1/rehab-services/{service_id}"): (f"/api/v1/rehab-services/{w.service_id}", None, if_match),
        ("PUT", "/api/v1/rehab-services/by-external-id/{provider_id}/{external_id}"): (
            f"/api/v1/rehab-services/by-external-id/{w.owner_org}/ext-1",
            upsert,
            {},
        ),
        ("POST", "/api/v1/tokens"): (path, {"name": "ny"}, {}),
        ("DELETE", "/api/v1/tokens/{token_id}"): (f"/api/v1/tokens/{w.viewer_spare_token}", None, if_match),
        ("POST", "/api/v1/users"): (path, {"email": "ny@test.example", "name": "Ny", "role": "viewer"}, {}),
        ("PATCH", "/api/v1/users/{user_id}"): (f"/api/v1/users/{w.viewer_user}", {"role": "admin"}, if_match),
        ("POST", "/api/v1/imports"): (path, None, {}),
        ("POST", "/api/v1/pathway-templates"): (path, pathway_body(w.owner_org, "ny-serie"), {}),
        ("PATCH", "/api/v1/pathway-templates/{template_id}"): (
            f"/api/v1/pathway-templates/{w.draft_pathway}",
            {"title": "Nytt navn"},
            if_match,
        ),
        ("DELETE", "/api/v1/pathway-templates/{template_id}"): (
            f"/api/v1/pathway-templates/{w.draft_pathway}",
            None,
            if_match,
        ),
        ("POST", "/api/v1/pathway-templates/{template_id}/publish"): (
            f"/api/v1/pathway-templates/{w.draft_pathway}/publish",
            None,
            if_match,
        ),
        ("POST", "/api/v1/pathway-templates/{template_id}/new-version"): (
            f"/api/v1/pathway-templates/{w.published_pathway}/new-version",
            None,
            {"If-Match": '"2"'},
        ),
        ("POST", "/api/v1/pathway-templates/{template_id}/retire"): (
            f"/api/v1/pathway-templates/{w.published_pathway}/retire",
            None,
            {"If-Match": '"2"'},
        ),
        ("POST", "/api/v1/gaps"): (path, gap_body(w.owner_org), {}),
        ("PATCH", "/api/v1/gaps/{gap_id}"): (f"/api/v1/gaps/{w.gap}", {"severity": "critical"}, if_match),
        ("DELETE", "/api/v1/gaps/{gap_id}"): (f"/api/v1/gaps/{w.gap}", None, if_match),
        ("POST", "/api/v1/gaps/{gap_id}/transitions"): (
            f"/api/v1/gaps/{w.gap}/transitions",
            {"to": "assessed"},
            if_match,
        ),
        ("POST", "/api/v1/gaps/{gap_id}/measures"): (
            f"/api/v1/gaps/{w.gap}/measures",
            measure_body(w.owner_org),
            {},
        ),
        ("PATCH", "/api/v1/gaps/{gap_id}/measures/{measure_id}"): (
            f"/api/v1/gaps/{w.gap}/measures/{w.gap_measure}",
            {"status": "in_progress"},
            if_match,
        ),
        ("DELETE", "/api/v1/gaps/{gap_id}/measures/{measure_id}"): (
            f"/api/v1/gaps/{w.gap}/measures/{w.gap_measure}",
            None,
            if_match,
        ),
        ("POST", "/api/v1/gaps/{gap_id}/comments"): (f"/api/v1/gaps/{w.gap}/comments", {"text": "Enig"}, {}),
        ("POST", "/api/v1/networks"): (path, network_body(w.owner_org), {}),
        ("PATCH", "/api/v1/networks/{network_id}"): (f"/api/v1/networks/{w.network}", {"name": "Nytt navn"}, if_match),
        ("DELETE", "/api/v1/networks/{network_id}"): (f"/api/v1/networks/{w.network}", None, if_match),
        ("POST", "/api/v1/networks/{network_id}/members"): (
            f"/api/v1/networks/{w.network}/members",
            {"organisation_id": w.other_org, "role": "member"},
            {},
        ),
        ("PATCH", "/api/v1/networks/{network_id}/members/{member_id}"): (
            f"/api/v1/networks/{w.network}/members/{w.network_member}",
            {"representative_name": "Kari Nordmann"},
            if_match,
        ),
        ("DELETE", "/api/v1/networks/{network_id}/members/{member_id}"): (
            f"/api/v1/networks/{w.network}/members/{w.network_member}",
            None,
            if_match,
        ),
        ("POST", "/api/v1/networks/{network_id}/meetings"): (
            f"/api/v1/networks/{w.network}/meetings",
            meeting_body(),
            {},
        ),
        ("PATCH", "/api/v1/networks/{network_id}/meetings/{meeting_id}"): (
            f"/api/v1/networks/{w.network}/meetings/{w.meeting}",
            {"minutes": "Referat"},
            if_match,
        ),
        ("PUT", "/api/v1/networks/{network_id}/action-plans/{year}"): (
            f"/api/v1/networks/{w.network}/action-plans/2027",
            {"sections": [{"key": "formal", "title": "Formål", "text": "Bedre rehabilitering"}]},
            {"If-Match": '"2"'},
        ),
        ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/submit"): (
            f"/api/v1/networks/{w.network}/action-plans/2027/submit",
            None,
            {"If-Match": '"2"'},
        ),
        ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/approve"): (
            f"/api/v1/networks/{w.network}/action-plans/2028/approve",
            None,
            {"If-Match": '"2"'},
        ),
        ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/revise"): (
            f"/api/v1/networks/{w.network}/action-plans/2028/revise",
            None,
            {"If-Match": '"2"'},
        ),
        ("POST", "/api/v1/networks/{network_id}/action-plans/{year}/measures"): (
            f"/api/v1/networks/{w.network}/action-plans/2027/measures",
            measure_body(w.owner_org),
            {},
        ),
        ("PATCH", "/api/v1/networks/{network_id}/action-plans/{year}/measures/{measure_id}"): (
            f"/api/v1/networks/{w.network}/action-plans/2027/measures/{w.plan_measure}",
            {"area": "Kompetanse"},
            if_match,
        ),
        ("DELETE", "/api/v1/networks/{network_id}/action-plans/{year}/measures/{measure_id}"): (
            f"/api/v1/networks/{w.network}/action-plans/2027/measures/{w.plan_measure}",
            None,
            if_match,
        ),
        ("PUT", "/api/v1/networks/{network_id}/reports/{year}"): (
            f"/api/v1/networks/{w.network}/reports/2026",
            {"text": "Et godt år"},
            {},
        ),
        ("POST", "/api/v1/networks/{network_id}/reports/{year}/submit"): (
            f"/api/v1/networks/{w.network}/reports/2026/submit",
            None,
            {"If-Match": "*"},
        ),
        ("DELETE", "/api/v1/networks/{network_id}/meetings/{meeting_id}"): (
            f"/api/v1/networks/{w.network}/meetings/{w.meeting}",
            None,
            if_match,
        ),
        ("POST", "/api/v1/imports/profiles"): (
            path,
            {"organisation_id": w.owner_org, "name": "Ny profil", "kind": "rehab-services", "mapping": {"A": "name"}},
            {},
        ),
        ("PATCH", "/api/v1/imports/profiles/{profile_id}"): (
            f"/api/v1/imports/profiles/{w.import_profile}",
            {"name": "Nytt navn"},
            if_match,
        ),
        ("DELETE", "/api/v1/imports/profiles/{profile_id}"): (
            f"/api/v1/imports/profiles/{w.import_profile}",
            None,
            if_match,
        ),
        ("POST", "/api/v1/gaps/from-coverage"): (
            path,
            {"template_id": w.published_pathway, "municipality": "5601", "step_key": "utredning"},
            {},
        ),
    }
    return table[route]


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("route", list(EXPECTED), ids=lambda r: f"{r[0]} {r[1]}")
def test_write_authorisation(route: tuple[str, str], principal: str, world: World, anon: TestClient) -> None:
    url, body, headers = request_for(route, world)
    before = fingerprint()
    if route == ("POST", "/api/v1/imports"):
        csv = f"Tilbyder ID;Ekstern ID;Navn;Nivå;Form\n{world.owner_org};imp-1;Importert;spesialist;dag\n"
        response = anon.post(
            url, files={"file": ("tilbud.csv", csv.encode())}, headers={**headers, **world.headers[principal]}
        )
    else:
        response = anon.request(route[0], url, json=body, headers={**headers, **world.headers[principal]})
    expected = EXPECTED[route][principal]
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert fingerprint() == before, "a refused request changed the database"
    if expected == 401:
        assert response.headers["www-authenticate"].startswith("Bearer")


# Reads that are not the public catalogue: who may see users, every token and the audit trail.
READ_EXPECTED: dict[str, dict[str, int]] = {
    "/api/v1/users": row(200, 403, read=200, restricted=403),
    "/api/v1/audit-events": row(200, 403, read=200, restricted=403),
    # Everyone sees their own tokens; another user's only an administrator who is not restricted.
    "/api/v1/tokens?user_id={viewer}": row(200, 403, viewer=200, read=200, restricted=403),
    # Gaps are not public by default (REHABKART_PUBLIC_GAPS): anyone logged in reads them.
    "/api/v1/gaps": {**row(200, 200, viewer=200, other=200, read=200), "admin_token_other_org": 200},
    "/api/v1/gaps/summary": {**row(200, 200, viewer=200, other=200, read=200), "admin_token_other_org": 200},
}


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize("path", list(READ_EXPECTED))
def test_read_authorisation(path: str, principal: str, world: World, anon: TestClient) -> None:
    response = anon.get(path.format(viewer=world.viewer_user), headers=world.headers[principal])
    assert response.status_code == READ_EXPECTED[path][principal], response.text
    if response.status_code == 403:
        assert response.headers["content-type"] == "application/problem+json"


def test_restricted_admin_token_lists_only_its_own_tokens(world: World, anon: TestClient) -> None:
    mine = anon.get("/api/v1/tokens", headers=world.headers["admin_token_owner_org"]).json()["items"]
    everyone = anon.get("/api/v1/tokens", headers=world.headers["admin"]).json()["items"]
    assert len(mine) == 1
    assert len(everyone) > 1
    assert {t["user_id"] for t in mine} == {mine[0]["user_id"]}


def test_restricted_admin_token_cannot_promote_or_create_admins(world: World, anon: TestClient) -> None:
    """The finding: a `--org` admin token made a viewer an admin and created a new admin with a password."""
    headers = {**world.headers["admin_token_owner_org"], "If-Match": '"1"'}
    promoted = anon.patch(f"/api/v1/users/{world.viewer_user}", json={"role": "admin"}, headers=headers)
    created = anon.post(
        "/api/v1/users",
        json={"email": "boss@test.example", "name": "Boss", "role": "admin", "password": "x" * 16},
        headers=world.headers["admin_token_owner_org"],
    )
    assert (promoted.status_code, created.status_code) == (403, 403)
    assert "restricted to organisation" in promoted.json()["detail"]
    users = anon.get("/api/v1/users", headers=world.headers["admin"]).json()["items"]
    assert {u["role"] for u in users if u["id"] == world.viewer_user} == {"viewer"}
    assert "boss@test.example" not in {u["email"] for u in users}


def test_user_and_token_writes_need_the_current_version(world: World, anon: TestClient) -> None:
    admin = world.headers["admin"]
    user_url, token_url = f"/api/v1/users/{world.viewer_user}", f"/api/v1/tokens/{world.viewer_spare_token}"
    assert anon.patch(user_url, json={"name": "A"}, headers=admin).status_code == 428
    assert anon.delete(token_url, headers=admin).status_code == 428
    changed = anon.patch(user_url, json={"name": "A"}, headers={**admin, "If-Match": '"1"'})
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"2"'
    stale = anon.patch(user_url, json={"name": "B"}, headers={**admin, "If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'
    revoked = anon.delete(token_url, headers={**admin, "If-Match": '"1"'})
    assert revoked.status_code == 200
    assert revoked.json()["version"] == 2
    assert revoked.json()["revoked_at"]
    assert anon.delete(token_url, headers={**admin, "If-Match": '"1"'}).status_code == 412
