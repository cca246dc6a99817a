"""Default catchments: the municipalities an organisation serves, which its services inherit."""

from collections.abc import Iterable

from sqlmodel import Session, select

from app.models import Catchment, Municipality, Organisation
from app.models.organisation import OrganisationKind


def default_catchment(session: Session, org: Organisation) -> list[str]:
    """The municipalities an organisation serves: what its services inherit."""
    own = session.exec(
        select(Catchment.municipality_number).where(Catchment.organisation_id == org.id).distinct()
    ).all()
    return _served(session, org, own, None)


def default_catchments(session: Session) -> dict[int, tuple[str, list[str]]]:
    """(name, default catchment) of every organisation in three queries, for bulk writes."""
    own: dict[int | None, set[str]] = {}
    for org_id, number in session.exec(select(Catchment.organisation_id, Catchment.municipality_number)).all():
        own.setdefault(org_id, set()).add(number)
    by_region: dict[int | None, list[str]] = {}
    for number, region_id in session.exec(select(Municipality.number, Municipality.region_id)).all():
        by_region.setdefault(region_id, []).append(number)
    return {
        org.id: (org.name, _served(session, org, own.get(org.id, ()), by_region))
        for org in session.exec(select(Organisation)).all()
        if org.id is not None
    }


def _served(
    session: Session, org: Organisation, own: Iterable[str], by_region: dict[int | None, list[str]] | None
) -> list[str]:
    if own:
        return sorted(own)
    if org.kind in (OrganisationKind.municipality, OrganisationKind.district) and org.municipality_number:
        return [org.municipality_number]
    if org.kind in (OrganisationKind.regional_authority, OrganisationKind.private_institution) and org.region_id:
        # A regional authority, or a private institution contracted by one, serves the whole region.
        if by_region is not None:
            return sorted(by_region.get(org.region_id, []))
        return sorted(session.exec(select(Municipality.number).where(Municipality.region_id == org.region_id)).all())
    return []
