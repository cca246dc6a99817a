"""app.domain.coverage through its functions, on the migrated test database with hand-made catalogues.

The template of most tests has one step, `rehab` (specialist, inpatient), for the group COPD; the services
default to a Helse Fonna service of that kind, which inherits Helse Fonna's 16 municipalities.
"""

from datetime import date, timedelta
from typing import Any

import pytest

from app.db import transaction
from app.domain import catalogue, coverage, pathways
from app.domain.actor import ANONYMOUS
from app.domain.catalogue.verification import today as norwegian_today
from app.domain.coverage import ALL_FORMS, FORM_BITS, Offer, Step
from app.domain.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from app.models.coverage import MissReason
from app.models.pathway import PathwayCreate
from tests.conftest import SYSTEM
from tests.factories import find_org_id, make_organisation, make_service, pathway_body, step_body

STORD, HAUGESUND, BERGEN, BODO, OSLO = "4614", "1106", "4601", "1804", "0301"
DAY = date(2026, 6, 15)  # a pinned "today"


# --- helpers -----------------------------------------------------------------------------------------------


def _template(
    owner: int,
    *steps: dict[str, Any],
    series: str = "dekning",
    groups: tuple[str, ...] = ("copd",),
    status: str = "published",
    title: str = "Dekningsforløp",
) -> int:
    """A template with these steps (default one `rehab` step), left as a draft, published or retired."""
    body = pathway_body(
        owner, series, title=title, patient_groups=list(groups), steps=list(steps) or [step_body("rehab")]
    )
    with transaction() as session:
        created = pathways.create(session, SYSTEM, PathwayCreate.model_validate(body))
        if status != "draft":
            published = pathways.publish(session, SYSTEM, created["id"], '"1"')
            if status == "retired":
                pathways.retire(session, SYSTEM, created["id"], f'"{published["version"]}"')
    return int(created["id"])


def _service(provider: str | int = "Helse Fonna HF", **fields: Any) -> dict[str, Any]:
    """A service (specialist, inpatient, COPD unless told) of the organisation with this name or id."""
    provider_id = find_org_id(provider) if isinstance(provider, str) else provider
    body: dict[str, Any] = {"level": "specialist", "forms": ["inpatient"], "patient_groups": ["copd"], **fields}
    return make_service(provider_id, **body)


def _kommune(name: str) -> int:
    return find_org_id(name, kind="municipality")


def _coverage(template: int, number: str, **kw: Any) -> dict[str, Any]:
    with transaction() as session:
        return coverage.for_municipality(session, SYSTEM, template, number, **kw)


def _matrix(template: int, **kw: Any) -> dict[str, Any]:
    with transaction() as session:
        return coverage.matrix(session, SYSTEM, template, **kw)


def _word(cell: dict[str, Any]) -> str:
    """A cell (or step) in one word: covered, partial, or its reason."""
    return "covered" if cell["covered"] else "partial" if cell["partial"] else str(cell["reason"])


def _states(template: int, number: str, **kw: Any) -> list[str]:
    return [_word(s) for s in _coverage(template, number, **kw)["steps"]]


def _state(template: int, number: str, **kw: Any) -> str:
    (only,) = _states(template, number, **kw)
    return only


def _grid(matrix: dict[str, Any]) -> dict[str, list[str]]:
    return {row["number"]: [_word(c) for c in row["cells"]] for row in matrix["municipalities"]}


