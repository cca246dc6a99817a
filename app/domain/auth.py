"""Who may do what: actors, passwords, web sessions, API tokens, login throttling and user admin."""

import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlmodel import Session, col

from app.domain import audit
from app.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound, Throttled
from app.domain.versioning import check_version, require_if_match
from app.models import Organisation
from app.models.auth import (
    ApiToken,
    LoginFailure,
    Role,
    TokenCreate,
    TokenRead,
    TokenScope,
    User,
    UserCreate,
    UserKind,
    UserOrganisation,
    UserRead,
    UserSession,
    UserUpdate,
)
from app.models.base import shaped
from app.models.types import as_utc, utcnow
from app.settings import get_settings

_hasher = PasswordHasher()
# Verified against when the email is unknown, so both paths take as long.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))
TOKEN_PREFIX = "rk_"  # noqa: S105 (a marker, not a secret)


@dataclass(frozen=True)
class Actor:
    """Whoever is making a request or running a command, and what they may do."""

    kind: Literal["anonymous", "user", "token", "system"]
    label: str
    user_id: int | None = None
    token_id: int | None = None
    role: Role | None = None
    organisation_ids: frozenset[int] = field(default_factory=frozenset)
    scope: TokenScope | None = None  # None: a browser session or the CLI, with the role's full rights
    token_organisation_id: int | None = None
    session_id: int | None = None
    request_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def restricted(self) -> bool:
        """A token restricted to one organisation carries no administration rights, whatever its user's role."""
        return self.token_organisation_id is not None

    @property
    def is_admin(self) -> bool:
        """May administer users, tokens, organisations and read the audit trail with write rights."""
        return self.kind == "system" or (
            self.role == Role.admin and self.scope != TokenScope.read and not self.restricted
        )

    @property
    def reads_as_admin(self) -> bool:
        """Admins may read everything (the audit trail, every token), also through a read-only token."""
        return self.kind == "system" or (self.role == Role.admin and not self.restricted)

    @property
    def can_write(self) -> bool:
        return self.kind == "system" or (self.role in (Role.admin, Role.editor) and self.scope != TokenScope.read)

    def writable_organisations(self) -> frozenset[int] | None:
        """The organisations whose data the actor may change; None means every organisation."""
        if not self.can_write:
            return frozenset()
        if self.restricted:
            assert self.token_organisation_id is not None
            mine = (
                self.kind == "system" or self.role == Role.admin or self.token_organisation_id in self.organisation_ids
            )
            return frozenset({self.token_organisation_id}) if mine else frozenset()
        return None if self.is_admin else self.organisation_ids

    def may_write_org(self, organisation_id: int) -> bool:
        allowed = self.writable_organisations()
        return allowed is None or organisation_id in allowed

    def with_request(self, request_id: str | None) -> "Actor":
        return replace(self, request_id=request_id)


ANONYMOUS = Actor(kind="anonymous", label="anonymous")


def system_actor(label: str) -> Actor:
    return Actor(kind="system", label=label)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(_no_admin_reason(actor))


def require_admin_reader(actor: Actor) -> None:
    if not actor.reads_as_admin:
        raise Forbidden(_no_admin_reason(actor))


def _no_admin_reason(actor: Actor) -> str:
    if actor.restricted:
        return (
            f"This token is restricted to organisation {actor.token_organisation_id}: it cannot administer users, "
            "tokens or organisations, nor read the audit trail"
        )
    return "Only an administrator may do this"


def require_org_write(actor: Actor, organisation_id: int) -> None:
    if not actor.may_write_org(organisation_id):
        if not actor.can_write:
            raise Forbidden("Your account or token may only read")
        raise Forbidden(f"You may not change data of organisation {organisation_id}")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


# --- passwords and users --------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _user_org_ids(session: Session, user_id: int) -> frozenset[int]:
    rows = session.execute(
        select(col(UserOrganisation.organisation_id)).where(col(UserOrganisation.user_id) == user_id)
    ).scalars()
    return frozenset(rows)


