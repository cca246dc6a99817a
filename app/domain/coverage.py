"""Coverage: which steps of a published pathway template each municipality's residents can get.

A step is covered for a municipality when at least one service
- is `active` and valid today (Norwegian date),
- has one of the step's levels and at least one of its forms (a step without forms takes any),
- serves the template's patient groups: it lists one of them or an ancestor of one (a lung-disease
  service serves a COPD template; an asthma service does not serve a lung template), or it lists no
  group at all and the step says general services count,
- has the municipality in its catchment. A service whose inherited catchment reaches the municipality
  only through some of its districts (bydeler) makes the step `partial`, not covered.

A step that is not covered carries its nearest miss, the first that applies: `not_active` (a service
that would cover it is paused, planned, discontinued or outside its dates), `wrong_form`, `wrong_level`
(right group and catchment), `outside_catchment` (a matching active service exists in the same region,
or only some districts are served), `no_service`.

Computed on every read, so the answer follows the catalogue at once. The work is set-based whatever
the number of cells: the services that could matter for the template are reduced, in SQL, to a few
hundred "offers" — (municipality, level, forms, general, active, partial) with a count — and the cells
are judged from those in Python. A whole-country matrix is three statements.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    or_,
    select,
    true,
    union,
    union_all,
)
from sqlmodel import Session, col

from app.domain import pathways, taxonomy
from app.domain.actor import Actor
from app.domain.catalogue.tables import organisations, service_catchment, service_forms, service_groups, services
from app.domain.catalogue.verification import today as norwegian_today
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from app.domain.exports import safe_cell
from app.domain.geography import region_by_code
from app.models import Catchment, Municipality, Organisation, Region
from app.models.coverage import MissReason
from app.models.organisation import OrganisationKind
from app.models.pathway import PathwayStatus, PathwayTemplate, PathwayTemplatePatientGroup
from app.models.rehab_service import ServiceForm, ServiceLevel, ServiceStatus

FORM_BITS = {form.value: 1 << i for i, form in enumerate(ServiceForm)}
ALL_FORMS = sum(FORM_BITS.values())


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    levels: frozenset[str]
    forms: int  # bit set over FORM_BITS; every bit when the step names no form
    general: bool  # services without a patient group count


@dataclass(frozen=True)
class Plan:
    """A published template as the coverage rules read it."""

    id: int
    series: str
    series_version: int
    title: str
    steps: tuple[Step, ...]
    groups: frozenset[int]  # the template's groups and all their ancestors

    @property
    def any_general(self) -> bool:
        return any(step.general for step in self.steps)


@dataclass(frozen=True, slots=True)
class Offer:
    """Services that look alike to the rules, as seen from one municipality (or one region)."""

    level: str
    forms: int
    general: bool
    active: bool
    partial: bool
    count: int = 1
    service_id: int | None = None


@dataclass(frozen=True)
class Cell:
    covered: bool
    partial: bool
    reason: MissReason | None
    offers: tuple[Offer, ...]  # what covers it, fully or partially

    @property
    def service_count(self) -> int:
        return sum(o.count for o in self.offers)


# --- the rules ---------------------------------------------------------------------------------------------


def judge(step: Step, here: Iterable[Offer], region: Iterable[Offer]) -> Cell:
    """The cell for one step from what serves the municipality and what exists in its region."""
    relevant = [o for o in here if step.general or not o.general]
    level_ok = [o for o in relevant if o.level in step.levels]
    fitting = [o for o in level_ok if o.forms & step.forms]
    covering = tuple(o for o in fitting if o.active)
    if any(not o.partial for o in covering):
        return Cell(True, False, None, covering)
    if covering:
        return Cell(False, True, MissReason.outside_catchment, covering)
    if any(not o.active for o in fitting):
        reason = MissReason.not_active
    elif any(o.active for o in level_ok):
        reason = MissReason.wrong_form
    elif any(o.active for o in relevant):
        reason = MissReason.wrong_level
    elif any(
        o.active and o.level in step.levels and o.forms & step.forms and (step.general or not o.general) for o in region
    ):
        reason = MissReason.outside_catchment
    else:
        reason = MissReason.no_service
    return Cell(False, False, reason, ())


# --- the template ------------------------------------------------------------------------------------------


def _mask(forms: Iterable[str]) -> int:
    return sum(FORM_BITS[f] for f in set(forms)) or ALL_FORMS


def plan(session: Session, actor: Actor, template_id: int) -> Plan:
    """The published template `template_id`; drafts and retired versions are refused (409)."""
    template = pathways.get_template(session, template_id)
    pathways.require_visible(actor, template)
    if template.status != PathwayStatus.published.value:
        state = "et utkast" if template.status == PathwayStatus.draft.value else "trukket tilbake"
        raise Conflict(
            f"Dekning beregnes bare for publiserte forløpsmaler; versjon {template.series_version} av "
            f"«{template.series}» er {state}"
        )
    return _plan(session, template)


def _plan(session: Session, template: PathwayTemplate) -> Plan:
    assert template.id is not None
    tax = taxonomy.get_taxonomy(session)
    own = session.execute(
        select(col(PathwayTemplatePatientGroup.patient_group_id)).where(
            col(PathwayTemplatePatientGroup.template_id) == template.id
        )
    ).scalars()
    groups: set[int] = set()
    for group_id in own:
        node: int | None = group_id
        while node is not None and node not in groups:
            groups.add(node)
            node = tax.by_id[node].parent_id if node in tax.by_id else None
    steps = tuple(
        Step(
            key=s["key"],
            title=s["title"],
            levels=frozenset(s["levels"]),
            forms=_mask(s.get("forms") or ()),
            general=bool(s.get("general_services_count")),
        )
        for s in template.steps
    )
    return Plan(template.id, template.series, template.series_version, template.title, steps, frozenset(groups))


def published_plans(session: Session) -> list[Plan]:
    templates = session.execute(
        select(PathwayTemplate).where(col(PathwayTemplate.status) == PathwayStatus.published.value)
    ).scalars()
    # By title as Norwegian sorts it (æ, ø, å after z), whatever the database's collation.
    return sorted((_plan(session, t) for t in templates), key=lambda p: (_norwegian(p.title), p.series))


_AFTER_Z = str.maketrans({"æ": "z{", "ø": "z|", "å": "z}"})


def _norwegian(text: str) -> str:
    return text.casefold().translate(_AFTER_Z)


# --- the SQL -----------------------------------------------------------------------------------------------


def _partial_providers(session: Session) -> dict[int, set[str]]:
    """Providers whose catchment covers some municipalities only district by district, and where.

    An organisation with catchment rows for a municipality that all name a district (Lovisenberg in
    Oslo), or a district itself without catchment rows of its own (it serves its part of the municipality).
    """
    out: dict[int, set[str]] = {}
    rows = session.execute(
        select(col(Catchment.organisation_id), col(Catchment.municipality_number))
        .group_by(col(Catchment.organisation_id), col(Catchment.municipality_number))
        .having(func.min(col(Catchment.district_code)) != "")
    ).all()
    for org_id, number in rows:
        out.setdefault(org_id, set()).add(number)
    districts = session.execute(
        select(col(Organisation.id), col(Organisation.municipality_number)).where(
            col(Organisation.kind) == OrganisationKind.district.value,
            col(Organisation.municipality_number).is_not(None),
            ~exists().where(col(Catchment.organisation_id) == col(Organisation.id)),
        )
    ).all()
    for org_id, number in districts:
        out.setdefault(org_id, set()).add(number)
    return out


def _candidates(the_plan: Plan, today: date, partial_providers: Iterable[int]) -> CTE:
    """Every live service that could matter for the template, with what the rules look at.

    Driven from the patient-group index (a few thousand services of 100,000), never a scan of the services.
    A service's forms come as a bit set, cut to the forms the template's steps name: the rules only ask
    whether a service shares a form with a step, so services differing in other forms are one offer.
    """
    s = services.c
    grouped = select(service_groups.c.service_id).where(service_groups.c.patient_group_id.in_(sorted(the_plan.groups)))
    ids: Any = grouped
    general: ColumnElement[Any] = literal(0)
    if the_plan.any_general:
        # Services without a patient group: the id index alone finds them, without reading the rows.
        plain = select(s.id).where(~exists().where(service_groups.c.service_id == s.id))
        ids = union(grouped, plain)
        general = case((s.id.in_(grouped), 0), else_=1)
    wanted = ids.subquery("wanted")
    active = case(
        (
            and_(
                s.status == ServiceStatus.active.value,
                or_(s.valid_from.is_(None), s.valid_from <= today),
                or_(s.valid_to.is_(None), s.valid_to >= today),
            ),
            1,
        ),
        else_=0,
    )
    providers = sorted(partial_providers)
    pprov: ColumnElement[Any] = (
        case((and_(s.catchment_inherited.is_(True), s.provider_id.in_(providers)), s.provider_id), else_=0)
        if providers
        else literal(0)
    )
    bit = case(*((service_forms.c.form == form, value) for form, value in FORM_BITS.items()), else_=0)
    named = 0
    for step in the_plan.steps:
        named |= step.forms
    forms = (select(func.coalesce(func.sum(bit), 0)).where(service_forms.c.service_id == s.id).scalar_subquery()).op(
        "&"
    )(named)
    base = (
        select(
            s.id.label("id"),
            s.level.label("level"),
            s.provider_id.label("provider_id"),
            active.label("active"),
            general.label("general"),
            pprov.label("pprov"),
            forms.label("forms"),
        )
        .join_from(wanted, services, s.id == wanted.c[0])
        .where(s.deleted_at.is_(None))
        .cte("base")
    )
    # Two services that look the same to every step of this template are one offer: group by what the rules
    # see per step (relevant group, and the level, and a form), and keep one of them as the offer's example.
    b = base.c
    rel: list[ColumnElement[Any]] = []
    lvl: list[ColumnElement[Any]] = []
    fit: list[ColumnElement[Any]] = []
    for i, step in enumerate(the_plan.steps):
        relevant: ColumnElement[bool] = true() if step.general else b.general == 0
        level_ok = and_(relevant, b.level.in_(sorted(step.levels)))
        rel.append(case((relevant, 1 << i), else_=0))
        lvl.append(case((level_ok, 1 << i), else_=0))
        fit.append(case((and_(level_ok, b.forms.op("&")(step.forms) != 0), 1 << i), else_=0))
    example = (
        b.forms + case((b.general == 1, GENERAL_FLAG), else_=0) + case((b.level == SPECIALIST, LEVEL_FLAG), else_=0)
    )
    return select(
        b.id,
        b.provider_id,
        b.active,
        b.pprov,
        _total(rel).label("rel"),
        _total(lvl).label("lvl"),
        _total(fit).label("fit"),
        example.label("example"),
    ).cte("candidates")


def _total(parts: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    total: ColumnElement[Any] = literal(0)
    for part in parts:
        total = total + part
    return total


# An offer's example service packed in one integer (forms, general, level), so MIN picks one whole service.
GENERAL_FLAG = 1 << len(FORM_BITS)
LEVEL_FLAG = GENERAL_FLAG << 1
SPECIALIST = ServiceLevel.specialist.value
MUNICIPAL = ServiceLevel.municipal.value


_UNPACKED: dict[int, tuple[str, int, bool]] = {}


def _unpack(example: int, active: bool, partial: bool, count: int, service_id: int | None = None) -> Offer:
    fields = _UNPACKED.get(example)
    if fields is None:
        level = SPECIALIST if example & LEVEL_FLAG else MUNICIPAL
        fields = _UNPACKED[example] = (level, example & ALL_FORMS, bool(example & GENERAL_FLAG))
    return Offer(*fields, active, partial, count, service_id)


def _offers(
    session: Session, cand: CTE, region_ids: list[int] | None, partial: dict[int, set[str]]
) -> tuple[dict[str, list[Offer]], dict[int, set[Offer]]]:
    """What serves each municipality (by catchment), and what exists in each region by where its provider is
    (a service may have no catchment at all): one statement, so the candidates are found once.

    Every municipality's rows are read even for one region: walking each candidate's catchment once is
    cheaper than any filter by municipality, which makes SQLite probe the catchment key per number."""
    c = service_catchment.c
    o = organisations.c
    signature = (cand.c.fit, cand.c.lvl, cand.c.rel)
    here: Select[Any] = (
        select(
            literal("m").label("kind"),
            c.municipality_number.label("place"),
            func.min(cand.c.example),
            cand.c.active,
            cand.c.pprov,
            func.count().label("n"),
        )
        .join_from(cand, service_catchment, c.service_id == cand.c.id)
        .group_by(c.municipality_number, *signature, cand.c.active, cand.c.pprov)
    )
    there: Select[Any] = (
        select(
            literal("r"),
            cast(o.region_id, String),
            func.min(cand.c.example),
            cand.c.active,
            literal(0),
            func.count(),
        )
        .join_from(cand, organisations, o.id == cand.c.provider_id)
        .where(o.region_id.is_not(None), cand.c.active == 1)
        .group_by(o.region_id, *signature, cand.c.active)
    )
    if region_ids is not None:
        there = there.where(o.region_id.in_(region_ids))
    by_municipality: dict[str, list[Offer]] = {}
    by_region: dict[int, set[Offer]] = {}
    for kind, place, example, active, pprov, count in session.execute(union_all(here, there)):
        if kind == "m":
            is_partial = bool(pprov) and place in partial.get(pprov, ())
            by_municipality.setdefault(place, []).append(_unpack(example, bool(active), is_partial, count))
        else:
            by_region.setdefault(int(place), set()).add(_unpack(example, True, False, 1))
    return by_municipality, by_region


def _region_offers(
    by_municipality: dict[str, list[Offer]], region_of: dict[str, int | None], by_provider: dict[int, set[Offer]]
) -> dict[int | None, set[Offer]]:
    out: dict[int | None, set[Offer]] = {rid: set(offers) for rid, offers in by_provider.items()}
    for number, offers in by_municipality.items():
        bucket = out.setdefault(region_of.get(number), set())
        bucket.update(Offer(o.level, o.forms, o.general, o.active, False) for o in offers if o.active)
    out.pop(None, None)  # a municipality outside every region shares no region with anyone
    return out


# --- scopes ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    number: str
    name: str
    population: int | None
    region_id: int | None


def _places(session: Session, *, region: str | None, county: str | None) -> tuple[str, list[Place], list[int] | None]:
    """The scope's label, its municipalities, and the regions to look in for `outside_catchment`."""
    if region and county:
        raise InvalidInput(
            "Velg region eller fylke, ikke begge",
            [FieldError(("query", "county"), "give either region or county, not both")],
        )
    stmt = select(Municipality).order_by(col(Municipality.number))
    label = "country"
    if region:
        stmt = stmt.where(col(Municipality.region_id) == region_by_code(session, region, ("query", "region")).id)
        label = f"region:{region}"
    elif county:
        stmt = stmt.where(col(Municipality.county_number) == county)
        label = f"county:{county}"
    places = [Place(m.number, m.name, m.population, m.region_id) for m in session.execute(stmt).scalars()]
    if county and not places:
        raise InvalidInput("Ukjent fylke", [FieldError(("query", "county"), f"unknown county '{county}'")])
    regions = None if label == "country" else sorted({p.region_id for p in places if p.region_id is not None})
    return label, places, regions


