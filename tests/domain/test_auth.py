"""Accounts (app/domain/auth): users, API tokens, web sessions and login throttling, on the real database."""

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlmodel import col

from app.db import transaction
from app.domain import auth
from app.domain.actor import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionRequired, StaleVersion, Throttled
from app.kit.secrets import digest
from app.models.audit import AuditEvent
from app.models.auth import (
    ApiToken,
    LoginFailure,
    Role,
    TokenCreate,
    TokenScope,
    User,
    UserCreate,
    UserKind,
    UserSession,
    UserUpdate,
)
from app.models.types import as_utc, utcnow
from app.settings import get_settings
from tests.factories import PASSWORD, SYSTEM, find_org_id, fingerprint, make_user

# ---------------------------------------------------------------- helpers


def user_row(email: str) -> User:
    with transaction() as session:
        user = auth.find_user_by_email(session, email)
    assert user is not None
    assert user.id is not None
    return user


def user_id(email: str) -> int:
    found = user_row(email).id
    assert found is not None
    return found


def actor_of(email: str) -> Actor:
    """The user as they act with a browser session."""
    user = user_row(email)
    with transaction() as session:
        return auth.actor_for_user(session, user)


def new_token(owner: int, **fields: Any) -> dict[str, Any]:
    with transaction() as session:
        return auth.create_token(session, SYSTEM, TokenCreate(name="t", user_id=owner, **fields))


def resolve_token(secret: str) -> auth.Resolved | None:
    with transaction() as session:
        return auth.resolve_token(session, secret)


def resolve_session(secret: str) -> auth.Resolved | None:
    with transaction() as session:
        return auth.resolve_session(session, secret)


def audit_actions(entity_type: str, entity_id: int) -> list[str]:
    with transaction() as session:
        return list(
            session.execute(
                select(col(AuditEvent.action))
                .where(col(AuditEvent.entity_type) == entity_type, col(AuditEvent.entity_id) == str(entity_id))
                .order_by(col(AuditEvent.id))
            ).scalars()
        )


def failures() -> int:
    with transaction() as session:
        return int(session.execute(select(func.count()).select_from(LoginFailure)).scalar_one())


# ---------------------------------------------------------------- users


def test_create_user_stores_a_hash_and_lowercases_the_email(database_url: str) -> None:
    fonna = find_org_id("Helse Fonna HF")
    with transaction() as session:
        created = auth.create_user(
            session,
            SYSTEM,
            UserCreate(
                email="Kari.Nordmann@Test.Example",
                name="Kari",
                role=Role.editor,
                organisation_ids=[fonna, fonna],
                password=PASSWORD,
            ),
        )
    assert created["email"] == "kari.nordmann@test.example"
    assert (created["role"], created["kind"], created["active"], created["version"]) == ("editor", "person", True, 1)
    assert created["organisation_ids"] == [fonna]
    assert "password" not in created
    assert "password_hash" not in created
    row = user_row("KARI.NORDMANN@test.example  ")
    assert row.password_hash is not None
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert audit_actions("user", created["id"]) == ["create"]
    with transaction() as session:
        event = session.execute(select(AuditEvent).where(col(AuditEvent.entity_type) == "user")).scalar_one()
    assert event.changes["email"] == [None, "kari.nordmann@test.example"]
    assert not {"password", "password_hash"} & set(event.changes)


@pytest.mark.parametrize(
    ("data", "error", "message"),
    [
        (UserCreate(email="dup@test.example", name="D"), Conflict, "already exists"),
        (UserCreate(email="DUP@test.example", name="D"), Conflict, "already exists"),
        (
            UserCreate(email="robot@test.example", name="R", kind=UserKind.integration, password=PASSWORD),
            InvalidInput,
            "Integration clients have no password",
        ),
        (UserCreate(email="ny@test.example", name="N", organisation_ids=[2_000_000_000]), InvalidInput, "Unknown"),
    ],
)
def test_create_user_refusals_write_nothing(
    database_url: str, data: UserCreate, error: type[Exception], message: str
) -> None:
    make_user("dup@test.example")
    before = fingerprint()
    with pytest.raises(error, match=message), transaction() as session:
        auth.create_user(session, SYSTEM, data)
    assert fingerprint() == before


def test_only_administrators_create_users(database_url: str) -> None:
    editor = actor_of(make_user("redaktor@test.example", Role.editor, [find_org_id("Helse Fonna HF")]))
    before = fingerprint()
    with pytest.raises(Forbidden), transaction() as session:
        auth.create_user(session, editor, UserCreate(email="ny@test.example", name="N"))
    assert fingerprint() == before


