"""A network's meetings (meetings, dialogue meetings, seminars), with their agenda, minutes and decisions."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.errors import FieldError, InvalidInput, NotFound, validated
from app.domain.networks import access, records
from app.domain.networks.records import MEETING_ENTITY
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.cursors import decode_cursor, encode_cursor
from app.models import NetworkMeeting
from app.models.network import MeetingCreate, MeetingFields
from app.models.types import utcnow

WHAT = "meeting"


def list_meetings(
    session: Session, actor: Actor, network_id: int, *, limit: int = 100, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """The network's meetings, newest first (then by id)."""
    access.require_reader(actor)
    records.get_network(session, network_id)
    stmt = select(NetworkMeeting).where(
        col(NetworkMeeting.network_id) == network_id, col(NetworkMeeting.deleted_at).is_(None)
    )
    stmt = stmt.order_by(col(NetworkMeeting.held_on).desc(), col(NetworkMeeting.id).desc())
    rows = list(session.execute(stmt).scalars())
    start = 0
    if cursor:
        after = decode_cursor(cursor, int)
        start = next((i + 1 for i, m in enumerate(rows) if m.id == after), len(rows))
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    return records.read_meetings(session, page), encode_cursor(page[-1].id or 0) if more and page else None


def get_meeting(session: Session, network_id: int, meeting_id: int) -> NetworkMeeting:
    meeting = session.get(NetworkMeeting, meeting_id)
    if meeting is None or meeting.network_id != network_id or meeting.deleted_at is not None:
        raise NotFound(f"Nettverk {network_id} har ikke noe møte med id {meeting_id}")
    return meeting


def read_meeting(session: Session, actor: Actor, network_id: int, meeting_id: int) -> dict[str, Any]:
    """One meeting of the network, as its list shows it."""
    access.require_reader(actor)
    records.get_network(session, network_id)
    (meeting,) = records.read_meetings(session, [get_meeting(session, network_id, meeting_id)])
    return meeting


def create_meeting(session: Session, actor: Actor, network_id: int, data: MeetingCreate) -> dict[str, Any]:
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    fields = MeetingFields.model_validate(data.model_dump())
    meeting = NetworkMeeting(network_id=network_id, **fields.model_dump(mode="python"))
    meeting.kind = fields.kind.value
    session.add(meeting)
    session.flush()
    assert meeting.id is not None
    (result,) = records.read_meetings(session, [meeting])
    audit.record(session, actor, "create", MEETING_ENTITY, meeting.id, None, records.audited(result), meeting.version)
    return result


def update_meeting(
    session: Session, actor: Actor, network_id: int, meeting_id: int, changes: dict[str, Any], if_match: str | None
) -> dict[str, Any]:
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    meeting = get_meeting(session, network_id, meeting_id)
    (before,) = records.read_meetings(session, [meeting])
    cleared = sorted(k for k in ("held_on", "kind", "title") if k in changes and changes[k] is None)
    if cleared:
        raise InvalidInput(
            "Påkrevde felt kan ikke tømmes", [FieldError(("body", k), "kan ikke være null") for k in cleared]
        )
    merged = {key: before[key] for key in MeetingFields.model_fields} | changes
    fields = validated(MeetingFields, merged, "Møtet ville ikke vært gyldig etter endringen")
    check_version(meeting.version, if_match, required=True, what=WHAT)
    columns = {**fields.model_dump(mode="python"), "kind": fields.kind.value}
    if all(getattr(meeting, k) == v for k, v in columns.items()):
        return before
    version = guarded_update(session, NetworkMeeting, meeting_id, meeting.version, columns, WHAT)
    session.expire(meeting)
    (after,) = records.read_meetings(session, [meeting])
    audit.record(
        session, actor, "update", MEETING_ENTITY, meeting_id, records.audited(before), records.audited(after), version
    )
    return after


def delete_meeting(session: Session, actor: Actor, network_id: int, meeting_id: int, if_match: str | None) -> None:
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    meeting = get_meeting(session, network_id, meeting_id)
    check_version(meeting.version, if_match, required=True, what=WHAT)
    (before,) = records.read_meetings(session, [meeting])
    version = guarded_update(session, NetworkMeeting, meeting_id, meeting.version, {"deleted_at": utcnow()}, WHAT)
    audit.record(session, actor, "delete", MEETING_ENTITY, meeting_id, records.audited(before), None, version)