def _regions_of(session: Session) -> dict[str, int | None]:
    """Every municipality's region."""
    rows = session.execute(select(col(Municipality.number), col(Municipality.region_id))).all()
    return {row[0]: row[1] for row in rows}


# --- answers -----------------------------------------------------------------------------------------------


def _header(the_plan: Plan) -> dict[str, Any]:
    return {
        "template_id": the_plan.id,
        "series": the_plan.series,
        "series_version": the_plan.series_version,
        "title": the_plan.title,
    }


@dataclass
class _Total:
    key: str
    covered: int = 0
    partial: int = 0
    population: int = 0

    def add(self, cell: Cell, population: int) -> None:
        self.covered += cell.covered
        self.partial += cell.partial
        self.population += population if cell.covered else 0

    def as_dict(self, population: int) -> dict[str, Any]:
        return {
            "key": self.key,
            "municipalities_covered": self.covered,
            "municipalities_partial": self.partial,
            "population_covered": self.population,
            "population_share": round(self.population / population, 4) if population else 0.0,
        }


def matrix(
    session: Session,
    actor: Actor,
    template_id: int,
    *,
    region: str | None = None,
    county: str | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Municipalities × steps of a published template, with totals per step; the whole country by default."""
    the_plan = plan(session, actor, template_id)
    label, places, region_ids = _places(session, region=region, county=county)
    grid = _grid(session, the_plan, places, region_ids, today or norwegian_today())
    population = sum(p.population or 0 for p in places)
    rows = []
    totals = [_Total(s.key) for s in the_plan.steps]
    for place, cells in zip(places, grid, strict=True):
        for total, cell in zip(totals, cells, strict=True):
            total.add(cell, place.population or 0)
        rows.append(
            {
                "number": place.number,
                "name": place.name,
                "population": place.population,
                "cells": [
                    {
                        "key": step.key,
                        "covered": cell.covered,
                        "partial": cell.partial,
                        "reason": cell.reason,
                        "service_count": cell.service_count,
                    }
                    for step, cell in zip(the_plan.steps, cells, strict=True)
                ],
                "covered_steps": sum(c.covered for c in cells),
                "partial_steps": sum(c.partial for c in cells),
            }
        )
    return {
        **_header(the_plan),
        "scope": label,
        "steps": [{"key": s.key, "title": s.title} for s in the_plan.steps],
        "municipalities": rows,
        "step_totals": [t.as_dict(population) for t in totals],
        "population": population,
    }


def _grid(
    session: Session, the_plan: Plan, places: list[Place], region_ids: list[int] | None, today: date
) -> list[list[Cell]]:
    partial = _partial_providers(session)
    cand = _candidates(the_plan, today, partial)
    region_of = _regions_of(session)
    here, by_provider = _offers(session, cand, region_ids, partial)
    regions = _region_offers(here, region_of, by_provider)
    return [
        [judge(step, here.get(p.number, ()), regions.get(p.region_id, ())) for step in the_plan.steps] for p in places
    ]


def _municipality(session: Session, number: str) -> Municipality:
    found = session.get(Municipality, number)
    if found is None:
        raise NotFound(f"Ingen kommune har nummer {number}")
    return found


def for_municipality(
    session: Session, actor: Actor, template_id: int, number: str, *, today: date | None = None
) -> dict[str, Any]:
    """One municipality's steps of a published template, each with the services that cover it."""
    the_plan = plan(session, actor, template_id)
    return _template_coverage(session, the_plan, _municipality(session, number), today or norwegian_today())


def _template_coverage(session: Session, the_plan: Plan, place: Municipality, today: date) -> dict[str, Any]:
    partial = _partial_providers(session)
    cand = _candidates(the_plan, today, partial)
    region_ids = [place.region_id] if place.region_id is not None else []
    region_of = _regions_of(session)
    here, by_provider = _offers(session, cand, region_ids, partial)
    regions = _region_offers(here, region_of, by_provider)
    offers, listed = _services_for(session, cand, place.number, partial)
    steps = []
    for step in the_plan.steps:
        cell = judge(step, offers, regions.get(place.region_id, ()))
        covering = sorted(
            (listed[o.service_id] for o in cell.offers if o.service_id is not None),
            key=lambda s: (s["partial"], s["name"].casefold(), s["id"]),
        )
        steps.append(
            {
                "key": step.key,
                "title": step.title,
                "covered": cell.covered,
                "partial": cell.partial,
                "reason": cell.reason,
                "services": covering,
            }
        )
    return {
        **_header(the_plan),
        "municipality": place.number,
        "steps": steps,
        "covered_steps": sum(s["covered"] for s in steps),
        "partial_steps": sum(s["partial"] for s in steps),
        "total_steps": len(steps),
    }


def _services_for(
    session: Session, cand: CTE, number: str, partial: dict[int, set[str]]
) -> tuple[list[Offer], dict[int, dict[str, Any]]]:
    """Each candidate service serving `number`, one offer each, and the services as the answer lists them."""
    c = service_catchment.c
    rows = session.execute(
        select(cand, services.c.name, services.c.level)
        .join_from(cand, service_catchment, c.service_id == cand.c.id)
        .join(services, services.c.id == cand.c.id)
        .where(c.municipality_number == number)
    ).all()
    ids = [r.id for r in rows]
    forms: dict[int, list[str]] = {}
    order = list(FORM_BITS)
    for service_id, form in session.execute(
        select(service_forms.c.service_id, service_forms.c.form).where(service_forms.c.service_id.in_(ids))
    ):
        forms.setdefault(service_id, []).append(form)
    offers = []
    listed = {}
    for r in rows:
        is_partial = bool(r.pprov) and number in partial.get(r.pprov, ())
        offers.append(_unpack(r.example, bool(r.active), is_partial, 1, r.id))
        listed[r.id] = {
            "id": r.id,
            "name": r.name,
            "provider_id": r.provider_id,
            "level": r.level,
            "forms": sorted(forms.get(r.id, []), key=order.index),
            "partial": is_partial,
        }
    return offers, listed


def municipality_overview(session: Session, number: str, *, today: date | None = None) -> dict[str, Any]:
    """Every published template's steps for one municipality: what can its residents get?"""
    place = _municipality(session, number)
    day = today or norwegian_today()
    return {
        "municipality": place.number,
        "name": place.name,
        "templates": [_template_coverage(session, p, place, day) for p in published_plans(session)],
    }


# --- export ------------------------------------------------------------------------------------------------


def matrix_csv(grid: dict[str, Any]) -> Iterator[bytes]:
    """The matrix as the service CSV is written: UTF-8 with BOM, semicolons, CRLF, formulas escaped.

    One row per municipality; a step's column is `step:<key>` (a key may be any slug, `name` too) and its
    cell `covered`, `partial` or the reason code.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(
        ["number", "name", "population", *(f"step:{s['key']}" for s in grid["steps"]), "covered_steps", "partial_steps"]
    )
    for row in grid["municipalities"]:
        cells = ["covered" if c["covered"] else "partial" if c["partial"] else str(c["reason"]) for c in row["cells"]]
        writer.writerow(
            [safe_cell(v) for v in (row["number"], row["name"], row["population"], *cells)]
            + [row["covered_steps"], row["partial_steps"]]
        )
    yield ("\ufeff" + buffer.getvalue()).encode("utf-8")


def owner_region(session: Session, template_id: int) -> str | None:
    """The region code of the template's owner, where the heat map opens (None: not in a region)."""
    row = session.execute(
        select(col(Region.code))
        .join(Organisation, col(Organisation.region_id) == col(Region.id))
        .join(PathwayTemplate, col(PathwayTemplate.owner_id) == col(Organisation.id))
        .where(col(PathwayTemplate.id) == template_id)
    ).first()
    return row[0] if row else None


def region_codes(session: Session) -> list[tuple[str, str]]:
    return [(r.code, r.name) for r in session.execute(select(Region).order_by(col(Region.code))).scalars()]
