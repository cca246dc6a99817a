"""The demo pathway templates (app/demo/pathways.json) and the demo services that cover some of their steps."""

from typing import Any

from app.db import transaction
from app.domain import catalogue, demo, pathways, taxonomy
from app.domain.demo import DemoReport
from app.models.pathway import PathwayFields, PathwayRead, PathwayStatus
from app.models.rehab_service import ServiceStatus
from tests.factories import SYSTEM, fingerprint

COGNITIVE = "kognitiv-svikt-demens"
SERIES = {
    "pakkeforlop-hjem-kreft",
    "kols-lungerehabilitering",
    "hjerneslag-rehabilitering",
    "helhetlig-pasientforlop-hjemmet",
    COGNITIVE,
}


def _load() -> DemoReport:
    with transaction() as session:
        return demo.load_demo(session, SYSTEM)


def _templates() -> list[dict[str, Any]]:
    with transaction() as session:
        items, _ = pathways.list_templates(session, SYSTEM, pathways.PathwayFilter(), limit=100)
    return items


def test_demo_load_creates_published_templates_with_sources_and_one_draft(database_url: str) -> None:
    report = _load()
    assert (report.pathways_created, report.pathways_unchanged) == (6, 0)
    templates = _templates()

    published = [t for t in templates if t["status"] == PathwayStatus.published]
    assert len(published) >= 5
    assert {t["series"] for t in published} == SERIES
    assert all(t["series_version"] == 1 and t["published_at"] for t in published)
    for t in published:
        assert t["source"]["title"], t["series"]
        assert t["source"]["url"].startswith("https://"), t["series"]
    dated = {t["series"]: t["source"]["date"] for t in published if t["source"].get("date")}
    assert dated == {"pakkeforlop-hjem-kreft": "2021-12-29", "kols-lungerehabilitering": "2021-07-01"}

    drafts = [t for t in templates if t["status"] == PathwayStatus.draft]
    assert [(t["series"], t["series_version"]) for t in drafts] == [(COGNITIVE, 2)]
    draft = drafts[0]
    (first,) = [t for t in published if t["series"] == COGNITIVE]
    changes = pathways.compare(first, draft)
    assert {"key": "ny-vurdering-ved-endring", "change": "added", "fields": []} in changes["steps"]
    assert [c["field"] for c in changes["fields"]] == ["description"]


def test_every_demo_template_validates_and_is_marked_as_invented(database_url: str) -> None:
    _load()
    for t in _templates():
        PathwayRead.model_validate(t)
        PathwayFields.model_validate({key: t[key] for key in PathwayFields.model_fields})
        assert t["title"].endswith("(eksempel)"), t["title"]
        assert t["description"].startswith("Oppdiktet eksempeldata basert på"), t["series"]
        assert t["owner_name"].endswith(" HF"), t["owner_name"]  # a health trust of the demo region
        keys = [s["key"] for s in t["steps"]]
        assert len(keys) == len(set(keys)) >= 4, t["series"]
    stroke = next(t for t in _templates() if t["series"] == "hjerneslag-rehabilitering")
    routes = {s["key"]: (s["levels"], s["forms"]) for s in stroke["steps"]}
    # The alternative routes after the stroke unit, each a step whose levels and forms allow only that route.
    assert routes["rehabilitering-spesialist"] == (["specialist"], ["day", "inpatient"])
    assert routes["tidlig-stottet-utskrivning"] == (["municipal", "specialist"], ["ambulatory", "home_based"])
    assert routes["rehabilitering-kommune"] == (["municipal"], ["day", "home_based", "inpatient"])


def test_a_second_demo_load_changes_nothing(database_url: str) -> None:
    _load()
    before = fingerprint()
    again = _load()
    assert fingerprint() == before
    assert (again.created, again.updated, again.pathways_created) == (0, 0, 0)
    assert again.pathways_unchanged == 6


