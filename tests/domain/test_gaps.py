"""app.domain.gaps through its functions: the workflow grid and its preconditions, measures, overdue with a
pinned "today", history, the summary and every list filter."""

from datetime import date
from itertools import product
from typing import Any

import pytest

from app.db import transaction
from app.domain import gaps
from app.domain.actor import ANONYMOUS, Actor
from app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    StaleVersion,
    Unauthenticated,
)
from app.domain.gaps import access
from app.models import Measure
from app.models.auth import Role
from app.models.gap import CommentCreate, GapCreate, GapStatus, MeasureCreate, SummaryDimension
from tests.conftest import SYSTEM
from tests.factories import find_org_id, fingerprint, gap_body, make_gap, make_measure, make_organisation, measure_body

S = GapStatus
ALLOWED = {
    (S.registered, S.assessed),
    (S.assessed, S.measure_planned),
    (S.measure_planned, S.resolved),
    (S.registered, S.rejected),
    (S.assessed, S.rejected),
    (S.resolved, S.assessed),
    (S.rejected, S.assessed),
}
MARCH_1 = date(2026, 3, 1)


def _etag(version: int) -> str:
    return f'"{version}"'


def _get(gap_id: int, today: date | None = None) -> dict[str, Any]:
    with transaction() as session:
        return gaps.get(session, SYSTEM, gap_id, today)


def _move(gap_id: int, to: GapStatus, reason: str | None = "Fordi") -> dict[str, Any]:
    """One transition with the gap's current version."""
    with transaction() as session:
        version = gaps.get(session, SYSTEM, gap_id)["version"]
        return gaps.transition(session, SYSTEM, gap_id, to, reason, _etag(version))


def _gap_at(status: GapStatus, owner: int, **fields: Any) -> dict[str, Any]:
    """A gap brought to `status` the allowed way; `measure_planned` and later have one done measure."""
    gap = make_gap(owner, **fields)
    path = {
        S.registered: [],
        S.assessed: [S.assessed],
        S.measure_planned: [S.assessed, S.measure_planned],
        S.resolved: [S.assessed, S.measure_planned, S.resolved],
        S.rejected: [S.rejected],
    }[status]
    if S.measure_planned in path:
        make_measure(gap["id"], owner, status="done")
    for step in path:
        gap = _move(gap["id"], step)
    return gap


def _measure_change(gap_id: int, measure: dict[str, Any], today: date | None = None, **changes: Any) -> dict[str, Any]:
    with transaction() as session:
        return gaps.update_measure(session, SYSTEM, gap_id, measure["id"], changes, _etag(measure["version"]), today)


# --- the workflow -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("source", "target"), list(product(S, S)), ids=lambda s: s.value)
def test_the_transition_grid(source: GapStatus, target: GapStatus, owner_org: int) -> None:
    gap = _gap_at(source, owner_org)
    if (source, target) in ALLOWED:
        if target == S.measure_planned:
            make_measure(gap["id"], owner_org)  # its precondition (tested on its own below)
        moved = _move(gap["id"], target)
        assert (moved["status"], moved["version"]) == (target, gap["version"] + 1)
        assert moved["status_reason"] == "Fordi"
        return
    before = fingerprint()
    with pytest.raises(Conflict) as refused:
        _move(gap["id"], target)
    assert "kan ikke gå til" in refused.value.detail
    assert fingerprint() == before


def test_the_grid_in_the_domain_is_the_issues_grid() -> None:
    assert {(a, b) for a, targets in gaps.ALLOWED.items() for b in targets} == ALLOWED


@pytest.mark.parametrize(
    ("source", "target"),
    [(S.registered, S.rejected), (S.assessed, S.rejected), (S.resolved, S.assessed), (S.rejected, S.assessed)],
)
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejecting_and_reopening_need_a_reason(
    source: GapStatus, target: GapStatus, reason: str | None, owner_org: int
) -> None:
    gap = _gap_at(source, owner_org)
    with pytest.raises(InvalidInput) as refused:
        _move(gap["id"], target, reason)
    assert [e.loc for e in refused.value.errors] == [("body", "reason")]
    assert _get(gap["id"])["status"] == source


