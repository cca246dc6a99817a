"""Coverage through the API: /coverage, /coverage/matrix (JSON and CSV) and /municipalities/{number}[/coverage].

The template of most tests has one step, `rehab` (specialist, inpatient), for the group COPD.
"""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models.auth import Role, TokenScope
from app.settings import get_settings
from tests.conftest import TokenFactory
from tests.factories import create_organisation, create_service, org_id, pathway_body, step_body

API = "/api/v1"
TEMPLATES = f"{API}/pathway-templates"
STORD, HAUGESUND, BERGEN, OSLO = "4614", "1106", "4601", "0301"


# --- helpers -----------------------------------------------------------------------------------------------


def _template(
    client: TestClient, owner: int, series: str = "dekning", *, status: str = "published", **overrides: Any
) -> dict[str, Any]:
    """A template (default: one `rehab` step for COPD) left as a draft, published or retired."""
    body = pathway_body(owner, series, **{"steps": [step_body("rehab")], **overrides})
    created = client.post(TEMPLATES, json=body)
    assert created.status_code == 201, created.text
    template: dict[str, Any] = created.json()
    for action in {"draft": [], "published": ["publish"], "retired": ["publish", "retire"]}[status]:
        done = client.post(f"{TEMPLATES}/{template['id']}/{action}", headers={"If-Match": f'"{template["version"]}"'})
        assert done.status_code == 200, done.text
        template = done.json()
    return template


def _service(client: TestClient, provider: int, **fields: Any) -> dict[str, Any]:
    return create_service(client, provider, **{"level": "specialist", "forms": ["inpatient"], **fields})


def _patch(client: TestClient, kind: str, thing: dict[str, Any], **changes: Any) -> dict[str, Any]:
    response = client.patch(f"{API}/{kind}/{thing['id']}", json=changes, headers={"If-Match": f'"{thing["version"]}"'})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"{API}{path}", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _word(cell: dict[str, Any]) -> str:
    """A cell (or step) in one word: covered, partial, or its reason."""
    return "covered" if cell["covered"] else "partial" if cell["partial"] else str(cell["reason"])


def _states(client: TestClient, template: dict[str, Any], number: str) -> list[str]:
    return [_word(s) for s in _get(client, "/coverage", template=template["id"], municipality=number)["steps"]]


def _seen(client: TestClient, template: dict[str, Any], number: str) -> str:
    """The one step of `template` for `number`, read from /coverage and from the county's matrix alike."""
    (alone,) = _states(client, template, number)
    grid = _get(client, "/coverage/matrix", template=template["id"], county=number[:2])
    assert [_word(c) for c in _row(grid, number)["cells"]] == [alone]
    return alone


def _row(grid: dict[str, Any], number: str) -> dict[str, Any]:
    rows: list[dict[str, Any]] = [r for r in grid["municipalities"] if r["number"] == number]
    (row,) = rows
    return row


def _assert_problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert (body["type"], body["status"]) == (f"/problems/{slug}", status)
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    return body


# --- coverage follows the catalogue ------------------------------------------------------------------------


def test_coverage_follows_each_write_to_a_service_at_once(client: TestClient, owner_org: int, fonna: int) -> None:
    template = _template(client, owner_org)
    assert _seen(client, template, STORD) == "no_service"
    service = _service(client, fonna)
    assert _seen(client, template, STORD) == "covered"
    listed = _get(client, "/coverage", template=template["id"], municipality=STORD)["steps"][0]["services"]
    assert [(s["id"], s["provider_id"], s["partial"]) for s in listed] == [(service["id"], fonna, False)]
    service = _patch(client, "rehab-services", service, status="paused")
    assert _seen(client, template, STORD) == "not_active"
    service = _patch(client, "rehab-services", service, status="active", catchment=[HAUGESUND])
    assert (_seen(client, template, STORD), _seen(client, template, HAUGESUND)) == ("outside_catchment", "covered")
    service = _patch(client, "rehab-services", service, forms=["outpatient"])
    assert _seen(client, template, HAUGESUND) == "wrong_form"
    gone = client.delete(f"{API}/rehab-services/{service['id']}", headers={"If-Match": f'"{service["version"]}"'})
    assert gone.status_code == 204
    assert (_seen(client, template, STORD), _seen(client, template, HAUGESUND)) == ("no_service", "no_service")


