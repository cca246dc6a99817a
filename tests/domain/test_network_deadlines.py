"""A network's deadlines: the plan for next year, the report for last year and a committee's aggregate, each
due, soon (30 days), overdue or done, judged on a fixed day and across the year end."""

from datetime import date
from typing import Any

from app.db import transaction
from app.domain.actor import Actor
from app.domain.networks import deadlines, plans, reports
from app.models.auth import Role
from app.models.network import ActionPlanWrite, AnnualReportWrite
from tests.factories import SYSTEM, find_org_id, make_member, make_network


def _current(network_id: int, today: str, actor: Actor = SYSTEM) -> dict[tuple[str, int], tuple[str, str]]:
    """{(kind, year): (due_on, state)} of the network's deadlines on `today`."""
    with transaction() as session:
        items = deadlines.for_actor(session, actor, network_id=network_id, today=date.fromisoformat(today))
    return {(i["kind"], i["year"]): (i["due_on"].isoformat(), i["state"]) for i in items}


def _submit_plan(network_id: int, year: int) -> None:
    with transaction() as session:
        plan, _ = plans.put_plan(session, SYSTEM, network_id, year, ActionPlanWrite(), None)
        plans.submit(session, SYSTEM, network_id, year, f'"{plan["version"]}"')


def _submit_report(network_id: int, year: int) -> None:
    with transaction() as session:
        reports.submit_report(session, SYSTEM, network_id, year, "*")


def test_month_days_that_do_not_exist_are_the_months_last_day() -> None:
    assert deadlines.on("02-29", 2027) == date(2027, 2, 28)
    assert deadlines.on("02-29", 2028) == date(2028, 2, 29)
    assert deadlines.on("04-31", 2026) == date(2026, 4, 30)
    assert deadlines.state_of(date(2026, 11, 30), False, date(2026, 10, 31)) == "soon"  # 30 days
    assert deadlines.state_of(date(2026, 11, 30), False, date(2026, 10, 30)) == "due"  # 31 days
    assert deadlines.state_of(date(2026, 11, 30), False, date(2026, 11, 30)) == "soon"  # the day itself
    assert deadlines.state_of(date(2026, 11, 30), False, date(2026, 12, 1)) == "overdue"
    assert deadlines.state_of(date(2026, 11, 30), True, date(2026, 12, 1)) == "done"


def test_deadlines_across_the_year_end(owner_org: int) -> None:
    network = make_network(owner_org)
    # Early November: the plan for 2027 soon, the report for 2026 due. Last year's plan and report were due
    # before the network was made (today, in the test): never its to meet, so not listed as overdue.
    assert _current(network["id"], "2026-11-10") == {
        ("plan", 2027): ("2026-11-30", "soon"),
        ("report", 2026): ("2027-01-31", "due"),
    }
    # After 30 November the plan for 2027 is overdue and the plan for 2028 is next.
    december = _current(network["id"], "2026-12-05")
    assert december[("plan", 2027)] == ("2026-11-30", "overdue")
    assert december[("plan", 2028)] == ("2027-11-30", "due")
    assert december[("report", 2026)] == ("2027-01-31", "due")  # 57 days
    # Over the year end: the report for 2026 is due 31 January 2027.
    january = _current(network["id"], "2027-01-10")
    assert january[("report", 2026)] == ("2027-01-31", "soon")
    assert _current(network["id"], "2027-02-01")[("report", 2026)] == ("2027-01-31", "overdue")

    _submit_plan(network["id"], 2027)
    _submit_report(network["id"], 2026)
    after = _current(network["id"], "2027-02-01")
    assert after[("report", 2026)] == ("2027-01-31", "done")
    assert after[("report", 2027)] == ("2028-01-31", "due")
    assert _current(network["id"], "2026-12-05")[("plan", 2027)] == ("2026-11-30", "done")


def test_a_network_with_its_own_deadlines(owner_org: int) -> None:
    network = make_network(owner_org, plan_due="12-15", report_due="03-01")
    current = _current(network["id"], "2026-12-01")
    assert current[("plan", 2027)] == ("2026-12-15", "soon")
    assert current[("report", 2026)] == ("2027-03-01", "due")


def test_a_committee_aggregates_when_every_network_has_reported(owner_org: int) -> None:
    committee = make_network(owner_org, name="Samhandlingsutvalget", kind="collaboration_committee")
    first = make_network(owner_org, name="A", parent_id=committee["id"])
    second = make_network(owner_org, name="B", parent_id=committee["id"])
    assert _current(committee["id"], "2027-02-10")[("aggregate", 2026)] == ("2027-02-28", "soon")
    assert ("aggregate", 2026) not in _current(first["id"], "2027-02-10")  # only committees aggregate
    _submit_report(first["id"], 2026)
    assert _current(committee["id"], "2027-03-01")[("aggregate", 2026)] == ("2027-02-28", "overdue")
    _submit_report(second["id"], 2026)
    assert _current(committee["id"], "2027-03-01")[("aggregate", 2026)] == ("2027-02-28", "done")


def test_the_networks_an_actor_belongs_to(owner_org: int) -> None:
    stord, bergen = find_org_id("Stord", "municipality"), find_org_id("Bergen", "municipality")
    mine = make_network(owner_org, name="Stords nettverk")
    make_member(mine["id"], stord)
    owned = make_network(owner_org, name="Eierens nettverk")
    make_network(owner_org, name="Et tredje nettverk")
    member = Actor(kind="user", label="u", user_id=1, role=Role.editor, organisation_ids=frozenset({stord}))
    owner = Actor(kind="user", label="o", user_id=2, role=Role.viewer, organisation_ids=frozenset({owner_org}))
    outsider = Actor(kind="user", label="x", user_id=3, role=Role.editor, organisation_ids=frozenset({bergen}))

    def names(actor: Actor) -> set[str]:
        with transaction() as session:
            items: list[dict[str, Any]] = deadlines.for_actor(session, actor, today=date(2026, 11, 10))
        return {i["network_name"] for i in items}

    assert names(member) == {"Stords nettverk"}
    assert names(owner) == {"Stords nettverk", "Eierens nettverk", "Et tredje nettverk"}
    assert names(outsider) == set()
    assert "Et tredje nettverk" in names(SYSTEM)
    with transaction() as session:
        items = deadlines.for_actor(session, member, today=date(2026, 11, 10))
    texts = [i["text"] for i in items if i["kind"] == "plan" and i["year"] == 2027]
    assert texts == ["Stords nettverk: handlingsplan for 2027 – frist 30.11.2026 (om 20 dager)"]
    assert owned["id"] != mine["id"]


def test_the_report_can_be_saved_before_it_is_due(owner_org: int) -> None:
    network = make_network(owner_org)
    with transaction() as session:
        saved = reports.put_report(session, SYSTEM, network["id"], 2026, AnnualReportWrite(text="Utkast"), None)
    assert (saved["status"], saved["version"], saved["text"]) == ("draft", 1, "Utkast")
    assert _current(network["id"], "2027-01-31")[("report", 2026)] == ("2027-01-31", "soon")
