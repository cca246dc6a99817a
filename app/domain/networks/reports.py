"""A network's annual report (årsrapport): figures taken from the data beside the network's own text.

The figures for year Y:
- `meetings`: the meetings held in Y (date, kind, title);
- `measures`: every measure of the plan for Y — its newest revision that is not a draft, else the draft —
  with its status and, where it is not done, the reason the report gives (`measure_notes`);
- `gaps`: the gaps the network registered in Y, those resolved in Y (their last move to `resolved`, from
  the audit trail) and those still open;
- `coverage`: per series the network follows, the published template's share of covered steps in the
  network's region (when it names one) or its municipalities, with the change since the share stored by
  last year's submitted report.

Coverage is computed at read time, so submitting stores the figures as a snapshot and freezes the report:
a submitted report always shows what was sent. Audit entity type: `annual_report`.
"""

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.domain import audit, coverage
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from app.domain.gaps.records import CLOSED_GAP, MEASURE_STATUS_LABELS, STATUS_LABELS
from app.domain.networks import access, plans, records
from app.domain.networks.deadlines import report_due
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.models import (
    ActionPlan,
    AnnualReport,
    AuditEvent,
    Gap,
    Network,
    NetworkMeeting,
    NetworkMunicipality,
    NetworkSeries,
    PathwayTemplate,
    Region,
)
from app.models.base import shaped
from app.models.gap import GapStatus, MeasureStatus
from app.models.network import AnnualReportRead, AnnualReportWrite, PlanStatus, ReportStatus
from app.models.pathway import PathwayStatus
from app.models.types import utcnow

ENTITY = "annual_report"
WHAT = "annual report"


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)


def get_report_row(session: Session, network_id: int, year: int) -> AnnualReport | None:
    return (
        session.execute(
            select(AnnualReport).where(col(AnnualReport.network_id) == network_id, col(AnnualReport.year) == year)
        )
        .scalars()
        .first()
    )


# --- the figures ---------------------------------------------------------------------------------------------


def _meetings(session: Session, network_id: int, year: int) -> list[dict[str, Any]]:
    rows = session.execute(
        select(NetworkMeeting)
        .where(
            col(NetworkMeeting.network_id) == network_id,
            col(NetworkMeeting.deleted_at).is_(None),
            col(NetworkMeeting.held_on) >= date(year, 1, 1),
            col(NetworkMeeting.held_on) <= date(year, 12, 31),
        )
        .order_by(col(NetworkMeeting.held_on), col(NetworkMeeting.id))
    ).scalars()
    return [{"id": m.id, "held_on": m.held_on.isoformat(), "kind": m.kind, "title": m.title} for m in rows]


def _plan_of_year(session: Session, network_id: int, year: int) -> ActionPlan | None:
    """The newest revision for `year` that is not a draft, else the draft (None: no plan)."""
    revisions = plans.revisions_of(session, network_id, year)
    settled = [p for p in revisions if p.status != PlanStatus.draft.value]
    chosen = settled or revisions
    return chosen[-1] if chosen else None


def _measures(session: Session, network_id: int, year: int, notes: dict[str, Any]) -> dict[str, Any]:
    plan = _plan_of_year(session, network_id, year)
    if plan is None:
        return {"plan_revision": None, "plan_status": None, "items": [], "by_status": {}}
    assert plan.id is not None
    items = []
    by_status: dict[str, int] = {s.value: 0 for s in MeasureStatus}
    for m in plans.read_measures(session, plans.links_of(session, [plan.id]).get(plan.id, []), date(year, 12, 31)):
        status = str(m["status"])
        by_status[status] += 1
        items.append(
            {
                "id": m["id"],
                "gap_id": m["gap_id"],
                "what": m["what"],
                "responsible_name": m["responsible_name"],
                "area": m["area"],
                "due_on": m["due_on"].isoformat() if m["due_on"] else None,
                "status": status,
                "status_text": MEASURE_STATUS_LABELS[MeasureStatus(status)],
                "done_on": m["done_on"].isoformat() if m["done_on"] else None,
                "reason": None if status == MeasureStatus.done.value else notes.get(str(m["id"])),
            }
        )
    return {"plan_revision": plan.revision, "plan_status": plan.status, "items": items, "by_status": by_status}


def _gap_item(gap: Gap) -> dict[str, Any]:
    return {"id": gap.id, "title": gap.title, "status": gap.status, "status_text": STATUS_LABELS[GapStatus(gap.status)]}