def actor_for_user(session: Session, user: User, **extra: Any) -> Actor:
    assert user.id is not None
    kind = extra.pop("kind", "user")
    return Actor(
        kind=kind,
        label=f"{user.email}" + (f" (token {extra['token_id']})" if "token_id" in extra else ""),
        user_id=user.id,
        role=Role(user.role),
        organisation_ids=_user_org_ids(session, user.id),
        **extra,
    )


def read_user(session: Session, user: User) -> dict[str, Any]:
    assert user.id is not None
    return shaped({**user.model_dump(), "organisation_ids": sorted(_user_org_ids(session, user.id))}, UserRead)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"No user with id {user_id}")
    return user


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.execute(select(User).where(col(User.email) == email.strip().lower())).scalar_one_or_none()


def list_users(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Every user (administrators, also through a read-only token; never an organisation-restricted one)."""
    require_admin_reader(actor)
    users = session.execute(select(User).order_by(col(User.id))).scalars().all()
    return [read_user(session, u) for u in users]


def _check_orgs(session: Session, ids: list[int]) -> None:
    known = set(session.execute(select(col(Organisation.id)).where(col(Organisation.id).in_(ids))).scalars())
    errors = [
        FieldError(("body", "organisation_ids", i), f"no organisation with id {org_id}")
        for i, org_id in enumerate(ids)
        if org_id not in known
    ]
    if errors:
        raise InvalidInput("Unknown organisation", errors)


def _set_orgs(session: Session, user_id: int, ids: list[int]) -> None:
    session.execute(delete(UserOrganisation).where(col(UserOrganisation.user_id) == user_id))
    session.add_all(UserOrganisation(user_id=user_id, organisation_id=i) for i in sorted(set(ids)))
    session.flush()


def create_user(session: Session, actor: Actor, data: UserCreate) -> dict[str, Any]:
    require_admin(actor)
    email = data.email.lower()
    if find_user_by_email(session, email) is not None:
        raise Conflict(f"A user with email {email} already exists")
    if data.kind == UserKind.integration and data.password is not None:
        raise InvalidInput("Integration clients have no password", [FieldError(("body", "password"), "must be null")])
    _check_orgs(session, data.organisation_ids)
    user = User(
        email=email,
        name=data.name,
        role=data.role.value,
        kind=data.kind.value,
        password_hash=hash_password(data.password) if data.password else None,
    )
    session.add(user)
    session.flush()
    assert user.id is not None
    _set_orgs(session, user.id, data.organisation_ids)
    result = read_user(session, user)
    audit.record(session, actor, "create", "user", user.id, None, result, user.version)
    return result


def update_user(session: Session, actor: Actor, user_id: int, data: UserUpdate, if_match: str | None) -> dict[str, Any]:
    """Change a user (administrators); needs the user's current version in `if_match`."""
    require_admin(actor)
    require_if_match(if_match, "user")
    user = get_user(session, user_id)
    before = read_user(session, user)
    changes = data.model_dump(exclude_unset=True)
    for key in ("name", "role", "active"):
        if key in changes and changes[key] is None:
            raise InvalidInput("Field may not be null", [FieldError(("body", key), "may not be null")])
    if "organisation_ids" in changes:
        _check_orgs(session, changes["organisation_ids"] or [])
    check_version(user.version, if_match, required=True, what="user")
    if "organisation_ids" in changes:
        _set_orgs(session, user_id, changes.pop("organisation_ids") or [])
    for key, value in changes.items():
        setattr(user, key, value.value if hasattr(value, "value") else value)
    after = read_user(session, user)
    if after != before:
        user.version += 1
        user.updated_at = utcnow()
        session.flush()
        after = read_user(session, user)
        audit.record(session, actor, "update", "user", user_id, before, after, user.version)
    if not user.active:
        end_all_sessions(session, user_id)
    return after


def set_password(session: Session, actor: Actor, user_id: int, password: str) -> None:
    """Set a new password and end every session of the user at once."""
    if actor.user_id != user_id:
        require_admin(actor)
    user = get_user(session, user_id)
    if user.kind != UserKind.person:
        raise Conflict("Integration clients have no password")
    user.password_hash = hash_password(password)
    user.version += 1
    user.updated_at = utcnow()
    session.flush()
    end_all_sessions(session, user_id)
    audit.record(session, actor, "password_reset", "user", user_id, None, None, user.version)


# --- login throttling and password login ---------------------------------------------------------


def _throttle_keys(email: str, client: str) -> tuple[str, str]:
    return f"account:{_sha256(email.strip().lower())}", f"client:{client[:60]}"


def _check_throttle(session: Session, keys: tuple[str, str]) -> None:
    settings = get_settings()
    since = utcnow() - timedelta(minutes=settings.login_window_minutes)
    for key, limit in zip(
        keys, (settings.login_max_failures_per_account, settings.login_max_failures_per_client), strict=True
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(LoginFailure.at)).where(
                col(LoginFailure.key) == key, col(LoginFailure.at) >= since
            )
        ).one()
        if count >= limit:
            retry = int((as_utc(oldest) + timedelta(minutes=settings.login_window_minutes) - utcnow()).total_seconds())
            raise Throttled("Too many failed logins. Wait a few minutes and try again.", max(retry, 1))


