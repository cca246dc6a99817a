"""The front page's overview of the catalogue, and what the filters and the service form offer."""

from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlmodel import Session

from app.domain import geography, taxonomy
from app.domain.actor import Actor
from app.domain.catalogue import verification
from app.domain.catalogue.documents import ServiceDict
from app.domain.catalogue.query import ServiceFilter, list_services
from app.domain.catalogue.tables import organisations, service_forms, service_groups, services


@dataclass
class CatalogueSummary:
    total: int
    by_level: dict[str, int]
    by_form: dict[str, int]
    by_patient_group: dict[str, int]
    recently_changed: list[ServiceDict]
    unverified: list[ServiceDict]
    unverified_total: int


def summary(
    session: Session, *, recent: int = 8, stale_after_days: int = verification.STALE_AFTER_DAYS
) -> CatalogueSummary:
    """Counts for the front page, the latest changes and the services nobody has verified for a year."""
    live = services.c.deleted_at.is_(None)
    total = session.execute(select(func.count()).select_from(services).where(live)).scalar_one()
    by_level = dict(
        session.execute(select(services.c.level, func.count()).where(live).group_by(services.c.level)).all()
    )
    by_form = dict(
        session.execute(
            select(service_forms.c.form, func.count())
            .join(services, services.c.id == service_forms.c.service_id)
            .where(live)
            .group_by(service_forms.c.form)
        ).all()
    )
    # A group counts the services of its sub-groups too, as its filter does: one pass over the links.
    tax = taxonomy.get_taxonomy(session)
    codes = [g.code for g in tax.groups]
    in_group = service_groups.c.patient_group_id
    counts = [
        func.count(func.distinct(case((in_group.in_(tax.subtree_ids(code)), service_groups.c.service_id))))
        for code in codes
    ]
    linked = service_groups.join(services, services.c.id == service_groups.c.service_id)
    row = session.execute(select(*counts).select_from(linked).where(live)).one()
    by_group = {code: n for code, n in zip(codes, row, strict=True) if n}
    recent_ids = list(
        session.execute(
            select(services.c.id).where(live).order_by(services.c.updated_at.desc(), services.c.id.desc()).limit(recent)
        ).scalars()
    )
    cutoff = verification.unverified_before(stale_after_days)
    stale = live & (services.c.last_verified_on.is_(None) | (services.c.last_verified_on < cutoff))
    stale_total = session.execute(select(func.count()).select_from(services).where(stale)).scalar_one()
    stale_ids = list(
        session.execute(select(services.c.id).where(stale).order_by(services.c.id).limit(recent)).scalars()
    )
    recent_items = {s["id"]: s for s in list_services(session, ServiceFilter(ids=recent_ids), limit=recent)[0]}
    return CatalogueSummary(
        total=total,
        by_level=by_level,
        by_form=by_form,
        by_patient_group=by_group,
        recently_changed=[recent_items[i] for i in recent_ids if i in recent_items],
        unverified=list_services(session, ServiceFilter(ids=stale_ids), limit=recent)[0],
        unverified_total=stale_total,
    )


@dataclass
class FilterOptions:
    municipalities: list[tuple[str, str]]
    patient_groups: list[tuple[str, str, bool]]  # code, Norwegian name, is a sub-group


def filter_options(session: Session) -> FilterOptions:
    """What the service filters can choose from."""
    tax = taxonomy.get_taxonomy(session)
    numbers = sorted(geography.municipality_names(session).items(), key=lambda item: item[1])
    groups: list[tuple[str, str, bool]] = []
    for group in tax.groups:
        if group.parent_id is None:
            groups.append((group.code, group.name_nb, False))
            groups += [(tax.by_id[c].code, tax.by_id[c].name_nb, True) for c in tax.children.get(group.id or 0, [])]
    return FilterOptions(municipalities=numbers, patient_groups=groups)


def organisation_options(session: Session, only: frozenset[int] | None = None) -> list[tuple[int, str]]:
    """(id, name) of every organisation (or those in `only`), by name: two columns, not whole documents."""
    stmt = select(organisations.c.id, organisations.c.name).order_by(organisations.c.name)
    if only is not None:
        stmt = stmt.where(organisations.c.id.in_(sorted(only)))
    return [(row.id, row.name) for row in session.execute(stmt)]


def writable_providers(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Organisations whose services the actor may change, for the provider field of the form."""
    return organisation_options(session, actor.writable_organisations())
