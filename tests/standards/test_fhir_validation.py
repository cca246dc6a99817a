"""Every FHIR resource and Bundle the server emits for the whole demo data set is valid FHIR R4: it parses
with fhir.resources (R4B models) and validates against the official FHIR R4 JSON schema."""

from fastapi.testclient import TestClient

from tests.standards.helpers import all_pages, entries, fhir_get, load_demo
from tests.standards.validation import assert_fhir_valid

TYPES = ("Organization", "HealthcareService", "Location", "PlanDefinition")


def test_every_resource_and_bundle_of_the_demo_data_is_valid(anon: TestClient) -> None:
    load_demo()
    assert_fhir_valid(fhir_get(anon, "/fhir/R4/metadata"))
    for rtype in TYPES:
        bundles = all_pages(anon, f"/fhir/R4/{rtype}", {"_count": 200})
        for bundle in bundles:
            assert_fhir_valid(bundle)
        resources = entries(bundles)
        assert resources, rtype
        assert {r["resourceType"] for r in resources} == {rtype}
        # Reads answer the same resource as the search.
        for resource in resources[:: max(1, len(resources) // 20)]:
            assert fhir_get(anon, f"/fhir/R4/{rtype}/{resource['id']}") == resource


def test_operation_outcomes_are_valid(anon: TestClient) -> None:
    for path, headers in (
        ("/fhir/R4/HealthcareService/999999", {}),
        ("/fhir/R4/Patient", {}),
        ("/fhir/R4/HealthcareService?bogus=1", {"Prefer": "handling=strict"}),
    ):
        response = anon.get(path, headers=headers)
        assert response.status_code in (400, 404)
        assert_fhir_valid(response.json())
