"""Creating, changing and (softly) deleting networks, with their places, patient groups and followed series."""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session, col

from app.domain import audit, geography, taxonomy
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, InvalidInput, validated
from app.domain.networks import access, records
from app.domain.networks.records import ENTITY
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.text import fold
from app.models import (
    Network,
    NetworkMunicipality,
    NetworkPatientGroup,
    NetworkSeries,
    Organisation,
    PathwayTemplate,
    Region,
)
from app.models.network import NetworkCreate, NetworkFields, NetworkKind
from app.models.types import utcnow

WHAT = "network"
_REQUIRED = ("name", "kind", "owner_id", "plan_due", "report_due", "aggregate_due")


@dataclass(frozen=True)
class _Resolved:
    region_id: int | None
    municipalities: list[str]
    group_ids: list[int]
    series: list[str]


def _check(session: Session, fields: NetworkFields, network_id: int | None) -> _Resolved:
    loc: tuple[str, ...] = ("body",)
    errors: list[FieldError] = []
    if session.get(Organisation, fields.owner_id) is None:
        errors.append(FieldError((*loc, "owner_id"), f"fant ingen organisasjon med id {fields.owner_id}"))
    if fields.parent_id is not None:
        errors += _parent_errors(session, fields.parent_id, network_id)
    region_id = None
    if fields.region is not None:
        region_id = session.execute(select(col(Region.id)).where(col(Region.code) == fields.region)).scalar()
        if region_id is None:
            errors.append(FieldError((*loc, "region"), f"ukjent region «{fields.region}»"))
    known = geography.municipality_numbers(session)
    errors += [
        FieldError((*loc, "municipalities", i), f"ukjent kommunenummer «{n}»")
        for i, n in enumerate(fields.municipalities)
        if n not in known
    ]
    group_ids: list[int] = []
    try:
        group_ids = taxonomy.get_taxonomy(session).require(fields.patient_groups, (*loc, "patient_groups"))
    except InvalidInput as exc:
        errors += exc.errors
    existing = set(
        session.execute(
            select(col(PathwayTemplate.series)).where(col(PathwayTemplate.series).in_(fields.series))
        ).scalars()
    )
    errors += [
        FieldError((*loc, "series", i), f"ingen forløpsmal har serien «{s}»")
        for i, s in enumerate(fields.series)
        if s not in existing
    ]
    if errors:
        raise InvalidInput("Nettverket er ikke gyldig", errors)
    return _Resolved(region_id, sorted(set(fields.municipalities)), sorted(set(group_ids)), sorted(set(fields.series)))


def _parent_errors(session: Session, parent_id: int, network_id: int | None) -> list[FieldError]:
    loc = ("body", "parent_id")
    parent = session.get(Network, parent_id)
    if parent is None or parent.deleted_at is not None:
        return [FieldError(loc, f"fant ikke noe nettverk med id {parent_id}")]
    if parent.kind != NetworkKind.collaboration_committee.value:
        return [FieldError(loc, "et nettverk rapporterer til et samhandlingsutvalg (kind collaboration_committee)")]
    seen: set[int] = set()
    node: Network | None = parent
    while node is not None and node.id is not None and node.id not in seen:
        if node.id == network_id:
            return [FieldError(loc, "et nettverk kan ikke rapportere til seg selv, heller ikke via andre")]
        seen.add(node.id)
        node = session.get(Network, node.parent_id) if node.parent_id is not None else None
    return []


def _columns(fields: NetworkFields, resolved: _Resolved) -> dict[str, Any]:
    return {
        "name": fields.name,
        "kind": fields.kind.value,
        "owner_id": fields.owner_id,
        "parent_id": fields.parent_id,
        "region_id": resolved.region_id,
        "mandate": fields.mandate,
        "plan_due": fields.plan_due,
        "report_due": fields.report_due,
        "aggregate_due": fields.aggregate_due,
        "search_text": fold(fields.name, fields.mandate or ""),
    }


def _set_links(session: Session, network_id: int, resolved: _Resolved) -> None:
    links: list[tuple[Any, str, list[Any]]] = [
        (NetworkMunicipality, "municipality_number", resolved.municipalities),
        (NetworkPatientGroup, "patient_group_id", resolved.group_ids),
        (NetworkSeries, "series", resolved.series),
    ]
    for table, column, values in links:
        session.execute(delete(table).where(col(table.network_id) == network_id))
        if values:
            session.execute(insert(table), [{"network_id": network_id, column: v} for v in values])


def create(session: Session, actor: Actor, data: NetworkCreate) -> dict[str, Any]:
    fields = NetworkFields.model_validate(data.model_dump())
    access.require_manage(actor, fields.owner_id)
    resolved = _check(session, fields, None)
    network = Network(**_columns(fields, resolved))
    session.add(network)
    session.flush()
    assert network.id is not None
    _set_links(session, network.id, resolved)
    result = records.read(session, network)
    audit.record(session, actor, "create", ENTITY, network.id, None, records.audited(result), network.version)
    return result


def update(
    session: Session, actor: Actor, network_id: int, changes: dict[str, Any], if_match: str | None
) -> dict[str, Any]:
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_manage(actor, network.owner_id)
    before = records.read(session, network)
    cleared = sorted(k for k, v in changes.items() if v is None and k in _REQUIRED)
    if cleared:
        raise InvalidInput(
            "Påkrevde felt kan ikke tømmes", [FieldError(("body", k), "kan ikke være null") for k in cleared]
        )
    merged = {key: before[key] for key in NetworkFields.model_fields} | changes
    fields = validated(NetworkFields, merged, "Nettverket ville ikke vært gyldig etter endringen")
    access.require_manage(actor, fields.owner_id)
    resolved = _check(session, fields, network_id)
    check_version(network.version, if_match, required=True, what=WHAT)
    columns = _columns(fields, resolved)
    links = (resolved.municipalities, fields.patient_groups, resolved.series)
    if all(getattr(network, k) == v for k, v in columns.items()) and links == (
        before["municipalities"],
        before["patient_groups"],
        before["series"],
    ):
        return before
    version = guarded_update(session, Network, network_id, network.version, columns, WHAT)
    _set_links(session, network_id, resolved)
    session.expire(network)
    after = records.read(session, network)
    audit.record(session, actor, "update", ENTITY, network_id, records.audited(before), records.audited(after), version)
    return after


def delete_network(session: Session, actor: Actor, network_id: int, if_match: str | None) -> None:
    """Mark the network deleted; refused while other networks report to it."""
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_manage(actor, network.owner_id)
    check_version(network.version, if_match, required=True, what=WHAT)
    children = session.execute(
        select(col(Network.name)).where(col(Network.parent_id) == network_id, col(Network.deleted_at).is_(None))
    ).scalars()
    names = sorted(children)
    if names:
        raise Conflict(f"Nettverk rapporterer fortsatt til «{network.name}»: {', '.join(names)}")
    before = records.read(session, network)
    version = guarded_update(session, Network, network_id, network.version, {"deleted_at": utcnow()}, WHAT)
    audit.record(session, actor, "delete", ENTITY, network_id, records.audited(before), None, version)