def _row(matrix: dict[str, Any], number: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [r for r in matrix["municipalities"] if r["number"] == number]
    (row,) = rows
    return row


# --- judge: the rules on their own -------------------------------------------------------------------------

STEP = Step("s", "S", frozenset({"specialist"}), FORM_BITS["inpatient"], general=False)
GENERAL_STEP = Step("g", "G", frozenset({"municipal"}), FORM_BITS["home_based"], general=True)


def _offer(
    level: str = "specialist",
    form: str = "inpatient",
    *,
    general: bool = False,
    active: bool = True,
    partial: bool = False,
) -> Offer:
    return Offer(level, FORM_BITS[form], general, active, partial)


FULL, PARTIAL, PAUSED = _offer(), _offer(partial=True), _offer(active=False)
WRONG_FORM, WRONG_LEVEL = _offer(form="outpatient"), _offer(level="municipal")


@pytest.mark.parametrize(
    ("here", "region", "expected"),
    [
        ([FULL], [], (True, False, None)),
        ([PARTIAL], [], (False, True, MissReason.outside_catchment)),
        ([PARTIAL, FULL], [], (True, False, None)),
        ([PARTIAL, PAUSED], [], (False, True, MissReason.outside_catchment)),
        ([PAUSED], [], (False, False, MissReason.not_active)),
        ([PAUSED, WRONG_FORM, WRONG_LEVEL], [FULL], (False, False, MissReason.not_active)),
        ([WRONG_FORM, WRONG_LEVEL], [FULL], (False, False, MissReason.wrong_form)),
        ([WRONG_LEVEL], [FULL], (False, False, MissReason.wrong_level)),
        ([_offer(form="outpatient", active=False)], [FULL], (False, False, MissReason.outside_catchment)),
        ([], [FULL], (False, False, MissReason.outside_catchment)),
        ([], [PAUSED, WRONG_FORM, WRONG_LEVEL], (False, False, MissReason.no_service)),
        ([], [], (False, False, MissReason.no_service)),
        ([_offer(general=True)], [_offer(general=True)], (False, False, MissReason.no_service)),
    ],
    ids=[
        "covered",
        "partial",
        "full-beats-partial",
        "partial-beats-not-active",
        "not-active",
        "not-active-first",
        "wrong-form-before-wrong-level",
        "wrong-level-before-outside",
        "inactive-wrong-form-is-no-near-miss",
        "outside-catchment",
        "only-inactive-or-unfit-in-region",
        "no-service",
        "general-offer-ignored",
    ],
)
def test_judge_applies_the_rules_in_order(
    here: list[Offer], region: list[Offer], expected: tuple[bool, bool, MissReason | None]
) -> None:
    cell = coverage.judge(STEP, here, region)
    assert (cell.covered, cell.partial, cell.reason) == expected
    covering = tuple(o for o in here if o in (FULL, PARTIAL))
    assert cell.offers == (covering if cell.covered or cell.partial else ())


def test_judge_counts_general_offers_only_for_a_step_that_says_so() -> None:
    general = _offer("municipal", "home_based", general=True)
    assert coverage.judge(GENERAL_STEP, [general], []).covered
    other_form = Step("x", "X", frozenset({"municipal"}), ALL_FORMS, general=False)
    assert coverage.judge(other_form, [general], []).reason == MissReason.no_service
    anything = Step("y", "Y", frozenset({"municipal"}), ALL_FORMS, general=True)
    assert coverage.judge(anything, [_offer("municipal", "digital", general=True)], []).covered


# --- catchments --------------------------------------------------------------------------------------------


def test_a_trust_service_covers_every_municipality_of_its_catchment_and_no_other(owner_org: int) -> None:
    template = _template(owner_org)
    service = _service()
    catchment = set(service["catchment"])
    assert service["catchment_inherited"] is True
    assert len(catchment) == 16
    assert {STORD, HAUGESUND} <= catchment
    grid = _grid(_matrix(template, region="HV"))
    assert {number for number, cells in grid.items() if cells == ["covered"]} == catchment
    assert grid[BERGEN] == ["outside_catchment"]  # Helse Bergen's, in the same region
    assert _state(template, BODO) == "no_service"  # Helse Nord has nothing
    answer = _coverage(template, STORD)
    assert answer["steps"][0]["services"] == [
        {
            "id": service["id"],
            "name": service["name"],
            "provider_id": service["provider_id"],
            "level": "specialist",
            "forms": ["inpatient"],
            "partial": False,
        }
    ]
    assert (answer["covered_steps"], answer["partial_steps"], answer["total_steps"]) == (1, 0, 1)


def test_a_district_only_catchment_is_partial_and_not_counted_as_covered(owner_org: int) -> None:
    template = _template(owner_org, step_body("rehab"), step_body("kommune", ("municipal",)))
    lovisenberg = _service("Lovisenberg diakonale sykehus", name="Lungerehabilitering Lovisenberg")
    assert lovisenberg["catchment"] == [OSLO]
    answer = _coverage(template, OSLO)
    assert [(s["covered"], s["partial"], s["reason"]) for s in answer["steps"]] == [
        (False, True, MissReason.outside_catchment),
        (False, False, MissReason.wrong_level),
    ]
    assert [s["id"] for s in answer["steps"][0]["services"]] == [lovisenberg["id"]]
    assert answer["steps"][0]["services"][0]["partial"] is True
    assert (answer["covered_steps"], answer["partial_steps"]) == (0, 1)
    oslo = _matrix(template, county="03")
    assert [(r["number"], r["covered_steps"], r["partial_steps"]) for r in oslo["municipalities"]] == [(OSLO, 0, 1)]
    assert oslo["municipalities"][0]["cells"][0]["service_count"] == 1
    assert oslo["step_totals"][0] == {
        "key": "rehab",
        "municipalities_covered": 0,
        "municipalities_partial": 1,
        "population_covered": 0,
        "population_share": 0.0,
    }


def test_a_full_service_beside_a_partial_one_covers_and_both_are_listed(owner_org: int) -> None:
    template = _template(owner_org)
    partial = _service("Lovisenberg diakonale sykehus", name="A Lovisenberg")
    full = _service("Lovisenberg diakonale sykehus", name="B egen liste", catchment=[OSLO])
    step = _coverage(template, OSLO)["steps"][0]
    assert (step["covered"], step["partial"], step["reason"]) == (True, False, None)
    assert [(s["id"], s["partial"]) for s in step["services"]] == [(full["id"], False), (partial["id"], True)]
    oslo = _matrix(template, county="03")
    assert oslo["step_totals"][0]["municipalities_covered"] == 1
    assert oslo["step_totals"][0]["population_covered"] == oslo["population"] > 0
    assert oslo["step_totals"][0]["population_share"] == 1.0


def test_a_trust_serving_oslo_by_district_is_partial_there_and_covers_the_rest(owner_org: int) -> None:
    template = _template(owner_org)
    ahus = _service("Akershus universitetssykehus HF")
    catchment = set(ahus["catchment"])
    assert OSLO in catchment
    assert "3205" in catchment
    grid = _matrix(template, region="HSO")
    cells = _grid(grid)
    assert cells[OSLO] == ["partial"]
    assert {n for n, c in cells.items() if c == ["covered"]} == catchment - {OSLO}
    (total,) = grid["step_totals"]
    assert (total["municipalities_covered"], total["municipalities_partial"]) == (len(catchment) - 1, 1)
    populations = {r["number"]: r["population"] for r in grid["municipalities"]}
    assert total["population_covered"] == sum(populations[n] for n in catchment - {OSLO})


def test_a_district_organisation_serves_its_municipality_partially(owner_org: int) -> None:
    template = _template(owner_org)
    bydel = make_organisation(kind="district", name="Bydel Leirvik", municipality_number=STORD)
    service = _service(bydel["id"])
    assert service["catchment"] == [STORD]
    assert _state(template, STORD) == "partial"
    assert _coverage(template, STORD)["steps"][0]["services"][0]["partial"] is True
    arna = _service(find_org_id("Arna", kind="district"))  # a reference district of Bergen
    assert arna["catchment"] == [BERGEN]
    assert _state(template, BERGEN) == "partial"
    assert _state(template, HAUGESUND) == "outside_catchment"


def test_a_service_with_its_own_catchment_ignores_the_providers(owner_org: int) -> None:
    template = _template(owner_org)
    _service(catchment=[BODO])  # Helse Fonna, for Bodø only
    assert _state(template, BODO) == "covered"
    assert _state(template, STORD) == "outside_catchment"  # Helse Fonna is in Helse Vest


# --- status and validity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "paused"},
        {"status": "planned"},
        {"status": "discontinued"},
        {"valid_to": (DAY - timedelta(days=1)).isoformat()},
        {"valid_from": (DAY + timedelta(days=1)).isoformat()},
    ],
    ids=["paused", "planned", "discontinued", "expired", "not-yet-valid"],
)
def test_a_service_that_is_not_active_today_is_the_nearest_miss(owner_org: int, fields: dict[str, Any]) -> None:
    template = _template(owner_org)
    _service(**fields)
    assert _state(template, STORD, today=DAY) == "not_active"
    assert _grid(_matrix(template, county="46", today=DAY))[STORD] == ["not_active"]
    assert _coverage(template, STORD, today=DAY)["steps"][0]["services"] == []


