"""Users and integration clients: passwords, roles, organisations; the actor behind a user."""

from typing import Any

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor, require_admin, require_admin_reader
from app.domain.auth.passwords import hash_password
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from app.domain.versioning import check_version, require_if_match
from app.models import Organisation
from app.models.auth import (
    Role,
    User,
    UserCreate,
    UserKind,
    UserOrganisation,
    UserRead,
    UserSession,
    UserUpdate,
)
from app.models.base import shaped
from app.models.types import utcnow


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


def check_organisations(session: Session, ids: list[int]) -> None:
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
    check_organisations(session, data.organisation_ids)
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
        check_organisations(session, changes["organisation_ids"] or [])
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


def end_all_sessions(session: Session, user_id: int) -> None:
    session.execute(delete(UserSession).where(col(UserSession.user_id) == user_id))


def describe(session: Session, actor: Actor) -> dict[str, Any]:
    user = get_user(session, actor.user_id) if actor.user_id is not None else None
    return {
        "kind": actor.kind,
        "user": read_user(session, user) if user else None,
        "token_id": actor.token_id,
        "scope": actor.scope,
    }
