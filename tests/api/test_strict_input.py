"""Input the schema does not describe is refused: numbers as dates, hidden control characters, and a bad
body is 422 before a stale If-Match is 412."""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.factories import create_service, make_organisation, make_service, service_body

API = "/api/v1/rehab-services"


def fields_in_error(response: Any) -> list[str]:
    assert response.status_code == 422, response.text
    return [e["field"] for e in response.json()["errors"]]


@pytest.mark.parametrize("value", [0, 0.5, 1700000000, "1700000000", "2026-01-31T00:00:00", "31.01.2026", ""])
@pytest.mark.parametrize("name", ["last_verified_on", "valid_from", "waiting_time_reported_on"])
def test_body_dates_are_iso_date_strings_only(client: TestClient, fonna: int, name: str, value: Any) -> None:
    assert fields_in_error(client.post(API, json=service_body(fonna, **{name: value}))) == [name]


def test_a_body_date_as_iso_string_is_stored(client: TestClient, fonna: int) -> None:
    service = create_service(client, fonna, last_verified_on="2026-01-31")
    assert service["last_verified_on"] == "2026-01-31"
    response = client.patch(f"{API}/{service['id']}", json={"last_verified_on": 0}, headers={"If-Match": '"1"'})
    assert fields_in_error(response) == ["last_verified_on"]


@pytest.mark.parametrize(
    ("path", "name"),
    [(API, "updated_since"), ("/api/v1/audit-events", "since"), ("/api/v1/audit-events", "until")],
)
@pytest.mark.parametrize(
    "value",
    [
        "0",
        "0.5",
        "1700000000",
        "2026-01-31",
        "2026-01-31T12:00",
        "yesterday",
        "0001-01-01T00:00:00+01:00",  # out of the dates' window (and in UTC out of any)
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_time_parameters_are_iso_date_times_only(client: TestClient, path: str, name: str, value: str) -> None:
    response = client.get(path, params={name: value})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["loc"] == ["query", name]


@pytest.mark.parametrize("value", ["2026-01-31T12:00:00Z", "2026-01-31T12:00:00.5+01:00", "2026-01-31T12:00:00"])
def test_iso_date_times_are_accepted(client: TestClient, value: str) -> None:
    assert client.get(API, params={"updated_since": value}).status_code == 200
    assert client.get("/api/v1/audit-events", params={"since": value, "until": value}).status_code == 200


@pytest.mark.parametrize("padding", ["\x1c" * 50, "\x1f" * 50, "\x85" * 50])
def test_control_characters_are_refused_before_stripping(client: TestClient, fonna: int, padding: str) -> None:
    # Stripped first, the padding would vanish and the name pass its 200-character limit.
    assert fields_in_error(client.post(API, json=service_body(fonna, name=padding + "a" * 200))) == ["name"]
    assert fields_in_error(client.post(API, json=service_body(fonna, name=padding + "Kurs"))) == ["name"]
    assert fields_in_error(client.post(API, json=service_body(fonna, description="Kurs" + padding))) == ["description"]


def test_whitespace_is_still_trimmed(client: TestClient, fonna: int) -> None:
    assert create_service(client, fonna, name="  Kurs\u3000")["name"] == "Kurs"


def test_a_bad_patch_is_422_even_with_a_stale_if_match(client: TestClient, fonna: int) -> None:
    service = make_service(fonna, valid_from="2026-01-01")
    url, stale = f"{API}/{service['id']}", {"If-Match": '"9"'}
    assert fields_in_error(client.patch(url, json={"patient_groups": ["no_such_group"]}, headers=stale)) == [
        "patient_groups.0"
    ]
    assert fields_in_error(client.patch(url, json={"catchment": ["9999"]}, headers=stale)) == ["catchment.0"]
    assert client.patch(url, json={"valid_to": "2025-01-01"}, headers=stale).status_code == 422
    assert client.patch(url, json={"name": None}, headers=stale).status_code == 422
    assert client.patch(url, json={"name": "Nytt"}, headers=stale).status_code == 412
    assert client.patch(url, json={"patient_groups": ["no_such_group"]}).status_code == 428
    assert client.get(url).json()["version"] == 1


def test_a_bad_upsert_is_422_even_with_a_stale_if_match(client: TestClient, fonna: int) -> None:
    url = f"{API}/by-external-id/{fonna}/K1"
    body = service_body(fonna)
    del body["provider_id"]
    assert client.put(url, json=body).status_code == 201
    bad = {**body, "patient_groups": ["no_such_group"]}
    assert client.put(url, json=bad, headers={"If-Match": '"9"'}).status_code == 422
    assert client.put(f"{API}/by-external-id/{fonna}/K2", json=bad, headers={"If-Match": '"9"'}).status_code == 422
    assert client.put(url, json=body, headers={"If-Match": '"9"'}).status_code == 412


def test_a_bad_organisation_patch_is_422_even_with_a_stale_if_match(client: TestClient) -> None:
    org = make_organisation()
    url, stale = f"/api/v1/organisations/{org['id']}", {"If-Match": '"9"'}
    assert fields_in_error(client.patch(url, json={"catchment": ["9999"]}, headers=stale)) == ["catchment.0"]
    assert client.patch(url, json={"name": None}, headers=stale).status_code == 422
    assert client.patch(url, json={"name": "Nytt"}, headers=stale).status_code == 412


def test_a_missing_if_match_is_428_before_reference_data_is_409(client: TestClient, fonna: int) -> None:
    url = f"/api/v1/organisations/{fonna}"
    assert client.patch(url, json={"name": "X"}).status_code == 428
    assert client.patch(url, json={"name": "X"}, headers={"If-Match": '"1"'}).status_code == 409


def test_if_match_is_documented_as_required_where_its_absence_is_428() -> None:
    spec = create_app().openapi()

    def if_match(path: str, method: str) -> dict[str, Any]:
        parameters = spec["paths"][f"/api/v1{path}"][method]["parameters"]
        found: dict[str, Any] = next(p for p in parameters if p["name"].lower() == "if-match")
        return found

    for path, method in [
        ("/rehab-services/{service_id}", "patch"),
        ("/rehab-services/{service_id}", "delete"),
        ("/organisations/{organisation_id}", "patch"),
    ]:
        parameter = if_match(path, method)
        assert parameter["required"] is True, (path, method)
        assert parameter["schema"]["type"] == "string"
        assert "428" in spec["paths"][f"/api/v1{path}"][method]["responses"]
    upsert = if_match("/rehab-services/by-external-id/{provider_id}/{external_id}", "put")
    assert upsert["required"] is False  # a first upsert has no version to name