def test_other_transitions_take_an_optional_reason(owner_org: int) -> None:
    gap = make_gap(owner_org)
    assert _move(gap["id"], S.assessed, None)["status_reason"] is None


def test_measure_planned_needs_a_measure_that_is_not_cancelled(owner_org: int) -> None:
    gap = _gap_at(S.assessed, owner_org)
    with pytest.raises(Conflict, match="minst ett tiltak"):
        _move(gap["id"], S.measure_planned)
    make_measure(gap["id"], owner_org, status="cancelled")
    with pytest.raises(Conflict):
        _move(gap["id"], S.measure_planned)
    make_measure(gap["id"], owner_org)
    assert _move(gap["id"], S.measure_planned)["status"] == S.measure_planned


def test_resolved_needs_every_measure_done_or_cancelled(owner_org: int) -> None:
    gap = _gap_at(S.measure_planned, owner_org)
    open_measure = make_measure(gap["id"], owner_org, status="in_progress")
    with pytest.raises(Conflict, match="1 tiltak er planlagt eller pågår"):
        _move(gap["id"], S.resolved)
    _measure_change(gap["id"], open_measure, status="cancelled")
    assert _move(gap["id"], S.resolved)["status"] == S.resolved


def test_the_last_active_measure_of_a_planned_gap_stays(owner_org: int) -> None:
    gap = _gap_at(S.assessed, owner_org)
    first = make_measure(gap["id"], owner_org)
    _move(gap["id"], S.measure_planned)
    before = fingerprint()
    with pytest.raises(Conflict, match="siste"):
        _measure_change(gap["id"], first, status="cancelled")
    with pytest.raises(Conflict, match="siste"), transaction() as session:
        gaps.delete_measure(session, SYSTEM, gap["id"], first["id"], _etag(first["version"]))
    assert fingerprint() == before
    second = make_measure(gap["id"], owner_org)
    assert _measure_change(gap["id"], first, status="cancelled")["status"] == "cancelled"
    with pytest.raises(Conflict), transaction() as session:
        gaps.delete_measure(session, SYSTEM, gap["id"], second["id"], _etag(second["version"]))


@pytest.mark.parametrize("status", [S.resolved, S.rejected])
def test_measures_of_a_closed_gap_are_read_only(status: GapStatus, owner_org: int) -> None:
    gap = make_gap(owner_org)
    measure = make_measure(gap["id"], owner_org, status="done")
    for step in [S.assessed, S.measure_planned, S.resolved] if status == S.resolved else [S.rejected]:
        _move(gap["id"], step)
    before = fingerprint()
    with pytest.raises(Conflict, match="gjenåpne"):
        make_measure(gap["id"], owner_org)
    with pytest.raises(Conflict):
        _measure_change(gap["id"], measure, note="Endret")
    with pytest.raises(Conflict), transaction() as session:
        gaps.delete_measure(session, SYSTEM, gap["id"], measure["id"], _etag(measure["version"]))
    assert fingerprint() == before
    _move(gap["id"], S.assessed)
    assert _measure_change(gap["id"], measure, note="Endret")["note"] == "Endret"


def test_transitions_need_the_current_version(owner_org: int) -> None:
    gap = make_gap(owner_org)
    with pytest.raises(PreconditionRequired), transaction() as session:
        gaps.transition(session, SYSTEM, gap["id"], S.assessed, None, None)
    with pytest.raises(StaleVersion), transaction() as session:
        gaps.transition(session, SYSTEM, gap["id"], S.assessed, None, '"9"')


# --- measures ---------------------------------------------------------------------------------------------