def test_validity_dates_are_inclusive_and_today_can_be_pinned(owner_org: int) -> None:
    template = _template(owner_org)
    _service(valid_from=DAY.isoformat(), valid_to=(DAY + timedelta(days=10)).isoformat())
    days = [DAY - timedelta(days=1), DAY, DAY + timedelta(days=10), DAY + timedelta(days=11)]
    assert [_state(template, STORD, today=d) for d in days] == ["not_active", "covered", "covered", "not_active"]
    assert [_grid(_matrix(template, county="46", today=d))[STORD] for d in days] == [
        ["not_active"],
        ["covered"],
        ["covered"],
        ["not_active"],
    ]


def test_without_a_pinned_date_today_in_norway_counts(owner_org: int) -> None:
    today = norwegian_today()
    template = _template(owner_org)
    _service(catchment=[STORD], valid_to=(today - timedelta(days=1)).isoformat())
    _service(catchment=[HAUGESUND], valid_from=today.isoformat())
    assert _state(template, STORD) == "not_active"
    assert _state(template, HAUGESUND) == "covered"


def test_a_deleted_service_counts_for_nothing(owner_org: int) -> None:
    template = _template(owner_org)
    service = _service()
    assert _state(template, STORD) == "covered"
    with transaction() as session:
        catalogue.delete_service(session, SYSTEM, service["id"], f'"{service["version"]}"')
    assert _state(template, STORD) == "no_service"


