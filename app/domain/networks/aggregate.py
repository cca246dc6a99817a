"""A collaboration committee's aggregate for year Y: where each network reporting to it stands with its plan
for Y+1 and its report for Y (against their deadlines), and one combined report of their figures."""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.errors import Conflict
from app.domain.gaps.records import today_or
from app.domain.networks import access, deadlines, plans, records, reports
from app.models import Network
from app.models.gap import MeasureStatus
from app.models.network import DeadlineKind, NetworkKind, PlanStatus, ReportStatus


def children(session: Session, committee_id: int) -> list[Network]:
    return list(
        session.execute(
            select(Network)
            .where(col(Network.parent_id) == committee_id, col(Network.deleted_at).is_(None))
            .order_by(col(Network.name), col(Network.id))
        ).scalars()
    )


def _plan_status(session: Session, network: Network, plan_year: int, today: date) -> dict[str, Any]:
    assert network.id is not None
    revisions = plans.revisions_of(session, network.id, plan_year)
    newest = revisions[-1] if revisions else None
    done = any(p.status != PlanStatus.draft.value for p in revisions)
    due_on = deadlines.plan_due(network, plan_year)
    return {
        "year": plan_year,
        "status": newest.status if newest else None,
        "revision": newest.revision if newest else None,
        "submitted_at": max((p.submitted_at for p in revisions if p.submitted_at), default=None),
        "due_on": due_on,
        "state": deadlines.state_of(due_on, done, today).value,
    }


def aggregate(
    session: Session, actor: Actor, committee_id: int, year: int, today: date | None = None
) -> dict[str, Any]:
    access.require_reader(actor)
    committee = records.get_network(session, committee_id)
    if committee.kind != NetworkKind.collaboration_committee.value:
        raise Conflict(f"«{committee.name}» er ikke et samhandlingsutvalg: bare utvalg har en samlet rapport")
    on_day = today_or(today)
    rows = []
    combined = []
    totals: dict[str, Any] = {
        "networks": 0,
        "reports_submitted": 0,
        "plans_submitted": 0,
        "meetings": 0,
        "measures": {s.value: 0 for s in MeasureStatus},
        "gaps": {"registered": 0, "resolved": 0, "open": 0},
    }
    for network in children(session, committee_id):
        assert network.id is not None
        report = reports.get_report(session, actor, network.id, year)
        report_done = report["status"] == ReportStatus.submitted.value
        report_due = deadlines.report_due(network, year)
        plan = _plan_status(session, network, year + 1, on_day)
        rows.append(
            {
                "network_id": network.id,
                "network_name": network.name,
                "plan": plan,
                "report": {
                    "year": year,
                    "status": report["status"] if report["id"] is not None else None,
                    "submitted_at": report["submitted_at"],
                    "due_on": report_due,
                    "state": deadlines.state_of(report_due, report_done, on_day).value,
                },
            }
        )
        numbers = report["figures"]
        combined.append(
            {
                "network_id": network.id,
                "network_name": network.name,
                "status": report["status"],
                "text": report["text"],
                "figures": numbers,
            }
        )
        totals["networks"] += 1
        totals["reports_submitted"] += report_done
        totals["plans_submitted"] += plan["state"] == "done"
        totals["meetings"] += len(numbers["meetings"])
        for status, n in numbers["measures"].get("by_status", {}).items():
            totals["measures"][status] = totals["measures"].get(status, 0) + n
        for key in ("registered", "resolved", "open"):
            totals["gaps"][key] += numbers["gaps"]["counts"][key]
    (own,) = [
        d for d in deadlines.cycle(session, actor, committee_id, year, on_day) if d["kind"] == DeadlineKind.aggregate
    ]
    return {
        "committee_id": committee_id,
        "committee_name": committee.name,
        "year": year,
        "aggregate": own,
        "networks": rows,
        "combined": {"totals": totals, "reports": combined},
    }


def aggregate_document(session: Session, actor: Actor, committee_id: int, year: int) -> dict[str, Any]:
    """Everything a document of the aggregate shows, as plain values for the renderers."""
    data = aggregate(session, actor, committee_id, year)
    committee = records.get_network(session, committee_id)
    return {"network": records.read(session, committee), "aggregate": data, "title": f"Samlet rapport {year}"}