def test_unknown_organisations_are_named_by_their_position(database_url: str) -> None:
    fonna = find_org_id("Helse Fonna HF")
    with pytest.raises(InvalidInput) as raised, transaction() as session:
        auth.create_user(
            session, SYSTEM, UserCreate(email="x@test.example", name="X", organisation_ids=[fonna, 2_000_000_000])
        )
    assert [e.loc for e in raised.value.errors] == [("body", "organisation_ids", 1)]


def test_update_user_needs_the_current_version(database_url: str) -> None:
    uid = user_id(make_user("u@test.example", Role.viewer))
    before = fingerprint()
    with pytest.raises(PreconditionRequired), transaction() as session:
        auth.update_user(session, SYSTEM, uid, UserUpdate(name="Ny"), None)
    with pytest.raises(StaleVersion) as stale, transaction() as session:
        auth.update_user(session, SYSTEM, uid, UserUpdate(name="Ny"), '"9"')
    assert stale.value.current_version == 1
    assert fingerprint() == before

    with transaction() as session:
        changed = auth.update_user(session, SYSTEM, uid, UserUpdate(name="Ny", role=Role.editor), '"1"')
    assert (changed["name"], changed["role"], changed["version"]) == ("Ny", "editor", 2)
    with transaction() as session:  # the same values again are no new version
        again = auth.update_user(session, SYSTEM, uid, UserUpdate(name="Ny"), '"2"')
    assert again["version"] == 2
    with transaction() as session:
        starred = auth.update_user(session, SYSTEM, uid, UserUpdate(name="Tredje"), "*")
    assert starred["version"] == 3
    assert audit_actions("user", uid) == ["create", "update", "update"]


def test_update_user_checks_the_body_before_the_version(database_url: str) -> None:
    """422 before 412: a bad change with a stale If-Match is reported as the bad change."""
    uid = user_id(make_user("u@test.example"))
    before = fingerprint()
    with pytest.raises(InvalidInput, match="may not be null"), transaction() as session:
        auth.update_user(session, SYSTEM, uid, UserUpdate(name=None), '"9"')
    with pytest.raises(InvalidInput, match="Unknown organisation"), transaction() as session:
        auth.update_user(session, SYSTEM, uid, UserUpdate(organisation_ids=[2_000_000_000]), '"9"')
    with pytest.raises(NotFound), transaction() as session:
        auth.update_user(session, SYSTEM, 2_000_000_000, UserUpdate(name="X"), '"1"')
    assert fingerprint() == before


