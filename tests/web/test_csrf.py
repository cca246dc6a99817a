"""CSRF: the token is bound to the session, the request must come from our own origin, login included."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import transaction
from app.main import create_app
from app.settings import get_settings
from tests.factories import PASSWORD, browser_login, form_token, make_service, make_user, session_count


def _verified(service_id: int) -> bool:
    with transaction() as session:
        value = session.execute(
            text("SELECT last_verified_on FROM rehab_service WHERE id = :id"), {"id": service_id}
        ).scalar_one()
    return value is not None


@pytest.fixture
def service_id(fonna: int) -> int:
    return int(make_service(fonna)["id"])


@pytest.fixture
def victim(anon: TestClient) -> TestClient:
    assert browser_login(anon, make_user("offer@test.example")).status_code == 303
    return anon


def test_a_token_planted_next_to_a_real_session_is_refused(victim: TestClient, service_id: int) -> None:
    """The finding: a page on another port planted its own valid cookie + token pair and auto-posted."""
    with TestClient(create_app()) as attacker:
        browser_login(attacker, make_user("angriper@test.example"))
        attackers_token = form_token(attacker, "/")  # valid, but for the attacker's own session
        attacker.post("/logout", data={"csrftoken": attackers_token})
        before_login_token = form_token(attacker, "/login")  # and one bound to a pre-login cookie
        planted = attacker.cookies.get("rehabkart_csrf")
    assert planted
    victim.cookies.set("rehabkart_csrf", planted)
    for token in (attackers_token, before_login_token):
        response = victim.post(f"/rehab-services/{service_id}/verify", data={"csrftoken": token})
        assert response.status_code == 403, response.text
        assert "Skjemaet var utløpt" in response.text
    assert not _verified(service_id)
    # The victim's own form still works.
    mine = form_token(victim, f"/rehab-services/{service_id}")
    response = victim.post(f"/rehab-services/{service_id}/verify", data={"csrftoken": mine}, follow_redirects=False)
    assert response.status_code == 303
    assert _verified(service_id)


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:8300"},  # another port is another origin
        {"Origin": "http://evil.testserver"},  # a sibling subdomain
        {"Origin": "null"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
    ],
)
def test_a_post_from_another_origin_is_refused_even_with_the_right_token(
    victim: TestClient, service_id: int, headers: dict[str, str]
) -> None:
    token = form_token(victim, f"/rehab-services/{service_id}")
    response = victim.post(f"/rehab-services/{service_id}/verify", data={"csrftoken": token}, headers=headers)
    assert response.status_code == 403
    assert not _verified(service_id)
    api = victim.post(
        "/api/v1/organisations",
        json={"kind": "other", "name": "Fra en annen side"},
        headers={**headers, "X-CSRFToken": token},
    )
    assert api.status_code == 403
    assert api.json()["type"] == "/problems/csrf"


def test_our_own_origin_is_accepted(victim: TestClient, service_id: int) -> None:
    token = form_token(victim, f"/rehab-services/{service_id}")
    response = victim.post(
        f"/rehab-services/{service_id}/verify",
        data={"csrftoken": token},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_login_from_another_origin_or_without_a_token_is_refused(anon: TestClient) -> None:
    """Login CSRF: no one may log a browser into an account of their choosing."""
    email = make_user("konto@test.example")
    form = {"email": email, "password": PASSWORD, "next": "/"}
    bare = anon.post("/login", data=form, headers={"Origin": "http://evil.example"}, follow_redirects=False)
    assert bare.status_code == 403
    fresh = anon.post("/login", data=form, follow_redirects=False)  # no cookie and no token at all
    assert fresh.status_code == 403
    token = form_token(anon, "/login")
    cross = anon.post(
        "/login", data={**form, "csrftoken": token}, headers={"Origin": "http://evil.example"}, follow_redirects=False
    )
    assert cross.status_code == 403
    assert session_count() == 0
    assert "rehabkart_session" not in anon.cookies
    assert browser_login(anon, email).status_code == 303


@pytest.fixture
def https_client(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("REHABKART_COOKIE_SECURE", "true")
    get_settings.cache_clear()
    with TestClient(create_app(), base_url="https://testserver") as client:
        yield client
    monkeypatch.delenv("REHABKART_COOKIE_SECURE")
    get_settings.cache_clear()


def test_cookies_over_https_use_the_host_prefix(https_client: TestClient) -> None:
    email = make_user("https@test.example")
    response = browser_login(https_client, email)
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("__Host-rehabkart_session="))
    assert "Secure" in cookie
    assert "Path=/" in cookie
    assert "Domain" not in cookie
    assert https_client.get("/api/v1/me").json()["user"]["email"] == email
    # A cookie without the prefix (which any subdomain or plain-http page could set) is not read over https.
    secret = https_client.cookies.get("__Host-rehabkart_session")
    with TestClient(create_app(), base_url="https://testserver") as other:
        other.cookies.set("rehabkart_session", str(secret))
        assert other.get("/api/v1/me").status_code == 401