# --- patient groups ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template_groups", "service_groups", "expected"),
    [
        (("copd",), ["copd"], "covered"),
        (("copd",), ["lung"], "covered"),  # a parent group serves the child's template
        (("copd",), ["asthma"], "no_service"),  # a sibling does not
        (("lung",), ["asthma"], "no_service"),  # a child does not serve the parent's template
        (("lung",), ["lung"], "covered"),
        (("stroke", "asthma"), ["lung"], "covered"),  # the ancestor of any one of the groups
        (("copd",), ["stroke", "cancer"], "no_service"),
    ],
    ids=["same", "parent", "sibling", "child", "lung-lung", "any-group", "unrelated"],
)
def test_a_service_serves_the_templates_groups_and_their_descendants(
    owner_org: int, template_groups: tuple[str, ...], service_groups: list[str], expected: str
) -> None:
    template = _template(owner_org, groups=template_groups)
    _service(patient_groups=service_groups)
    assert _state(template, STORD) == expected


def test_a_general_service_counts_only_where_the_step_says_so(owner_org: int) -> None:
    home = ("municipal",), ("home_based",)
    template = _template(owner_org, step_body("spesifikk", *home), step_body("generell", *home, general=True))
    _service(_kommune("Haugesund"), level="municipal", forms=["home_based"], patient_groups=[])
    assert _states(template, HAUGESUND) == ["no_service", "covered"]
    assert _states(template, STORD) == ["no_service", "outside_catchment"]
    _service(_kommune("Stord"), level="specialist", forms=["day"], patient_groups=[])
    assert _states(template, STORD) == ["no_service", "wrong_level"]