def _gaps(session: Session, network_id: int, year: int) -> dict[str, Any]:
    gaps = list(
        session.execute(
            select(Gap).where(col(Gap.network_id) == network_id, col(Gap.deleted_at).is_(None)).order_by(col(Gap.id))
        ).scalars()
    )
    start, end = _year_bounds(year)

    def in_year(at: datetime) -> bool:
        aware = at if at.tzinfo else at.replace(tzinfo=UTC)
        return start <= aware < end

    resolved_ids = {g.id for g in gaps if g.status == GapStatus.resolved.value}
    resolved_at: dict[int, datetime] = {}
    if resolved_ids:
        events = session.execute(
            select(col(AuditEvent.entity_id), col(AuditEvent.at), col(AuditEvent.changes))
            .where(
                col(AuditEvent.entity_type) == "gap",
                col(AuditEvent.action) == "transition",
                col(AuditEvent.entity_id).in_([str(i) for i in resolved_ids]),
            )
            .order_by(col(AuditEvent.id))
        ).all()
        for entity_id, at, changes in events:
            status = (changes or {}).get("status")
            if isinstance(status, list) and len(status) == 2 and status[1] == GapStatus.resolved.value:
                resolved_at[int(entity_id)] = at
    registered = [_gap_item(g) for g in gaps if in_year(g.created_at)]
    resolved = [_gap_item(g) for g in gaps if g.id in resolved_at and in_year(resolved_at[g.id])]
    still_open = [_gap_item(g) for g in gaps if g.status not in CLOSED_GAP]
    return {
        "registered": registered,
        "resolved": resolved,
        "open": still_open,
        "counts": {"registered": len(registered), "resolved": len(resolved), "open": len(still_open)},
    }


def _published(session: Session, series: str) -> PathwayTemplate | None:
    return (
        session.execute(
            select(PathwayTemplate)
            .where(col(PathwayTemplate.series) == series, col(PathwayTemplate.status) == PathwayStatus.published.value)
            .order_by(col(PathwayTemplate.series_version).desc())
        )
        .scalars()
        .first()
    )


def _scope(session: Session, network: Network) -> tuple[str | None, set[str] | None]:
    """(region code for the matrix, the municipalities to count: None for all of the matrix)."""
    assert network.id is not None
    if network.region_id is not None:
        region = session.get(Region, network.region_id)
        return (region.code if region else None), None
    numbers = set(
        session.execute(
            select(col(NetworkMunicipality.municipality_number)).where(
                col(NetworkMunicipality.network_id) == network.id
            )
        ).scalars()
    )
    return None, numbers


def _coverage(
    session: Session, actor: Actor, network: Network, previous: dict[str, Any] | None
) -> list[dict[str, Any]]:
    assert network.id is not None
    series_list = list(
        session.execute(
            select(col(NetworkSeries.series))
            .where(col(NetworkSeries.network_id) == network.id)
            .order_by(col(NetworkSeries.series))
        ).scalars()
    )
    before = {c["series"]: c.get("share") for c in (previous or {}).get("coverage", [])}
    region, numbers = _scope(session, network)
    out = []
    for series in series_list:
        template = _published(session, series)
        entry: dict[str, Any] = {
            "series": series,
            "template_id": None,
            "series_version": None,
            "title": None,
            "scope": f"region:{region}" if region else "municipalities",
            "municipalities": 0,
            "steps": 0,
            "covered_cells": 0,
            "share": None,
        }
        if template is not None and template.id is not None and (region or numbers):
            grid = coverage.matrix(session, actor, template.id, region=region)
            rows = [r for r in grid["municipalities"] if numbers is None or r["number"] in numbers]
            cells = len(rows) * len(grid["steps"])
            covered = sum(int(r["covered_steps"]) for r in rows)
            entry |= {
                "template_id": template.id,
                "series_version": template.series_version,
                "title": template.title,
                "municipalities": len(rows),
                "steps": len(grid["steps"]),
                "covered_cells": covered,
                "share": round(covered / cells, 4) if cells else None,
            }
        old = before.get(series)
        entry["previous_share"] = old
        entry["change"] = (
            round(entry["share"] - old, 4) if entry["share"] is not None and isinstance(old, int | float) else None
        )
        out.append(entry)
    return out


def figures(session: Session, actor: Actor, network: Network, year: int, notes: dict[str, Any]) -> dict[str, Any]:
    """The report's figures as they are now (JSON-ready)."""
    assert network.id is not None
    last = get_report_row(session, network.id, year - 1)
    previous = last.snapshot if last is not None and last.status == ReportStatus.submitted.value else None
    return {
        "meetings": _meetings(session, network.id, year),
        "measures": _measures(session, network.id, year, notes),
        "gaps": _gaps(session, network.id, year),
        "coverage": _coverage(session, actor, network, previous),
    }


# --- reading and writing -------------------------------------------------------------------------------------


def _read(session: Session, actor: Actor, network: Network, year: int, row: AnnualReport | None) -> dict[str, Any]:
    notes = dict(row.measure_notes) if row is not None else {}
    if row is not None and row.status == ReportStatus.submitted.value and row.snapshot is not None:
        numbers = row.snapshot
    else:
        numbers = figures(session, actor, network, year, notes)
    assert network.id is not None
    values = {
        "id": row.id if row else None,
        "network_id": network.id,
        "network_name": network.name,
        "year": year,
        "status": row.status if row else ReportStatus.draft.value,
        "due_on": report_due(network, year),
        "text": row.text if row else None,
        "measure_notes": notes,
        "figures": numbers,
        "submitted_at": row.submitted_at if row else None,
        "created_at": row.created_at if row else None,
        "updated_at": row.updated_at if row else None,
        "version": row.version if row else 0,
    }
    return shaped(values, AnnualReportRead)


