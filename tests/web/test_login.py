"""Login and logout in the browser: cookies, CSRF, session lifetime and throttling."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.db import transaction
from app.domain import auth
from app.models.auth import Role, UserUpdate
from app.models.types import utcnow
from app.settings import get_settings
from tests.conftest import SYSTEM
from tests.factories import PASSWORD, browser_login, form_token, make_user, session_count


@pytest.fixture
def user_email(database_url: str) -> str:
    return make_user("koordinator@test.example", Role.editor, name="K")


csrf_token = form_token
login = browser_login


def test_login_sets_a_safe_cookie_and_logout_ends_the_session(anon: TestClient, user_email: str) -> None:
    response = login(anon, user_email)
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("rehabkart_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
    me = anon.get("/api/v1/me").json()
    assert me["user"]["email"] == user_email
    assert me["kind"] == "user"
    token = csrf_token(anon, "/")
    assert anon.post("/logout", data={"csrftoken": token}, follow_redirects=False).status_code == 303
    assert anon.get("/api/v1/me").status_code == 401
    assert session_count() == 0


def test_a_new_session_id_at_every_login(anon: TestClient, user_email: str) -> None:
    login(anon, user_email)
    first = anon.cookies.get("rehabkart_session")
    login(anon, user_email)
    second = anon.cookies.get("rehabkart_session")
    assert first != second
    assert session_count() == 1  # the old session was ended


def test_wrong_password_and_unknown_email_get_the_same_answer(anon: TestClient, user_email: str) -> None:
    wrong = login(anon, user_email, "not the password")
    unknown = login(anon, "nobody@test.example", "not the password")
    assert wrong.status_code == unknown.status_code == 422
    assert "Feil e-post eller passord." in wrong.text
    assert wrong.text.replace(user_email, "") == unknown.text.replace("nobody@test.example", "")


def test_login_is_throttled_per_account(anon: TestClient, user_email: str) -> None:
    for _ in range(get_settings().login_max_failures_per_account):
        assert login(anon, user_email, "wrong password!").status_code == 422
    throttled = login(anon, user_email)  # even the right password is refused for now
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) > 0
    assert session_count() == 0


def test_login_is_throttled_per_client(anon: TestClient, user_email: str) -> None:
    for i in range(get_settings().login_max_failures_per_client):
        login(anon, f"guess{i}@test.example", "wrong password!")
    assert login(anon, user_email).status_code == 429


def test_password_reset_and_deactivation_end_sessions_at_once(anon: TestClient, user_email: str) -> None:
    login(anon, user_email)
    assert anon.get("/api/v1/me").status_code == 200
    with transaction() as session:
        user = auth.find_user_by_email(session, user_email)
        assert user is not None
        assert user.id is not None
        auth.set_password(session, SYSTEM, user.id, "another long password")
    assert anon.get("/api/v1/me").status_code == 401
    login(anon, user_email, "another long password")
    assert anon.get("/api/v1/me").status_code == 200
    with transaction() as session:
        auth.update_user(session, SYSTEM, user.id, UserUpdate(active=False), "*")
    assert anon.get("/api/v1/me").status_code == 401


def test_idle_and_absolute_timeouts(anon: TestClient, user_email: str) -> None:
    login(anon, user_email)
    idle = timedelta(minutes=get_settings().session_idle_minutes + 1)
    with transaction() as session:
        session.execute(text("UPDATE user_session SET last_seen_at = :t"), {"t": utcnow() - idle})
    assert anon.get("/api/v1/me").status_code == 401
    login(anon, user_email)
    with transaction() as session:
        session.execute(text("UPDATE user_session SET expires_at = :t"), {"t": utcnow() - timedelta(seconds=1)})
    assert anon.get("/api/v1/me").status_code == 401


def test_form_posts_without_the_csrf_token_are_refused(anon: TestClient, user_email: str) -> None:
    login(anon, user_email)
    missing = anon.post("/logout", data={}, follow_redirects=False)
    assert missing.status_code == 403
    wrong = anon.post("/logout", data={"csrftoken": "forged"}, follow_redirects=False)
    assert wrong.status_code == 403
    assert session_count() == 1
    assert anon.get("/api/v1/me").status_code == 200


def test_cookie_authenticated_api_writes_need_the_csrf_header(anon: TestClient, database_url: str) -> None:
    login(anon, make_user("a@test.example", Role.admin, name="A"))
    body = {"kind": "other", "name": "Via nettleser"}
    refused = anon.post("/api/v1/organisations", json=body)
    assert refused.status_code == 403
    assert anon.get("/api/v1/organisations", params={"q": "Via nettleser"}).json()["items"] == []
    allowed = anon.post("/api/v1/organisations", json=body, headers={"X-CSRFToken": csrf_token(anon, "/")})
    assert allowed.status_code == 201


def test_next_only_redirects_inside_the_site(anon: TestClient, user_email: str) -> None:
    token = csrf_token(anon)
    response = anon.post(
        "/login",
        data={"csrftoken": token, "email": user_email, "password": PASSWORD, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"