def test_a_measure_has_its_own_version_and_leaves_the_gaps_alone(owner_org: int) -> None:
    gap = make_gap(owner_org)
    measure = make_measure(gap["id"], owner_org, due_on="2020-01-01")  # late registration is fine
    assert (measure["version"], measure["status"], measure["gap_id"]) == (1, "planned", gap["id"])
    changed = _measure_change(gap["id"], measure, what="Nytt tiltak")
    assert changed["version"] == 2
    with pytest.raises(StaleVersion):
        _measure_change(gap["id"], measure, what="Enda et")
    with transaction() as session:
        gaps.delete_measure(session, SYSTEM, gap["id"], measure["id"], '"2"')
    assert _get(gap["id"])["version"] == gap["version"] == 1


def test_done_dates(owner_org: int) -> None:
    gap = make_gap(owner_org)
    with transaction() as session:
        done = gaps.create_measure(
            session, SYSTEM, gap["id"], MeasureCreate.model_validate(measure_body(owner_org, status="done")), MARCH_1
        )
    assert done["done_on"] == MARCH_1
    planned = make_measure(gap["id"], owner_org)
    assert _measure_change(gap["id"], planned, MARCH_1, status="done")["done_on"] == MARCH_1
    given = _measure_change(gap["id"], done, status="done", done_on="2026-02-01")
    assert given["done_on"] == date(2026, 2, 1)
    reopened = _measure_change(gap["id"], given, status="in_progress")
    assert (reopened["status"], reopened["done_on"]) == ("in_progress", None)
    with pytest.raises(InvalidInput) as refused:
        _measure_change(gap["id"], reopened, done_on="2026-02-01")
    assert [e.loc for e in refused.value.errors] == [("body", "done_on")]
    with pytest.raises(InvalidInput):
        make_measure(gap["id"], owner_org, done_on="2026-02-01")


def test_overdue_counts_in_a_pinned_norwegian_today(owner_org: int) -> None:
    gap = make_gap(owner_org)
    due = make_measure(gap["id"], owner_org, due_on="2026-03-01")
    make_measure(gap["id"], owner_org, due_on="2026-02-01", status="done")
    make_measure(gap["id"], owner_org, due_on="2026-02-01", status="cancelled")
    make_measure(gap["id"], owner_org)  # no due date: never overdue
    on_the_day = _get(gap["id"], MARCH_1)
    assert (on_the_day["measures_open"], on_the_day["measures_overdue"]) == (2, 0)
    assert _get(gap["id"], date(2026, 3, 2))["measures_overdue"] == 1
    with transaction() as session:
        items, _ = gaps.list_measures(session, SYSTEM, gap["id"], today=date(2026, 3, 2))
    assert [m["overdue"] for m in items] == [True, False, False, False]
    _measure_change(gap["id"], due, status="done")
    assert _get(gap["id"], date(2026, 3, 2))["measures_overdue"] == 0


def test_measures_need_a_known_responsible_organisation(owner_org: int) -> None:
    gap = make_gap(owner_org)
    with pytest.raises(InvalidInput) as refused:
        make_measure(gap["id"], 999_999)
    assert [e.loc for e in refused.value.errors] == [("body", "responsible_id")]
    with pytest.raises(NotFound):
        make_measure(999_999, owner_org)


# --- comments and history ---------------------------------------------------------------------------------


def test_the_history_is_in_time_order(owner_org: int) -> None:
    gap = make_gap(owner_org)
    measure = make_measure(gap["id"], owner_org)
    with transaction() as session:
        gaps.add_comment(session, SYSTEM, gap["id"], CommentCreate(text="Tas opp i neste møte"))
    _measure_change(gap["id"], measure, status="in_progress")
    _move(gap["id"], S.assessed)
    with transaction() as session:
        items = gaps.history(session, SYSTEM, gap["id"])["items"]
        comments, _ = gaps.list_comments(session, SYSTEM, gap["id"])
    assert [(i["kind"], i["entity_type"], i["action"]) for i in items] == [
        ("event", "gap", "create"),
        ("event", "gap_measure", "create"),
        ("comment", "gap_comment", "comment"),
        ("event", "gap_measure", "update"),
        ("event", "gap", "transition"),
    ]
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert items[2]["text"] == "Tas opp i neste møte" == comments[0]["text"]
    assert items[2]["actor"] == comments[0]["author"] == "tests"
    assert items[3]["changes"] == {"status": ["planned", "in_progress"]}
    assert items[4]["changes"]["status"] == ["registered", "assessed"]


