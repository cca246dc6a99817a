"""A network's yearly deadlines and where it stands with them.

The cycle of year Y (the year reported on):
- the action plan for Y+1 is due on `plan_due` (MM-DD) of Y — the plan for 2027 by 30 November 2026;
- the report for Y is due on `report_due` of Y+1 — the report for 2026 by 31 January 2027;
- a committee (kind `collaboration_committee`) aggregates its networks' reports for Y by `aggregate_due` of Y+1.

A deadline is `done` when the plan has a submitted (or approved) revision, the report is submitted, or — for
the aggregate — every network reporting to the committee has submitted its report; otherwise `overdue` after
the day, `soon` within 30 days, else `due`. A day that does not exist that year (29 February, 31 April) is
the month's last day.
"""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import or_, select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.gaps.records import today_or
from app.domain.networks import access, records
from app.models import ActionPlan, AnnualReport, Network, NetworkMember
from app.models.network import DeadlineKind, DeadlineState, NetworkKind, PlanStatus, ReportStatus

SOON_DAYS = 30
_KIND_TEXT = {
    DeadlineKind.plan: "handlingsplan for {year}",
    DeadlineKind.report: "årsrapport for {year}",
    DeadlineKind.aggregate: "samlet rapport for {year} til samhandlingsutvalget",
}
_STATE_TEXT = {
    DeadlineState.done: "levert",
    DeadlineState.due: "frist",
    DeadlineState.soon: "frist snart",
    DeadlineState.overdue: "forfalt",
}


def on(month_day: str, year: int) -> date:
    """`MM-DD` in `year`; a day the month lacks that year is its last day."""
    month, day = (int(part) for part in month_day.split("-"))
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def plan_due(network: Network, plan_year: int) -> date:
    return on(network.plan_due, plan_year - 1)


def report_due(network: Network, report_year: int) -> date:
    return on(network.report_due, report_year + 1)


def aggregate_due(network: Network, report_year: int) -> date:
    return on(network.aggregate_due, report_year + 1)


def state_of(due_on: date, done: bool, today: date) -> DeadlineState:
    if done:
        return DeadlineState.done
    if today > due_on:
        return DeadlineState.overdue
    if (due_on - today).days <= SOON_DAYS:
        return DeadlineState.soon
    return DeadlineState.due


@dataclass(frozen=True)
class _Done:
    """Which plans (network, year) and reports (network, year) are submitted."""

    plans: set[tuple[int, int]]
    reports: set[tuple[int, int]]
    children: dict[int, list[int]]  # committee id → ids of the networks reporting to it

    def aggregate(self, committee_id: int, year: int) -> bool:
        kids = self.children.get(committee_id, [])
        return bool(kids) and all((k, year) in self.reports for k in kids)


def _done(session: Session, network_ids: list[int]) -> _Done:
    children: dict[int, list[int]] = {}
    rows = session.execute(
        select(col(Network.parent_id), col(Network.id)).where(
            col(Network.parent_id).in_(network_ids), col(Network.deleted_at).is_(None)
        )
    ).all()
    for parent_id, child_id in rows:
        children.setdefault(int(parent_id), []).append(int(child_id))
    every = list({*network_ids, *(c for kids in children.values() for c in kids)})
    plans = {
        (int(n), int(y))
        for n, y in session.execute(
            select(col(ActionPlan.network_id), col(ActionPlan.year)).where(
                col(ActionPlan.network_id).in_(every),
                col(ActionPlan.status).in_([PlanStatus.submitted.value, PlanStatus.approved.value]),
            )
        ).all()
    }
    reports = {
        (int(n), int(y))
        for n, y in session.execute(
            select(col(AnnualReport.network_id), col(AnnualReport.year)).where(
                col(AnnualReport.network_id).in_(every), col(AnnualReport.status) == ReportStatus.submitted.value
            )
        ).all()
    }
    return _Done(plans, reports, children)


