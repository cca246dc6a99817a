"""Comments on a gap, and its history: its own audit events, its measures' and its comments, in time order."""

from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.gaps import access, records
from app.domain.gaps.records import COMMENT_ENTITY, ENTITY, MEASURE_ENTITY
from app.kit.cursors import decode_cursor, encode_cursor
from app.models import AuditEvent, GapComment, Measure
from app.models.base import shaped
from app.models.gap import CommentCreate, CommentRead, HistoryItem
from app.models.types import as_utc


def list_comments(
    session: Session, actor: Actor, gap_id: int, *, limit: int = 100, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """A gap's comments, oldest first."""
    access.require_member(actor)
    records.get_gap(session, gap_id)
    stmt = select(GapComment).where(col(GapComment.gap_id) == gap_id).order_by(col(GapComment.id))
    if cursor:
        stmt = stmt.where(col(GapComment.id) > decode_cursor(cursor, int))
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id or 0) if len(rows) > limit else None
    return [shaped(c.model_dump(), CommentRead) for c in page], next_cursor


def add_comment(session: Session, actor: Actor, gap_id: int, data: CommentCreate) -> dict[str, Any]:
    """A comment by the actor (a viewer too); it never changes the gap's version."""
    gap = records.get_gap(session, gap_id)
    access.require_comment(actor, gap.owner_id)
    comment = GapComment(gap_id=gap_id, text=data.text, author=actor.label[:300], author_user_id=actor.user_id)
    session.add(comment)
    session.flush()
    assert comment.id is not None
    result = shaped(comment.model_dump(), CommentRead)
    audit.record(
        session, actor, "create", COMMENT_ENTITY, comment.id, None, {"gap_id": gap_id, "text": data.text}, None
    )
    return result


def history(session: Session, actor: Actor, gap_id: int) -> dict[str, Any]:
    """Everything that happened to a gap, oldest first (see HistoryItem). Comments are taken from their
    table (their audit events would repeat them); deleted measures still show, with their delete event."""
    access.require_member(actor)
    records.get_gap(session, gap_id)
    measure_ids = [
        str(i) for i in session.execute(select(col(Measure.id)).where(col(Measure.gap_id) == gap_id)).scalars()
    ]
    events = session.execute(
        select(AuditEvent).where(
            or_(
                and_(col(AuditEvent.entity_type) == ENTITY, col(AuditEvent.entity_id) == str(gap_id)),
                and_(col(AuditEvent.entity_type) == MEASURE_ENTITY, col(AuditEvent.entity_id).in_(measure_ids)),
            )
        )
    ).scalars()
    items: list[tuple[Any, int, int, dict[str, Any]]] = [
        (
            as_utc(e.at),
            0,
            e.id or 0,
            {
                "at": e.at,
                "kind": "event",
                "action": e.action,
                "actor": e.actor_label,
                "entity_type": e.entity_type,
                "entity_id": e.entity_id,
                "version": e.entity_version,
                "changes": e.changes,
                "text": None,
            },
        )
        for e in events
    ]
    for c in session.execute(select(GapComment).where(col(GapComment.gap_id) == gap_id)).scalars():
        item = {
            "at": c.created_at,
            "kind": "comment",
            "action": "comment",
            "actor": c.author,
            "entity_type": COMMENT_ENTITY,
            "entity_id": str(c.id),
            "version": None,
            "changes": None,
            "text": c.text,
        }
        items.append((as_utc(c.created_at), 1, c.id or 0, item))
    items.sort(key=lambda t: t[:3])
    return {"gap_id": gap_id, "items": [shaped(t[3], HistoryItem) for t in items]}