def test_a_deleted_demo_draft_is_made_again_and_published_versions_stay(database_url: str) -> None:
    _load()
    (draft,) = [t for t in _templates() if t["status"] == PathwayStatus.draft]
    with transaction() as session:
        pathways.delete_draft(session, SYSTEM, draft["id"], f'"{draft["version"]}"')
    published_before = [t for t in _templates() if t["status"] == PathwayStatus.published]
    report = _load()
    assert (report.pathways_created, report.pathways_unchanged) == (1, 5)
    after = _templates()
    assert [t for t in after if t["status"] == PathwayStatus.published] == published_before
    assert [(t["series"], t["series_version"]) for t in after if t["status"] == PathwayStatus.draft] == [(COGNITIVE, 2)]


def _coverage() -> dict[tuple[str, str], set[str]]:
    """(series, step key) → the municipalities where the step is covered, by the rule in app/demo/README.md."""
    with transaction() as session:
        tax = taxonomy.get_taxonomy(session)
        services, _ = catalogue.list_services(
            session, catalogue.ServiceFilter(status=[ServiceStatus.active]), limit=500
        )

    def with_ancestors(code: str) -> set[str]:
        codes, group = set(), tax.by_code.get(code)
        while group is not None:
            codes.add(group.code)
            group = tax.by_id.get(group.parent_id) if group.parent_id is not None else None
        return codes

    covered: dict[tuple[str, str], set[str]] = {}
    for t in _templates():
        if t["status"] != PathwayStatus.published:
            continue
        groups = set().union(*(with_ancestors(code) for code in t["patient_groups"]))
        for step in t["steps"]:
            where = covered.setdefault((t["series"], step["key"]), set())
            for s in services:
                serves = bool(set(s["patient_groups"]) & groups) or (
                    not s["patient_groups"] and step["general_services_count"]
                )
                if s["level"] in step["levels"] and set(s["forms"]) & set(step["forms"]) and serves:
                    where.update(s["catchment"])
    return covered


TROMSO, HARSTAD, SENJA, BALSFJORD, NARVIK, BODO, FAUSKE = "5501", "5503", "5530", "5532", "1806", "1804", "1841"
SHOWN = {TROMSO, HARSTAD, SENJA, BALSFJORD, NARVIK, BODO, FAUSKE}

# (series, step, where it is covered among SHOWN): the table in app/demo/README.md.
PROMISED = [
    ("kols-lungerehabilitering", "lungerehabilitering", set()),
    ("kols-lungerehabilitering", "oppfolging-trening-kommunen", {TROMSO, SENJA}),
    ("hjerneslag-rehabilitering", "rehabilitering-spesialist", SHOWN),
    ("hjerneslag-rehabilitering", "tidlig-stottet-utskrivning", {TROMSO, HARSTAD, BALSFJORD}),
    ("hjerneslag-rehabilitering", "rehabilitering-kommune", {HARSTAD, BODO}),
    ("pakkeforlop-hjem-kreft", "sp1-behovskartlegging-sykehus", {BODO, FAUSKE}),
    ("pakkeforlop-hjem-kreft", "sp2-behovskartlegging-kommune", {BODO}),
    ("kognitiv-svikt-demens", "utredning-kommunen", {TROMSO}),
    ("kognitiv-svikt-demens", "utvidet-utredning", {TROMSO, HARSTAD, SENJA, BALSFJORD, NARVIK}),
    ("kognitiv-svikt-demens", "aktivitet-og-parorende", {HARSTAD}),
    ("helhetlig-pasientforlop-hjemmet", "oppfolging-hjemme", {TROMSO}),
]


def test_demo_services_cover_some_steps_in_some_municipalities(database_url: str) -> None:
    _load()
    coverage = _coverage()
    broken = [
        f"{series}/{step}: covered in {sorted(coverage[(series, step)] & SHOWN)}, expected {sorted(covered)}"
        for series, step, covered in PROMISED
        if coverage[(series, step)] & SHOWN != covered
    ]
    assert not broken, "\n".join(broken)