def _item(network: Network, kind: DeadlineKind, year: int, due_on: date, done: bool, today: date) -> dict[str, Any]:
    assert network.id is not None
    state = state_of(due_on, done, today)
    days = (due_on - today).days
    what = _KIND_TEXT[kind].format(year=year)
    if state == DeadlineState.done:
        when = f"levert (frist {due_on:%d.%m.%Y})"
    elif state == DeadlineState.overdue:
        when = f"forfalt {due_on:%d.%m.%Y} ({-days} {'dag' if days == -1 else 'dager'} over fristen)"
    elif days == 0:
        when = f"frist i dag {due_on:%d.%m.%Y}"
    else:
        when = f"frist {due_on:%d.%m.%Y} (om {days} {'dag' if days == 1 else 'dager'})"
    return {
        "network_id": network.id,
        "network_name": network.name,
        "kind": kind.value,
        "year": year,
        "due_on": due_on,
        "state": state.value,
        "days_left": days,
        "text": f"{network.name}: {what} – {when}",
    }


def _cycle(network: Network, year: int, done: _Done, today: date) -> list[dict[str, Any]]:
    assert network.id is not None
    items = [
        _item(
            network,
            DeadlineKind.plan,
            year + 1,
            plan_due(network, year + 1),
            (network.id, year + 1) in done.plans,
            today,
        ),
        _item(network, DeadlineKind.report, year, report_due(network, year), (network.id, year) in done.reports, today),
    ]
    if network.kind == NetworkKind.collaboration_committee.value:
        items.append(
            _item(
                network,
                DeadlineKind.aggregate,
                year,
                aggregate_due(network, year),
                done.aggregate(network.id, year),
                today,
            )
        )
    return items


def cycle(
    session: Session, actor: Actor, network_id: int, year: int, today: date | None = None
) -> list[dict[str, Any]]:
    """The deadlines of year `year`'s cycle: the plan for year+1, the report for year (and the aggregate)."""
    access.require_reader(actor)
    network = records.get_network(session, network_id)
    assert network.id is not None
    return _cycle(network, year, _done(session, [network.id]), today_or(today))


def current(session: Session, networks: Iterable[Network], today: date | None = None) -> list[dict[str, Any]]:
    """What each network has before it now: per kind of deadline, the last one that passed (within a year and
    after the network was created: overdue or done) and the next one. Sorted by date, then network name."""
    on_day = today_or(today)
    chosen = [n for n in networks if n.id is not None and n.deleted_at is None]
    done = _done(session, [n.id for n in chosen if n.id is not None])
    out: list[dict[str, Any]] = []
    for network in chosen:
        every = [item for y in range(on_day.year - 2, on_day.year + 2) for item in _cycle(network, y, done, on_day)]
        for kind in DeadlineKind:
            mine = sorted((i for i in every if i["kind"] == kind.value), key=lambda i: i["due_on"])
            # A deadline that passed before the network existed was never the network's to meet.
            since = network.created_at.date()
            past = [
                i
                for i in mine
                if i["due_on"] < on_day
                and (on_day - i["due_on"]).days <= 365
                and (i["state"] == "done" or i["due_on"] >= since)
            ]
            upcoming = [i for i in mine if i["due_on"] >= on_day]
            out += past[-1:] + upcoming[:1]
    return sorted(out, key=lambda i: (i["due_on"], i["network_name"], i["network_id"], i["kind"]))


def networks_of(session: Session, actor: Actor) -> list[Network]:
    """The networks `actor` belongs to: its organisations own them or are members. The command line (a
    system actor) belongs to every network."""
    stmt = select(Network).where(col(Network.deleted_at).is_(None)).order_by(col(Network.id))
    if actor.kind != "system":
        orgs = set(actor.organisation_ids)
        if actor.token_organisation_id is not None:
            orgs = {actor.token_organisation_id}
        if not orgs:
            return []
        members = select(col(NetworkMember.network_id)).where(col(NetworkMember.organisation_id).in_(orgs))
        stmt = stmt.where(or_(col(Network.owner_id).in_(orgs), col(Network.id).in_(members)))
    return list(session.execute(stmt).scalars())


def for_actor(
    session: Session, actor: Actor, *, network_id: int | None = None, today: date | None = None
) -> list[dict[str, Any]]:
    """The deadlines of the networks `actor` belongs to (or of one network), as `current` gives them."""
    access.require_reader(actor)
    if network_id is not None:
        return current(session, [records.get_network(session, network_id)], today)
    return current(session, networks_of(session, actor), today)


def state_text(state: str) -> str:
    return _STATE_TEXT[DeadlineState(state)]
