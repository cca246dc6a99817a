"""The service catalogue API: filters, pagination, versions, upsert and bad input."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import create_organisation, create_service, org_id, service_body

API = "/api/v1/rehab-services"


@pytest.fixture
def stord(client: TestClient) -> int:
    return org_id(client, "Stord", kind="municipality")


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def test_create_returns_the_service_with_etag_and_location(client: TestClient, fonna: int) -> None:
    response = client.post(API, json=service_body(fonna, capacity_number=12, capacity_unit="beds"))
    assert response.status_code == 201
    service = response.json()
    assert response.headers["etag"] == '"1"'
    assert response.headers["location"] == f"{API}/{service['id']}"
    assert service["provider_name"] == "Helse Fonna HF"
    assert service["catchment_inherited"] is True
    assert len(service["catchment"]) == 16
    assert service["version"] == 1
    assert service["created_at"].endswith("Z")
    fetched = client.get(f"{API}/{service['id']}")
    assert fetched.json() == service
    assert fetched.headers["etag"] == '"1"'


def test_filter_by_municipality_uses_the_catchment(client: TestClient, fonna: int, stord: int) -> None:
    trust = create_service(client, fonna)
    municipal = create_service(client, stord, level="municipal")
    elsewhere = create_service(client, org_id(client, "Helse Bergen HF"))
    assert ids(client.get(API, params={"municipality": "4614"})) == [trust["id"], municipal["id"]]
    assert ids(client.get(API, params={"municipality": "1106"})) == [trust["id"]]
    assert ids(client.get(API, params={"municipality": "4601"})) == [elsewhere["id"]]


def test_explicit_catchment_overrides_the_providers(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna, catchment=["4614"])
    assert service["catchment"] == ["4614"]
    assert service["catchment_inherited"] is False
    assert ids(client.get(API, params={"municipality": "1106"})) == []


def test_patient_group_filter_includes_sub_groups(client: TestClient, fonna: int) -> None:
    copd = create_service(client, fonna, patient_groups=["copd"])
    lung = create_service(client, fonna, patient_groups=["lung"])
    cancer = create_service(client, fonna, patient_groups=["cancer"])
    assert ids(client.get(API, params={"patient_group": "lung"})) == [copd["id"], lung["id"]]
    assert ids(client.get(API, params={"patient_group": "copd"})) == [copd["id"]]
    assert ids(client.get(API, params={"patient_group": "cancer_late_effects"})) == []
    assert ids(client.get(API, params={"patient_group": "cancer"})) == [cancer["id"]]


def test_unknown_patient_group_suggests_the_closest(client: TestClient) -> None:
    response = client.get(API, params={"patient_group": "kols"})
    assert response.status_code == 422
    assert "did you mean 'copd'" in response.json()["errors"][0]["message"]
    response = client.post(API, json=service_body(1, patient_groups=["stroke", "strok"]))
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "patient_groups", "1"]


def test_level_form_status_provider_and_text_filters(client: TestClient, fonna: int, stord: int) -> None:
    a = create_service(client, fonna, forms=["day", "digital"], name="Dagtilbud Ålesund")
    b = create_service(client, stord, level="municipal", forms=["home_based"], status="paused")
    c = create_service(client, stord, level="municipal", forms=["day"], description="Trening for KOLS-pasienter")
    assert ids(client.get(API, params={"level": "municipal"})) == [b["id"], c["id"]]
    assert ids(client.get(API, params=[("form", "digital"), ("form", "home_based")])) == [a["id"], b["id"]]
    assert ids(client.get(API, params={"status": "paused"})) == [b["id"]]
    assert ids(client.get(API, params={"provider": fonna})) == [a["id"]]
    assert ids(client.get(API, params={"q": "ålesund"})) == [a["id"]]
    assert ids(client.get(API, params={"q": "kols-PASIENT"})) == [c["id"]]
    # LIKE wildcards in the query are literal characters.
    assert ids(client.get(API, params={"q": "%"})) == []


def test_updated_since(client: TestClient, fonna: int) -> None:
    old = create_service(client, fonna)
    new = create_service(client, fonna)
    assert ids(client.get(API, params={"updated_since": new["updated_at"]})) == [new["id"]]
    assert old["id"] in ids(client.get(API, params={"updated_since": "2000-01-01T00:00:00+01:00"}))
    assert client.get(API, params={"updated_since": "0001-01-01T00:00:00"}).status_code == 422


def test_pagination_is_stable_and_complete(client: TestClient, fonna: int) -> None:
    created = [create_service(client, fonna, name=f"Tilbud {i}")["id"] for i in range(7)]
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        body = client.get(API, params=params).json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == created
    assert pages == 3


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 501},
        {"limit": "many"},
        {"municipality": "301"},
        {"cursor": "not-a-cursor"},
        {"level": "hospital"},
        {"provider": 2**40},
        {"q": "a\x00b"},
    ],
)
def test_bad_list_parameters_are_client_errors(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get(API, params=params)
    assert response.status_code in (400, 422)
    assert response.headers["content-type"] == "application/problem+json"


def test_patch_requires_if_match_and_refuses_stale_versions(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna)
    url = f"{API}/{service['id']}"
    missing = client.patch(url, json={"waiting_time_days": 30})
    assert missing.status_code == 428
    changed = client.patch(url, json={"waiting_time_days": 30}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200
    assert changed.json()["waiting_time_days"] == 30
    assert changed.headers["etag"] == '"2"'
    stale = client.patch(url, json={"waiting_time_days": 40}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert stale.headers["etag"] == '"2"'
    assert client.get(url).json()["waiting_time_days"] == 30


def test_patch_validates_the_merged_service(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna, valid_from="2025-01-01")
    url = f"{API}/{service['id']}"
    response = client.patch(url, json={"valid_to": "2024-01-01"}, headers={"If-Match": '"1"'})
    assert response.status_code == 422
    response = client.patch(url, json={"name": None}, headers={"If-Match": '"1"'})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "name"]
    assert client.get(url).json()["version"] == 1


def test_patch_links_and_clearing_optional_fields(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna, waiting_time_days=10, catchment=["4614"])
    url = f"{API}/{service['id']}"
    body = {"forms": ["day", "outpatient"], "patient_groups": ["asthma"], "waiting_time_days": None, "catchment": None}
    patched = client.patch(url, json=body, headers={"If-Match": '"1"'}).json()
    assert patched["forms"] == ["day", "outpatient"]
    assert patched["patient_groups"] == ["asthma"]
    assert patched["waiting_time_days"] is None
    assert patched["catchment_inherited"] is True
    assert len(patched["catchment"]) == 16


def test_delete_is_a_tombstone(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna)
    url = f"{API}/{service['id']}"
    assert client.delete(url).status_code == 428
    assert client.delete(url, headers={"If-Match": '"9"'}).status_code == 412
    assert client.delete(url, headers={"If-Match": '"1"'}).status_code == 204
    assert client.get(url).status_code == 404
    assert ids(client.get(API)) == []
    assert client.delete(url, headers={"If-Match": '"2"'}).status_code == 404


def test_duplicate_external_id_is_a_conflict(client: TestClient, fonna: int) -> None:
    create_service(client, fonna, external_id="LMS-1")
    response = client.post(API, json=service_body(fonna, external_id="LMS-1"))
    assert response.status_code == 409
    assert response.json()["type"] == "/problems/conflict"
    # Another provider may use the same key.
    create_service(client, org_id(client, "Helse Bergen HF"), external_id="LMS-1")


def test_upsert_by_external_id_is_idempotent(client: TestClient, fonna: int) -> None:
    url = f"{API}/by-external-id/{fonna}/KOLS-kurs-1"
    body = {k: v for k, v in service_body(fonna).items() if k != "provider_id"}
    first = client.put(url, json=body)
    assert first.status_code == 201
    second = client.put(url, json=body)
    assert second.status_code == 200
    assert second.json() == first.json()
    assert second.headers["etag"] == '"1"'
    assert len(ids(client.get(API, params={"provider": fonna}))) == 1
    changed = client.put(url, json={**body, "name": "Nytt kurs"}, headers={"If-Match": '"1"'})
    assert changed.json()["version"] == 2
    assert changed.json()["source"] == "integration"
    assert client.put(url, json=body, headers={"If-Match": '"1"'}).status_code == 412
    assert client.put(f"{API}/by-external-id/999999/x", json=body).status_code == 404


def test_upsert_brings_back_a_deleted_service(client: TestClient, fonna: int) -> None:
    url = f"{API}/by-external-id/{fonna}/gone"
    body = {k: v for k, v in service_body(fonna).items() if k != "provider_id"}
    service = client.put(url, json=body).json()
    client.delete(f"{API}/{service['id']}", headers={"If-Match": '"1"'})
    back = client.put(url, json=body)
    assert back.status_code == 200
    assert back.json()["id"] == service["id"]
    assert client.get(f"{API}/{service['id']}").status_code == 200


@pytest.mark.parametrize(
    ("override", "loc"),
    [
        ({"name": ""}, ["body", "name"]),
        ({"name": "x" * 201}, ["body", "name"]),
        ({"name": "bad\x00name"}, ["body", "name"]),
        ({"capacity_number": True, "capacity_unit": "beds"}, ["body", "capacity_number"]),
        ({"capacity_number": "12", "capacity_unit": "beds"}, ["body", "capacity_number"]),
        ({"capacity_number": 10**12, "capacity_unit": "beds"}, ["body", "capacity_number"]),
        ({"waiting_time_days": -1}, ["body", "waiting_time_days"]),
        ({"forms": []}, ["body", "forms"]),
        ({"forms": ["spa"]}, ["body", "forms", "0"]),
        ({"catchment": ["301"]}, ["body", "catchment", "0"]),
        ({"catchment": ["9999"]}, ["body", "catchment", "0"]),
        ({"valid_from": "3000-01-01"}, ["body", "valid_from"]),
        ({"contact_email": "not-an-email"}, ["body", "contact_email"]),
        ({"helsehjelpsomrade_8655": "H99"}, ["body", "helsehjelpsomrade_8655"]),
        ({"provider_id": 999999}, ["body", "provider_id"]),
        ({"unknown_field": 1}, ["body", "unknown_field"]),
    ],
)
def test_bad_bodies_are_rejected_with_the_field_path(
    client: TestClient, fonna: int, override: dict[str, Any], loc: list[str]
) -> None:
    response = client.post(API, json={**service_body(fonna), **override})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert loc in [e["loc"] for e in response.json()["errors"]]
    assert ids(client.get(API)) == []


def test_malformed_json_is_a_client_error(client: TestClient) -> None:
    response = client.post(API, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_script_tags_are_stored_as_text(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna, name="<script>alert(1)</script>")
    assert client.get(f"{API}/{service['id']}").json()["name"] == "<script>alert(1)</script>"


def test_unknown_service_is_404(client: TestClient) -> None:
    assert client.get(f"{API}/424242").status_code == 404
    assert client.get(f"{API}/0").status_code == 422
    assert client.get(f"{API}/{2**40}").status_code == 422


def test_private_institution_serves_its_region_by_default(client: TestClient) -> None:
    org = create_organisation(client, region="HN")
    service = create_service(client, org["id"])
    assert len(service["catchment"]) == 80