def test_a_template_without_patient_groups_is_served_only_by_general_services(owner_org: int) -> None:
    home = ("municipal",), ("home_based",)
    template = _template(
        owner_org, step_body("spesifikk", *home), step_body("generell", *home, general=True), groups=()
    )
    _service(_kommune("Stord"), level="municipal", forms=["home_based"], patient_groups=["lung"])
    assert _states(template, STORD) == ["no_service", "no_service"]
    _service(_kommune("Stord"), level="municipal", forms=["home_based"], patient_groups=[])
    assert _states(template, STORD) == ["no_service", "covered"]


def test_a_step_without_forms_takes_any_form(owner_org: int) -> None:
    template = _template(owner_org, step_body("hvilken-som-helst", forms=()), step_body("dogn"))
    _service(forms=["digital"])
    assert _states(template, STORD) == ["covered", "wrong_form"]


# --- the nearest miss --------------------------------------------------------------------------------------

NORD = "Nordlandssykehuset HF"


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        ([{"forms": ["outpatient", "day"]}], "wrong_form"),
        ([{"level": "municipal"}], "wrong_level"),
        ([{"catchment": [HAUGESUND]}], "outside_catchment"),
        ([{"provider": "Helse Bergen HF"}], "outside_catchment"),
        ([{"provider": NORD}], "no_service"),
        ([{"catchment": [HAUGESUND], "status": "paused"}], "no_service"),
        ([{"catchment": [HAUGESUND], "forms": ["outpatient"]}], "no_service"),
        ([{"status": "paused"}, {"forms": ["outpatient"]}, {"level": "municipal"}], "not_active"),
        ([{"forms": ["outpatient"]}, {"level": "municipal"}], "wrong_form"),
        ([{"level": "municipal"}, {"catchment": [HAUGESUND]}], "wrong_level"),
        ([{"catchment": [HAUGESUND]}, {"provider": NORD}], "outside_catchment"),
        ([{"status": "paused", "forms": ["outpatient"]}, {"level": "municipal"}], "wrong_level"),
    ],
    ids=[
        "wrong-form",
        "wrong-level",
        "outside-catchment",
        "outside-another-trust",
        "no-service-in-region",
        "inactive-elsewhere-is-no-service",
        "unfit-elsewhere-is-no-service",
        "not-active-before-wrong-form",
        "wrong-form-before-wrong-level",
        "wrong-level-before-outside-catchment",
        "outside-catchment-before-no-service",
        "paused-wrong-form-is-no-near-miss",
    ],
)
def test_the_nearest_miss_is_the_first_that_applies(
    owner_org: int, services: list[dict[str, Any]], expected: str
) -> None:
    template = _template(owner_org)
    for fields in services:
        _service(**fields)
    assert _state(template, STORD) == expected
    assert _grid(_matrix(template, region="HV"))[STORD] == [expected]


def test_a_service_in_another_region_makes_no_near_miss_but_covers_its_own(owner_org: int) -> None:
    template = _template(owner_org)
    _service(NORD)
    assert _state(template, BODO) == "covered"
    assert {tuple(cells) for cells in _grid(_matrix(template, region="HV")).values()} == {("no_service",)}
    assert _grid(_matrix(template, region="HN"))["1806"] == ["outside_catchment"]  # Narvik: UNN's


# --- shape and consistency ---------------------------------------------------------------------------------


