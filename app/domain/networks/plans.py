"""A network's yearly action plan (handlingsplan): revisions, sections, measures, and its workflow.

One plan per network and `year` (the year it covers), in numbered revisions; only the newest can be a draft.

    draft → submitted → approved        (submit: those who work in the network; approve: see below)
    submitted | approved → new draft    (a revision, n+1, copying the sections and the measure links)

A draft is written by whoever works in the network (access.require_work: editors of the owner or of a
member organisation, admins). Submitted and approved revisions are frozen (409), except that the measures
of the plan's own may still have their progress recorded (status, done date, note): that is following the
plan up, not changing it. Approving is for editors of a member organisation of the committee the network
reports to (its `parent_id`) and administrators; a network that reports to no committee: administrators.

Measures live in the shared `measure` table: a plan lists a measure of one of the network's gaps (changed
under its gap) or one of its own (`gap_id` null, written here through app.domain.gaps.measures). A
revision's version continues from the previous revision's, so an ETag never names two revisions.

Audit entity type: `action_plan` (the plan's sections, status and measure links); the measures of the plan's
own are audited as `gap_measure`, as every measure is.
"""

from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from app.domain.gaps import measures as gap_measures
from app.domain.gaps.records import CLOSED_GAP
from app.domain.networks import access, records
from app.domain.networks.deadlines import plan_due
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.cursors import decode_cursor, encode_cursor
from app.models import ActionPlan, ActionPlanMeasure, Gap, Measure, Network, NetworkMember
from app.models.base import shaped
from app.models.gap import MeasureCreate
from app.models.network import (
    ActionPlanRead,
    ActionPlanWrite,
    PlanMeasureAdd,
    PlanMeasureRead,
    PlanMeasureUpdate,
    PlanStatus,
)
from app.models.types import utcnow

ENTITY = "action_plan"
WHAT = "action plan"
MEASURE_WHAT = "measure"
# Møre og Romsdal's outline for a fagråd's plan.
DEFAULT_OUTLINE = (
    ("formal", "Formål"),
    ("mandat_og_organisering", "Mandat og organisering"),
    ("ressurser", "Ressurser"),
    ("begreper", "Begreper"),
    ("utfordringer", "Utfordringer"),
    ("gjennomforing", "Gjennomføring"),
    ("mal_og_tiltak", "Mål og tiltak per område"),
    ("litteratur", "Litteratur"),
)
_LINK_FIELDS = ("area", "contact", "time_frame", "position")
_MEASURE_FIELDS = ("what", "responsible_id", "due_on", "status", "done_on", "note")
_PROGRESS_FIELDS = frozenset({"status", "done_on", "note"})
_FROZEN = {
    PlanStatus.submitted.value: "sendt inn",
    PlanStatus.approved.value: "godkjent",
}


def default_sections(network: Network) -> list[dict[str, str]]:
    """The default outline; the mandate section starts with the network's mandate."""
    return [
        {"key": key, "title": title, "text": (network.mandate or "") if key == "mandat_og_organisering" else ""}
        for key, title in DEFAULT_OUTLINE
    ]


# --- reading -----------------------------------------------------------------------------------------------


def revisions_of(session: Session, network_id: int, year: int) -> list[ActionPlan]:
    stmt = (
        select(ActionPlan)
        .where(col(ActionPlan.network_id) == network_id, col(ActionPlan.year) == year)
        .order_by(col(ActionPlan.revision))
    )
    return list(session.execute(stmt).scalars())


def newest(session: Session, network_id: int, year: int) -> ActionPlan | None:
    stmt = (
        select(ActionPlan)
        .where(col(ActionPlan.network_id) == network_id, col(ActionPlan.year) == year)
        .order_by(col(ActionPlan.revision).desc())
        .limit(1)
    )
    return session.execute(stmt).scalars().first()


def _newest_or_404(session: Session, network: Network, year: int) -> ActionPlan:
    assert network.id is not None
    plan = newest(session, network.id, year)
    if plan is None:
        raise NotFound(f"Nettverket «{network.name}» har ingen handlingsplan for {year} ennå")
    return plan


