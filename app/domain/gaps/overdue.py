"""Overdue measures across gaps, for the front page and an owner organisation's page.

A measure is overdue when its due date (Norwegian date) has passed and it is neither done nor cancelled.
Measures of deleted gaps never show, nor those of resolved or rejected gaps (their measures are read-only:
nobody can act on them without reopening the gap). Whoever may not read gaps gets an empty list.
"""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.gaps import access, measures, records
from app.models import Gap, Measure


def overdue_measures(
    session: Session, actor: Actor, owner_id: int | None = None, *, limit: int = 10, today: date | None = None
) -> list[dict[str, Any]]:
    """Overdue measures of open gaps (those owned by `owner_id`, when given), oldest due date first: each a
    measure as read (with `responsible_name`) plus `gap_title` and `gap_owner_id`."""
    if not access.may_read(actor):
        return []
    on = records.today_or(today)
    stmt = (
        select(Measure, col(Gap.title), col(Gap.owner_id))
        .join(Gap, col(Gap.id) == col(Measure.gap_id))
        .where(
            records.overdue_measure(on),
            col(Gap.deleted_at).is_(None),
            col(Gap.status).not_in(records.CLOSED_GAP),
        )
        .order_by(col(Measure.due_on), col(Measure.id))
        .limit(limit)
    )
    if owner_id is not None:
        stmt = stmt.where(col(Gap.owner_id) == owner_id)
    rows = session.execute(stmt).all()
    read = measures.read_many(session, [row[0] for row in rows], on)
    return [
        {**measure, "gap_title": title, "gap_owner_id": owner}
        for measure, (_, title, owner) in zip(read, rows, strict=True)
    ]
