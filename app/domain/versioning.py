"""Optimistic concurrency: ETags carry the version; writes name the version they replace."""

import re
from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, SQLModel

from app.domain.errors import PreconditionRequired, StaleVersion
from app.models.types import utcnow

_TAG = re.compile(r'^\s*(?:W/)?"(\d{1,10})"\s*$')


def etag(version: int) -> str:
    return f'"{version}"'


def require_if_match(if_match: str | None, what: str) -> None:
    """Raise 428 when the If-Match header is missing (checked before the body, so clients learn it first)."""
    if if_match is None:
        raise PreconditionRequired(
            f"Send If-Match with the ETag of the {what} you are changing (from a GET) so that "
            "no one else's change is overwritten"
        )


def check_version(current: int, if_match: str | None, *, required: bool, what: str) -> None:
    """Raise unless `if_match` names the current version (or `*`). A missing header fails if required."""
    if if_match is None:
        if required:
            require_if_match(if_match, what)
        return
    if if_match.strip() == "*":
        return
    for candidate in if_match.split(","):
        match = _TAG.match(candidate)
        if match and int(match.group(1)) == current:
            return
    raise stale(what, current)


def stale(what: str, current: int) -> StaleVersion:
    return StaleVersion(
        f"The {what} has changed since you read it: it is now at version {current}. "
        "Fetch it again, reapply your change and retry",
        current,
    )


def guarded_update(
    session: Session, model: type[SQLModel], obj_id: int, expected: int, values: dict[str, Any], what: str
) -> int:
    """UPDATE … WHERE version = expected: a concurrent writer that got there first makes this fail."""
    table = model.__table__  # type: ignore[attr-defined]
    result = session.execute(
        update(table)
        .where(table.c.id == obj_id, table.c.version == expected)
        .values(**values, version=expected + 1, updated_at=utcnow())
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        current = session.execute(select(table.c.version).where(table.c.id == obj_id)).scalar_one()
        raise stale(what, current)
    return expected + 1