def test_steps_and_cells_keep_the_templates_order(owner_org: int) -> None:
    template = _template(
        owner_org, step_body("zulu"), step_body("alfa", ("municipal",)), step_body("mike", forms=("day",))
    )
    _service()
    answer = _coverage(template, STORD)
    assert [s["key"] for s in answer["steps"]] == ["zulu", "alfa", "mike"]
    assert [s["title"] for s in answer["steps"]] == ["Zulu", "Alfa", "Mike"]
    assert _states(template, STORD) == ["covered", "wrong_level", "wrong_form"]
    grid = _matrix(template, county="46")
    assert [s["key"] for s in grid["steps"]] == ["zulu", "alfa", "mike"]
    assert [t["key"] for t in grid["step_totals"]] == ["zulu", "alfa", "mike"]
    assert all([c["key"] for c in row["cells"]] == ["zulu", "alfa", "mike"] for row in grid["municipalities"])
    assert _row(grid, STORD)["covered_steps"] == 1


def _hv_catalogue(owner_org: int) -> int:
    """A three-step template and services of every kind of outcome around Helse Vest."""
    template = _template(
        owner_org,
        step_body("rehab"),
        step_body("dag", ("municipal",), ("day",)),
        step_body("hjemme", ("municipal",), ("home_based",), general=True),
    )
    _service()  # Helse Fonna: rehab in its 16 municipalities
    _service("Helse Bergen HF", status="paused")
    _service("Helse Førde HF", forms=["outpatient"])
    _service("Helse Stavanger HF", level="municipal", forms=["inpatient"])
    institution = make_organisation(name="Dagrehab AS", region="HV")
    _service(institution["id"], level="municipal", forms=["day"], catchment=[BERGEN, STORD, HAUGESUND, "1103"])
    _service(find_org_id("Arna", kind="district"), level="municipal", forms=["home_based"], patient_groups=[])
    _service(_kommune("Stord"), level="municipal", forms=["home_based", "day"], patient_groups=["lung"])
    _service(_kommune("Bømlo"), level="municipal", forms=["home_based"], status="planned")
    return template


def test_the_matrix_agrees_cell_by_cell_with_each_municipality(owner_org: int) -> None:
    template = _hv_catalogue(owner_org)
    grid = _matrix(template, region="HV")
    assert grid["scope"] == "region:HV"
    assert len(grid["municipalities"]) == 66
    words: set[str] = set()
    for row in grid["municipalities"]:
        alone = _coverage(template, row["number"])
        assert [(s["key"], s["covered"], s["partial"], s["reason"], len(s["services"])) for s in alone["steps"]] == [
            (c["key"], c["covered"], c["partial"], c["reason"], c["service_count"]) for c in row["cells"]
        ], row["number"]
        assert (row["covered_steps"], row["partial_steps"]) == (alone["covered_steps"], alone["partial_steps"])
        words.update(_word(c) for c in row["cells"])
    assert words == {"covered", "partial", "not_active", "wrong_form", "wrong_level", "outside_catchment"}
    assert _grid(grid)[BERGEN] == ["not_active", "covered", "partial"]
    assert _grid(grid)[STORD] == ["covered", "covered", "covered"]
    assert _grid(grid)["4613"] == ["covered", "wrong_level", "not_active"]  # Bømlo
    assert _grid(grid)["4627"] == ["not_active", "outside_catchment", "outside_catchment"]  # Askøy


def test_step_totals_add_up_the_rows(owner_org: int) -> None:
    template = _hv_catalogue(owner_org)
    grid = _matrix(template, region="HV")
    rows = grid["municipalities"]
    population = sum(r["population"] or 0 for r in rows)
    assert grid["population"] == population > 1_000_000
    for i, total in enumerate(grid["step_totals"]):
        covered = [r for r in rows if r["cells"][i]["covered"]]
        assert total["municipalities_covered"] == len(covered) > 0
        assert total["municipalities_partial"] == sum(r["cells"][i]["partial"] for r in rows)
        assert total["population_covered"] == sum(r["population"] or 0 for r in covered)
        assert total["population_share"] == round(total["population_covered"] / population, 4)
    assert [t["municipalities_partial"] for t in grid["step_totals"]] == [0, 0, 1]


