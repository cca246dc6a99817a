"""Password login with throttling per account and per client (counted in the database, so across workers)."""

from datetime import timedelta

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlmodel import Session, col

from app.domain.auth.passwords import dummy_hash, hash_password, hasher
from app.domain.auth.users import find_user_by_email
from app.domain.errors import Throttled
from app.kit.secrets import digest
from app.models.auth import (
    LoginFailure,
    User,
)
from app.models.types import as_utc, utcnow
from app.settings import get_settings


def _throttle_keys(email: str, client: str) -> tuple[str, str]:
    return f"account:{digest(email.strip().lower())}", f"client:{client[:60]}"


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
    dummy = dummy_hash()
    stored = user.password_hash if user is not None and user.active and user.password_hash else dummy
    try:
        ok = hasher.verify(stored, password) and stored is not dummy
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        now = utcnow()
        session.add_all([LoginFailure(key=keys[0], at=now), LoginFailure(key=keys[1], at=now)])
        session.flush()
        raise LoginFailed
    if hasher.check_needs_rehash(stored):
        user.password_hash = hash_password(password)
    session.execute(delete(LoginFailure).where(col(LoginFailure.key) == keys[0]))
    return user


def prune_login_failures(session: Session) -> None:
    cutoff = utcnow() - timedelta(minutes=get_settings().login_window_minutes)
    session.execute(delete(LoginFailure).where(col(LoginFailure.at) < cutoff))