def test_update_user_sets_organisations_and_deactivation_ends_sessions(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    row, uid = user_row(email), user_id(email)
    fonna, bergen = find_org_id("Helse Fonna HF"), find_org_id("Helse Bergen HF")
    with transaction() as session:
        auth.start_session(session, row)
        changed = auth.update_user(session, SYSTEM, uid, UserUpdate(organisation_ids=[bergen, fonna]), '"1"')
    assert changed["organisation_ids"] == sorted([fonna, bergen])
    assert actor_of(email).organisation_ids == frozenset({fonna, bergen})
    with transaction() as session:
        assert session.execute(select(func.count()).select_from(UserSession)).scalar_one() == 1
        auth.update_user(session, SYSTEM, uid, UserUpdate(active=False), '"2"')
        assert session.execute(select(func.count()).select_from(UserSession)).scalar_one() == 0


def test_list_users_is_for_administrators_reading(database_url: str) -> None:
    editor = actor_of(make_user("redaktor@test.example", Role.editor))
    admin = actor_of(make_user("admin@test.example", Role.admin))
    with transaction() as session:
        emails = [u["email"] for u in auth.list_users(session, admin)]
        assert emails == ["redaktor@test.example", "admin@test.example"]
        with pytest.raises(Forbidden):
            auth.list_users(session, editor)


def test_set_password_ends_every_session_and_is_audited(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    row, uid, me = user_row(email), user_id(email), actor_of(email)
    other = actor_of(make_user("annen@test.example", Role.editor))
    with transaction() as session:
        secret = auth.start_session(session, row)
    assert resolve_session(secret) is not None
    with transaction() as session:
        auth.set_password(session, me, uid, "a brand new long password")  # one's own
    assert resolve_session(secret) is None
    assert audit_actions("user", uid) == ["create", "login", "password_reset"]
    assert login(email, "a brand new long password").id == uid
    with pytest.raises(Forbidden), transaction() as session:
        auth.set_password(session, other, uid, "not yours to change")


def test_integration_clients_have_no_password(database_url: str) -> None:
    with transaction() as session:
        robot = auth.create_user(
            session, SYSTEM, UserCreate(email="robot@test.example", name="R", kind=UserKind.integration)
        )
    with pytest.raises(Conflict, match="no password"), transaction() as session:
        auth.set_password(session, SYSTEM, robot["id"], "a long password here")


# ---------------------------------------------------------------- tokens


def test_a_token_is_shown_once_and_stored_as_a_hash(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    uid, owner = user_id(email), actor_of(email)
    created = new_token(uid, scope=TokenScope.read_write, expires_in_days=None)
    secret = created["token"]
    assert secret.startswith(auth.TOKEN_PREFIX)
    assert created["prefix"] == secret[:10]
    assert (created["user_id"], created["scope"], created["expires_at"], created["version"]) == (
        uid,
        "read_write",
        None,
        1,
    )
    with transaction() as session:
        row = session.get(ApiToken, created["id"])
        assert row is not None
        assert row.token_hash == digest(secret)
        assert secret not in (row.token_hash, row.prefix)
        listed = auth.list_tokens(session, owner)
    assert "token" not in listed[0]
    assert audit_actions("api_token", created["id"]) == ["create"]


def test_a_token_resolves_to_its_user_scope_and_organisation(database_url: str) -> None:
    fonna = find_org_id("Helse Fonna HF")
    uid = user_id(make_user("u@test.example", Role.editor, [fonna]))
    created = new_token(uid, scope=TokenScope.read, organisation_id=fonna, expires_in_days=30)
    resolved = resolve_token(created["token"])
    assert resolved is not None
    actor = resolved.actor
    assert (actor.kind, actor.user_id, actor.token_id, actor.role) == ("token", uid, created["id"], Role.editor)
    assert (actor.scope, actor.token_organisation_id, actor.organisation_ids) == (
        TokenScope.read,
        fonna,
        frozenset({fonna}),
    )
    assert actor.label == f"u@test.example (token {created['id']})"
    assert resolved.stale_touch is True  # never used: the first use is written
    expires = as_utc(created["expires_at"])
    assert timedelta(days=29) < expires - utcnow() <= timedelta(days=30)
    with transaction() as session:
        session.execute(update(ApiToken).values(last_used_at=utcnow()))
    touched = resolve_token(created["token"])
    assert touched is not None
    assert touched.stale_touch is False


@pytest.mark.parametrize("secret", ["", "rk_unknown", "no-prefix", "rk_" + "x" * 100])
def test_unknown_tokens_do_not_resolve(database_url: str, secret: str) -> None:
    assert resolve_token(secret) is None


def test_expired_and_deactivated_tokens_do_not_resolve(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    uid = user_id(email)
    expired, inactive = new_token(uid), new_token(uid)
    with transaction() as session:
        session.execute(
            update(ApiToken).where(col(ApiToken.id) == expired["id"]).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert resolve_token(expired["token"]) is None
    assert resolve_token(inactive["token"]) is not None
    with transaction() as session:
        auth.update_user(session, SYSTEM, uid, UserUpdate(active=False), "*")
    assert resolve_token(inactive["token"]) is None
    with pytest.raises(Conflict, match="deactivated"), transaction() as session:
        auth.create_token(session, SYSTEM, TokenCreate(name="t", user_id=uid))


def test_revoking_needs_the_current_version_and_takes_effect_at_once(database_url: str) -> None:
    uid = user_id(make_user("u@test.example", Role.editor))
    created = new_token(uid)
    before = fingerprint()
    with pytest.raises(PreconditionRequired), transaction() as session:
        auth.revoke_token(session, SYSTEM, created["id"], None)
    with pytest.raises(StaleVersion), transaction() as session:
        auth.revoke_token(session, SYSTEM, created["id"], '"2"')
    assert fingerprint() == before
    with transaction() as session:
        revoked = auth.revoke_token(session, SYSTEM, created["id"], '"1"')
    assert revoked["revoked_at"] is not None
    assert revoked["version"] == 2
    assert resolve_token(created["token"]) is None
    with transaction() as session:  # revoking again changes nothing
        again = auth.revoke_token(session, SYSTEM, created["id"], '"2"')
    assert (again["version"], again["revoked_at"]) == (2, revoked["revoked_at"])
    assert audit_actions("api_token", created["id"]) == ["create", "revoke"]


def test_who_may_create_and_revoke_tokens(database_url: str) -> None:
    fonna = find_org_id("Helse Fonna HF")
    email = make_user("u@test.example", Role.editor, [fonna])
    uid = user_id(email)
    other = user_id(make_user("annen@test.example", Role.editor))
    person = actor_of(email)
    with transaction() as session:
        own = auth.create_token(session, person, TokenCreate(name="mine"))  # for oneself, with a session
    assert own["user_id"] == uid
    theirs = new_token(other)
    by_token = resolve_token(new_token(uid, scope=TokenScope.read_write)["token"])
    read_only = resolve_token(new_token(uid, scope=TokenScope.read)["token"])
    restricted = resolve_token(new_token(uid, scope=TokenScope.read_write, organisation_id=fonna)["token"])
    assert by_token is not None
    assert read_only is not None
    assert restricted is not None
    before = fingerprint()
    refusals: list[tuple[Any, type[Exception], str]] = [
        (lambda s: auth.create_token(s, by_token.actor, TokenCreate(name="x")), Forbidden, "Tokens cannot create"),
        (lambda s: auth.create_token(s, person, TokenCreate(name="x", user_id=other)), Forbidden, "administrator"),
        (lambda s: auth.revoke_token(s, read_only.actor, own["id"], "*"), Forbidden, "read-only token"),
        (lambda s: auth.revoke_token(s, restricted.actor, own["id"], "*"), Forbidden, "restricted to organisation"),
        (lambda s: auth.revoke_token(s, person, theirs["id"], "*"), NotFound, f"No token with id {theirs['id']}"),
        (lambda s: auth.revoke_token(s, person, 2_000_000_000, "*"), NotFound, "No token"),
    ]
    for call, error, message in refusals:
        with pytest.raises(error, match=message), transaction() as session:
            call(session)
    assert fingerprint() == before
    with transaction() as session:
        assert auth.revoke_token(session, by_token.actor, own["id"], "*")["revoked_at"] is not None  # own token


def test_list_tokens_shows_ones_own_and_everyone_to_administrators(database_url: str) -> None:
    editor, admin = make_user("u@test.example", Role.editor), make_user("admin@test.example", Role.admin)
    mine, admins = user_id(editor), user_id(admin)
    a, b = new_token(mine), new_token(admins)
    as_editor, as_admin = actor_of(editor), actor_of(admin)
    with transaction() as session:
        assert [t["id"] for t in auth.list_tokens(session, as_editor)] == [a["id"]]
        assert [t["id"] for t in auth.list_tokens(session, as_admin)] == [a["id"], b["id"]]
        assert [t["id"] for t in auth.list_tokens(session, as_admin, mine)] == [a["id"]]
        with pytest.raises(Forbidden):
            auth.list_tokens(session, as_editor, admins)
        with pytest.raises(Forbidden, match="Log in"):
            auth.list_tokens(session, SYSTEM)


# ---------------------------------------------------------------- sessions


def test_a_session_resolves_until_it_ends(database_url: str) -> None:
    user = user_row(make_user("u@test.example", Role.editor))
    with transaction() as session:
        secret = auth.start_session(session, user)
        row = session.execute(select(UserSession)).scalar_one()
    assert row.token_hash == digest(secret)
    limit = timedelta(hours=get_settings().session_absolute_hours)
    assert as_utc(row.expires_at) - as_utc(row.created_at) == limit
    resolved = resolve_session(secret)
    assert resolved is not None
    assert (resolved.actor.kind, resolved.actor.user_id, resolved.actor.session_id) == ("user", row.user_id, row.id)
    assert resolved.actor.scope is None  # a browser has the role's full rights
    assert resolved.stale_touch is False  # just seen
    assert audit_actions("user", row.user_id) == ["create", "login"]
    with transaction() as session:
        auth.end_session(session, secret)
    assert resolve_session(secret) is None


def test_every_login_is_a_new_session_id(database_url: str) -> None:
    user = user_row(make_user("u@test.example", Role.editor))
    with transaction() as session:
        first = auth.start_session(session, user)
        second = auth.start_session(session, user)
    assert first != second
    assert resolve_session(first) is not None
    assert resolve_session(second) is not None


@pytest.mark.parametrize(
    ("column", "age", "resolves", "stale_touch"),
    [
        ("last_seen_at", auth.TOUCH_EVERY / 2, True, False),
        ("last_seen_at", auth.TOUCH_EVERY * 2, True, True),  # seen a while ago: the touch is due
        ("last_seen_at", None, False, None),  # idle for longer than session_idle_minutes
        ("expires_at", timedelta(seconds=1), False, None),  # past its absolute lifetime
    ],
)
def test_session_timeouts(
    database_url: str, column: str, age: timedelta | None, resolves: bool, stale_touch: bool | None
) -> None:
    user = user_row(make_user("u@test.example", Role.editor))
    ago = age if age is not None else timedelta(minutes=get_settings().session_idle_minutes, seconds=1)
    with transaction() as session:
        secret = auth.start_session(session, user)
        session.execute(update(UserSession).values({column: utcnow() - ago}))
    resolved = resolve_session(secret)
    assert (resolved is not None) is resolves
    if resolved is not None:
        assert resolved.stale_touch is stale_touch


@pytest.mark.parametrize("secret", ["", "unknown", "x" * 101])
def test_unknown_sessions_do_not_resolve(database_url: str, secret: str) -> None:
    assert resolve_session(secret) is None


def test_a_deactivated_users_session_does_not_resolve(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    user = user_row(email)
    with transaction() as session:
        secret = auth.start_session(session, user)
        # Deactivation ends the sessions; this one is left behind to show it would not count anyway.
        session.execute(update(User).where(col(User.email) == email).values(active=False))
    assert resolve_session(secret) is None


# ---------------------------------------------------------------- login and throttling


def login(email: str, password: str, client: str = "10.0.0.1") -> User:
    """A login attempt in its own transaction; failures are kept (the caller catches them, as the page does)."""
    with transaction() as session:
        return auth.authenticate(session, email, password, client)


def failed_login(email: str, password: str, client: str = "10.0.0.1") -> None:
    with transaction() as session, pytest.raises(auth.LoginFailed):
        auth.authenticate(session, email, password, client)


def test_authenticate_with_the_right_password(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    assert login(" U@Test.Example ", PASSWORD).email == email
    assert failures() == 0


@pytest.mark.parametrize(
    ("email", "password"),
    [("u@test.example", "not the password"), ("nobody@test.example", PASSWORD), ("u@test.example", "")],
)
def test_wrong_credentials_fail_alike_and_are_counted(database_url: str, email: str, password: str) -> None:
    make_user("u@test.example", Role.editor)
    failed_login(email, password)
    assert failures() == 2  # one for the account, one for the client


def test_inactive_users_and_integration_clients_cannot_log_in(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    uid = user_id(email)
    with transaction() as session:
        auth.update_user(session, SYSTEM, uid, UserUpdate(active=False), "*")
        auth.create_user(session, SYSTEM, UserCreate(email="robot@test.example", name="R", kind=UserKind.integration))
    failed_login(email, PASSWORD)
    failed_login("robot@test.example", "")


def test_an_account_is_throttled_after_too_many_failures(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    for attempt in range(get_settings().login_max_failures_per_account):
        failed_login(email, "wrong password!", client=f"10.0.0.{attempt}")  # from different clients
    before = fingerprint()
    with pytest.raises(Throttled) as throttled:
        login(email, PASSWORD, client="10.9.9.9")  # even the right password, from elsewhere
    assert 1 <= throttled.value.retry_after_seconds <= get_settings().login_window_minutes * 60
    assert fingerprint() == before
    failed_login("other@test.example", "wrong password!", client="10.9.9.9")  # another account is not throttled


def test_a_client_is_throttled_after_too_many_failures(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    for i in range(get_settings().login_max_failures_per_client):
        failed_login(f"guess{i}@test.example", "wrong password!", client="10.6.6.6")
    with pytest.raises(Throttled):
        login(email, PASSWORD, client="10.6.6.6")
    assert login(email, PASSWORD, client="10.0.0.1").email == email  # the account itself is fine


def test_a_successful_login_clears_the_accounts_failures_and_old_ones_are_pruned(database_url: str) -> None:
    email = make_user("u@test.example", Role.editor)
    failed_login(email, "wrong password!")
    failed_login(email, "wrong password!")
    assert failures() == 4
    login(email, PASSWORD)
    with transaction() as session:
        keys = list(session.execute(select(col(LoginFailure.key))).scalars())
    assert keys == ["client:10.0.0.1", "client:10.0.0.1"]  # the client's stay: they guard other accounts
    window = timedelta(minutes=get_settings().login_window_minutes)
    with transaction() as session:
        session.execute(update(LoginFailure).values(at=utcnow() - window - timedelta(seconds=1)))
        session.add(LoginFailure(key="client:10.0.0.2", at=utcnow()))
    with transaction() as session:
        auth.prune_login_failures(session)
    with transaction() as session:
        assert list(session.execute(select(col(LoginFailure.key))).scalars()) == ["client:10.0.0.2"]


def test_throttling_keys_hold_no_email(database_url: str) -> None:
    failed_login("Secret.Person@Test.Example", "wrong password!")
    with transaction() as session:
        keys = set(session.execute(select(col(LoginFailure.key))).scalars())
    assert keys == {f"account:{digest('secret.person@test.example')}", "client:10.0.0.1"}