def test_comments_and_history_need_a_login(owner_org: int) -> None:
    gap = make_gap(owner_org)
    with transaction() as session:
        for read in (gaps.history, gaps.list_comments, gaps.get):
            with pytest.raises(Unauthenticated):
                read(session, ANONYMOUS, gap["id"])


# --- who may write ----------------------------------------------------------------------------------------


def _editor(*orgs: int, token_org: int | None = None) -> Actor:
    return Actor(kind="user", label="ed", user_id=1, role=Role.editor, organisation_ids=frozenset(orgs),
                 token_organisation_id=token_org)  # fmt: skip


def test_an_editor_of_a_municipality_writes_the_gaps_that_name_it(owner_org: int) -> None:
    stord, bergen = find_org_id("Stord", "municipality"), find_org_id("Bergen", "municipality")
    with transaction() as session:
        assert access.may_write(session, _editor(stord), owner_org, ["4614", "4613"])
        assert not access.may_write(session, _editor(bergen), owner_org, ["4614"])
        assert not access.may_write(session, _editor(stord, token_org=stord), owner_org, ["4614"])
        assert access.may_write(session, _editor(owner_org), owner_org, [])
    gap = make_gap(owner_org)
    with pytest.raises(Forbidden), transaction() as session:  # taking Stord out would lock Stord's editor out
        gaps.update(session, _editor(stord), gap["id"], {"municipalities": ["4601"]}, '"1"')
    with pytest.raises(Forbidden), transaction() as session:  # deleting is the owner's
        gaps.delete_gap(session, _editor(stord), gap["id"], '"1"')
    with transaction() as session:
        assert gaps.update(session, _editor(stord), gap["id"], {"severity": "critical"}, '"1"')["version"] == 2


# --- reading ----------------------------------------------------------------------------------------------


def _ids(today: date | None = None, **flt: Any) -> list[int]:
    with transaction() as session:
        items, _ = gaps.list_gaps(session, SYSTEM, gaps.GapFilter(**flt), today=today)
    return [g["id"] for g in items]


def test_each_list_filter(owner_org: int) -> None:
    other = make_organisation(name="Annen eier")["id"]
    stord = make_gap(owner_org, title="Lange ventetider på Stord", category="waiting_time", severity="low")
    oslo = make_gap(other, title="Ingen ÆRESPLASS i Oslo", municipalities=["0301"], patient_group="stroke",
                    source="survey", description=None)  # fmt: skip
    west = make_gap(owner_org, municipalities=[], region="HV", patient_group=None)
    _move(oslo["id"], S.rejected)
    make_measure(west["id"], owner_org, due_on="2026-02-01")
    assert _ids(status=(S.rejected,)) == [oslo["id"]]
    assert _ids(status=(S.registered, S.rejected)) == [stord["id"], oslo["id"], west["id"]]
    assert _ids(category="waiting_time") == [stord["id"]]
    assert _ids(severity="low") == [stord["id"]]
    assert _ids(patient_group="lung") == [stord["id"]]  # copd is a lung disease
    assert _ids(patient_group="neuro") == [oslo["id"]]
    assert _ids(municipality="4614") == [stord["id"], west["id"]]  # the whole region counts
    assert _ids(municipality="0301") == [oslo["id"]]
    assert _ids(region="HV") == [stord["id"], west["id"]]
    assert _ids(region="HSO") == [oslo["id"]]
    assert _ids(source="survey") == [oslo["id"]]
    assert _ids(owner=other) == [oslo["id"]]
    assert _ids(MARCH_1, overdue=True) == [west["id"]]
    assert _ids(MARCH_1, overdue=False) == [stord["id"], oslo["id"]]
    assert _ids(q="æresplass") == [oslo["id"]]
    assert _ids(q="VENTETIDER") == [stord["id"]]  # case-folded
    assert _ids(q="bergen") == [stord["id"], west["id"]]  # in the description


