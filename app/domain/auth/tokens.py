"""API tokens: created by people who log in, shown once, stored as a hash; scope, organisation and expiry."""

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor, no_admin_reason, require_admin, require_admin_reader
from app.domain.auth.sessions import TOUCH_EVERY, Resolved
from app.domain.auth.users import actor_for_user, check_organisations, get_user
from app.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from app.domain.versioning import check_version, require_if_match
from app.kit.secrets import digest, mint
from app.models.auth import (
    ApiToken,
    TokenCreate,
    TokenRead,
    TokenScope,
    User,
)
from app.models.base import shaped
from app.models.types import as_utc, utcnow

TOKEN_PREFIX = "rk_"  # noqa: S105 (a marker, not a secret)


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
        check_organisations(session, [data.organisation_id])
    secret, secret_hash = mint(TOKEN_PREFIX)
    now = utcnow()
    token = ApiToken(
        user_id=owner_id,
        name=data.name,
        prefix=secret[:10],
        token_hash=secret_hash,
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
        raise Forbidden(no_admin_reason(actor))
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
        .where(col(ApiToken.token_hash) == digest(secret))
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
