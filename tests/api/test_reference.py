"""Reference data through the API: municipalities, regions, patient groups, reference organisations."""

from fastapi.testclient import TestClient


def test_all_357_municipalities_with_four_digit_numbers(client: TestClient) -> None:
    items = client.get("/api/v1/municipalities").json()["items"]
    assert len(items) == 357
    oslo = next(m for m in items if m["name"] == "Oslo")
    assert oslo["number"] == "0301"
    assert all(len(m["number"]) == 4 and m["number"].isdigit() for m in items)
    assert oslo["region"] == "HSO"
    # Oslo is served district by district by four hospitals.
    assert len(oslo["catchment_organisation_ids"]) == 4


def test_municipalities_page_with_cursor_and_search(client: TestClient) -> None:
    first = client.get("/api/v1/municipalities", params={"limit": 100}).json()
    second = client.get("/api/v1/municipalities", params={"limit": 100, "cursor": first["next_cursor"]}).json()
    assert len(first["items"]) == 100
    assert first["items"][-1]["number"] < second["items"][0]["number"]
    found = client.get("/api/v1/municipalities", params={"q": "ålesund"}).json()["items"]
    assert [m["number"] for m in found] == ["1508"]
    fonna_county = client.get("/api/v1/municipalities", params={"county": "46"}).json()["items"]
    assert len(fonna_county) == 43


def test_four_regions(client: TestClient) -> None:
    regions = client.get("/api/v1/regions").json()["items"]
    assert {r["code"] for r in regions} == {"HSO", "HV", "HMN", "HN"}
    assert all(r["organisation_id"] for r in regions)


def test_patient_groups_have_names_hierarchy_and_icd10(client: TestClient) -> None:
    groups = {g["code"]: g for g in client.get("/api/v1/patient-groups").json()["items"]}
    for code in (
        "copd",
        "asthma",
        "cancer",
        "cancer_late_effects",
        "stroke",
        "head_injury",
        "ms",
        "parkinson",
        "me_cfs",
        "cognitive_impairment",
        "musculoskeletal",
        "cardiac",
        "children_complex",
        "elderly_multimorbid",
    ):
        assert code in groups
    assert groups["copd"]["parent"] == "lung"
    assert groups["copd"]["name_nb"] == "KOLS"
    assert groups["copd"]["name_en"] == "COPD"
    assert groups["stroke"]["icd10"] == ["I60-I64"]


def test_patient_groups_show_their_nynorsk_names_and_everyday_terms(client: TestClient) -> None:
    groups = {g["code"]: g for g in client.get("/api/v1/patient-groups").json()["items"]}
    assert groups["lung"]["name_nn"] == "Lungesjukdomar"
    assert groups["head_injury"]["name_nn"] == "Hovudskade"
    assert "Parkinson" in groups["parkinson"]["aliases"]
    assert "Revmatisme" in groups["musculoskeletal"]["aliases"]
    assert "MS" in groups["ms"]["aliases"]
    assert all(g["name_nn"] for g in groups.values())  # every group has its nynorsk name


def test_health_trusts_with_catchments(client: TestClient) -> None:
    trusts = client.get("/api/v1/organisations", params={"kind": "health_trust", "region": "HV"}).json()["items"]
    fonna = next(t for t in trusts if t["name"] == "Helse Fonna HF")
    assert fonna["orgnr"] == "983974694"
    assert len(fonna["catchment"]) == 16
    assert "4614" in fonna["catchment"]
    assert fonna["reference_data"] is True
    assert {t["region"] for t in trusts} == {"HV"}


def test_organisation_search_is_case_insensitive_for_norwegian_letters(client: TestClient) -> None:
    items = client.get("/api/v1/organisations", params={"q": "MØRE OG ROMSDAL"}).json()["items"]
    assert "Helse Møre og Romsdal HF" in {o["name"] for o in items}


def test_unknown_organisation_is_problem_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/organisations/999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/not-found"
    assert body["status"] == 404


def test_unknown_region_filter_is_explained(client: TestClient) -> None:
    response = client.get("/api/v1/organisations", params={"region": "XX"})
    assert response.status_code == 422
    assert "HSO" in response.json()["errors"][0]["message"]
