"""Web sessions behind the session cookie: started at login, ended at logout or by timeouts."""

from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.auth.users import actor_for_user
from app.kit.secrets import digest, mint
from app.models.auth import (
    User,
    UserSession,
)
from app.models.types import as_utc, utcnow
from app.settings import get_settings


def start_session(session: Session, user: User) -> str:
    """A new session id for the cookie (a fresh one at every login); only its hash is stored."""
    assert user.id is not None
    settings = get_settings()
    secret, secret_hash = mint()
    now = utcnow()
    session.add(
        UserSession(
            token_hash=secret_hash,
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
        .where(col(UserSession.token_hash) == digest(secret))
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


def end_session(session: Session, secret: str) -> None:
    session.execute(delete(UserSession).where(col(UserSession.token_hash) == digest(secret)))
