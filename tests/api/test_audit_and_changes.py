"""The audit trail, the change feed, tokens, and keeping secrets out of both."""

import json
import logging
import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import app as cli
from app.models.auth import Role, TokenScope
from app.settings import get_settings
from tests.conftest import TokenFactory
from tests.factories import create_service, make_service

API = "/api/v1/rehab-services"


def test_every_write_leaves_an_audit_event_with_before_and_after(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna, waiting_time_days=10)
    url = f"{API}/{service['id']}"
    client.patch(url, json={"waiting_time_days": 20}, headers={"If-Match": '"1"', "X-Request-ID": "req-123"})
    client.delete(url, headers={"If-Match": '"2"'})
    events = client.get(
        "/api/v1/audit-events", params={"entity_type": "rehab_service", "entity_id": str(service["id"])}
    ).json()["items"]
    assert [e["action"] for e in events] == ["delete", "update", "create"]
    update = events[1]
    assert update["changes"] == {"waiting_time_days": [10, 20]}
    assert update["request_id"] == "req-123"
    assert update["entity_version"] == 2
    assert update["actor_kind"] == "token"
    assert update["actor_user_id"] is not None
    assert events[2]["changes"]["name"] == [None, service["name"]]


def test_audit_trail_is_for_admins(client: TestClient, make_token: TokenFactory, anon: TestClient) -> None:
    assert anon.get("/api/v1/audit-events").status_code == 401
    editor = {"Authorization": f"Bearer {make_token(Role.editor)}"}
    assert anon.get("/api/v1/audit-events", headers=editor).status_code == 403
    read_admin = {"Authorization": f"Bearer {make_token(Role.admin, scope=TokenScope.read)}"}
    assert anon.get("/api/v1/audit-events", headers=read_admin).status_code == 200


def test_token_lifecycle_and_secrets_never_leak(
    client: TestClient, anon: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    password = "a very secret password 123"
    user = client.post(
        "/api/v1/users",
        json={"email": "Ny.Bruker@Test.Example", "name": "Ny", "role": "editor", "password": password},
    )
    assert user.status_code == 201
    assert user.json()["email"] == "ny.bruker@test.example"
    # Tokens cannot mint tokens; an administrator makes one for the integration with the CLI.
    assert client.post("/api/v1/tokens", json={"name": "x", "user_id": user.json()["id"]}).status_code == 403
    result = CliRunner().invoke(
        cli, ["tokens", "create", "--user", "ny.bruker@test.example", "--name", "integrasjon", "--scope", "read_write"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert secret.startswith("rk_")
    listed = client.get("/api/v1/tokens", params={"user_id": user.json()["id"]}).json()["items"]
    assert listed[0]["prefix"] == secret[:10]
    assert listed[0]["scope"] == "read_write"
    headers = {"Authorization": f"Bearer {secret}"}
    assert anon.get("/api/v1/me", headers=headers).json()["user"]["email"] == "ny.bruker@test.example"
    revoke = client.delete(f"/api/v1/tokens/{listed[0]['id']}", headers={"If-Match": f'"{listed[0]["version"]}"'})
    assert revoke.json()["revoked_at"] is not None
    assert anon.get("/api/v1/me", headers=headers).status_code == 401

    everything = json.dumps(client.get("/api/v1/audit-events", params={"limit": 500}).json())
    everything += json.dumps(client.get("/api/v1/users").json()) + json.dumps(listed)
    for leak in (password, secret, "$argon2"):
        assert leak not in everything
        assert leak not in caplog.text


def test_bad_credentials_are_401_not_anonymous(anon: TestClient) -> None:
    for header in ("Bearer rk_unknown", "Basic dXNlcjpwYXNz", "Bearer "):
        response = anon.get(API, headers={"Authorization": header})
        assert response.status_code == 401
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_catalogue_can_require_login(
    anon: TestClient, make_token: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert anon.get(API).status_code == 200
    monkeypatch.setenv("REHABKART_PUBLIC_CATALOGUE", "false")
    get_settings.cache_clear()
    try:
        assert anon.get(API).status_code == 401
        assert anon.get("/api/v1/municipalities").status_code == 401
        viewer = {"Authorization": f"Bearer {make_token(Role.viewer, scope=TokenScope.read)}"}
        assert anon.get(API, headers=viewer).status_code == 200
    finally:
        monkeypatch.delenv("REHABKART_PUBLIC_CATALOGUE")
        get_settings.cache_clear()


def follow_feed(client: TestClient, cursor: str | None, limit: int = 7) -> tuple[list[dict[str, Any]], str]:
    params: dict[str, Any] = {"limit": limit}
    if cursor:
        params["since"] = cursor
    body = client.get("/api/v1/changes", params=params).json()
    return body["items"], body["next_cursor"]


def test_change_feed_lists_creates_updates_and_deletes_in_order(
    client: TestClient, anon: TestClient, fonna: int
) -> None:
    _, cursor = follow_feed(client, None, limit=1000)
    while True:  # skip what happened before this test
        items, cursor = follow_feed(client, cursor, limit=1000)
        if not items:
            break
    service = make_service(fonna)
    client.patch(f"{API}/{service['id']}", json={"name": "Nytt"}, headers={"If-Match": '"1"'})
    client.delete(f"{API}/{service['id']}", headers={"If-Match": '"2"'})
    items, cursor = follow_feed(client, cursor)
    assert [(i["action"], i["version"]) for i in items] == [("create", 1), ("update", 2), ("delete", 3)]
    assert items[0]["url"] == f"{API}/{service['id']}"
    assert follow_feed(client, cursor)[0] == []
    assert anon.get("/api/v1/changes").status_code == 401


def test_a_client_following_the_feed_sees_every_change_exactly_once(client: TestClient, fonna: int) -> None:
    """Writers keep committing while the reader pages; every write must show up once."""
    _, start = follow_feed(client, None, limit=1000)
    while True:
        items, nxt = follow_feed(client, start, limit=1000)
        if not items:
            break
        start = nxt
    writes: list[tuple[str, int]] = []
    lock = threading.Lock()

    def writer(worker: int) -> None:
        for i in range(6):
            service = create_service(client, fonna, name=f"Tilbud {worker}-{i}")
            response = client.patch(
                f"{API}/{service['id']}", json={"waiting_time_days": i}, headers={"If-Match": '"1"'}
            )
            assert response.status_code == 200
            with lock:
                writes.extend([(str(service["id"]), 1), (str(service["id"]), 2)])

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(3)]
    for t in threads:
        t.start()
    seen: list[tuple[str, int]] = []
    cursor = start
    while any(t.is_alive() for t in threads):
        items, cursor = follow_feed(client, cursor, limit=3)
        seen += [(i["entity_id"], i["version"]) for i in items if i["entity_type"] == "rehab_service"]
    for t in threads:
        t.join()
    while True:
        items, cursor = follow_feed(client, cursor, limit=3)
        if not items:
            break
        seen += [(i["entity_id"], i["version"]) for i in items if i["entity_type"] == "rehab_service"]
    assert len(seen) == len(set(seen)), "a change was delivered twice"
    assert sorted(seen) == sorted(writes), "a change was missed"
