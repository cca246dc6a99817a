"""FHIR R4 under /fhir/R4: read, search by every supported parameter, paging, versions and errors."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import catalogue, pathways
from app.models.pathway import PathwayCreate
from app.settings import get_settings
from tests.factories import SYSTEM, find_org_id, make_organisation, make_service, pathway_body
from tests.standards.helpers import FHIR_JSON, all_pages, entries, fhir_get, ids
from tests.standards.validation import assert_fhir_valid

ORGNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"
KOMMUNE_SYSTEM = "urn:oid:2.16.578.1.12.4.1.1.3402"


def _outcome(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code
    assert_fhir_valid(body)
    return body


def _search(client: TestClient, rtype: str, **params: Any) -> list[str]:
    return ids(all_pages(client, f"/fhir/R4/{rtype}", {"_count": 500, **params}))


# --- metadata ----------------------------------------------------------------------------------------------


def test_metadata_lists_exactly_what_is_supported(anon: TestClient) -> None:
    body = fhir_get(anon, "/fhir/R4/metadata")
    assert body["resourceType"] == "CapabilityStatement"
    assert body["fhirVersion"] == "4.0.1"
    assert body["format"] == ["json"]
    resources = {r["type"]: r for r in body["rest"][0]["resource"]}
    assert set(resources) == {"Organization", "HealthcareService", "Location", "PlanDefinition"}
    assert {p["name"] for p in resources["HealthcareService"]["searchParam"]} == {
        "_id",
        "_lastUpdated",
        "_count",
        "name",
        "organization",
        "coverage-area",
        "service-category",
        "active",
    }
    assert {i["code"] for r in resources.values() for i in r["interaction"]} == {"read", "search-type", "history-type"}


def test_public_base_url_makes_every_absolute_url(anon: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_service()
    monkeypatch.setenv("REHABKART_PUBLIC_BASE_URL", "https://rehabkart.example.no/")
    get_settings.cache_clear()
    try:
        bundle = fhir_get(anon, "/fhir/R4/HealthcareService", params={"_count": 1})
    finally:
        monkeypatch.delenv("REHABKART_PUBLIC_BASE_URL")
        get_settings.cache_clear()
    assert bundle["link"][0]["url"].startswith("https://rehabkart.example.no/fhir/R4/HealthcareService?")
    assert bundle["entry"][0]["fullUrl"].startswith("https://rehabkart.example.no/fhir/R4/HealthcareService/")


# --- HealthcareService -------------------------------------------------------------------------------------


def test_service_read_maps_the_fields_and_etag_agrees_with_version(anon: TestClient) -> None:
    fonna = find_org_id("Helse Fonna HF")
    service = make_service(
        fonna,
        forms=["inpatient", "day"],
        patient_groups=["copd"],
        capacity_number=12,
        capacity_unit="beds",
        waiting_time_days=30,
        catchment=["4601", "1106"],
        referrers=["gp", "hospital"],
        contact_phone="+47 55 00 00 00",
        helsehjelpsomrade_8655="H09",
    )
    response = anon.get(f"/fhir/R4/HealthcareService/{service['id']}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body = response.json()
    assert_fhir_valid(body)
    assert response.headers["etag"] == f'W/"{service["version"]}"'
    assert body["meta"]["versionId"] == str(service["version"])
    assert body["active"] is True
    assert body["providedBy"]["reference"] == f"Organization/{fonna}"
    assert [a["reference"] for a in body["coverageArea"]] == ["Location/1106", "Location/4601"]
    category_codes = [c["coding"][0]["code"] for c in body["category"]]
    assert category_codes == ["H09", "inpatient", "day"]
    (copd,) = [e for e in body["eligibility"] if "code" in e]
    assert any(c["code"] == "J44" and c["system"] == "urn:oid:2.16.578.1.12.4.1.1.7110" for c in copd["code"]["coding"])
    assert [c["coding"][0]["code"] for c in body["referralMethod"]] == ["gp", "hospital"]
    assert body["characteristic"][0]["coding"][0]["code"] == "specialist"
    extensions = {e["url"].rsplit("/", 1)[1]: e for e in body["extension"]}
    assert extensions["capacity"]["valueQuantity"]["value"] == 12
    assert extensions["waiting-time"]["extension"][0]["valueDuration"]["value"] == 30
    assert {"system": "phone", "value": "+47 55 00 00 00", "use": "work"} in body["telecom"]

    with transaction() as session:
        catalogue.update_service(session, SYSTEM, service["id"], {"status": "paused"}, f'"{service["version"]}"')
    again = anon.get(f"/fhir/R4/HealthcareService/{service['id']}")
    assert again.headers["etag"] == f'W/"{service["version"] + 1}"'
    assert again.json()["meta"]["versionId"] == str(service["version"] + 1)
    assert again.json()["active"] is False
    assert again.json()["notAvailable"][0]["description"] == "Midlertidig stengt"


def test_service_search_by_every_parameter(anon: TestClient) -> None:
    fonna = find_org_id("Helse Fonna HF")
    other = int(make_organisation(name="Privat rehab AS")["id"])
    a = make_service(fonna, name="Hjerterehabilitering", forms=["outpatient"], catchment=["4601"])["id"]
    b = make_service(fonna, name="Lungeskole", forms=["learning_and_mastery"], status="planned", catchment=["1106"])[
        "id"
    ]
    c = make_service(other, name="Døgnrehabilitering", forms=["inpatient"], catchment=["4601", "1106"])["id"]
    every = _search(anon, "HealthcareService")
    assert every == [str(i) for i in sorted([a, b, c])]

    assert _search(anon, "HealthcareService", _id=f"{a},{c}") == [str(a), str(c)]
    assert _search(anon, "HealthcareService", _id="nope") == []
    assert _search(anon, "HealthcareService", organization=f"Organization/{other}") == [str(c)]
    assert _search(anon, "HealthcareService", organization=str(fonna)) == [str(a), str(b)]
    assert _search(anon, "HealthcareService", **{"coverage-area": "Location/1106"}) == [str(b), str(c)]
    assert _search(anon, "HealthcareService", **{"coverage-area": "9999"}) == []
    assert _search(anon, "HealthcareService", **{"service-category": "inpatient,outpatient"}) == [str(a), str(c)]
    assert _search(anon, "HealthcareService", **{"service-category": "http://x.example/cs|inpatient"}) == []
    assert _search(anon, "HealthcareService", active="false") == [str(b)]
    assert _search(anon, "HealthcareService", active="true") == [str(a), str(c)]
    assert _search(anon, "HealthcareService", name="lungeskole") == [str(b)]
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _search(anon, "HealthcareService", _lastUpdated=f"ge{future}") == []
    assert _search(anon, "HealthcareService", _lastUpdated="ge2020-01-01") == every
    bundle = fhir_get(anon, "/fhir/R4/HealthcareService", params={"_count": 0})
    assert bundle["total"] == 3
    assert "entry" not in bundle or bundle["entry"] == []


def test_paging_reaches_every_service_exactly_once_with_total(anon: TestClient) -> None:
    made = [make_service(name=f"Tilbud {i}")["id"] for i in range(7)]
    bundles = all_pages(anon, "/fhir/R4/HealthcareService", {"_count": 3, "unknown-param": "x"})
    assert len(bundles) == 3
    assert all(b["total"] == 7 for b in bundles)
    assert ids(bundles) == [str(i) for i in made]
    # Lenient: the unknown parameter is ignored and left out of the links.
    assert all("unknown-param" not in link["url"] for b in bundles for link in b["link"])
    for b in bundles:
        assert_fhir_valid(b)


def test_deleted_services_are_never_exported(anon: TestClient) -> None:
    kept = make_service(name="Blir")["id"]
    gone = make_service(name="Slettes")
    with transaction() as session:
        catalogue.delete_service(session, SYSTEM, gone["id"], f'"{gone["version"]}"')
    assert _search(anon, "HealthcareService") == [str(kept)]
    _outcome(anon.get(f"/fhir/R4/HealthcareService/{gone['id']}"), 404, "not-found")


# --- errors --------------------------------------------------------------------------------------------------


def test_errors_are_operation_outcomes(anon: TestClient) -> None:
    _outcome(anon.get("/fhir/R4/HealthcareService/424242"), 404, "not-found")
    _outcome(anon.get("/fhir/R4/Organization/abc"), 404, "not-found")
    _outcome(anon.get("/fhir/R4/Patient"), 404, "not-supported")
    _outcome(anon.get("/fhir/R4/Patient/1"), 404, "not-supported")
    _outcome(anon.get("/fhir/R4/HealthcareService/1/_history/1"), 404, "not-supported")
    strict = {"Prefer": "handling=strict"}
    _outcome(anon.get("/fhir/R4/HealthcareService?bogus=1", headers=strict), 400, "not-supported")
    _outcome(anon.get("/fhir/R4/Organization?name:exact=x", headers=strict), 400, "not-supported")
    assert anon.get("/fhir/R4/HealthcareService?bogus=1", headers={"Prefer": "handling=lenient"}).status_code == 200
    _outcome(anon.get("/fhir/R4/HealthcareService?active=maybe"), 400, "invalid")
    _outcome(anon.get("/fhir/R4/HealthcareService?_count=x"), 400, "invalid")
    _outcome(anon.get("/fhir/R4/HealthcareService?_lastUpdated=lt2020-01-01"), 400, "not-supported")
    _outcome(anon.get("/fhir/R4/HealthcareService?_lastUpdated=ge2020-13-45"), 400, "invalid")
    _outcome(anon.get("/fhir/R4/HealthcareService?_cursor=garbage"), 400, "invalid")
    _outcome(anon.get("/fhir/R4/Organization?_format=xml"), 406, "not-supported")


def test_private_catalogue_needs_a_token(anon: TestClient, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    make_service()
    monkeypatch.setenv("REHABKART_PUBLIC_CATALOGUE", "false")
    get_settings.cache_clear()
    try:
        _outcome(anon.get("/fhir/R4/HealthcareService"), 401, "login")
        assert client.get("/fhir/R4/HealthcareService").status_code == 200
        _outcome(anon.get("/fhir/R4/HealthcareService", headers={"Authorization": "Bearer nope"}), 401, "login")
    finally:
        monkeypatch.delenv("REHABKART_PUBLIC_CATALOGUE")
        get_settings.cache_clear()


# --- Organization ---------------------------------------------------------------------------------------------


def test_organization_identifiers_part_of_and_search(anon: TestClient) -> None:
    fonna = find_org_id("Helse Fonna HF")
    body = fhir_get(anon, f"/fhir/R4/Organization/{fonna}")
    assert_fhir_valid(body)
    assert {"system": ORGNR_SYSTEM, "value": "983974694"} in body["identifier"]
    vest = find_org_id("Helse Vest RHF")
    assert body["partOf"]["reference"] == f"Organization/{vest}"
    assert str(fonna) in _search(anon, "Organization", partof=f"Organization/{vest}")
    assert _search(anon, "Organization", identifier=f"{ORGNR_SYSTEM}|983974694") == [str(fonna)]
    assert _search(anon, "Organization", identifier="983974694") == [str(fonna)]
    bergen = _search(anon, "Organization", identifier=f"{KOMMUNE_SYSTEM}|4601")
    assert len(bergen) == 1
    kommune = fhir_get(anon, f"/fhir/R4/Organization/{bergen[0]}")
    assert {"system": KOMMUNE_SYSTEM, "value": "4601"} in kommune["identifier"]
    trusts = _search(anon, "Organization", type="health_trust")
    assert str(fonna) in trusts
    assert str(vest) not in trusts
    assert str(fonna) in _search(anon, "Organization", name="fonna")

    child = int(make_organisation(name="Avdeling for rehabilitering", parent_id=fonna, kind="district")["id"])
    assert _search(anon, "Organization", partof=str(fonna)) == [str(child)]
    assert fhir_get(anon, f"/fhir/R4/Organization/{child}")["partOf"] == {"reference": f"Organization/{fonna}"}
    assert _search(anon, "Organization", _id=str(child)) == [str(child)]

    total = fhir_get(anon, "/fhir/R4/Organization", params={"_count": 0})["total"]
    every = all_pages(anon, "/fhir/R4/Organization", {"_count": 40})
    assert len(ids(every)) == total == len(set(ids(every)))
    organization = fhir_get(anon, f"/fhir/R4/Organization/{child}")
    response = anon.get(f"/fhir/R4/Organization/{child}")
    assert response.headers["etag"] == f'W/"{organization["meta"]["versionId"]}"'


# --- Location -------------------------------------------------------------------------------------------------


def test_locations_are_the_municipalities(anon: TestClient) -> None:
    bergen = fhir_get(anon, "/fhir/R4/Location/4601")
    assert_fhir_valid(bergen)
    assert bergen["name"] == "Bergen"
    assert bergen["identifier"] == [{"system": KOMMUNE_SYSTEM, "value": "4601"}]
    assert bergen["physicalType"]["coding"][0]["code"] == "area"
    assert bergen["managingOrganization"]["reference"].startswith("Organization/")
    everything = all_pages(anon, "/fhir/R4/Location", {"_count": 100})
    numbers = ids(everything)
    assert len(numbers) == len(set(numbers)) == everything[0]["total"] == 357
    assert numbers == sorted(numbers)
    assert _search(anon, "Location", identifier=f"{KOMMUNE_SYSTEM}|1106") == ["1106"]
    assert _search(anon, "Location", name="bergen") == ["4601"]
    assert _search(anon, "Location", _id="4601,0301") == ["0301", "4601"]
    assert _search(anon, "Location", _lastUpdated="ge2999-01-01") == []
    _outcome(anon.get("/fhir/R4/Location/9999"), 404, "not-found")
    response = anon.get("/fhir/R4/Location/4601")
    assert response.headers["etag"] == f'W/"{bergen["meta"]["versionId"]}"'


# --- PlanDefinition -------------------------------------------------------------------------------------------


def test_plan_definitions_are_published_and_retired_templates_only(
    anon: TestClient, client: TestClient, owner_org: int
) -> None:
    with transaction() as session:
        first = pathways.create(session, SYSTEM, PathwayCreate.model_validate(pathway_body(owner_org, "kols-lunge")))
        first = pathways.publish(session, SYSTEM, first["id"], f'"{first["version"]}"')
        second = pathways.new_version(session, SYSTEM, first["id"], f'"{first["version"]}"')
        second = pathways.publish(session, SYSTEM, second["id"], f'"{second["version"]}"')
        draft = pathways.new_version(session, SYSTEM, second["id"], f'"{second["version"]}"')
    assert _search(anon, "PlanDefinition") == [str(first["id"]), str(second["id"])]
    _outcome(anon.get(f"/fhir/R4/PlanDefinition/{draft['id']}"), 404, "not-found")
    # Not even to a logged-in caller, who may read drafts in the native API.
    assert _search(client, "PlanDefinition") == [str(first["id"]), str(second["id"])]
    _outcome(client.get(f"/fhir/R4/PlanDefinition/{draft['id']}"), 404, "not-found")
    paged = all_pages(anon, "/fhir/R4/PlanDefinition", {"_count": 1})
    assert [b["total"] for b in paged] == [2, 2]
    assert ids(paged) == [str(first["id"]), str(second["id"])]

    old = fhir_get(anon, f"/fhir/R4/PlanDefinition/{first['id']}")
    new = fhir_get(anon, f"/fhir/R4/PlanDefinition/{second['id']}")
    for plan in (old, new):
        assert_fhir_valid(plan)
    assert (old["status"], old["version"]) == ("retired", "1")
    assert (new["status"], new["version"]) == ("active", "2")
    assert old["url"] == new["url"]
    assert old["url"].endswith("/PlanDefinition/series/kols-lunge")
    steps = new["action"]
    assert [s["id"] for s in steps] == [s["key"] for s in second["steps"]]
    if len(steps) > 1:
        assert {"actionId": steps[0]["id"], "relationship": "after"} in steps[1]["relatedAction"]
        assert {"actionId": steps[1]["id"], "relationship": "before"} in steps[0]["relatedAction"]
    assert all(s["participant"][0]["role"]["coding"][0]["code"] for s in steps)

    assert _search(anon, "PlanDefinition", status="active") == [str(second["id"])]
    assert _search(anon, "PlanDefinition", status="retired") == [str(first["id"])]
    assert _search(anon, "PlanDefinition", status="draft") == []
    assert _search(anon, "PlanDefinition", url=new["url"]) == [str(first["id"]), str(second["id"])]
    assert _search(anon, "PlanDefinition", url=f"{new['url']}|1") == [str(first["id"])]
    assert _search(anon, "PlanDefinition", version="2") == [str(second["id"])]
    assert _search(anon, "PlanDefinition", name="KolsLunge") == [str(first["id"]), str(second["id"])]
    assert _search(anon, "PlanDefinition", _id=f"{second['id']},{draft['id']}") == [str(second["id"])]
    assert _search(anon, "PlanDefinition", _lastUpdated="ge2020-01-01") == [str(first["id"]), str(second["id"])]
    assert _search(anon, "PlanDefinition", _lastUpdated="ge2999-01-01") == []
    response = anon.get(f"/fhir/R4/PlanDefinition/{second['id']}")
    assert response.headers["etag"] == f'W/"{new["meta"]["versionId"]}"'


# --- OpenAPI --------------------------------------------------------------------------------------------------


def test_standard_routes_stay_out_of_the_openapi_document(project_root: Path) -> None:
    committed = json.loads((project_root / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    from app.main import create_app

    for spec in (committed, create_app().openapi()):
        assert not [p for p in spec["paths"] if p.startswith(("/fhir", "/hsds"))]


def test_entries_carry_full_urls(anon: TestClient) -> None:
    made = make_service()["id"]
    bundle = fhir_get(anon, "/fhir/R4/HealthcareService")
    assert bundle["entry"][0]["fullUrl"] == f"http://testserver/fhir/R4/HealthcareService/{made}"
    assert entries([bundle])[0]["id"] == str(made)


def test_organization_last_updated(anon: TestClient) -> None:
    made = int(make_organisation(name="Ny institusjon AS")["id"])
    recent = (datetime.now(UTC) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert str(made) in _search(anon, "Organization", _lastUpdated=f"gt{recent}")
    assert _search(anon, "Organization", _lastUpdated="ge2999-01-01") == []


# --- _history ------------------------------------------------------------------------------------------------


def test_history_after_writes(anon: TestClient, owner_org: int) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    kept = make_service(name="Endres")
    gone = make_service(name="Slettes")
    with transaction() as session:
        catalogue.update_service(session, SYSTEM, kept["id"], {"name": "Endret"}, f'"{kept["version"]}"')
        catalogue.delete_service(session, SYSTEM, gone["id"], f'"{gone["version"]}"')
    since = start.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    bundles = all_pages(anon, "/fhir/R4/HealthcareService/_history", {"_since": since, "_count": 2})
    assert len(bundles) == 2
    for bundle in bundles:
        assert bundle["type"] == "history"
        assert bundle["total"] == 4
        assert_fhir_valid(bundle)
    history = [e for b in bundles for e in b["entry"]]
    # Newest first: the deletion, the update, then the two creations.
    assert [(e["request"]["method"], e["request"]["url"]) for e in history] == [
        ("DELETE", f"HealthcareService/{gone['id']}"),
        ("PUT", f"HealthcareService/{kept['id']}"),
        ("POST", f"HealthcareService/{gone['id']}"),
        ("POST", f"HealthcareService/{kept['id']}"),
    ]
    # The resource is there for the write that made its current version, never for deleted services.
    assert history[1]["resource"]["name"] == "Endret"
    assert history[1]["response"]["etag"] == 'W/"2"' == f'W/"{history[1]["resource"]["meta"]["versionId"]}"'
    assert all("resource" not in e for e in history if e["request"]["url"].endswith(f"/{gone['id']}"))
    assert "resource" not in history[3]
    later = (datetime.now(UTC) + timedelta(seconds=5)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert fhir_get(anon, "/fhir/R4/HealthcareService/_history", params={"_since": later})["total"] == 0
    _outcome(anon.get("/fhir/R4/HealthcareService/_history?_since=yesterday"), 400, "invalid")
    _outcome(anon.get("/fhir/R4/Patient/_history"), 404, "not-supported")

    # Pathway templates appear from their publication on: draft edits are never in the history.
    with transaction() as session:
        draft = pathways.create(session, SYSTEM, PathwayCreate.model_validate(pathway_body(owner_org, "utkast")))
        made = pathways.create(session, SYSTEM, PathwayCreate.model_validate(pathway_body(owner_org, "publiseres")))
        published = pathways.publish(session, SYSTEM, made["id"], f'"{made["version"]}"')
    plans = fhir_get(anon, "/fhir/R4/PlanDefinition/_history", params={"_since": since})
    assert_fhir_valid(plans)
    assert [e["request"]["url"] for e in plans["entry"]] == [f"PlanDefinition/{published['id']}"]
    assert plans["entry"][0]["resource"]["status"] == "active"
    assert f"PlanDefinition/{draft['id']}" not in str(plans)

    org = int(make_organisation(name="Historisk AS")["id"])
    orgs = fhir_get(anon, "/fhir/R4/Organization/_history", params={"_since": since})
    assert orgs["entry"][0]["request"] == {"method": "POST", "url": f"Organization/{org}"}  # newest first
    assert orgs["entry"][0]["resource"]["name"] == "Historisk AS"
    assert_fhir_valid(orgs)
