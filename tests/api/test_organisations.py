"""Creating and changing organisations that are not reference data."""

from fastapi.testclient import TestClient

from tests.factories import create_organisation

VALID_ORGNR = "974116804"  # passes the modulus-11 check


def test_create_private_institution_with_catchment(client: TestClient) -> None:
    org = create_organisation(
        client, name="Eksempel rehabiliteringssenter", orgnr=VALID_ORGNR, region="HV", catchment=["4614", "1106"]
    )
    assert org["kind"] == "private_institution"
    assert org["catchment"] == ["1106", "4614"]
    assert org["reference_data"] is False
    response = client.get(f"/api/v1/organisations/{org['id']}")
    assert response.headers["etag"] == '"1"'
    assert response.json()["region"] == "HV"


def test_orgnr_with_bad_check_digit_is_rejected_with_field_path(client: TestClient) -> None:
    response = client.post(
        "/api/v1/organisations", json={"kind": "private_institution", "name": "X", "orgnr": "974116805"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["loc"] == ["body", "orgnr"]
    assert error["pointer"] == "/orgnr"
    assert "modulus-11" in error["message"]


def test_orgnr_must_be_unique(client: TestClient) -> None:
    create_organisation(client, orgnr=VALID_ORGNR)
    response = client.post("/api/v1/organisations", json={"kind": "other", "name": "Another", "orgnr": VALID_ORGNR})
    assert response.status_code == 409


def test_reference_kinds_cannot_be_created(client: TestClient) -> None:
    response = client.post("/api/v1/organisations", json={"kind": "health_trust", "name": "Helse Ny HF"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "kind"]


def test_unknown_catchment_municipality_is_rejected(client: TestClient) -> None:
    response = client.post("/api/v1/organisations", json={"kind": "other", "name": "X", "catchment": ["0301", "9999"]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "catchment", "1"]


def test_patch_needs_current_version(client: TestClient) -> None:
    org = create_organisation(client)
    url = f"/api/v1/organisations/{org['id']}"
    assert client.patch(url, json={"name": "Nytt navn"}).status_code == 428
    assert client.patch(url, json={"name": "Nytt navn"}, headers={"If-Match": '"7"'}).status_code == 412
    response = client.patch(url, json={"name": "Nytt navn"}, headers={"If-Match": '"1"'})
    assert response.status_code == 200
    assert response.json()["name"] == "Nytt navn"
    assert response.headers["etag"] == '"2"'
    # The same change again is not a new version.
    again = client.patch(url, json={"name": "Nytt navn"}, headers={"If-Match": '"2"'})
    assert again.json()["version"] == 2


def test_reference_data_is_read_only(client: TestClient, fonna: int) -> None:
    response = client.patch(f"/api/v1/organisations/{fonna}", json={"name": "X"}, headers={"If-Match": '"1"'})
    assert response.status_code == 409
    assert "reference load" in response.json()["detail"]


def test_changing_catchment_moves_inheriting_services(client: TestClient) -> None:
    org = create_organisation(client, catchment=["4614"])
    service = client.post(
        "/api/v1/rehab-services",
        json={"provider_id": org["id"], "name": "Trening", "level": "municipal", "forms": ["day"]},
    ).json()
    assert service["catchment"] == ["4614"]
    client.patch(
        f"/api/v1/organisations/{org['id']}", json={"catchment": ["4614", "4615"]}, headers={"If-Match": '"1"'}
    )
    moved = client.get(f"/api/v1/rehab-services/{service['id']}").json()
    assert moved["catchment"] == ["4614", "4615"]
    assert moved["version"] == 2
