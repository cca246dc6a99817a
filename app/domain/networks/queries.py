"""Finding networks: the list and its filters."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.errors import FieldError, InvalidInput
from app.domain.networks import access, records
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.text import like_pattern
from app.models import Network, NetworkMember, Region
from app.models.network import NetworkKind


@dataclass(frozen=True)
class NetworkFilter:
    kind: NetworkKind | None = None
    organisation: int | None = None  # owner or member
    parent: int | None = None
    region: str | None = None
    q: str | None = None


def list_networks(
    session: Session, actor: Actor, flt: NetworkFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Networks by id, filtered (deleted ones never)."""
    access.require_reader(actor)
    stmt = select(Network).where(col(Network.deleted_at).is_(None)).order_by(col(Network.id))
    if flt.kind is not None:
        stmt = stmt.where(col(Network.kind) == flt.kind.value)
    if flt.organisation is not None:
        members = select(col(NetworkMember.network_id)).where(col(NetworkMember.organisation_id) == flt.organisation)
        stmt = stmt.where(or_(col(Network.owner_id) == flt.organisation, col(Network.id).in_(members)))
    if flt.parent is not None:
        stmt = stmt.where(col(Network.parent_id) == flt.parent)
    if flt.region is not None:
        region_id = session.execute(select(col(Region.id)).where(col(Region.code) == flt.region)).scalar()
        if region_id is None:
            raise InvalidInput("Ukjent region", [FieldError(("query", "region"), f"ukjent region «{flt.region}»")])
        stmt = stmt.where(col(Network.region_id) == region_id)
    if flt.q:
        stmt = stmt.where(col(Network.search_text).like(like_pattern(flt.q), escape="\\"))
    if cursor:
        stmt = stmt.where(col(Network.id) > decode_cursor(cursor, int))
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    page = rows[:limit]
    return records.read_many(session, page), encode_cursor(page[-1].id or 0) if len(rows) > limit else None


def get(session: Session, actor: Actor, network_id: int) -> dict[str, Any]:
    access.require_reader(actor)
    return records.read(session, records.get_network(session, network_id))
