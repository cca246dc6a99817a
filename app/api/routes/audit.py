"""The audit trail (admins) and the change feed (integrators)."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.openapi import problems
from app.api.responses import Json, page
from app.domain import audit
from app.http.deps import Reader, ReadSessionDep
from app.http.params import Cursor
from app.models.audit import AuditEventRead, ChangePage
from app.models.types import IsoDatetime

router = APIRouter(tags=["audit"])


class AuditEventPage(BaseModel):
    items: list[AuditEventRead]
    next_cursor: str | None


@router.get("/audit-events", response_model=AuditEventPage, responses=problems(401, 403))
async def list_audit_events(
    session: ReadSessionDep,
    actor: Reader,
    entity_type: Annotated[str | None, Query(pattern=r"^[a-z_]{1,40}$", description="e.g. rehab_service")] = None,
    entity_id: Annotated[str | None, Query(pattern=r"^[A-Za-z0-9:_-]{1,64}$")] = None,
    actor_user_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    since: Annotated[
        IsoDatetime | None, Query(description="At or after this time (ISO 8601, e.g. 2026-01-31T12:00:00Z)")
    ] = None,
    until: Annotated[IsoDatetime | None, Query(description="Before this time (ISO 8601)")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Cursor = None,
) -> Json:
    """List audit events, newest first (admins)."""
    items, next_cursor = audit.list_events(
        session,
        actor,
        entity_type=entity_type,
        entity_id=entity_id,
        actor_user_id=actor_user_id,
        since=since,
        until=until,
        limit=limit,
        cursor=cursor,
    )
    return page(items, next_cursor)


@router.get("/changes", response_model=ChangePage, responses=problems(401))
async def list_changes(
    session: ReadSessionDep,
    _reader: Reader,
    since: Annotated[
        str | None, Query(max_length=200, description="next_cursor from your last call; omit to start at the beginning")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Json:
    """Catalogue changes in commit order; keep next_cursor and pass it as `since` to get only newer ones."""
    items, next_cursor = audit.list_changes(session, since=since, limit=limit)
    return Json({"items": items, "next_cursor": next_cursor})