class LoginFailed(Exception):
    """Wrong email or password: deliberately not saying which."""


def authenticate(session: Session, email: str, password: str, client: str) -> User:
    """The user with these credentials. Raises LoginFailed or Throttled; records failures for throttling."""
    keys = _throttle_keys(email, client)
    _check_throttle(session, keys)
    user = find_user_by_email(session, email)
    stored = user.password_hash if user is not None and user.active and user.password_hash else _DUMMY_HASH
    try:
        ok = _hasher.verify(stored, password) and stored is not _DUMMY_HASH
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        now = utcnow()
        session.add_all([LoginFailure(key=keys[0], at=now), LoginFailure(key=keys[1], at=now)])
        session.flush()
        raise LoginFailed
    if _hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(col(LoginFailure.key) == keys[0]))
    return user


def prune_login_failures(session: Session) -> None:
    cutoff = utcnow() - timedelta(minutes=get_settings().login_window_minutes)
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) < cutoff))


# --- web sessions ---------------------------------------------------------------------------------


def start_session(session: Session, user: User) -> str:
    """A new session id for the cookie (a fresh one at every login); only its hash is stored."""
    assert user.id is not None
    settings = get_settings()
    secret = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        UserSession(
            token_hash=_sha256(secret),
            user_id=user.id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.session_absolute_hours),
        )
    )
    session.flush()
    audit.record(session, actor_for_user(session, user), "login", "user", user.id, None, None, None)
    return secret


# A touch (last seen / last used) is written at most once a minute, in its own small transaction by the
# caller: a write per request would serialise every read behind the database's write lock.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Resolved:
    actor: Actor
    stale_touch: bool


def resolve_session(session: Session, secret: str) -> Resolved | None:
    """The actor behind a session cookie, or None when it is unknown, expired, idle or its user inactive."""
    if not secret or len(secret) > 100:
        return None
    row = session.execute(
        select(UserSession, User)
        .join(User, col(User.id) == col(UserSession.user_id))
        .where(col(UserSession.token_hash) == _sha256(secret))
    ).one_or_none()
    if row is None:
        return None
    web_session, user = row
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    if not user.active or as_utc(web_session.expires_at) <= now or as_utc(web_session.last_seen_at) + idle <= now:
        return None
    actor = replace(actor_for_user(session, user), session_id=web_session.id)
    return Resolved(actor, now - as_utc(web_session.last_seen_at) > TOUCH_EVERY)


def touch_session(session: Session, session_id: int) -> None:
    session.execute(update(UserSession).where(col(UserSession.id) == session_id).values(last_seen_at=utcnow()))


def touch_token(session: Session, token_id: int) -> None:
    session.execute(update(ApiToken).where(col(ApiToken.id) == token_id).values(last_used_at=utcnow()))


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(UserSession).where(col(UserSession.token_hash) == _sha256(secret)))


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user_id))