def test_a_new_catchment_of_the_provider_moves_inherited_coverage(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    institution = create_organisation(client, name="Rehabsenteret AS", region="HV", catchment=[STORD])
    service = _service(client, institution["id"])
    assert service["catchment"] == [STORD]
    assert (_seen(client, template, STORD), _seen(client, template, HAUGESUND)) == ("covered", "outside_catchment")
    _patch(client, "organisations", institution, catchment=[HAUGESUND])
    assert (_seen(client, template, STORD), _seen(client, template, HAUGESUND)) == ("outside_catchment", "covered")


def test_a_district_organisation_or_an_oslo_hospital_covers_only_partially(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    bydel = create_organisation(client, kind="district", name="Bydel Leirvik", municipality_number=STORD)
    _service(client, bydel["id"])
    assert _seen(client, template, STORD) == "partial"
    lovisenberg = org_id(client, "Lovisenberg diakonale sykehus")
    service = _service(client, lovisenberg)
    answer = _get(client, "/coverage", template=template["id"], municipality=OSLO)
    assert (answer["covered_steps"], answer["partial_steps"], answer["total_steps"]) == (0, 1, 1)
    (step,) = answer["steps"]
    assert (step["covered"], step["partial"], step["reason"]) == (False, True, "outside_catchment")
    assert [(s["id"], s["name"], s["partial"]) for s in step["services"]] == [(service["id"], service["name"], True)]
    oslo = _get(client, "/coverage/matrix", template=template["id"], county="03")
    assert [(r["number"], r["covered_steps"], r["partial_steps"]) for r in oslo["municipalities"]] == [(OSLO, 0, 1)]
    assert oslo["step_totals"] == [
        {
            "key": "rehab",
            "municipalities_covered": 0,
            "municipalities_partial": 1,
            "population_covered": 0,
            "population_share": 0.0,
        }
    ]


# --- the matrix --------------------------------------------------------------------------------------------


def test_the_matrix_of_a_region_agrees_with_each_municipality(client: TestClient, owner_org: int, fonna: int) -> None:
    steps = [
        step_body("rehab"),
        step_body("dag", ("municipal",), ("day",)),
        step_body("hjemme", ("municipal",), ("home_based",)),
    ]
    template = _template(client, owner_org, steps=steps)
    _service(client, fonna)
    _service(client, org_id(client, "Helse Bergen HF"), status="planned")
    _service(client, org_id(client, "Stord", "municipality"), level="municipal", forms=["day"])
    grid = _get(client, "/coverage/matrix", template=template["id"], region="HV")
    assert (grid["template_id"], grid["series"], grid["series_version"]) == (template["id"], "dekning", 1)
    assert grid["scope"] == "region:HV"
    assert [s["key"] for s in grid["steps"]] == ["rehab", "dag", "hjemme"]
    assert len(grid["municipalities"]) == 66
    for row in grid["municipalities"]:
        if row["number"] in (STORD, HAUGESUND, BERGEN, "4627"):
            alone = _get(client, "/coverage", template=template["id"], municipality=row["number"])
            assert [(_word(s), len(s["services"])) for s in alone["steps"]] == [
                (_word(c), c["service_count"]) for c in row["cells"]
            ]
    rows = {r["number"]: [_word(c) for c in r["cells"]] for r in grid["municipalities"]}
    assert rows[STORD] == ["covered", "covered", "wrong_form"]
    assert rows[HAUGESUND] == ["covered", "wrong_level", "wrong_level"]
    assert rows[BERGEN] == ["not_active", "outside_catchment", "no_service"]
    population = sum(r["population"] for r in grid["municipalities"])
    assert grid["population"] == population
    rehab = grid["step_totals"][0]
    covered = [r for r in grid["municipalities"] if r["cells"][0]["covered"]]
    assert (rehab["municipalities_covered"], rehab["population_covered"]) == (16, sum(r["population"] for r in covered))
    assert rehab["population_share"] == round(rehab["population_covered"] / population, 4)


def test_the_matrix_covers_the_country_by_default(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    grid = _get(client, "/coverage/matrix", template=template["id"])
    assert grid["scope"] == "country"
    assert len(grid["municipalities"]) == 357
    assert {_word(c) for r in grid["municipalities"] for c in r["cells"]} == {"no_service"}
    assert grid["step_totals"][0]["population_share"] == 0.0


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="dekning-dekning-v1.csv"'
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def test_the_matrix_as_csv(client: TestClient, owner_org: int, fonna: int) -> None:
    template = _template(
        client, owner_org, steps=[step_body("rehab"), step_body("hjemme", ("municipal",), ("home_based",))]
    )
    _service(client, fonna)
    _service(client, org_id(client, "Arna", "district"), level="municipal", forms=["home_based"])
    params = {"template": template["id"], "region": "HV"}
    grid = _get(client, "/coverage/matrix", **params)
    rows = _csv(client.get(f"{API}/coverage/matrix", params={**params, "format": "csv"}))
    assert rows[0] == ["number", "name", "population", "step:rehab", "step:hjemme", "covered_steps", "partial_steps"]
    assert [r[0] for r in rows[1:]] == [m["number"] for m in grid["municipalities"]]
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[STORD] == [
        STORD,
        "Stord",
        str(_row(grid, STORD)["population"]),
        "covered",
        "wrong_level",
        "1",
        "0",
    ]
    assert by_number[BERGEN][3:] == ["wrong_level", "partial", "0", "1"]
    assert by_number["1103"][3:] == ["outside_catchment", "outside_catchment", "0", "0"]  # Stavanger
    accepted = client.get(f"{API}/coverage/matrix", params=params, headers={"Accept": "text/csv"})
    assert _csv(accepted) == rows
    json_anyway = client.get(
        f"{API}/coverage/matrix", params={**params, "format": "json"}, headers={"Accept": "text/csv"}
    )
    assert json_anyway.json() == grid


# --- municipalities ----------------------------------------------------------------------------------------


def test_a_municipality_and_its_organisations(client: TestClient, fonna: int) -> None:
    stord = _get(client, f"/municipalities/{STORD}")
    assert (stord["number"], stord["name"], stord["county_number"], stord["region"]) == (STORD, "Stord", "46", "HV")
    assert fonna in stord["catchment_organisation_ids"]
    assert stord["organisation_id"] == org_id(client, "Stord", "municipality")
    oslo = _get(client, f"/municipalities/{OSLO}")
    assert org_id(client, "Lovisenberg diakonale sykehus") in oslo["catchment_organisation_ids"]


def test_a_municipalitys_coverage_lists_every_published_template(
    client: TestClient, owner_org: int, fonna: int
) -> None:
    slag = _template(client, owner_org, "hjerneslag", title="Hjerneslag", patient_groups=["stroke"])
    kols = _template(client, owner_org, "kols", title="KOLS")
    _template(client, owner_org, "utkast", status="draft", title="Et utkast")
    _template(client, owner_org, "trukket", status="retired", title="Et trukket forløp")
    _service(client, fonna)
    overview = _get(client, f"/municipalities/{STORD}/coverage")
    assert (overview["municipality"], overview["name"]) == (STORD, "Stord")
    assert [(t["template_id"], t["title"]) for t in overview["templates"]] == [
        (slag["id"], "Hjerneslag"),
        (kols["id"], "KOLS"),
    ]
    assert [[_word(s) for s in t["steps"]] for t in overview["templates"]] == [["no_service"], ["covered"]]
    assert overview["templates"][1] == _get(client, "/coverage", template=kols["id"], municipality=STORD)


# --- refusals ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "word"), [("draft", "utkast"), ("retired", "trukket tilbake")])
def test_drafts_and_retired_templates_are_refused(
    client: TestClient, anon: TestClient, owner_org: int, status: str, word: str
) -> None:
    template = _template(client, owner_org, status=status)
    for path, params in (
        ("/coverage", {"template": template["id"], "municipality": STORD}),
        ("/coverage/matrix", {"template": template["id"], "region": "HV"}),
        ("/coverage/matrix", {"template": template["id"], "format": "csv"}),
    ):
        body = _assert_problem(client.get(f"{API}{path}", params=params), 409, "conflict")
        assert word in body["detail"]
        refused = anon.get(f"{API}{path}", params=params)
        if status == "draft":  # like the template itself, a draft is hidden from anonymous callers
            _assert_problem(refused, 401, "unauthenticated")
        else:
            _assert_problem(refused, 409, "conflict")


def test_unknown_templates_and_municipalities_are_404(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    asks: list[tuple[str, dict[str, Any]]] = [
        ("/coverage", {"template": 2_000_000_000, "municipality": STORD}),
        ("/coverage/matrix", {"template": 2_000_000_000}),
        ("/coverage", {"template": template["id"], "municipality": "9999"}),
        ("/municipalities/9999", {}),
        ("/municipalities/9999/coverage", {}),
    ]
    for path, params in asks:
        _assert_problem(client.get(f"{API}{path}", params=params), 404, "not-found")


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/coverage", {"municipality": "12"}, "municipality"),
        ("/coverage", {"municipality": "12345"}, "municipality"),
        ("/coverage", {}, "municipality"),
        ("/coverage", {"municipality": STORD, "template": "0"}, "template"),
        ("/coverage", {"municipality": STORD, "template": "abc"}, "template"),
        ("/coverage/matrix", {"region": "xx"}, "region"),
        ("/coverage/matrix", {"region": "ZZ"}, "region"),
        ("/coverage/matrix", {"region": "HV", "county": "46"}, "county"),
        ("/coverage/matrix", {"county": "4"}, "county"),
        ("/coverage/matrix", {"county": "99"}, "county"),
        ("/coverage/matrix", {"format": "xlsx"}, "format"),
        ("/municipalities/12/coverage", {}, "number"),
        ("/municipalities/abcd", {}, "number"),
    ],
)
def test_bad_parameters_are_422(
    client: TestClient, owner_org: int, path: str, params: dict[str, Any], field: str
) -> None:
    template = _template(client, owner_org)
    response = client.get(f"{API}{path}", params={"template": template["id"], **params})
    body = _assert_problem(response, 422, "validation-error")
    assert field in [e["field"] for e in body["errors"]]


# --- who may read ------------------------------------------------------------------------------------------


def _reads(client: TestClient, template: dict[str, Any], headers: dict[str, str] | None = None) -> list[int]:
    return [
        client.get(f"{API}{path}", params=params, headers=headers).status_code
        for path, params in (
            ("/coverage", {"template": template["id"], "municipality": STORD}),
            ("/coverage/matrix", {"template": template["id"], "region": "HV"}),
            ("/coverage/matrix", {"template": template["id"], "region": "HV", "format": "csv"}),
            (f"/municipalities/{STORD}", {}),
            (f"/municipalities/{STORD}/coverage", {}),
        )
    ]


def test_anyone_may_read_coverage_of_a_public_catalogue(
    client: TestClient, anon: TestClient, owner_org: int, fonna: int
) -> None:
    template = _template(client, owner_org)
    _service(client, fonna)
    assert _reads(anon, template) == [200] * 5
    assert _states(anon, template, STORD) == ["covered"]


def test_a_private_catalogue_refuses_anonymous_readers(
    client: TestClient, anon: TestClient, owner_org: int, make_token: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    template = _template(client, owner_org)
    monkeypatch.setenv("REHABKART_PUBLIC_CATALOGUE", "false")
    get_settings.cache_clear()
    try:
        assert _reads(anon, template) == [401] * 5
        _assert_problem(anon.get(f"{API}/municipalities/{STORD}/coverage"), 401, "unauthenticated")
        viewer = {"Authorization": f"Bearer {make_token(Role.viewer, scope=TokenScope.read)}"}
        assert _reads(anon, template, viewer) == [200] * 5
    finally:
        monkeypatch.delenv("REHABKART_PUBLIC_CATALOGUE")
        get_settings.cache_clear()