def links_of(session: Session, plan_ids: list[int]) -> dict[int, list[ActionPlanMeasure]]:
    out: dict[int, list[ActionPlanMeasure]] = {}
    if not plan_ids:
        return out
    rows = session.execute(
        select(ActionPlanMeasure)
        .where(col(ActionPlanMeasure.plan_id).in_(plan_ids))
        .order_by(col(ActionPlanMeasure.position), col(ActionPlanMeasure.measure_id))
    ).scalars()
    for link in rows:
        out.setdefault(link.plan_id, []).append(link)
    return out


def read_measures(session: Session, links: list[ActionPlanMeasure], today: date | None = None) -> list[dict[str, Any]]:
    """The linked measures (deleted ones left out) as the gaps domain reads them, with the link's fields."""
    ids = [link.measure_id for link in links]
    found = {
        m.id: m
        for m in session.execute(
            select(Measure).where(col(Measure.id).in_(ids), col(Measure.deleted_at).is_(None))
        ).scalars()
    }
    live = [link for link in links if link.measure_id in found]
    read = gap_measures.read_many(session, [found[link.measure_id] for link in live], today)
    return [
        shaped(
            {
                **values,
                "area": link.area,
                "contact": link.contact,
                "time_frame": link.time_frame,
                "position": link.position,
            },
            PlanMeasureRead,
        )
        for link, values in zip(live, read, strict=True)
    ]


def read_many(
    session: Session, network: Network, plans: list[ActionPlan], today: date | None = None
) -> list[dict[str, Any]]:
    links = links_of(session, [p.id for p in plans if p.id is not None])
    out = []
    for plan in plans:
        assert plan.id is not None
        values = {
            **plan.model_dump(),
            "network_name": network.name,
            "due_on": plan_due(network, plan.year),
            "measures": read_measures(session, links.get(plan.id, []), today),
        }
        out.append(shaped(values, ActionPlanRead))
    return out


def read(session: Session, network: Network, plan: ActionPlan, today: date | None = None) -> dict[str, Any]:
    return read_many(session, network, [plan], today)[0]


def _audited(session: Session, plan: ActionPlan) -> dict[str, Any]:
    """What an audit event compares: the plan's own values and its measure links (not the measures)."""
    assert plan.id is not None
    links = links_of(session, [plan.id]).get(plan.id, [])
    return {
        "network_id": plan.network_id,
        "year": plan.year,
        "revision": plan.revision,
        "status": plan.status,
        "sections": plan.sections,
        "submitted_at": plan.submitted_at,
        "approved_at": plan.approved_at,
        "approved_by": plan.approved_by,
        "measures": [
            {k: getattr(link, k) for k in ("measure_id", "area", "contact", "time_frame", "position")} for link in links
        ],
    }


def get_plan(session: Session, actor: Actor, network_id: int, year: int, today: date | None = None) -> dict[str, Any]:
    """The newest revision of the network's plan for `year`, with its measures."""
    access.require_reader(actor)
    network = records.get_network(session, network_id)
    return read(session, network, _newest_or_404(session, network, year), today)


def get_revision(session: Session, actor: Actor, plan_id: int, today: date | None = None) -> dict[str, Any]:
    """One revision by its id: what the change feed's URL for an `action_plan` event names."""
    access.require_reader(actor)
    plan = session.get(ActionPlan, plan_id)
    if plan is None:
        raise NotFound(f"Fant ingen handlingsplan med id {plan_id}")
    return read(session, records.get_network(session, plan.network_id), plan, today)


