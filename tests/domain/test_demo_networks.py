"""The demo networks (app/demo/networks.json): committees and the networks reporting to them, with members and
meetings; the demo gaps registered at the networks' meetings; idempotent."""

from datetime import date
from typing import Any

from app.db import transaction
from app.domain import demo, gaps, networks
from app.domain.demo import DemoReport
from tests.factories import SYSTEM, fingerprint


def _load() -> DemoReport:
    with transaction() as session:
        return demo.load_demo(session, SYSTEM)


def _networks(**filters: Any) -> dict[str, dict[str, Any]]:
    with transaction() as session:
        items, _ = networks.list_networks(session, SYSTEM, networks.NetworkFilter(**filters), limit=100)
    return {n["name"]: n for n in items}


def test_demo_networks_report_to_their_committees(database_url: str) -> None:
    report = _load()
    loaded = _networks()
    assert report.networks_created == len(loaded) == 8
    assert all(name.endswith("(eksempel)") for name in loaded)
    committees = {n["id"] for n in loaded.values() if n["kind"] == "collaboration_committee"}
    assert len(committees) == 4
    assert all(n["parent_id"] in committees for n in loaded.values() if n["kind"] != "collaboration_committee")
    lms = loaded["Nettverk for lærings- og mestringstilbod i Helse Fonna (eksempel)"]
    assert (lms["plan_due"], lms["report_due"], lms["aggregate_due"]) == ("11-30", "01-31", "02-28")
    assert len(lms["municipalities"]) == 16  # Helse Fonna's catchment
    lung = loaded["Regionalt fagnettverk for lungerehabilitering i Helse Sør-Øst (eksempel)"]
    assert (lung["region"], lung["series"]) == ("HSO", ["kols-lungerehabilitering"])


def test_helse_nord_held_eight_dialogue_meetings_where_gaps_were_registered(database_url: str) -> None:
    _load()
    nord = _networks()["Rehabiliteringsprosjektet i Helse Nord (eksempel)"]
    with transaction() as session:
        meetings, _ = networks.list_meetings(session, SYSTEM, nord["id"])
        members, _ = networks.list_members(session, SYSTEM, nord["id"])
        followed, _ = gaps.list_gaps(session, SYSTEM, gaps.GapFilter(network=nord["id"]), limit=100)
    assert [m["kind"] for m in meetings] == ["dialogue_meeting"] * 8
    assert len(members) == 7
    at_meetings = [g for g in followed if g["meeting_id"] is not None]
    assert len(at_meetings) == 4
    assert {g["source"] for g in at_meetings} == {"dialogue_meeting"}
    assert sum(len(m["gaps"]) for m in meetings) == 4


def test_loading_the_demo_again_changes_nothing(database_url: str) -> None:
    _load()
    before = fingerprint()
    report = _load()
    assert (report.networks_created, report.networks_unchanged) == (0, 8)
    assert fingerprint() == before


def test_each_network_has_a_plan_for_the_coming_year_and_most_a_report_for_this_year(database_url: str) -> None:
    _load()
    today = date.today()
    by_name = _networks()
    statuses = {}
    with transaction() as session:
        for name, network in by_name.items():
            if network["kind"] == "collaboration_committee":
                continue
            plan = networks.plans.get_plan(session, SYSTEM, network["id"], today.year + 1)
            statuses[name.split(" ")[0]] = plan["status"]
            assert len(plan["measures"]) >= 2
            assert plan["sections"][1]["text"] == network["mandate"]  # the outline's mandate section
        nord = by_name["Rehabiliteringsprosjektet i Helse Nord (eksempel)"]
        nord_plan = networks.plans.get_plan(session, SYSTEM, nord["id"], today.year + 1)
        report = networks.reports.get_report(session, SYSTEM, nord["id"], today.year)
    assert statuses == {
        "Nettverk": "draft",
        "Regionalt": "approved",
        "Fagråd": "draft",
        "Rehabiliteringsprosjektet": "submitted",
    }
    assert any(m["gap_id"] is not None for m in nord_plan["measures"])  # a gap's measure, listed by the plan
    assert report["status"] == "draft"
    assert report["text"].startswith("Oppdiktet eksempeldata")