def _audited(row: AnnualReport) -> dict[str, Any]:
    return {
        "network_id": row.network_id,
        "year": row.year,
        "status": row.status,
        "text": row.text,
        "measure_notes": row.measure_notes,
        "submitted_at": row.submitted_at,
    }


def get_report(session: Session, actor: Actor, network_id: int, year: int) -> dict[str, Any]:
    """The report for `year`: the saved one, or a fresh draft (id null, version 0) pre-filled from the data."""
    access.require_reader(actor)
    network = records.get_network(session, network_id)
    return _read(session, actor, network, year, get_report_row(session, network_id, year))


def get_report_by_id(session: Session, actor: Actor, report_id: int) -> dict[str, Any]:
    """A saved report by its id: what the change feed's URL for an `annual_report` event names."""
    access.require_reader(actor)
    row = session.get(AnnualReport, report_id)
    if row is None:
        raise NotFound(f"Fant ingen årsrapport med id {report_id}")
    return _read(session, actor, records.get_network(session, row.network_id), row.year, row)


def _frozen(year: int) -> Conflict:
    return Conflict(f"Årsrapporten for {year} er sendt inn og kan ikke endres")


def _check_notes(session: Session, network_id: int, year: int, notes: dict[str, str]) -> None:
    plan = _plan_of_year(session, network_id, year)
    listed: set[int] = set()
    if plan is not None and plan.id is not None:
        listed = {link.measure_id for link in plans.links_of(session, [plan.id]).get(plan.id, [])}
    errors = [
        FieldError(("body", "measure_notes", key), f"tiltak {key} står ikke i handlingsplanen for {year}")
        for key in notes
        if int(key) not in listed
    ]
    if errors:
        raise InvalidInput("Merknadene må gjelde tiltak i årets handlingsplan", errors)


def put_report(
    session: Session, actor: Actor, network_id: int, year: int, data: AnnualReportWrite, if_match: str | None
) -> dict[str, Any]:
    """Save the text and the reasons for measures not done (fields left out are kept). If-Match (the report's
    version) once the report is saved."""
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    row = get_report_row(session, network_id, year)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("measure_notes"):
        _check_notes(session, network_id, year, changes["measure_notes"])
    if "measure_notes" in changes and changes["measure_notes"] is None:
        changes["measure_notes"] = {}
    if row is None:
        row = AnnualReport(network_id=network_id, year=year, **changes)
        session.add(row)
        try:
            session.flush()
        except IntegrityError as exc:
            raise Conflict("Noen andre lagret rapporten samtidig: hent den og prøv igjen") from exc
        assert row.id is not None
        audit.record(session, actor, "create", ENTITY, row.id, None, _audited(row), row.version)
        return _read(session, actor, network, year, row)
    require_if_match(if_match, WHAT)
    check_version(row.version, if_match, required=True, what=WHAT)
    if row.status != ReportStatus.draft.value:
        raise _frozen(year)
    assert row.id is not None
    if all(getattr(row, k) == v for k, v in changes.items()):
        return _read(session, actor, network, year, row)
    before = _audited(row)
    version = guarded_update(session, AnnualReport, row.id, row.version, changes, WHAT)
    session.expire(row)
    audit.record(session, actor, "update", ENTITY, row.id, before, _audited(row), version)
    return _read(session, actor, network, year, row)


def submit_report(session: Session, actor: Actor, network_id: int, year: int, if_match: str | None) -> dict[str, Any]:
    """draft → submitted: store the figures (coverage included) as the snapshot and freeze the report. A
    report never saved is created and submitted at once (If-Match `*` or "0")."""
    require_if_match(if_match, WHAT)
    network = records.get_network(session, network_id)
    access.require_work(session, actor, network)
    row = get_report_row(session, network_id, year)
    if row is None:
        check_version(0, if_match, required=True, what=WHAT)
        row = AnnualReport(network_id=network_id, year=year)
        session.add(row)
        session.flush()
        assert row.id is not None
        audit.record(session, actor, "create", ENTITY, row.id, None, _audited(row), row.version)
    else:
        check_version(row.version, if_match, required=True, what=WHAT)
    if row.status != ReportStatus.draft.value:
        raise _frozen(year)
    assert row.id is not None
    snapshot = figures(session, actor, network, year, dict(row.measure_notes))
    before = _audited(row)
    values = {"status": ReportStatus.submitted.value, "submitted_at": utcnow(), "snapshot": snapshot}
    version = guarded_update(session, AnnualReport, row.id, row.version, values, WHAT)
    session.expire(row)
    audit.record(session, actor, "submit", ENTITY, row.id, before, _audited(row), version)
    return _read(session, actor, network, year, row)


def report_document(session: Session, actor: Actor, network_id: int, year: int) -> dict[str, Any]:
    """Everything a document of the report shows, as plain values for the renderers."""
    access.require_reader(actor)
    network = records.get_network(session, network_id)
    report = _read(session, actor, network, year, get_report_row(session, network_id, year))
    return {"network": records.read(session, network), "report": report, "title": f"Årsrapport {year}"}