# --- API tokens -----------------------------------------------------------------------------------


def _read_token(token: ApiToken) -> dict[str, Any]:
    return shaped(token.model_dump(), TokenRead)


def create_token(session: Session, actor: Actor, data: TokenCreate) -> dict[str, Any]:
    """Create a token; the secret is in the result and nowhere else."""
    if actor.user_id is None and actor.kind != "system":
        raise Forbidden("Log in to create tokens")
    if actor.kind == "token":
        raise Forbidden("Tokens cannot create tokens; log in")
    owner_id = data.user_id if data.user_id is not None else actor.user_id
    if owner_id is None:
        raise InvalidInput("Which user?", [FieldError(("body", "user_id"), "is required here")])
    if owner_id != actor.user_id:
        require_admin(actor)
    owner = get_user(session, owner_id)
    if not owner.active:
        raise Conflict("The user is deactivated")
    if data.organisation_id is not None:
        _check_orgs(session, [data.organisation_id])
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user_id=owner_id,
        name=data.name,
        prefix=secret[:10],
        token_hash=_sha256(secret),
        scope=data.scope.value,
        organisation_id=data.organisation_id,
        created_by_id=actor.user_id,
        created_at=now,
        expires_at=now + timedelta(days=data.expires_in_days) if data.expires_in_days else None,
    )
    session.add(token)
    session.flush()
    assert token.id is not None
    result = _read_token(token)
    audit.record(session, actor, "create", "api_token", token.id, None, result, None)
    return {**result, "token": secret}


def list_tokens(session: Session, actor: Actor, user_id: int | None = None) -> list[dict[str, Any]]:
    """The caller's own tokens; an administrator may list everyone's or another user's."""
    if actor.user_id is None:
        raise Forbidden("Log in to see tokens")
    stmt = select(ApiToken).order_by(col(ApiToken.id))
    if user_id is not None and user_id != actor.user_id:
        require_admin_reader(actor)
        stmt = stmt.where(col(ApiToken.user_id) == user_id)
    elif not actor.reads_as_admin or user_id is not None:
        stmt = stmt.where(col(ApiToken.user_id) == actor.user_id)
    return [_read_token(t) for t in session.execute(stmt).scalars()]


def revoke_token(session: Session, actor: Actor, token_id: int, if_match: str | None) -> dict[str, Any]:
    """Revoke a token at once (the caller's own, or anyone's for an administrator); needs its current version."""
    if actor.scope == TokenScope.read:
        raise Forbidden("A read-only token cannot revoke tokens")
    if actor.restricted:
        raise Forbidden(_no_admin_reason(actor))
    require_if_match(if_match, "token")
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(f"No token with id {token_id}")
    check_version(token.version, if_match, required=True, what="token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.version += 1
        session.flush()
        audit.record(session, actor, "revoke", "api_token", token_id, None, None, token.version)
    return _read_token(token)


def resolve_token(session: Session, secret: str) -> Resolved | None:
    """The actor behind a bearer token, or None when it is unknown, revoked, expired or its user inactive."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    row = session.execute(
        select(ApiToken, User)
        .join(User, col(User.id) == col(ApiToken.user_id))
        .where(col(ApiToken.token_hash) == _sha256(secret))
    ).one_or_none()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    if token.revoked_at is not None or not user.active:
        return None
    if token.expires_at is not None and as_utc(token.expires_at) <= now:
        return None
    actor = actor_for_user(
        session,
        user,
        kind="token",
        token_id=token.id,
        scope=TokenScope(token.scope),
        token_organisation_id=token.organisation_id,
    )
    return Resolved(actor, token.last_used_at is None or now - as_utc(token.last_used_at) > TOUCH_EVERY)


def describe(session: Session, actor: Actor) -> dict[str, Any]:
    user = get_user(session, actor.user_id) if actor.user_id is not None else None
    return {
        "kind": actor.kind,
        "user": read_user(session, user) if user else None,
        "token_id": actor.token_id,
        "scope": actor.scope,
    }