def list_revisions(
    session: Session, actor: Actor, network_id: int, year: int, *, limit: int = 100, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Every revision of the plan for `year`, oldest first."""
    access.require_reader(actor)
    network = records.get_network(session, network_id)
    rows = revisions_of(session, network_id, year)
    if cursor:
        after = decode_cursor(cursor, int)
        rows = [r for r in rows if r.revision > after]
    page = rows[:limit]
    more = len(rows) > limit
    return read_many(session, network, page), encode_cursor(page[-1].revision) if more and page else None


def plan_document(session: Session, actor: Actor, network_id: int, year: int) -> dict[str, Any]:
    """Everything a document of the plan shows (newest revision), as plain values for the renderers."""
    access.require_reader(actor)
    network = records.get_network(session, network_id)
    plan = read(session, network, _newest_or_404(session, network, year))
    return {"network": records.read(session, network), "plan": plan, "title": f"Handlingsplan {year}"}


# --- writing -----------------------------------------------------------------------------------------------


def _frozen(plan: ActionPlan) -> Conflict:
    return Conflict(
        f"Handlingsplanen for {plan.year} (revisjon {plan.revision}) er {_FROZEN.get(plan.status, plan.status)} "
        "og kan ikke endres: lag en ny revisjon først"
    )


def _bump(session: Session, plan: ActionPlan, values: dict[str, Any] | None = None) -> int:
    assert plan.id is not None
    version = guarded_update(session, ActionPlan, plan.id, plan.version, values or {}, WHAT)
    session.expire(plan)
    return version


def _new_revision(session: Session, actor: Actor, network: Network, previous: ActionPlan) -> ActionPlan:
    """A draft n+1 copying the sections and the measure links (never the measures)."""
    assert previous.id is not None
    plan = ActionPlan(
        network_id=previous.network_id,
        year=previous.year,
        revision=previous.revision + 1,
        status=PlanStatus.draft.value,
        sections=list(previous.sections),
        version=previous.version + 1,
    )
    session.add(plan)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("Noen andre laget en ny revisjon samtidig: hent planen på nytt") from exc
    assert plan.id is not None
    links = links_of(session, [previous.id]).get(previous.id, [])
    if links:
        session.execute(
            insert(ActionPlanMeasure),
            [
                {
                    "plan_id": plan.id,
                    "measure_id": link.measure_id,
                    "position": link.position,
                    "area": link.area,
                    "contact": link.contact,
                    "time_frame": link.time_frame,
                }
                for link in links
            ],
        )
    audit.record(session, actor, "revise", ENTITY, plan.id, None, _audited(session, plan), plan.version)
    return plan


def put_plan(
    session: Session, actor: Actor, network_id: int, year: int, data: ActionPlanWrite, if_match: str | None
) -> tuple[dict[str, Any], bool]:
    """Create the plan (revision 1) or edit its draft; on a submitted or approved plan, make a new draft
    revision with these sections. If-Match (the newest revision's version) whenever a plan exists.
    Returns the plan and whether a revision was created."""
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    current = newest(session, network_id, year)
    sections = [s.model_dump() for s in data.sections] if data.sections is not None else None
    if current is None:
        plan = ActionPlan(network_id=network_id, year=year, revision=1, sections=sections or default_sections(network))
        session.add(plan)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict("Noen andre opprettet planen samtidig: hent den og prøv igjen") from exc
        assert plan.id is not None
        audit.record(session, actor, "create", ENTITY, plan.id, None, _audited(session, plan), plan.version)
        return read(session, network, plan), True
    require_if_match(if_match, WHAT)
    check_version(current.version, if_match, required=True, what=WHAT)
    created = False
    if current.status != PlanStatus.draft.value:
        current = _new_revision(session, actor, network, current)
        created = True
    if sections is not None and sections != current.sections:
        assert current.id is not None
        before = _audited(session, current)
        version = _bump(session, current, {"sections": sections})
        audit.record(session, actor, "update", ENTITY, current.id, before, _audited(session, current), version)
    return read(session, network, current), created


def revise(session: Session, actor: Actor, network_id: int, year: int, if_match: str | None) -> dict[str, Any]:
    """A new draft revision of a submitted or approved plan (409 while the newest is a draft)."""
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    current = _newest_or_404(session, network, year)
    check_version(current.version, if_match, required=True, what=WHAT)
    if current.status == PlanStatus.draft.value:
        raise Conflict(f"Revisjon {current.revision} av handlingsplanen for {year} er allerede et utkast")
    return read(session, network, _new_revision(session, actor, network, current))


def submit(session: Session, actor: Actor, network_id: int, year: int, if_match: str | None) -> dict[str, Any]:
    """draft → submitted: the revision is frozen from now on."""
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    plan = _newest_or_404(session, network, year)
    check_version(plan.version, if_match, required=True, what=WHAT)
    if plan.status != PlanStatus.draft.value:
        raise Conflict(f"Handlingsplanen for {year} er allerede {_FROZEN[plan.status]}")
    assert plan.id is not None
    before = _audited(session, plan)
    version = _bump(session, plan, {"status": PlanStatus.submitted.value, "submitted_at": utcnow()})
    audit.record(session, actor, "submit", ENTITY, plan.id, before, _audited(session, plan), version)
    return read(session, network, plan)


def may_approve(session: Session, actor: Actor, network: Network) -> bool:
    """Editors of a member organisation of the committee the network reports to, and administrators."""
    if not actor.can_write:
        return False
    allowed = actor.writable_organisations()
    if allowed is None:
        return True
    if network.parent_id is None:
        return False
    members = set(
        session.execute(
            select(col(NetworkMember.organisation_id)).where(col(NetworkMember.network_id) == network.parent_id)
        ).scalars()
    )
    return bool(allowed & members)


def approve(session: Session, actor: Actor, network_id: int, year: int, if_match: str | None) -> dict[str, Any]:
    """submitted → approved, by the committee's members or an administrator."""
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    if not actor.can_write:
        raise Forbidden("Kontoen eller API-nøkkelen din kan bare lese")
    if not may_approve(session, actor, network):
        raise Forbidden(
            "Bare redaktører i medlemsorganisasjonene til samhandlingsutvalget nettverket rapporterer til, og "
            "administratorer, kan godkjenne handlingsplanen"
            if network.parent_id is not None
            else "Nettverket rapporterer ikke til noe samhandlingsutvalg: bare administratorer kan godkjenne planen"
        )
    plan = _newest_or_404(session, network, year)
    check_version(plan.version, if_match, required=True, what=WHAT)
    if plan.status != PlanStatus.submitted.value:
        raise Conflict(
            f"Bare en innsendt handlingsplan kan godkjennes; revisjon {plan.revision} for {year} er "
            + ("et utkast" if plan.status == PlanStatus.draft.value else "allerede godkjent")
        )
    assert plan.id is not None
    before = _audited(session, plan)
    values = {"status": PlanStatus.approved.value, "approved_at": utcnow(), "approved_by": actor.label[:300]}
    version = _bump(session, plan, values)
    audit.record(session, actor, "approve", ENTITY, plan.id, before, _audited(session, plan), version)
    return read(session, network, plan)


# --- the plan's measures -----------------------------------------------------------------------------------


def _draft(session: Session, actor: Actor, network_id: int, year: int) -> tuple[Network, ActionPlan]:
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    plan = _newest_or_404(session, network, year)
    return network, plan


def _link(session: Session, plan: ActionPlan, measure_id: int) -> ActionPlanMeasure:
    assert plan.id is not None
    link = session.get(ActionPlanMeasure, (plan.id, measure_id))
    measure = session.get(Measure, measure_id)
    if link is None or measure is None or measure.deleted_at is not None:
        raise NotFound(f"Handlingsplanen for {plan.year} har ikke noe tiltak med id {measure_id}")
    return link


def _one(session: Session, plan: ActionPlan, measure_id: int, today: date | None) -> dict[str, Any]:
    (item,) = read_measures(session, [_link(session, plan, measure_id)], today)
    return item


def _network_gap_measure(session: Session, network: Network, measure_id: int) -> Measure:
    measure = session.get(Measure, measure_id)
    gap = session.get(Gap, measure.gap_id) if measure is not None and measure.gap_id is not None else None
    if (
        measure is None
        or measure.deleted_at is not None
        or gap is None
        or gap.deleted_at is not None
        or gap.network_id != network.id
    ):
        raise InvalidInput(
            "Ukjent tiltak",
            [FieldError(("body", "measure_id"), f"fant ikke noe tiltak med id {measure_id} under nettverkets behov")],
        )
    if gap.status in CLOSED_GAP:
        raise Conflict(f"Tiltaket hører til et udekket behov som er lukket (behov {gap.id})")
    return measure


def add_measure(
    session: Session, actor: Actor, network_id: int, year: int, data: PlanMeasureAdd, today: date | None = None
) -> dict[str, Any]:
    """List a measure of one of the network's gaps in the draft, or create one of the plan's own."""
    network, plan = _draft(session, actor, network_id, year)
    if plan.status != PlanStatus.draft.value:
        raise _frozen(plan)
    assert plan.id is not None
    before = _audited(session, plan)
    if data.measure_id is not None:
        measure_id = data.measure_id
        _network_gap_measure(session, network, measure_id)
        if session.get(ActionPlanMeasure, (plan.id, measure_id)) is not None:
            raise Conflict(f"Tiltak {measure_id} står allerede i handlingsplanen")
    else:
        body = {k: getattr(data, k) for k in _MEASURE_FIELDS if getattr(data, k) is not None}
        try:
            create = MeasureCreate.model_validate(body)
        except ValueError as exc:
            raise InvalidInput("Tiltaket er ikke gyldig", [FieldError(("body",), str(exc))]) from exc
        measure_id = int(gap_measures.create_loose_measure(session, actor, create, today)["id"])
    position = data.position
    if position is None:
        last = session.execute(
            select(func.max(col(ActionPlanMeasure.position))).where(col(ActionPlanMeasure.plan_id) == plan.id)
        ).scalar()
        position = 0 if last is None else int(last) + 1
    session.execute(
        insert(ActionPlanMeasure).values(
            plan_id=plan.id,
            measure_id=measure_id,
            position=position,
            area=data.area,
            contact=data.contact,
            time_frame=data.time_frame,
        )
    )
    version = _bump(session, plan)
    audit.record(session, actor, "update", ENTITY, plan.id, before, _audited(session, plan), version)
    return _one(session, plan, measure_id, today)


def update_measure(
    session: Session,
    actor: Actor,
    network_id: int,
    year: int,
    measure_id: int,
    data: PlanMeasureUpdate,
    if_match: str | None,
    today: date | None = None,
) -> dict[str, Any]:
    """Change the link's fields (a draft only) and, for a measure of the plan's own, the measure's fields
    (on a frozen plan only its progress: status, done date, note). If-Match: the measure's version."""
    require_if_match(if_match, MEASURE_WHAT)
    _network, plan = _draft(session, actor, network_id, year)
    link = _link(session, plan, measure_id)
    measure = session.get(Measure, measure_id)
    assert measure is not None
    assert plan.id is not None
    changes = data.model_dump(exclude_unset=True)
    link_changes = {k: v for k, v in changes.items() if k in _LINK_FIELDS}
    measure_changes = {k: v for k, v in changes.items() if k in _MEASURE_FIELDS}
    if "position" in link_changes and link_changes["position"] is None:
        raise InvalidInput("Påkrevde felt kan ikke tømmes", [FieldError(("body", "position"), "kan ikke være null")])
    frozen = plan.status != PlanStatus.draft.value
    if frozen and (link_changes or not _PROGRESS_FIELDS.issuperset(measure_changes)):
        raise _frozen(plan)
    if measure_changes and measure.gap_id is not None:
        raise Conflict(
            f"Tiltak {measure_id} hører til det udekkede behovet {measure.gap_id}: endre det der "
            "(planen endrer bare område, kontakt og tidsramme for det)"
        )
    check_version(measure.version, if_match, required=True, what=MEASURE_WHAT)
    if measure_changes:
        gap_measures.update_loose_measure(session, actor, measure_id, measure_changes, f'"{measure.version}"', today)
    if link_changes and any(getattr(link, k) != v for k, v in link_changes.items()):
        before = _audited(session, plan)
        session.execute(
            update(ActionPlanMeasure)
            .where(col(ActionPlanMeasure.plan_id) == plan.id, col(ActionPlanMeasure.measure_id) == measure_id)
            .values(**link_changes)
        )
        session.expire(link)
        version = _bump(session, plan)
        audit.record(session, actor, "update", ENTITY, plan.id, before, _audited(session, plan), version)
    return _one(session, plan, measure_id, today)


def remove_measure(
    session: Session, actor: Actor, network_id: int, year: int, measure_id: int, if_match: str | None
) -> None:
    """Take a measure out of the draft; a measure of the plan's own that no other revision lists is deleted
    too. If-Match: the measure's version."""
    require_if_match(if_match, MEASURE_WHAT)
    _network, plan = _draft(session, actor, network_id, year)
    if plan.status != PlanStatus.draft.value:
        raise _frozen(plan)
    _link(session, plan, measure_id)
    measure = session.get(Measure, measure_id)
    assert measure is not None
    assert plan.id is not None
    check_version(measure.version, if_match, required=True, what=MEASURE_WHAT)
    before = _audited(session, plan)
    session.execute(
        delete(ActionPlanMeasure).where(
            col(ActionPlanMeasure.plan_id) == plan.id, col(ActionPlanMeasure.measure_id) == measure_id
        )
    )
    elsewhere = session.execute(
        select(func.count()).select_from(ActionPlanMeasure).where(col(ActionPlanMeasure.measure_id) == measure_id)
    ).scalar_one()
    if measure.gap_id is None and not elsewhere:
        gap_measures.delete_loose_measure(session, actor, measure_id)
    version = _bump(session, plan)
    audit.record(session, actor, "update", ENTITY, plan.id, before, _audited(session, plan), version)
