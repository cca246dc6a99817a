"""POST /api/v1/gaps/from-coverage: a missing step of the heat map registered as a gap, once while open.

The template has one step, `rehab` (specialist, inpatient), for COPD; Stord (4614) has no service for it
unless a test makes one.
"""

from typing import Any

from fastapi.testclient import TestClient

from app.models.auth import Role
from tests.api.test_coverage import _service, _template
from tests.conftest import TokenFactory
from tests.factories import find_org_id

API = "/api/v1/gaps"
FROM_COVERAGE = f"{API}/from-coverage"
STORD = "4614"


def _ask(client: TestClient, template: dict[str, Any], number: str = STORD, step: str = "rehab", **headers: str) -> Any:
    body = {"template_id": template["id"], "municipality": number, "step_key": step}
    return client.post(FROM_COVERAGE, json=body, headers=headers)


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    data: dict[str, Any] = response.json()
    return data


def test_a_missing_step_becomes_a_gap_owned_by_the_municipality(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    response = _ask(client, template)
    assert response.status_code == 201, response.text
    gap = response.json()
    assert response.headers["Location"] == f"{API}/{gap['id']}"
    assert response.headers["ETag"] == '"1"'
    assert gap["category"] == "missing_service"
    assert gap["severity"] == "medium"
    assert gap["status"] == "registered"
    assert gap["source"] == "coverage"
    assert gap["source_reference"] == "no_service"
    assert gap["owner_id"] == find_org_id("Stord", "municipality")
    assert gap["municipalities"] == [STORD]
    assert gap["patient_group"] == "copd"
    assert gap["pathway_step"] == {"series": template["series"], "series_version": 1, "key": "rehab"}
    assert gap["title"] == f"Rehab mangler i Stord ({template['title']})"
    assert gap["description"].startswith("Registrert fra dekningskartet")


def test_the_same_step_again_while_open_is_409_naming_the_gap(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    first = _ask(client, template).json()
    again = _ask(client, template)
    body = _problem(again, 409)
    assert body["existing_id"] == first["id"]
    assert again.headers["Location"] == f"{API}/{first['id']}"
    assert "allerede registrert" in body["detail"]
    listed = client.get(API, params={"source": "coverage"}).json()["items"]
    assert [g["id"] for g in listed] == [first["id"]]  # nothing more was written
    # Another municipality, or the same one once the gap is closed, is a new registration.
    assert _ask(client, template, "4601").status_code == 201
    rejected = client.post(
        f"{API}/{first['id']}/transitions",
        json={"to": "rejected", "reason": "Dekkes av nabokommunen"},
        headers={"If-Match": '"1"'},
    )
    assert rejected.status_code == 200, rejected.text
    assert _ask(client, template).status_code == 201


def test_a_gap_for_the_whole_region_linked_to_the_step_counts(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    step = {"series": template["series"], "series_version": 1, "key": "rehab"}
    body = {
        "title": "Ingen lungerehabilitering i Helse Vest",
        "category": "missing_service",
        "severity": "high",
        "region": "HV",
        "source": "dialogue_meeting",
        "owner_id": owner_org,
        "pathway_step": step,
    }
    whole = client.post(API, json=body)
    assert whole.status_code == 201, whole.text
    assert _problem(_ask(client, template), 409)["existing_id"] == whole.json()["id"]
    assert _ask(client, template, "0301").status_code == 201  # Oslo is in Helse Sør-Øst


def test_a_service_that_is_not_active_makes_a_capacity_gap(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    _service(client, owner_org, status="paused", catchment=[STORD])
    gap = _ask(client, template).json()
    assert (gap["category"], gap["source_reference"]) == ("capacity", "not_active")


def test_a_covered_step_is_refused(client: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    _service(client, owner_org, catchment=[STORD])
    body = _problem(_ask(client, template), 409)
    assert "existing_id" not in body
    assert "er dekket" in body["detail"]


def test_bad_requests(client: TestClient, anon: TestClient, owner_org: int) -> None:
    template = _template(client, owner_org)
    draft = _template(client, owner_org, "utkast", status="draft")
    unknown_step = _problem(_ask(client, template, step="finnes-ikke"), 422)
    assert unknown_step["errors"][0]["field"] == "step_key"
    assert _problem(_ask(client, template, "9999"), 422)["errors"][0]["field"] == "municipality"
    _problem(_ask(client, template, "46x4"), 422)
    _problem(_ask(client, draft), 409)
    _problem(_ask(client, {"id": 999_999}), 404)
    _problem(_ask(anon, template), 401)
    extra = client.post(
        FROM_COVERAGE, json={"template_id": template["id"], "municipality": STORD, "step_key": "rehab", "x": 1}
    )
    _problem(extra, 422)
    assert client.get(API).json()["items"] == []


def test_only_editors_of_the_municipality_or_admins_may_register(
    client: TestClient, anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    template = _template(client, owner_org)
    bergen = find_org_id("Bergen", "municipality")
    stord = find_org_id("Stord", "municipality")
    bergen_editor = {"Authorization": f"Bearer {make_token(Role.editor, [bergen])}"}
    stord_editor = {"Authorization": f"Bearer {make_token(Role.editor, [stord])}"}
    viewer = {"Authorization": f"Bearer {make_token(Role.viewer, [stord])}"}
    _problem(_ask(anon, template, **bergen_editor), 403)
    _problem(_ask(anon, template, **viewer), 403)
    created = _ask(anon, template, **stord_editor)
    assert created.status_code == 201, created.text
    assert created.json()["owner_id"] == stord
