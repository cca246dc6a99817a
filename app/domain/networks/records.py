"""Networks, members and meetings as the API shows them: one builder each, for reads, lists and audit values."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import taxonomy
from app.domain.errors import NotFound
from app.domain.gaps.records import organisation_names, region_codes
from app.models import (
    Gap,
    Network,
    NetworkMeeting,
    NetworkMember,
    NetworkMunicipality,
    NetworkPatientGroup,
    NetworkSeries,
)
from app.models.base import shaped
from app.models.network import MeetingRead, MemberRead, NetworkRead

ENTITY = "network"
MEMBER_ENTITY = "network_member"
MEETING_ENTITY = "network_meeting"
_DERIVED = ("owner_name", "organisation_name", "gaps")


def get_network(session: Session, network_id: int) -> Network:
    network = session.get(Network, network_id)
    if network is None or network.deleted_at is not None:
        raise NotFound(f"Fant ikke noe nettverk med id {network_id}")
    return network


def _grouped(session: Session, column: Any, value: Any, ids: list[int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = {}
    for network_id, item in session.execute(select(column, value).where(column.in_(ids)).order_by(column, value)):
        out.setdefault(int(network_id), []).append(item)
    return out


def read_many(session: Session, networks: list[Network]) -> list[dict[str, Any]]:
    ids = [n.id for n in networks if n.id is not None]
    if not ids:
        return []
    places = _grouped(session, col(NetworkMunicipality.network_id), col(NetworkMunicipality.municipality_number), ids)
    groups = _grouped(session, col(NetworkPatientGroup.network_id), col(NetworkPatientGroup.patient_group_id), ids)
    series = _grouped(session, col(NetworkSeries.network_id), col(NetworkSeries.series), ids)
    codes = taxonomy.get_taxonomy(session).by_id
    regions = region_codes(session)
    owners = organisation_names(session, {n.owner_id for n in networks})
    out = []
    for n in networks:
        assert n.id is not None
        values = {
            **n.model_dump(),
            "owner_name": owners.get(n.owner_id, ""),
            "region": regions.get(n.region_id) if n.region_id is not None else None,
            "municipalities": places.get(n.id, []),
            "patient_groups": sorted(codes[g].code for g in groups.get(n.id, []) if g in codes),
            "series": series.get(n.id, []),
        }
        out.append(shaped(values, NetworkRead))
    return out


def read(session: Session, network: Network) -> dict[str, Any]:
    return read_many(session, [network])[0]


def read_members(session: Session, members: list[NetworkMember]) -> list[dict[str, Any]]:
    names = organisation_names(session, {m.organisation_id for m in members})
    return [
        shaped({**m.model_dump(), "organisation_name": names.get(m.organisation_id, "")}, MemberRead) for m in members
    ]


def read_meetings(session: Session, meetings: list[NetworkMeeting]) -> list[dict[str, Any]]:
    ids = [m.id for m in meetings if m.id is not None]
    gaps: dict[int, list[int]] = {}
    if ids:
        rows = session.execute(
            select(col(Gap.meeting_id), col(Gap.id))
            .where(col(Gap.meeting_id).in_(ids), col(Gap.deleted_at).is_(None))
            .order_by(col(Gap.id))
        )
        for meeting_id, gap_id in rows:
            gaps.setdefault(int(meeting_id), []).append(int(gap_id))
    return [shaped({**m.model_dump(), "gaps": gaps.get(m.id or 0, [])}, MeetingRead) for m in meetings]


def audited(values: dict[str, Any]) -> dict[str, Any]:
    """A record as read, without what is derived at read time: the values its audit events compare."""
    return {k: v for k, v in values.items() if k not in _DERIVED}
