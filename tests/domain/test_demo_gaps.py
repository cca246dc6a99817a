"""The demo gap registrations (app/demo/gaps.json): loaded through the gaps domain, one overdue, idempotent."""

from collections import Counter
from typing import Any

from app.db import transaction
from app.domain import demo, gaps
from app.domain.demo import DemoReport
from app.models.gap import GapRead, GapStatus, MeasureStatus
from tests.factories import SYSTEM, fingerprint

PATIENT_GROUPS = {
    "me_cfs",
    "cognitive_impairment",
    "stroke",
    "head_injury",
    "ms",
    "parkinson",
    "cancer_late_effects",
    "cancer",
}


def _load() -> DemoReport:
    with transaction() as session:
        return demo.load_demo(session, SYSTEM)


def _gaps(**filters: Any) -> list[dict[str, Any]]:
    with transaction() as session:
        items, _ = gaps.list_gaps(session, SYSTEM, gaps.GapFilter(**filters), limit=100)
    return items


def test_demo_gaps_are_loaded_marked_and_reach_their_status_through_the_workflow(database_url: str) -> None:
    report = _load()
    loaded = _gaps()
    assert report.gaps_created == len(loaded) >= 10
    for gap in loaded:
        GapRead.model_validate(gap)
        assert gap["title"].endswith("(eksempel)"), gap["title"]
        assert gap["description"].startswith("Oppdiktet eksempeldata"), gap["title"]
    assert {g["patient_group"] for g in loaded} >= PATIENT_GROUPS
    assert "handover" in {g["category"] for g in loaded}
    statuses = Counter(g["status"] for g in loaded)
    assert any(g["status"] == GapStatus.measure_planned and g["measures_open"] for g in loaded)
    assert statuses[GapStatus.resolved] == 1
    assert statuses[GapStatus.rejected] == 1
    assert statuses[GapStatus.assessed] >= 1
    assert statuses[GapStatus.measure_planned] >= 2
    (fauske,) = [g for g in loaded if "Fauske" in g["title"] and "kreftkoordinator" in g["title"]]
    assert fauske["municipalities"] == ["1841"]
    assert fauske["pathway_step"] == {
        "series": "pakkeforlop-hjem-kreft",
        "series_version": 1,
        "key": "sp2-behovskartlegging-kommune",
    }
    with transaction() as session:
        for gap in loaded:
            history = gaps.history(session, SYSTEM, gap["id"])
            transitions = [i for i in history["items"] if i["action"] == "transition"]
            assert len(transitions) == {"registered": 0, "assessed": 1, "measure_planned": 2, "resolved": 3}.get(
                gap["status"], 1
            ), gap["title"]
            measures, _ = gaps.list_measures(session, SYSTEM, gap["id"], limit=100)
            if gap["status"] == GapStatus.measure_planned:
                assert any(m["status"] in (MeasureStatus.planned, MeasureStatus.in_progress) for m in measures)
            if gap["status"] == GapStatus.resolved:
                assert measures
                assert all(m["status"] == MeasureStatus.done for m in measures)


def test_exactly_one_demo_gap_has_an_overdue_measure(database_url: str) -> None:
    _load()
    (overdue,) = _gaps(overdue=True)
    assert overdue["measures_overdue"] == 1
    assert overdue["status"] == GapStatus.measure_planned
    assert sum(g["measures_overdue"] for g in _gaps()) == 1


def test_a_second_load_changes_nothing(database_url: str) -> None:
    first = _load()
    before = fingerprint()
    again = _load()
    assert (again.gaps_created, again.gaps_unchanged) == (0, first.gaps_created)
    assert fingerprint() == before