def test_measures_without_a_gap_leave_the_overdue_filter_alone(owner_org: int) -> None:
    """An action plan's own measures (gap_id null) share the table."""
    gap = make_gap(owner_org)
    with transaction() as session:
        session.add(Measure(gap_id=None, what="Handlingsplantiltak", responsible_id=owner_org, due_on=date(2020, 1, 1)))
    assert _ids(MARCH_1, overdue=False) == [gap["id"]]
    assert _ids(MARCH_1, overdue=True) == []


def test_unknown_filter_values_name_the_parameter(owner_org: int) -> None:
    for flt, loc in (
        ({"patient_group": "kols"}, ("query", "patient_group")),
        ({"municipality": "9999"}, ("query", "municipality")),
        ({"region": "XX"}, ("query", "region")),
    ):
        with pytest.raises(InvalidInput) as refused:
            _ids(None, **flt)
        assert [e.loc for e in refused.value.errors] == [loc]


def test_lists_page_with_a_cursor(owner_org: int) -> None:
    made = [make_gap(owner_org)["id"] for _ in range(3)]
    with transaction() as session:
        first, cursor = gaps.list_gaps(session, SYSTEM, gaps.GapFilter(), limit=2)
        rest, end = gaps.list_gaps(session, SYSTEM, gaps.GapFilter(), limit=2, cursor=cursor)
    assert [g["id"] for g in first + rest] == made
    assert end is None


def test_the_summary_counts_open_gaps_once_per_region_they_touch(owner_org: int) -> None:
    make_gap(owner_org)  # copd, Stord (HV)
    make_gap(owner_org, municipalities=["4614", "0301", "4601"])  # copd, HV and HSO
    make_gap(owner_org, municipalities=[], region="HV", patient_group="stroke")
    make_gap(owner_org, patient_group=None, category="handover")
    _move(make_gap(owner_org)["id"], S.rejected)  # closed: not counted
    deleted = make_gap(owner_org)
    with transaction() as session:
        gaps.delete_gap(session, SYSTEM, deleted["id"], '"1"')
        result = gaps.summary(session, SYSTEM)
        by_category = gaps.summary(session, SYSTEM, (SummaryDimension.category,), gaps.GapFilter(region="HV"))
    assert result == {
        "by": ["patient_group", "region"],
        "rows": [
            {"patient_group": "copd", "region": "HSO", "open": 1},
            {"patient_group": "copd", "region": "HV", "open": 2},
            {"patient_group": "stroke", "region": "HV", "open": 1},
            {"patient_group": None, "region": "HV", "open": 1},
        ],
        "total": 4,
    }
    assert by_category["rows"] == [
        {"category": "handover", "open": 1},
        {"category": "missing_service", "open": 3},
    ]


def test_validation_names_every_bad_field(owner_org: int) -> None:
    before = fingerprint()
    body = gap_body(
        999_999,
        patient_group="kols",
        municipalities=["4614", "9999"],
        region="XX",
        service_id=999_999,
        pathway_step={"series": "finnes-ikke", "series_version": 1, "key": "a"},
    )
    with pytest.raises(InvalidInput) as refused, transaction() as session:
        gaps.create(session, SYSTEM, GapCreate.model_validate(body))
    assert {e.loc for e in refused.value.errors} == {
        ("body", "region"),  # both municipalities and a region
        ("body", "municipalities", 1),
        ("body", "patient_group"),
        ("body", "owner_id"),
        ("body", "service_id"),
        ("body", "pathway_step"),
    }
    assert "mente du «copd»" in str([e.message for e in refused.value.errors])
    with pytest.raises(InvalidInput) as nowhere:
        make_gap(owner_org, municipalities=[])
    assert [e.loc for e in nowhere.value.errors] == [("body", "municipalities")]
    assert fingerprint() == before