def test_the_same_municipality_reads_the_same_in_every_scope(owner_org: int) -> None:
    template = _hv_catalogue(owner_org)
    region = {r["number"]: r for r in _matrix(template, region="HV")["municipalities"]}
    country = _matrix(template)
    county = _matrix(template, county="46")
    assert country["scope"] == "country"
    assert county["scope"] == "county:46"
    assert len(country["municipalities"]) == 357
    assert [r for r in country["municipalities"] if r["number"] in region] == list(region.values())
    assert county["municipalities"] == [region[r["number"]] for r in county["municipalities"]]
    assert {r["number"][:2] for r in county["municipalities"]} == {"46"}


def test_the_overview_of_a_municipality_lists_every_published_template_by_title(owner_org: int) -> None:
    second = _template(owner_org, series="b-serie", title="B-forløp")
    first = _template(owner_org, series="a-serie", title="A-forløp", groups=("stroke",))
    _template(owner_org, series="utkast", title="0 utkast", status="draft")
    _template(owner_org, series="trukket", title="0 trukket", status="retired")
    _service()
    with transaction() as session:
        overview = coverage.municipality_overview(session, STORD, today=DAY)
    assert (overview["municipality"], overview["name"]) == (STORD, "Stord")
    assert [t["template_id"] for t in overview["templates"]] == [first, second]
    assert [[_word(s) for s in t["steps"]] for t in overview["templates"]] == [["no_service"], ["covered"]]
    assert overview["templates"][1] == _coverage(second, STORD, today=DAY)


# --- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["draft", "retired"])
def test_only_published_templates_have_coverage(owner_org: int, status: str) -> None:
    template = _template(owner_org, status=status)
    with pytest.raises(Conflict) as one, transaction() as session:
        coverage.for_municipality(session, SYSTEM, template, STORD)
    with pytest.raises(Conflict) as grid, transaction() as session:
        coverage.matrix(session, SYSTEM, template, region="HV")
    word = "utkast" if status == "draft" else "trukket tilbake"
    assert word in one.value.detail
    assert word in grid.value.detail


def test_anonymous_callers_asking_for_a_draft_must_log_in(owner_org: int) -> None:
    draft = _template(owner_org, status="draft")
    retired = _template(owner_org, series="trukket", status="retired")
    published = _template(owner_org, series="publisert")
    with transaction() as session:
        with pytest.raises(Unauthenticated):
            coverage.for_municipality(session, ANONYMOUS, draft, STORD)
        with pytest.raises(Unauthenticated):
            coverage.matrix(session, ANONYMOUS, draft)
        with pytest.raises(Conflict):
            coverage.matrix(session, ANONYMOUS, retired)
        assert coverage.for_municipality(session, ANONYMOUS, published, STORD)["template_id"] == published


def test_unknown_templates_municipalities_and_scopes_are_refused(owner_org: int) -> None:
    template = _template(owner_org)
    with transaction() as session:
        with pytest.raises(NotFound):
            coverage.for_municipality(session, SYSTEM, template + 1000, STORD)
        with pytest.raises(NotFound):
            coverage.for_municipality(session, SYSTEM, template, "9999")
        with pytest.raises(NotFound):
            coverage.municipality_overview(session, "9999")
        with pytest.raises(InvalidInput) as region:
            coverage.matrix(session, SYSTEM, template, region="ZZ")
        assert [e.loc for e in region.value.errors] == [("query", "region")]
        with pytest.raises(InvalidInput) as both:
            coverage.matrix(session, SYSTEM, template, region="HV", county="46")
        assert [e.loc for e in both.value.errors] == [("query", "county")]
        with pytest.raises(InvalidInput) as county:
            coverage.matrix(session, SYSTEM, template, county="99")
        assert [e.loc for e in county.value.errors] == [("query", "county")]
