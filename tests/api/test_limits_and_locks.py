"""Request bodies are capped while they stream; a long write never makes a read wait or answer 500."""

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from starlette.types import Message, Scope

from app.db import reset_engines, transaction
from app.domain import last_use
from app.main import create_app
from app.models.types import utcnow
from tests.conftest import TokenFactory
from tests.factories import service_body, write_lock_held

LIMIT = 1_000_000  # REHABKART_MAX_BODY_BYTES' default


def _call(method: str, path: str, chunks: list[bytes], headers: dict[str, str]) -> tuple[int, dict[str, str], Any, int]:
    """Call the app as a server would, streaming `chunks`; (status, headers, body, chunks it read)."""
    app = create_app()
    read = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal read
        if read < len(chunks):
            read += 1
            return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in {"host": "testserver", **headers}.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    anyio.run(app, scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    response_headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], response_headers, json.loads(body), read


def test_a_declared_oversized_body_is_refused_unread_also_for_anonymous_callers(anon: TestClient) -> None:
    body = json.dumps({"name": "x" * (LIMIT + 10)}).encode()
    chunks = [body[i : i + 65_536] for i in range(0, len(body), 65_536)]
    status, headers, problem, read = _call(
        "POST",
        "/api/v1/rehab-services",
        chunks,
        {"content-type": "application/json", "content-length": str(len(body))},
    )
    assert (status, problem["type"], read) == (413, "/problems/request-too-large", 0)
    assert headers["content-type"] == "application/problem+json"


def test_a_streamed_oversized_body_is_stopped_at_the_limit(database_url: str, make_token: TokenFactory) -> None:
    """No Content-Length: the size shows only while it streams, and reading stops right past the limit."""
    chunks = [b'{"name": "'] + [b"x" * 65_536] * 800 + [b'"}']  # 52 MB
    status, _headers, problem, read = _call(
        "POST",
        "/api/v1/rehab-services",
        chunks,
        {"content-type": "application/json", "authorization": f"Bearer {make_token()}"},
    )
    assert (status, problem["type"]) == (413, "/problems/request-too-large")
    assert read <= LIMIT // 65_536 + 2


def test_anonymous_writes_are_refused_before_the_body_is_read(database_url: str) -> None:
    chunks = [b'{"name": "'] + [b"x" * 65_536] * 10 + [b'"}']
    for headers in ({}, {"authorization": "Bearer rk_unknown"}):
        status, response_headers, problem, read = _call(
            "POST", "/api/v1/organisations", chunks, {"content-type": "application/json", **headers}
        )
        assert (status, problem["type"], read) == (401, "/problems/unauthenticated", 0)
        assert response_headers["www-authenticate"].startswith("Bearer")


def test_bodies_under_the_limit_still_work(client: TestClient, fonna: int) -> None:
    response = client.post("/api/v1/rehab-services", json=service_body(fonna, description="x" * 4_000))
    assert response.status_code == 201


@pytest.fixture
def short_lock_timeout(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REHABKART_DB_LOCK_TIMEOUT_SECONDS", "1")
    reset_engines()
    yield
    monkeypatch.delenv("REHABKART_DB_LOCK_TIMEOUT_SECONDS")
    reset_engines()


def _age_token_use(token: str) -> None:
    """Make the token's last use old enough that this request wants to record a new one."""
    import hashlib

    with transaction() as session:
        session.execute(
            text("UPDATE api_token SET last_used_at = :t WHERE token_hash = :h"),
            {"t": utcnow() - timedelta(hours=1), "h": hashlib.sha256(token.encode()).hexdigest()},
        )


def _last_used(token: str) -> Any:
    import hashlib

    with transaction() as session:
        return session.execute(
            text("SELECT last_used_at FROM api_token WHERE token_hash = :h"),
            {"h": hashlib.sha256(token.encode()).hexdigest()},
        ).scalar_one()


def test_token_reads_do_not_wait_for_a_writer(short_lock_timeout: None, make_token: TokenFactory) -> None:
    """The finding: a GET with a token queued behind an import to write last_used_at, then answered 500."""
    token = make_token()
    _age_token_use(token)
    before = _last_used(token)
    with TestClient(create_app()) as client, write_lock_held() as release:
        client.headers["Authorization"] = f"Bearer {token}"
        for path in ("/api/v1/me", "/api/v1/rehab-services", "/api/v1/audit-events?limit=1"):
            response = client.get(path)
            assert response.status_code == 200, response.text
        assert not release.is_set(), "the reads were answered while the writer still held the lock"
    # The use is written once the lock is free.
    assert last_use.flush()
    assert _last_used(token) != before


def test_a_write_that_cannot_get_the_lock_is_a_503_with_retry_after(
    short_lock_timeout: None, make_token: TokenFactory
) -> None:
    token = make_token()
    with TestClient(create_app()) as client, write_lock_held():
        client.headers["Authorization"] = f"Bearer {token}"
        response = client.post("/api/v1/organisations", json={"kind": "other", "name": "Venter"})
    assert response.status_code == 503, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/busy"
    assert int(response.headers["retry-after"]) >= 1
