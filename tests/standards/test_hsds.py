"""Open Referral HSDS 3.0 under /hsds: pages, filters, status mapping, stable ids, validation and the
tabular Data Package (checked with `frictionless validate`)."""

import io
import subprocess
import sys
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import catalogue
from app.domain.standards.ids import hsds_id
from app.settings import get_settings
from tests.factories import SYSTEM, find_org_id, make_organisation, make_service
from tests.standards.helpers import load_demo
from tests.standards.validation import assert_hsds_page, assert_hsds_valid


def _get(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def _pages(client: TestClient, path: str, item_schema: str, **params: Any) -> list[dict[str, Any]]:
    """Every item of a listing, page by page to the last, each page validated."""
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = _get(client, path, page=page, **params)
        assert_hsds_page(body, item_schema)
        assert body["page_number"] == page
        assert body["first_page"] is (page == 1)
        items.extend(body["contents"])
        if body["last_page"]:
            assert len(items) == body["total_items"]
            return items
        page += 1


def _service_ids(client: TestClient, **params: Any) -> list[str]:
    return [s["id"] for s in _pages(client, "/hsds/services", "compiled/service_list.json", per_page=500, **params)]


def test_profile_endpoint(anon: TestClient) -> None:
    body = _get(anon, "/hsds/")
    assert body["version"] == "3.0"
    assert body["openapi_url"].startswith("https://")


def test_services_pages_ids_and_status_mapping(anon: TestClient) -> None:
    fonna = find_org_id("Helse Fonna HF")
    made = [
        make_service(fonna, name=f"Tilbud {status}", status=status)
        for status in ("active", "paused", "planned", "discontinued")
    ]
    made += [make_service(fonna, name=f"Ekstra {i}") for i in range(3)]
    items = _pages(anon, "/hsds/services", "compiled/service_list.json", per_page=3)
    assert [s["id"] for s in items] == [hsds_id("service", s["id"]) for s in made]
    assert len({s["id"] for s in items}) == 7
    statuses = [s["status"] for s in items[:4]]
    assert statuses == ["active", "temporarily closed", "inactive", "defunct"]
    assert all(s["organization_id"] == hsds_id("organization", fonna) for s in items)
    body = _get(anon, "/hsds/services", per_page=3, page=3)
    assert (body["total_items"], body["total_pages"], body["size"], body["last_page"]) == (7, 3, 1, True)
    beyond = _get(anon, "/hsds/services", per_page=3, page=9)
    assert (beyond["size"], beyond["empty"], beyond["contents"]) == (0, True, [])
    assert anon.get("/hsds/services", params={"per_page": 0}).status_code == 422
    assert anon.get("/hsds/services", params={"page": 0}).status_code == 422


def test_service_full_and_by_id(anon: TestClient) -> None:
    fonna = find_org_id("Helse Fonna HF")
    svc = make_service(
        fonna,
        catchment=["4601", "1106"],
        contact_phone="+47 55 00 00 00",
        contact_name="Kari Koordinator",
        waiting_time_days=14,
        forms=["outpatient"],
        patient_groups=["copd"],
    )
    uuid = hsds_id("service", svc["id"])
    one = _get(anon, f"/hsds/services/{uuid}")
    assert_hsds_valid(one, "service.json")
    assert one["id"] == uuid
    assert one["wait_time"].startswith("14 dager")
    areas = {a["name"]: a for a in one["service_areas"]}
    assert set(areas) == {"Bergen", "Haugesund"}
    assert areas["Bergen"]["uri"] == "urn:oid:2.16.578.1.12.4.1.1.3402:4601"
    assert one["phones"][0]["number"] == "+47 55 00 00 00"
    assert one["contacts"][0]["name"] == "Kari Koordinator"
    assert one["organization"]["id"] == hsds_id("organization", fonna)
    codes = {(a["taxonomy_term"]["taxonomy"], a["taxonomy_term"]["code"]) for a in one["attributes"]}
    assert ("Rehabkart pasientgrupper", "copd") in codes
    assert ("Rehabkart tjenesteformer", "outpatient") in codes
    full = _get(anon, "/hsds/services", full="true")
    assert_hsds_page(full, "service.json")
    assert full["contents"][0] == one
    assert anon.get(f"/hsds/services/{hsds_id('service', 999999)}").status_code == 404
    assert anon.get("/hsds/services/not-a-uuid").status_code == 404


def test_service_filters(anon: TestClient) -> None:
    fonna = find_org_id("Helse Fonna HF")
    other = int(make_organisation(name="Annen leverandør AS")["id"])
    a = make_service(fonna, name="Lungeskole", forms=["learning_and_mastery"], patient_groups=["copd"])
    b = make_service(other, name="Hjerneslagteam", forms=["ambulatory"], patient_groups=[], level="municipal")
    ida, idb = hsds_id("service", a["id"]), hsds_id("service", b["id"])
    assert _service_ids(anon) == [ida, idb]
    assert _service_ids(anon, organization_id=hsds_id("organization", other)) == [idb]
    assert _service_ids(anon, organization_id=hsds_id("organization", 999_999)) == []
    terms = {(t["taxonomy"], t["code"]): t["id"] for t in _get(anon, "/hsds/taxonomy_terms", per_page=500)["contents"]}
    # A broader patient group finds the services of its sub-groups.
    assert _service_ids(anon, taxonomy_term_id=terms[("Rehabkart pasientgrupper", "lung")]) == [ida]
    assert _service_ids(anon, taxonomy_term_id=terms[("Rehabkart tjenesteformer", "ambulatory")]) == [idb]
    assert _service_ids(anon, taxonomy_term_id=terms[("Rehabkart tjenestenivå", "municipal")]) == [idb]
    assert _service_ids(anon, taxonomy_term_id=hsds_id("taxonomy_term", "nope")) == []
    assert _service_ids(anon, search="lungeskole") == [ida]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert _service_ids(anon, modified_after=future) == []
    assert _service_ids(anon, modified_after="2020-01-01T00:00:00Z") == [ida, idb]


def test_deleted_services_are_never_exported(anon: TestClient) -> None:
    kept = make_service(name="Blir")
    gone = make_service(name="Slettes")
    with transaction() as session:
        catalogue.delete_service(session, SYSTEM, gone["id"], f'"{gone["version"]}"')
    assert _service_ids(anon) == [hsds_id("service", kept["id"])]
    assert anon.get(f"/hsds/services/{hsds_id('service', gone['id'])}").status_code == 404
    fonna = find_org_id("Helse Fonna HF")
    org = _get(anon, f"/hsds/organizations/{hsds_id('organization', fonna)}")
    assert [s["id"] for s in org["services"]] == [hsds_id("service", kept["id"])]


def test_organizations(anon: TestClient) -> None:
    fonna = find_org_id("Helse Fonna HF")
    vest = find_org_id("Helse Vest RHF")
    make_service(fonna)
    items = _pages(anon, "/hsds/organizations", "compiled/organization_list.json", per_page=100)
    assert len({o["id"] for o in items}) == len(items)
    by_id = {o["id"]: o for o in items}
    fonna_item = by_id[hsds_id("organization", fonna)]
    assert fonna_item["parent_organization_id"] == hsds_id("organization", vest)
    assert fonna_item["organization_identifiers"][0]["identifier"] == "983974694"
    one = _get(anon, f"/hsds/organizations/{hsds_id('organization', fonna)}")
    assert_hsds_valid({k: v for k, v in one.items() if k != "services"}, "organization.json")
    assert len(one["services"]) == 1
    nested = _get(anon, f"/hsds/organizations/{hsds_id('organization', fonna)}", full_service="true")
    for svc in nested["services"]:
        assert_hsds_valid(svc, "service.json")
    found = _get(anon, "/hsds/organizations", search="fonna")
    assert [o["id"] for o in found["contents"]] == [hsds_id("organization", fonna)]
    assert anon.get(f"/hsds/organizations/{hsds_id('organization', 999_999)}").status_code == 404


def test_taxonomies_and_terms(anon: TestClient) -> None:
    taxonomies = _pages(anon, "/hsds/taxonomies", "taxonomy.json")
    assert [t["name"] for t in taxonomies] == [
        "Rehabkart pasientgrupper",
        "Rehabkart tjenesteformer",
        "Rehabkart tjenestenivå",
    ]
    groups = taxonomies[0]
    assert _get(anon, f"/hsds/taxonomies/{groups['id']}") == groups
    terms = _pages(anon, "/hsds/taxonomy_terms", "taxonomy_term.json", per_page=20)
    assert len({t["id"] for t in terms}) == len(terms)
    lung = next(t for t in terms if t["code"] == "lung")
    copd = next(t for t in terms if t["code"] == "copd")
    assert copd["parent_id"] == lung["id"]
    assert "J44" in copd["description"]
    children = _get(anon, "/hsds/taxonomy_terms", parent_id=lung["id"], per_page=100)["contents"]
    assert copd["id"] in {t["id"] for t in children}
    tops = _get(anon, "/hsds/taxonomy_terms", top_only="true", taxonomy_id=groups["id"], per_page=100)["contents"]
    assert lung["id"] in {t["id"] for t in tops}
    assert copd["id"] not in {t["id"] for t in tops}
    forms = _get(anon, "/hsds/taxonomy_terms", taxonomy_id=taxonomies[1]["id"])["contents"]
    assert len(forms) == 7
    assert _get(anon, f"/hsds/taxonomy_terms/{copd['id']}") == copd
    assert anon.get(f"/hsds/taxonomy_terms/{hsds_id('taxonomy_term', 'x')}").status_code == 404


def test_ids_are_stable_uuid5() -> None:
    # Pinned: an HSDS id must never change between exports (or releases).
    assert hsds_id("service", 1) == "1ad760b0-06a4-56f5-8549-0658a2b7dc5b"
    assert hsds_id("organization", 1) == "546c5f00-e385-59fb-be4b-b25661793d37"


def test_private_catalogue_needs_a_token(anon: TestClient, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REHABKART_PUBLIC_CATALOGUE", "false")
    get_settings.cache_clear()
    try:
        assert anon.get("/hsds/services").status_code == 401
        assert client.get("/hsds/services").status_code == 200
    finally:
        monkeypatch.delenv("REHABKART_PUBLIC_CATALOGUE")
        get_settings.cache_clear()


def test_service_at_locations_is_an_empty_page(anon: TestClient) -> None:
    body = _get(anon, "/hsds/service_at_locations")
    assert_hsds_page(body, "compiled/service_at_location_list.json")
    assert body["total_items"] == 0


def test_every_hsds_response_for_the_demo_data_validates(anon: TestClient) -> None:
    load_demo()
    services = _pages(anon, "/hsds/services", "compiled/service_list.json", per_page=25)
    assert services
    full = _pages(anon, "/hsds/services", "service.json", per_page=25, full="true")
    assert [s["id"] for s in full] == [s["id"] for s in services]
    for svc in full[:: max(1, len(full) // 10)]:
        assert_hsds_valid(_get(anon, f"/hsds/services/{svc['id']}"), "service.json")
    orgs = _pages(anon, "/hsds/organizations", "compiled/organization_list.json", per_page=200)
    _pages(anon, "/hsds/organizations", "organization.json", per_page=200, full="true")
    providers = {s["organization_id"] for s in services}
    for oid in providers:
        one = _get(anon, f"/hsds/organizations/{oid}", full_service="true")
        assert_hsds_valid({k: v for k, v in one.items() if k != "services"}, "organization.json")
        for svc in one["services"]:
            assert_hsds_valid(svc, "service.json")
    assert providers <= {o["id"] for o in orgs}
    _pages(anon, "/hsds/taxonomies", "taxonomy.json")
    _pages(anon, "/hsds/taxonomy_terms", "taxonomy_term.json", per_page=500)


def test_datapackage_passes_frictionless_validate(anon: TestClient, tmp_path: Path) -> None:
    load_demo()
    response = anon.get("/hsds/datapackage.zip")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = set(archive.namelist())
        archive.extractall(tmp_path)
    assert {"datapackage.json", "services.csv", "organizations.csv", "service_areas.csv", "taxonomy_terms.csv"} <= names
    services_csv = (tmp_path / "services.csv").read_text(encoding="utf-8").splitlines()
    hsds_services = _get(anon, "/hsds/services", per_page=1)["total_items"]
    assert len(services_csv) - 1 == hsds_services
    result = _frictionless(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    # The check has teeth: a service whose provider is not in organizations.csv breaks a foreign key.
    lines = services_csv[:]
    first = lines[1].split(",")
    first[1] = hsds_id("organization", 999_999)
    lines[1] = ",".join(first)
    (tmp_path / "services.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    assert _frictionless(tmp_path).returncode != 0


def _frictionless(directory: Path) -> subprocess.CompletedProcess[str]:
    frictionless = Path(sys.executable).with_name("frictionless")
    return subprocess.run(
        [str(frictionless), "validate", "datapackage.json"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
