"""The audit trail and the change feed.

Every write records an event in its own transaction. Writers are serialised (SQLite: BEGIN IMMEDIATE;
PostgreSQL: a transaction-level advisory lock taken by app.db.transaction), so event ids are handed
out in commit order and the change feed can page by id without ever skipping a late commit.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db.bulk import insert_many
from app.domain.actor import Actor
from app.domain.errors import Forbidden
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.serialization import dumps
from app.models.audit import CREATED, AuditEvent, AuditEventRead
from app.models.base import shaped
from app.models.types import utcnow

# Entities an integrator can follow in the change feed, and where to fetch them. The feed needs a login,
# as reading gaps does. Other entity types (gap_measure, gap_comment, users, tokens …) stay out of it.
FEED_URLS = {
    "rehab_service": "/api/v1/rehab-services/{}",
    "organisation": "/api/v1/organisations/{}",
    "pathway_template": "/api/v1/pathway-templates/{}",
    "gap": "/api/v1/gaps/{}",
    "network": "/api/v1/networks/{}",
    "action_plan": "/api/v1/action-plans/{}",
    "annual_report": "/api/v1/annual-reports/{}",
}
# Bookkeeping fields that change with every write and say nothing about what changed.
_IGNORED = {"version", "updated_at", "created_at"}
# Never written to the trail, whatever the caller passes.
_SECRET = {"password", "password_hash", "token", "token_hash"}


_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _plain(value: Any) -> Any:
    if type(value) in _JSON_SCALARS:  # most values; an exact type check, as StrEnums are str too
        return value
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """{field: [before, after]} for the fields that differ."""
    old, new = before or {}, after or {}
    out = {}
    for key in sorted(set(old) | set(new)):
        if key in _IGNORED or key in _SECRET:
            continue
        a, b = _plain(old.get(key)), _plain(new.get(key))
        if a != b:
            out[key] = [a, b]
    return out


def diff_documents(before: dict[str, Any] | None, after: dict[str, Any]) -> dict[str, Any]:
    """`diff` for JSON documents (plain values already), as bulk writers have them: many times faster."""
    if before is None:
        return {key: [None, value] for key, value in after.items() if value is not None and key not in _IGNORED}
    return {
        key: [before.get(key), value]
        for key, value in after.items()
        if key not in _IGNORED and before.get(key) != value
    }


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    version: int | None,
    batch_id: int | None = None,
) -> None:
    """Add an audit event for a write to the current transaction."""
    values = event_values(actor, action, entity_type, entity_id, version, diff(before, after), batch_id)
    session.add(AuditEvent(**values))
    session.flush()


EVENT_COLUMNS = (
    "at",
    "actor_kind",
    "actor_user_id",
    "actor_token_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "entity_version",
    "changes",
    "request_id",
    "batch_id",
)
_CHANGES = EVENT_COLUMNS.index("changes")


def event_values(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: int | str,
    version: int | None,
    changes: dict[str, Any] | str,
    batch_id: int | None = None,
    *,
    at: datetime | None = None,
) -> dict[str, Any]:
    """The column values of an audit event (EVENT_COLUMNS), for `record` and for bulk writers' `record_many`
    (whose `changes` may be JSON text already: `created_changes`)."""
    return {
        "at": at or utcnow(),
        "actor_kind": actor.kind,
        "actor_user_id": actor.user_id,
        "actor_token_id": actor.token_id,
        "actor_label": actor.label[:300],
        "action": action,
        "entity_type": entity_type,
        "entity_id": str(entity_id),
        "entity_version": version,
        "changes": changes,
        "request_id": actor.request_id,
        "batch_id": batch_id,
    }


def created_changes(document: dict[str, Any]) -> str:
    """A created entity's changes, `diff_documents(None, document)`, in the compact form bulk writers store:
    {"@created": {field: value}} as JSON text. Read back (AuditChanges), it is {field: [None, value]} again."""
    fields = {key: value for key, value in document.items() if value is not None and key not in _IGNORED}
    return dumps({CREATED: fields}).decode()


def record_many(session: Session, events: Sequence[dict[str, Any]]) -> None:
    """Add many audit events (`event_values`) to the current transaction with one executemany.

    An event's `changes` may be JSON text already (`created_changes`)."""
    table = AuditEvent.__table__  # type: ignore[attr-defined]
    rows = []
    for event in events:
        row = [event[c] for c in EVENT_COLUMNS]
        if not isinstance(row[_CHANGES], str):
            row[_CHANGES] = dumps(row[_CHANGES]).decode()  # as the engine's JSON serializer writes it
        rows.append(tuple(row))
    insert_many(session, table, EVENT_COLUMNS, rows, ready=("changes",))


def list_events(
    session: Session,
    actor: Actor,
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_user_id: int | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    if not actor.reads_as_admin:
        raise Forbidden("Only an administrator may read the audit trail")
    stmt = select(AuditEvent).order_by(col(AuditEvent.id).desc())
    if cursor:
        stmt = stmt.where(col(AuditEvent.id) < decode_cursor(cursor, int))
    if entity_type:
        stmt = stmt.where(col(AuditEvent.entity_type) == entity_type)
    if entity_id:
        stmt = stmt.where(col(AuditEvent.entity_id) == entity_id)
    if actor_user_id is not None:
        stmt = stmt.where(col(AuditEvent.actor_user_id) == actor_user_id)
    if since is not None:
        stmt = stmt.where(col(AuditEvent.at) >= since)
    if until is not None:
        stmt = stmt.where(col(AuditEvent.at) < until)
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id or 0) if len(rows) > limit else None
    return [shaped(e.model_dump(), AuditEventRead) for e in page], next_cursor


def list_changes(session: Session, *, since: str | None, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Catalogue changes after the cursor, oldest first, and the cursor to continue from."""
    after = decode_cursor(since, int) if since else 0
    stmt = (
        select(AuditEvent)
        .where(col(AuditEvent.id) > after, col(AuditEvent.entity_type).in_(list(FEED_URLS)))
        .order_by(col(AuditEvent.id))
        .limit(limit)
    )
    events = list(session.execute(stmt).scalars())
    items = [
        {
            "seq": e.id,
            "at": e.at,
            "action": e.action,
            "entity_type": e.entity_type,
            "entity_id": e.entity_id,
            "version": e.entity_version,
            "url": FEED_URLS[e.entity_type].format(e.entity_id),
        }
        for e in events
    ]
    last = events[-1].id if events else after
    return items, encode_cursor(last or 0)


def changes_since(session: Session, entity_type: str, entity_id: int | str, version: int) -> dict[str, list[Any]]:
    """What changed in an entity after `version`: {field: [value at that version, value now]}."""
    events = session.execute(
        select(AuditEvent)
        .where(
            col(AuditEvent.entity_type) == entity_type,
            col(AuditEvent.entity_id) == str(entity_id),
            col(AuditEvent.entity_version) > version,
        )
        .order_by(col(AuditEvent.id))
    ).scalars()
    merged: dict[str, list[Any]] = {}
    for event in events:
        for key, (old, new) in event.changes.items():
            merged[key] = [merged[key][0] if key in merged else old, new]
    return {key: pair for key, pair in merged.items() if pair[0] != pair[1]}
