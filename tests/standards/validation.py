"""The standards' own artefacts (standards/ at the repository root) as validators for what we emit.

- FHIR: the official FHIR R4 JSON schema (draft-06) and `fhir.resources` (its R4B models, which parse R4
  JSON for these four types and check cardinality and primitive types).
- HSDS 3.0: its JSON schemas (draft 2020-12, per its OpenAPI's `jsonSchemaDialect`), with the relative
  `$ref`s between them resolved through a `referencing` registry of the shipped files.
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement
from fhir.resources.R4B.healthcareservice import HealthcareService
from fhir.resources.R4B.location import Location
from fhir.resources.R4B.operationoutcome import OperationOutcome
from fhir.resources.R4B.organization import Organization
from fhir.resources.R4B.plandefinition import PlanDefinition
from jsonschema import Draft6Validator, Draft202012Validator, FormatChecker
from referencing import Registry
from referencing.jsonschema import DRAFT202012

STANDARDS = Path(__file__).resolve().parents[2] / "standards"
HSDS_SCHEMAS = STANDARDS / "hsds-3.0" / "schema"
_HSDS_BASE = "https://hsds.invalid/schema/"

FHIR_MODELS: dict[str, Any] = {
    "Bundle": Bundle,
    "CapabilityStatement": CapabilityStatement,
    "HealthcareService": HealthcareService,
    "Location": Location,
    "OperationOutcome": OperationOutcome,
    "Organization": Organization,
    "PlanDefinition": PlanDefinition,
}


@cache
def _fhir_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((STANDARDS / "fhir-r4" / "fhir.schema.json").read_text(encoding="utf-8"))
    # The shipped schema (id .../json-schema/4.0) lists FHIR versions up to 4.0.0; R4's current release is its
    # technical correction 4.0.1 (what the CapabilityStatement declares), so that one value is added here.
    versions = schema["definitions"]["CapabilityStatement"]["properties"]["fhirVersion"]
    versions["enum"] = [*versions["enum"], "4.0.1"]
    return schema


@cache
def _fhir_validator(resource_type: str) -> Draft6Validator:
    """The schema with its root pointed at one resource type's definition (clearer errors than the oneOf)."""
    schema = {k: v for k, v in _fhir_schema().items() if k != "oneOf"}
    schema["$ref"] = f"#/definitions/{resource_type}"
    return Draft6Validator(schema)


def fhir_errors(resource: dict[str, Any]) -> list[str]:
    """Problems the official FHIR R4 JSON schema and the fhir.resources model find; empty when valid."""
    problems = _schema_errors(resource)
    model = FHIR_MODELS[resource["resourceType"]]
    try:
        model.model_validate(resource)
    except Exception as exc:  # a pydantic ValidationError, reported as text
        problems.append(f"fhir.resources: {exc}")
    return problems


def _schema_errors(resource: dict[str, Any]) -> list[str]:
    """Schema problems; a Bundle's envelope and each entry's resource are checked by their own definitions
    (the schema's `ResourceList` would try every resource type in turn: the same answer, far slower)."""
    if resource["resourceType"] == "Bundle":
        envelope = {
            **resource,
            "entry": [{k: v for k, v in e.items() if k != "resource"} for e in resource.get("entry", [])],
        }
        if not envelope["entry"]:
            del envelope["entry"]
        nested = [p for e in resource.get("entry", []) if "resource" in e for p in _schema_errors(e["resource"])]
        return _schema_errors_of(envelope) + nested
    return _schema_errors_of(resource)


def _schema_errors_of(resource: dict[str, Any]) -> list[str]:
    validator = _fhir_validator(resource["resourceType"])
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in validator.iter_errors(resource)]


def assert_fhir_valid(resource: dict[str, Any]) -> None:
    problems = fhir_errors(resource)
    assert not problems, (resource.get("resourceType"), resource.get("id"), problems[:5])


@cache
def _hsds_registry() -> Registry:
    resources = []
    for path in [*HSDS_SCHEMAS.glob("*.json"), *(HSDS_SCHEMAS / "compiled").glob("*.json")]:
        if path.name == "openapi.json":
            continue
        relative = path.relative_to(HSDS_SCHEMAS).as_posix()
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((_HSDS_BASE + relative, DRAFT202012.create_resource(contents)))
    return Registry().with_resources(resources)


@cache
def hsds_validator(name: str) -> Draft202012Validator:
    """A validator for one HSDS schema file, e.g. `service.json` or `compiled/service_list.json`."""
    registry = _hsds_registry()
    schema = {"$ref": _HSDS_BASE + name}
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def hsds_errors(item: Any, name: str) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:300]}" for e in hsds_validator(name).iter_errors(item)]


def assert_hsds_valid(item: Any, name: str) -> None:
    problems = hsds_errors(item, name)
    assert not problems, (name, problems[:5])


@cache
def hsds_page_schema() -> dict[str, Any]:
    """The Page envelope of the HSDS API reference (its OpenAPI's components.schemas.Page)."""
    spec = json.loads((HSDS_SCHEMAS / "openapi.json").read_text(encoding="utf-8"))
    page: dict[str, Any] = spec["components"]["schemas"]["Page"]
    return page


def assert_hsds_page(body: dict[str, Any], item_schema: str) -> None:
    """The envelope against the Page schema (all its fields present) and every item against `item_schema`."""
    page = hsds_page_schema()
    envelope = Draft202012Validator({**page, "required": list(page["properties"])})
    problems = [e.message for e in envelope.iter_errors(body)]
    assert not problems, problems
    assert isinstance(body["contents"], list)
    for item in body["contents"]:
        assert_hsds_valid(item, item_schema)
