"""A network's members: organisations in a role, with an optional named representative."""

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, validated
from app.domain.networks import access, records
from app.domain.networks.records import MEMBER_ENTITY
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.cursors import decode_cursor, encode_cursor
from app.models import NetworkMember, Organisation
from app.models.network import MemberCreate, MemberFields

WHAT = "network member"


def list_members(
    session: Session, actor: Actor, network_id: int, *, limit: int = 100, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    access.require_reader(actor)
    records.get_network(session, network_id)
    stmt = select(NetworkMember).where(col(NetworkMember.network_id) == network_id).order_by(col(NetworkMember.id))
    if cursor:
        stmt = stmt.where(col(NetworkMember.id) > decode_cursor(cursor, int))
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    page = rows[:limit]
    return records.read_members(session, page), encode_cursor(page[-1].id or 0) if len(rows) > limit else None


def _member(session: Session, network_id: int, member_id: int) -> NetworkMember:
    member = session.get(NetworkMember, member_id)
    if member is None or member.network_id != network_id:
        raise NotFound(f"Nettverk {network_id} har ikke noe medlem med id {member_id}")
    return member


def get_member(session: Session, actor: Actor, network_id: int, member_id: int) -> dict[str, Any]:
    """One member of the network, as its list shows it."""
    access.require_reader(actor)
    records.get_network(session, network_id)
    (member,) = records.read_members(session, [_member(session, network_id, member_id)])
    return member


def _duplicate(fields: MemberFields) -> Conflict:
    return Conflict(f"Organisasjon {fields.organisation_id} er allerede med i nettverket som «{fields.role.value}»")


def add_member(session: Session, actor: Actor, network_id: int, data: MemberCreate) -> dict[str, Any]:
    network = records.get_network(session, network_id)
    access.require_manage(actor, network.owner_id)
    fields = MemberFields.model_validate(data.model_dump())
    if session.get(Organisation, fields.organisation_id) is None:
        raise InvalidInput(
            "Ukjent organisasjon",
            [FieldError(("body", "organisation_id"), f"fant ingen organisasjon med id {fields.organisation_id}")],
        )
    existing = session.execute(
        select(col(NetworkMember.id)).where(
            col(NetworkMember.network_id) == network_id,
            col(NetworkMember.organisation_id) == fields.organisation_id,
            col(NetworkMember.role) == fields.role.value,
        )
    ).first()
    if existing is not None:
        raise _duplicate(fields)
    member = NetworkMember(network_id=network_id, **fields.model_dump(mode="json"))
    session.add(member)
    try:
        session.flush()
    except IntegrityError as exc:  # the same member added at the same moment by someone else
        raise _duplicate(fields) from exc
    assert member.id is not None
    (result,) = records.read_members(session, [member])
    audit.record(session, actor, "create", MEMBER_ENTITY, member.id, None, records.audited(result), member.version)
    return result


def update_member(
    session: Session, actor: Actor, network_id: int, member_id: int, changes: dict[str, Any], if_match: str | None
) -> dict[str, Any]:
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_manage(actor, network.owner_id)
    member = _member(session, network_id, member_id)
    (before,) = records.read_members(session, [member])
    if changes.get("role", "") is None:
        raise InvalidInput("Påkrevde felt kan ikke tømmes", [FieldError(("body", "role"), "kan ikke være null")])
    merged = {key: before[key] for key in MemberFields.model_fields} | changes
    fields = validated(MemberFields, merged, "Medlemmet ville ikke vært gyldig etter endringen")
    check_version(member.version, if_match, required=True, what=WHAT)
    columns = fields.model_dump(mode="json", exclude={"organisation_id"})
    if all(getattr(member, k) == v for k, v in columns.items()):
        return before
    try:
        version = guarded_update(session, NetworkMember, member_id, member.version, columns, WHAT)
    except IntegrityError as exc:
        raise _duplicate(fields) from exc
    session.expire(member)
    (after,) = records.read_members(session, [member])
    audit.record(
        session, actor, "update", MEMBER_ENTITY, member_id, records.audited(before), records.audited(after), version
    )
    return after


def remove_member(session: Session, actor: Actor, network_id: int, member_id: int, if_match: str | None) -> None:
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_manage(actor, network.owner_id)
    member = _member(session, network_id, member_id)
    check_version(member.version, if_match, required=True, what=WHAT)
    (before,) = records.read_members(session, [member])
    session.delete(member)
    session.flush()
    audit.record(session, actor, "delete", MEMBER_ENTITY, member_id, records.audited(before), None, member.version + 1)
