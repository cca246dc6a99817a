"""HL7 FHIR R4 (4.0.1): Organization, HealthcareService, Location and PlanDefinition, read and search.

Resources are plain dicts built from the catalogue's own rows and stored service documents (no model
objects on the hot path). Search follows FHIR's rules: unknown parameters are ignored unless the client
sends `Prefer: handling=strict`; a bad value of a supported parameter is a 400. Errors are `FhirError`,
which the router renders as an OperationOutcome.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import and_, func, select
from sqlmodel import Session, col

from app.domain import catalogue, geography, pathways, taxonomy
from app.domain.actor import Actor
from app.domain.catalogue.tables import organisations
from app.domain.errors import InvalidInput
from app.domain.standards.common import (
    HELSEHJELPSOMRADE_SYSTEM,
    ICD10_SYSTEM,
    IPLOS_SYSTEM,
    MUNICIPALITY_SYSTEM,
    OMSORGSNIVA_SYSTEM,
    ORGNR_SYSTEM,
    base_url,
    instant,
)
from app.domain.standards.services import count_services
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.serialization import dumps, loads
from app.kit.text import fold, like_pattern
from app.models.audit import AuditEvent
from app.models.organisation import OrganisationKind
from app.models.pathway import PathwayStatus, ResponsibleRole
from app.models.rehab_service import ServiceForm, ServiceStatus

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"
DEFAULT_COUNT = 50
MAX_COUNT = 500
RESOURCE_TYPES = ("Organization", "HealthcareService", "Location", "PlanDefinition")
UCUM = "http://unitsofmeasure.org"

# Search parameters per type (name → FHIR search-parameter type), as the CapabilityStatement lists them.
SEARCH_PARAMS: dict[str, dict[str, str]] = {
    "Organization": {
        "_id": "token",
        "_lastUpdated": "date",
        "name": "string",
        "identifier": "token",
        "type": "token",
        "partof": "reference",
    },
    "HealthcareService": {
        "_id": "token",
        "_lastUpdated": "date",
        "name": "string",
        "organization": "reference",
        "coverage-area": "reference",
        "service-category": "token",
        "active": "token",
    },
    "Location": {"_id": "token", "_lastUpdated": "date", "name": "string", "identifier": "token"},
    "PlanDefinition": {
        "_id": "token",
        "_lastUpdated": "date",
        "status": "token",
        "url": "uri",
        "version": "token",
        "name": "string",
    },
}
# Result parameters every type accepts (`_cursor` is our paging token, in the `next` links).
RESULT_PARAMS = ("_count", "_cursor", "_format", "_pretty")
_JSON_FORMATS = {"json", "application/json", "application/fhir+json"}


class FhirError(Exception):
    """An error the FHIR face answers with an OperationOutcome and this HTTP status."""

    def __init__(self, status: int, code: str, diagnostics: str) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


# --- URLs -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Urls:
    """Absolute URLs under the installation's public base."""

    base: str

    @classmethod
    def of(cls, request_base: str) -> "Urls":
        return cls(base_url(request_base))

    @property
    def root(self) -> str:
        return f"{self.base}/fhir/R4"

    def code_system(self, name: str) -> str:
        return f"{self.root}/CodeSystem/{name}"

    def extension(self, name: str) -> str:
        return f"{self.root}/StructureDefinition/{name}"

    def resource(self, rtype: str, rid: str | int) -> str:
        return f"{self.root}/{rtype}/{rid}"

    def plan_definition(self, series: str) -> str:
        """The canonical URL of a pathway series (PlanDefinition.url; `version` tells the versions apart)."""
        return f"{self.root}/PlanDefinition/series/{series}"


def _meta(version: Any, updated_at: Any) -> dict[str, Any]:
    return {"versionId": str(version), "lastUpdated": instant(updated_at)}


def _coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _concept(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _text(value: str | None) -> str | None:
    """FHIR strings may not be empty or only blanks."""
    return value if value and value.strip() else None


def _clean(resource: dict[str, Any]) -> dict[str, Any]:
    """Without None values and empty lists (FHIR JSON has no nulls nor empty arrays)."""
    return {k: v for k, v in resource.items() if v is not None and v != []}


# --- Organization -----------------------------------------------------------------------------------------

_HL7_ORG_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
_ORG_TYPE = {
    OrganisationKind.municipality.value: ("govt", "Government"),
    OrganisationKind.regional_authority.value: ("govt", "Government"),
    OrganisationKind.health_trust.value: ("prov", "Healthcare Provider"),
    OrganisationKind.private_institution.value: ("prov", "Healthcare Provider"),
    OrganisationKind.district.value: ("dept", "Hospital Department"),
    OrganisationKind.education.value: ("edu", "Educational Institute"),
    OrganisationKind.user_organisation.value: ("cg", "Community Group"),
    OrganisationKind.other.value: ("other", "Other"),
}


def _regional_authorities(session: Session) -> dict[int, int]:
    """Region id → the regional health authority's organisation id (the partOf of its trusts)."""
    rows = session.execute(
        select(organisations.c.region_id, organisations.c.id).where(
            organisations.c.kind == OrganisationKind.regional_authority.value,
            organisations.c.region_id.is_not(None),
        )
    ).all()
    return {int(region): int(org) for region, org in rows}


def organization(row: Any, authorities: dict[int, int], urls: Urls) -> dict[str, Any]:
    identifiers = []
    if row.orgnr:
        identifiers.append({"system": ORGNR_SYSTEM, "value": row.orgnr})
    if row.kind == OrganisationKind.municipality.value and row.municipality_number:
        identifiers.append({"system": MUNICIPALITY_SYSTEM, "value": row.municipality_number})
    parent = row.parent_id
    if parent is None and row.kind == OrganisationKind.health_trust.value and row.region_id is not None:
        parent = authorities.get(row.region_id)
    hl7_code, hl7_display = _ORG_TYPE.get(row.kind, ("other", "Other"))
    return _clean(
        {
            "resourceType": "Organization",
            "id": str(row.id),
            "meta": _meta(row.version, row.updated_at),
            "identifier": identifiers,
            "active": True,
            "type": [
                {
                    "coding": [
                        _coding(_HL7_ORG_TYPE, hl7_code, hl7_display),
                        _coding(urls.code_system("organisation-kind"), row.kind),
                    ]
                }
            ],
            "name": row.name,
            "telecom": [{"system": "url", "value": row.website}] if row.website else None,
            "partOf": {"reference": f"Organization/{parent}"} if parent is not None else None,
        }
    )


# --- HealthcareService ------------------------------------------------------------------------------------

_REHABILITATION_SPECIALTY = {
    "coding": [_coding("http://snomed.info/sct", "394602003", "Rehabilitation - specialty (qualifier value)")]
}


class ServiceContext:
    """What a page of services needs besides their documents, read once per request; the coded parts of a
    resource (concepts, eligibility, coverage references) are built once per request and shared, so a page
    of 100 services costs little more than parsing their documents."""

    def __init__(self, urls: Urls, municipality_names: dict[str, str], groups: dict[str, Any]) -> None:
        self.urls = urls
        self.municipality_names = municipality_names
        self.groups = groups  # code → PatientGroup
        self._systems: dict[str, str] = {}
        self._concepts: dict[tuple[str, str], dict[str, Any]] = {}
        self._groups: dict[str, dict[str, Any]] = {}
        self.capacity_url = urls.extension("capacity")
        self.waiting_url = urls.extension("waiting-time")
        self.verified_url = urls.extension("last-verified")
        self.external_id_system = urls.code_system("service-external-id")

    @classmethod
    def load(cls, session: Session, urls: Urls) -> "ServiceContext":
        return cls(urls, geography.municipality_names(session), taxonomy.get_taxonomy(session).by_code)

    def system(self, name: str) -> str:
        found = self._systems.get(name)
        if found is None:
            found = self._systems[name] = self.urls.code_system(name)
        return found

    def concept(self, name: str, code: str) -> dict[str, Any]:
        """A CodeableConcept of one of our code systems (shared: never change it)."""
        key = (name, code)
        found = self._concepts.get(key)
        if found is None:
            found = self._concepts[key] = {"coding": [{"system": self.system(name), "code": code}]}
        return found

    def eligibility(self, code: str) -> dict[str, Any]:
        """The eligibility entry of a patient group: our code and its ICD-10 codes (shared)."""
        found = self._groups.get(code)
        if found is None:
            group = self.groups.get(code)
            codings = [_coding(self.system("patient-group"), code, group.name_nb if group else None)]
            if group is not None and group.icd10:
                codings.extend(_coding(ICD10_SYSTEM, icd) for icd in group.icd10.split())
            found = self._groups[code] = {"code": {"coding": codings, "text": group.name_nb if group else code}}
        return found


_COVERAGE: dict[str, dict[str, str]] = {}  # municipality number → its Location reference (shared)


def _coverage(number: str) -> dict[str, str]:
    found = _COVERAGE.get(number)
    if found is None:
        found = _COVERAGE[number] = {"reference": f"Location/{number}"}
    return found


def _service_extensions(doc: dict[str, Any], ctx: ServiceContext) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if doc["capacity_number"] is not None and doc["capacity_unit"]:
        out.append(
            {
                "url": ctx.capacity_url,
                "valueQuantity": {
                    "value": doc["capacity_number"],
                    "unit": doc["capacity_unit"],
                    "system": ctx.system("capacity-unit"),
                    "code": doc["capacity_unit"],
                },
            }
        )
    if doc["waiting_time_days"] is not None:
        parts: list[dict[str, Any]] = [
            {
                "url": "days",
                "valueDuration": {"value": doc["waiting_time_days"], "unit": "d", "system": UCUM, "code": "d"},
            }
        ]
        if doc["waiting_time_reported_on"]:
            parts.append({"url": "reportedOn", "valueDate": doc["waiting_time_reported_on"]})
        out.append({"url": ctx.waiting_url, "extension": parts})
    if doc["last_verified_on"]:
        out.append({"url": ctx.verified_url, "valueDate": doc["last_verified_on"]})
    return out


_PAUSED = ServiceStatus.paused.value
_ACTIVE = ServiceStatus.active.value


def healthcare_service(doc: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    """A service document (as stored: JSON values) as a HealthcareService (elements in FHIR's order)."""
    concept = ctx.concept
    out: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "id": str(doc["id"]),
        "meta": {"versionId": str(doc["version"]), "lastUpdated": instant(doc["updated_at"])},
    }
    extensions = _service_extensions(doc, ctx)
    if extensions:
        out["extension"] = extensions
    if doc["external_id"] and doc["external_id"].strip():
        out["identifier"] = [{"system": ctx.external_id_system, "value": doc["external_id"]}]
    out["active"] = doc["status"] == _ACTIVE
    out["providedBy"] = {"reference": f"Organization/{doc['provider_id']}", "display": doc["provider_name"]}
    forms = [concept("service-form", f) for f in doc["forms"]]
    if doc["helsehjelpsomrade_8655"]:
        out["category"] = [_concept(HELSEHJELPSOMRADE_SYSTEM, doc["helsehjelpsomrade_8655"]), *forms]
    elif forms:
        out["category"] = forms
    types = []
    if doc["iplos_9151"]:
        types.append(_concept(IPLOS_SYSTEM, doc["iplos_9151"]))
    if doc["omsorgsniva_8406"]:
        types.append(_concept(OMSORGSNIVA_SYSTEM, doc["omsorgsniva_8406"]))
    if types or forms:
        out["type"] = types or forms
    out["specialty"] = [_REHABILITATION_SPECIALTY]
    out["name"] = doc["name"]
    if doc["contact_name"] and doc["contact_name"].strip():
        out["comment"] = f"Kontakt: {doc['contact_name']}"
    if doc["description"] and doc["description"].strip():
        out["extraDetails"] = doc["description"]
    telecom = []
    if doc["contact_phone"]:
        telecom.append({"system": "phone", "value": doc["contact_phone"], "use": "work"})
    if doc["contact_email"]:
        telecom.append({"system": "email", "value": doc["contact_email"], "use": "work"})
    if doc["website"]:
        telecom.append({"system": "url", "value": doc["website"]})
    if telecom:
        out["telecom"] = telecom
    if doc["catchment"]:
        out["coverageArea"] = [_coverage(n) for n in doc["catchment"]]
    eligibility = [ctx.eligibility(code) for code in doc["patient_groups"]]
    if doc["referral_criteria"] and doc["referral_criteria"].strip():
        eligibility.append({"comment": doc["referral_criteria"]})
    if eligibility:
        out["eligibility"] = eligibility
    out["characteristic"] = [concept("service-level", doc["level"])] + [
        concept("age-group", a) for a in doc["age_groups"]
    ]
    if doc["referrers"]:
        out["referralMethod"] = [concept("referrer", r) for r in doc["referrers"]]
    not_available: list[dict[str, Any]] = []
    if doc["status"] == _PAUSED:
        not_available.append({"description": "Midlertidig stengt"})
    if doc["valid_from"]:
        not_available.append({"description": "Ikke startet", "during": {"end": doc["valid_from"]}})
    if doc["valid_to"]:
        not_available.append({"description": "Avsluttet", "during": {"start": doc["valid_to"]}})
    if not_available:
        out["notAvailable"] = not_available
    return out


# --- Location ---------------------------------------------------------------------------------------------

_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"


def location(m: dict[str, Any]) -> dict[str, Any]:
    """A municipality (kommune) as an area Location, the target of HealthcareService.coverageArea."""
    return _clean(
        {
            "resourceType": "Location",
            "id": m["number"],
            "meta": _meta(m["version"], m["updated_at"]),
            "identifier": [{"system": MUNICIPALITY_SYSTEM, "value": m["number"]}],
            "status": "active",
            "name": m["name"],
            "alias": [m["name_official"]] if m["name_official"] and m["name_official"] != m["name"] else None,
            "mode": "instance",
            "physicalType": _concept(_PHYSICAL_TYPE, "area", "Area"),
            "address": {"state": m["county_name"], "country": "NO"} if m["county_name"] else {"country": "NO"},
            "managingOrganization": {"reference": f"Organization/{m['organisation_id']}"}
            if m["organisation_id"]
            else None,
        }
    )


# --- PlanDefinition ---------------------------------------------------------------------------------------

_PLAN_STATUS = {PathwayStatus.published.value: "active", PathwayStatus.retired.value: "retired"}
_PARTICIPANT_TYPE = {
    ResponsibleRole.patient_and_next_of_kin.value: "related-person",
}


def _computable_name(series: str) -> str:
    return "".join(part.capitalize() for part in series.split("-") if part) or "Pathway"


def _step_action(step: dict[str, Any], before: str | None, after: str | None, urls: Urls) -> dict[str, Any]:
    codes = [_concept(urls.code_system("service-level"), lv) for lv in step["levels"]]
    codes.extend(_concept(urls.code_system("service-form"), f) for f in step["forms"])
    related = []
    if before is not None:
        related.append({"actionId": before, "relationship": "after"})
    if after is not None:
        related.append({"actionId": after, "relationship": "before"})
    nested: list[dict[str, Any]] = []
    handover = step.get("handover")
    if handover:
        nested.append(
            _clean(
                {
                    "id": f"{step['key']}-handover",
                    "title": "Overlevering",
                    "description": _text(handover.get("note")),
                    "code": [_concept(urls.code_system("handover-item"), i) for i in handover.get("items", [])]
                    + [_concept(urls.code_system("service-level"), handover["to_level"])],
                }
            )
        )
    for i, item in enumerate(step.get("checklist") or []):
        nested.append(
            _clean(
                {
                    "id": f"{step['key']}-checklist-{i + 1}",
                    "title": item.get("text") or item.get("code"),
                    "code": [_concept(urls.code_system("checklist"), item["code"])] if item.get("code") else None,
                }
            )
        )
    timing: dict[str, Any] = {}
    start, duration = step.get("start_day"), step.get("duration_days")
    if start is not None:
        low = {"value": start, "unit": "d", "system": UCUM, "code": "d"}
        high = {"value": start + (duration or 0), "unit": "d", "system": UCUM, "code": "d"}
        timing = {"timingRange": {"low": low, "high": high}}
    elif duration is not None:
        timing = {"timingDuration": {"value": duration, "unit": "d", "system": UCUM, "code": "d"}}
    return _clean(
        {
            "id": step["key"],
            "title": step["title"],
            "description": _text(step.get("description")),
            "code": codes,
            "extension": [{"url": urls.extension("general-services-count"), "valueBoolean": True}]
            if step.get("general_services_count")
            else None,
            **timing,
            "participant": [
                {
                    "type": _PARTICIPANT_TYPE.get(step["responsible_role"], "practitioner"),
                    "role": _concept(urls.code_system("responsible-role"), step["responsible_role"]),
                }
            ],
            "relatedAction": related,
            "action": nested,
        }
    )


def plan_definition(t: dict[str, Any], ctx: ServiceContext) -> dict[str, Any]:
    """A published or retired pathway template (PathwayRead) as a PlanDefinition."""
    urls = ctx.urls
    steps = t["steps"]
    keys = [s["key"] for s in steps]
    source = t.get("source") or None
    use_context = []
    for code in t["patient_groups"]:
        group = ctx.groups.get(code)
        use_context.append(
            {
                "code": _coding("http://terminology.hl7.org/CodeSystem/usage-context-type", "focus"),
                "valueCodeableConcept": _concept(
                    urls.code_system("patient-group"), code, group.name_nb if group else None
                ),
            }
        )
    related = None
    if source:
        related = [
            _clean(
                {
                    "type": "documentation",
                    "display": source["title"],
                    "url": source.get("url"),
                    "citation": f"{source['title']} ({source['date']})" if source.get("date") else None,
                }
            )
        ]
    return _clean(
        {
            "resourceType": "PlanDefinition",
            "id": str(t["id"]),
            "meta": _meta(t["version"], t["updated_at"]),
            "url": urls.plan_definition(t["series"]),
            "identifier": [{"system": urls.code_system("pathway-series"), "value": t["series"]}],
            "version": str(t["series_version"]),
            "name": _computable_name(t["series"]),
            "title": t["title"],
            "type": _concept(
                "http://terminology.hl7.org/CodeSystem/plan-definition-type", "clinical-protocol", "Clinical Protocol"
            ),
            "status": _PLAN_STATUS[str(t["status"])],
            "date": instant(t["published_at"]) if t["published_at"] else None,
            "publisher": _text(t["owner_name"]),
            "description": _text(t["description"]),
            "useContext": use_context,
            "relatedArtifact": related,
            "action": [
                _step_action(
                    step,
                    keys[i - 1] if i > 0 else None,
                    keys[i + 1] if i + 1 < len(keys) else None,
                    urls,
                )
                for i, step in enumerate(steps)
            ],
        }
    )


# --- search parameters ------------------------------------------------------------------------------------


@dataclass
class Params:
    """A search's accepted parameters (in the order given) and its paging."""

    rtype: str
    values: dict[str, list[str]] = field(default_factory=dict)
    accepted: list[tuple[str, str]] = field(default_factory=list)
    count: int = DEFAULT_COUNT
    cursor: str | None = None

    def one(self, name: str) -> str | None:
        """The single value of a parameter (repeating it is refused: we do not AND values)."""
        values = self.values.get(name)
        if not values:
            return None
        if len(values) > 1:
            raise FhirError(400, "not-supported", f"Repeating the parameter {name} is not supported")
        return values[0]


def parse_params(rtype: str, items: Sequence[tuple[str, str]], *, strict: bool) -> Params:
    """Split the query into supported parameters and paging; unknown ones are ignored or (strict) refused."""
    supported = SEARCH_PARAMS[rtype]
    params = Params(rtype)
    for name, value in items:
        if name in supported:
            params.values.setdefault(name, []).append(value)
            params.accepted.append((name, value))
        elif name == "_count":
            try:
                count = int(value)
            except ValueError:
                raise FhirError(400, "invalid", "_count must be a whole number") from None
            if count < 0:
                raise FhirError(400, "invalid", "_count must not be negative")
            params.count = min(count, MAX_COUNT)
        elif name == "_cursor":
            params.cursor = value
        elif name == "_format":
            if value not in _JSON_FORMATS:
                raise FhirError(406, "not-supported", "Only JSON is supported (_format=json)")
        elif name == "_pretty":
            pass
        elif strict:
            raise FhirError(400, "not-supported", f"Unknown or unsupported search parameter for {rtype}: {name}")
    return params


def _reference_id(value: str, rtype: str) -> str:
    """The id in `Type/id`, an absolute URL ending in it, or a bare id."""
    prefix = f"{rtype}/"
    return value.rsplit(prefix, 1)[1] if prefix in value else value


def _int_ids(values: list[str]) -> list[int] | None:
    """Numeric ids from comma lists; None when none of them could be one of ours (an empty result)."""
    ids = [v.strip() for value in values for v in value.split(",") if v.strip()]
    numeric = [int(v) for v in ids if v.isdigit() and 0 < int(v) < 2**31]
    return numeric or None


def _last_updated(values: list[str]) -> datetime | None:
    """The lower bound of `_lastUpdated=ge…`/`gt…` (the only comparisons supported)."""
    if not values:
        return None
    if len(values) > 1:
        raise FhirError(400, "not-supported", "Only one _lastUpdated (ge or gt) is supported")
    raw = values[0]
    prefix = raw[:2]
    if prefix not in ("ge", "gt"):
        raise FhirError(400, "not-supported", "_lastUpdated supports the prefixes ge and gt")
    text = raw[2:]
    try:
        if len(text) == 4:
            moment = datetime(int(text), 1, 1, tzinfo=UTC)
        elif len(text) == 7:
            moment = datetime(int(text[:4]), int(text[5:7]), 1, tzinfo=UTC)
        elif len(text) == 10:
            moment = datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                raise ValueError("a time needs a zone")
    except ValueError:
        raise FhirError(400, "invalid", f"_lastUpdated is not a FHIR date or dateTime: {text}") from None
    return moment + timedelta(microseconds=1) if prefix == "gt" else moment


def _token(value: str) -> tuple[str | None, str]:
    """(system, code) of a token `system|code` or `code`."""
    if "|" in value:
        system, code = value.split("|", 1)
        return system, code
    return None, value


def _bool(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    if value not in ("true", "false"):
        raise FhirError(400, "invalid", f"{name} must be true or false")
    return value == "true"


# --- search -----------------------------------------------------------------------------------------------


@dataclass
class Found:
    """A page of matches: the resources, or for HealthcareService their JSON (id, bytes), and the total."""

    resources: list[dict[str, Any]]
    total: int
    next_cursor: str | None
    raw: list[tuple[str, bytes]] | None = None

    def encoded(self) -> list[tuple[str, bytes]]:
        return self.raw if self.raw is not None else [(r["id"], dumps(r)) for r in self.resources]


_EMPTY = Found([], 0, None)


def _domain(call: Callable[[], Found]) -> Found:
    """Run a search, answering the catalogue's InvalidInput (a bad cursor, say) as a FHIR 400."""
    try:
        return call()
    except InvalidInput as exc:
        raise FhirError(400, "invalid", str(exc)) from None


def _search_services(session: Session, params: Params, urls: Urls) -> Found:
    v = params.values
    ids: list[int] = []
    if "_id" in v:
        found = _int_ids(v["_id"])
        if found is None:
            return _EMPTY
        ids = found
    provider = None
    if (org := params.one("organization")) is not None:
        ref = _reference_id(org, "Organization")
        if not ref.isdigit() or not 0 < int(ref) < 2**31:
            return _EMPTY
        provider = int(ref)
    municipality = None
    if (area := params.one("coverage-area")) is not None:
        municipality = _reference_id(area, "Location")
        if municipality not in geography.municipality_numbers(session):
            return _EMPTY
    forms: list[ServiceForm] = []
    if "service-category" in v:
        system_ok = {None, "", urls.code_system("service-form")}
        for value in params.one("service-category").split(","):  # type: ignore[union-attr]
            system, code = _token(value)
            if system in system_ok and code in ServiceForm.__members__:
                forms.append(ServiceForm(code))
        if not forms:
            return _EMPTY
    statuses: tuple[ServiceStatus, ...] = ()
    active = _bool(params.one("active"), "active")
    if active is True:
        statuses = (ServiceStatus.active,)
    elif active is False:
        statuses = tuple(s for s in ServiceStatus if s != ServiceStatus.active)
    flt = catalogue.ServiceFilter(
        municipality=municipality,
        form=forms,
        status=statuses,
        provider=provider,
        q=params.one("name"),
        updated_since=_last_updated(v.get("_lastUpdated", [])),
        ids=ids,
    )

    def run() -> Found:
        total = count_services(session, flt)
        if params.count == 0:
            return Found([], total, None)
        docs, next_cursor = catalogue.list_service_docs(session, flt, limit=params.count, cursor=params.cursor)
        return Found([], total, next_cursor, raw=_encoded_services(session, docs, urls))

    return _domain(run)


# (base, taxonomy signature, stored document) → (id, the HealthcareService as JSON). A document is the
# whole service as stored (a write rewrites it), and the taxonomy's names and ICD-10 codes are the only
# other input, so an entry is exact for as long as both are unchanged. Bounded; emptied when full.
_ENCODED: dict[tuple[str, int, bytes], tuple[str, bytes]] = {}
_ENCODED_MAX = 20_000


def _taxonomy_signature(session: Session) -> int:
    return hash(tuple((g.code, g.name_nb, g.icd10) for g in taxonomy.get_taxonomy(session).groups))


def _encoded_services(session: Session, docs: list[bytes], urls: Urls) -> list[tuple[str, bytes]]:
    """Stored service documents as HealthcareService JSON, each built once per document version."""
    signature = _taxonomy_signature(session)
    out: list[tuple[str, bytes]] = []
    ctx: ServiceContext | None = None
    for doc in docs:
        key = (urls.root, signature, doc)
        hit = _ENCODED.get(key)
        if hit is None:
            ctx = ctx or ServiceContext.load(session, urls)
            resource = healthcare_service(loads(doc), ctx)
            hit = (resource["id"], dumps(resource))
            if len(_ENCODED) >= _ENCODED_MAX:
                _ENCODED.clear()
            _ENCODED[key] = hit
        out.append(hit)
    return out


def _org_conditions(session: Session, params: Params) -> list[Any] | None:
    v = params.values
    t = organisations.c
    conds: list[Any] = []
    if "_id" in v:
        ids = _int_ids(v["_id"])
        if ids is None:
            return None
        conds.append(t.id.in_(ids))
    if (name := params.one("name")) is not None:
        conds.append(t.search_text.like(like_pattern(name), escape="\\"))
    if (ident := params.one("identifier")) is not None:
        system, value = _token(ident)
        if system == MUNICIPALITY_SYSTEM:
            conds.extend([t.municipality_number == value, t.kind == OrganisationKind.municipality.value])
        elif system in (None, "", ORGNR_SYSTEM):
            conds.append(t.orgnr == value)
        else:
            return None
    if (kind := params.one("type")) is not None:
        _, code = _token(kind)
        if code not in OrganisationKind.__members__:
            return None
        conds.append(t.kind == code)
    if (partof := params.one("partof")) is not None:
        ref = _reference_id(partof, "Organization")
        if not ref.isdigit() or not 0 < int(ref) < 2**31:
            return None
        parent = int(ref)
        region = session.execute(
            select(t.region_id).where(t.id == parent, t.kind == OrganisationKind.regional_authority.value)
        ).scalar()
        if region is not None:  # trusts are part of their region's authority
            conds.append(
                (t.parent_id == parent)
                | (t.parent_id.is_(None) & (t.kind == OrganisationKind.health_trust.value) & (t.region_id == region))
            )
        else:
            conds.append(t.parent_id == parent)
    if (since := _last_updated(v.get("_lastUpdated", []))) is not None:
        conds.append(t.updated_at >= since.astimezone(UTC))
    return conds


def _search_organizations(session: Session, params: Params, urls: Urls) -> Found:
    conds = _org_conditions(session, params)
    if conds is None:
        return _EMPTY
    t = organisations.c
    total = int(session.execute(select(func.count()).select_from(organisations).where(and_(True, *conds))).scalar_one())
    if params.count == 0:
        return Found([], total, None)

    def run() -> Found:
        page_conds = list(conds)
        if params.cursor:
            page_conds.append(t.id > decode_cursor(params.cursor, int))
        rows = list(
            session.execute(
                select(organisations).where(and_(True, *page_conds)).order_by(t.id).limit(params.count + 1)
            ).all()
        )
        page = rows[: params.count]
        authorities = _regional_authorities(session)
        next_cursor = encode_cursor(page[-1].id) if len(rows) > params.count else None
        return Found([organization(r, authorities, urls) for r in page], total, next_cursor)

    return _domain(run)


def _page_in_memory(
    items: list[dict[str, Any]], key: str, params: Params, build: Callable[[dict[str, Any]], dict[str, Any]]
) -> Found:
    """Paging over a small, already filtered list (municipalities, pathway templates) by its key."""
    total = len(items)
    if params.count == 0:
        return Found([], total, None)
    if params.cursor:
        after = decode_cursor(params.cursor, type(items[0][key]) if items else str)
        items = [i for i in items if i[key] > after]
    page = items[: params.count]
    next_cursor = encode_cursor(page[-1][key]) if len(items) > params.count else None
    return Found([build(i) for i in page], total, next_cursor)


def _since_filter(items: list[dict[str, Any]], params: Params) -> list[dict[str, Any]]:
    since = _last_updated(params.values.get("_lastUpdated", []))
    if since is None:
        return items
    return [i for i in items if _aware(i["updated_at"]) >= since]


def _aware(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value
    return datetime.fromisoformat(instant(value).replace("Z", "+00:00"))


def _search_locations(session: Session, params: Params, urls: Urls) -> Found:
    items, _ = geography.list_municipalities(session, limit=1000)
    v = params.values
    if "_id" in v:
        wanted = {x.strip() for value in v["_id"] for x in value.split(",")}
        items = [m for m in items if m["number"] in wanted]
    if (ident := params.one("identifier")) is not None:
        system, value = _token(ident)
        items = [m for m in items if system in (None, "", MUNICIPALITY_SYSTEM) and m["number"] == value]
    if (name := params.one("name")) is not None:
        needle = fold(name)
        items = [m for m in items if needle in fold(m["name"], m["name_official"])]
    items = _since_filter(items, params)
    return _domain(lambda: _page_in_memory(items, "number", params, location))


def _visible_templates(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Published and retired templates (drafts are never exported), in id order."""
    flt = pathways.PathwayFilter(status=(PathwayStatus.published, PathwayStatus.retired))
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        items, cursor = pathways.list_templates(session, actor, flt, limit=500, cursor=cursor)
        out.extend(items)
        if cursor is None:
            return out


def _search_plans(session: Session, params: Params, urls: Urls, actor: Actor) -> Found:
    items = _visible_templates(session, actor)
    v = params.values
    if "_id" in v:
        ids = set(_int_ids(v["_id"]) or [])
        items = [t for t in items if t["id"] in ids]
    if (status := params.one("status")) is not None:
        wanted = {s for s, fhir_status in _PLAN_STATUS.items() if fhir_status in status.split(",")}
        items = [t for t in items if str(t["status"]) in wanted]
    if (url := params.one("url")) is not None:
        canonical, _, pinned = url.partition("|")
        items = [t for t in items if urls.plan_definition(t["series"]) == canonical]
        if pinned:
            items = [t for t in items if str(t["series_version"]) == pinned]
    if (version := params.one("version")) is not None:
        items = [t for t in items if str(t["series_version"]) == version]
    if (name := params.one("name")) is not None:
        needle = fold(name)
        items = [t for t in items if needle in fold(_computable_name(t["series"]), t["title"])]
    items = _since_filter(items, params)
    ctx = ServiceContext.load(session, urls)
    return _domain(lambda: _page_in_memory(items, "id", params, lambda t: plan_definition(t, ctx)))


def search(
    session: Session, actor: Actor, rtype: str, items: Sequence[tuple[str, str]], *, strict: bool, request_base: str
) -> dict[str, Any]:
    """A searchset Bundle for `rtype` with `total`, a `self` link of the parameters used and a `next` link."""
    bundle: dict[str, Any] = loads(search_json(session, actor, rtype, items, strict=strict, request_base=request_base))
    return bundle


def search_json(
    session: Session, actor: Actor, rtype: str, items: Sequence[tuple[str, str]], *, strict: bool, request_base: str
) -> bytes:
    """`search`'s Bundle as JSON, assembled from the resources' JSON without parsing it again."""
    if rtype not in SEARCH_PARAMS:
        raise FhirError(404, "not-supported", f"Resource type {rtype} is not supported here")
    urls = Urls.of(request_base)
    params = parse_params(rtype, items, strict=strict)
    if rtype == "HealthcareService":
        found = _search_services(session, params, urls)
    elif rtype == "Organization":
        found = _search_organizations(session, params, urls)
    elif rtype == "Location":
        found = _search_locations(session, params, urls)
    else:
        found = _search_plans(session, params, urls, actor)
    return _bundle(urls, params, found)


def _bundle(urls: Urls, params: Params, found: Found) -> bytes:
    query = [*params.accepted, ("_count", str(params.count))]
    links = [{"relation": "self", "url": _link(urls, params.rtype, query, params.cursor)}]
    if found.next_cursor is not None:
        links.append({"relation": "next", "url": _link(urls, params.rtype, query, found.next_cursor)})
    envelope = dumps(
        {
            "resourceType": "Bundle",
            "type": "searchset",
            "meta": {"lastUpdated": instant(datetime.now(UTC))},
            "total": found.total,
            "link": links,
        }
    )
    encoded = found.encoded()
    if not encoded:  # FHIR JSON has no empty arrays
        return envelope
    prefix = f'{{"fullUrl":"{urls.root}/{params.rtype}/'.encode()
    entries = b",".join(
        prefix + rid.encode() + b'","resource":' + body + b',"search":{"mode":"match"}}' for rid, body in encoded
    )
    return envelope[:-1] + b',"entry":[' + entries + b"]}"


def _link(urls: Urls, rtype: str, query: list[tuple[str, str]], cursor: str | None) -> str:
    pairs = [*query, ("_cursor", cursor)] if cursor else query
    return f"{urls.root}/{rtype}?{urlencode(pairs)}"


# --- read -------------------------------------------------------------------------------------------------


def read(session: Session, actor: Actor, rtype: str, rid: str, *, request_base: str) -> dict[str, Any]:
    """One resource by id, or FhirError 404."""
    if rtype not in SEARCH_PARAMS:
        raise FhirError(404, "not-supported", f"Resource type {rtype} is not supported here")
    bundle = search(session, actor, rtype, [("_id", rid)], strict=False, request_base=request_base)
    if rid and "," not in rid and bundle.get("entry"):
        resource: dict[str, Any] = bundle["entry"][0]["resource"]
        if resource["id"] == rid:
            return resource
    raise FhirError(404, "not-found", f"{rtype}/{rid} is not known")


# --- history --------------------------------------------------------------------------------------------

# Where each type's writes are in the audit trail (the change feed), and which of its actions to show.
HISTORY_ENTITIES = {
    "HealthcareService": "rehab_service",
    "Organization": "organisation",
    "Location": "municipality",
    "PlanDefinition": "pathway_template",
}
# A template is visible from its publication on: its draft edits are never exported.
_PLAN_ACTIONS = ("publish", "retire")
HISTORY_PARAMS = ("_since", "_count", "_cursor", "_format", "_pretty")


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError(400, "invalid", f"_since is not a FHIR instant: {value}") from None
    if moment.tzinfo is None:
        raise FhirError(400, "invalid", "_since needs a time zone (e.g. 2026-01-31T12:00:00Z)")
    return moment


def history(
    session: Session, actor: Actor, rtype: str, items: Sequence[tuple[str, str]], *, strict: bool, request_base: str
) -> dict[str, Any]:
    """A type's history Bundle from the change feed, newest first: one entry per write, with the resource
    when that write made its current version, and DELETE entries for deletions."""
    if rtype not in HISTORY_ENTITIES:
        raise FhirError(404, "not-supported", f"Resource type {rtype} is not supported here")
    urls = Urls.of(request_base)
    count, cursor, since_text = DEFAULT_COUNT, None, None
    for name, value in items:
        if name == "_count":
            count = parse_params(rtype, [(name, value)], strict=False).count
        elif name == "_cursor":
            cursor = value
        elif name == "_since":
            since_text = value
        elif name not in HISTORY_PARAMS and strict:
            raise FhirError(400, "not-supported", f"Unknown or unsupported _history parameter: {name}")
    since = _since(since_text)
    conds = [col(AuditEvent.entity_type) == HISTORY_ENTITIES[rtype]]
    if rtype == "PlanDefinition":
        conds.append(col(AuditEvent.action).in_(_PLAN_ACTIONS))
    if since is not None:
        conds.append(col(AuditEvent.at) >= since)
    total = int(session.execute(select(func.count()).select_from(AuditEvent).where(*conds)).scalar_one())
    page_conds = list(conds)
    if cursor:
        try:
            page_conds.append(col(AuditEvent.id) < decode_cursor(cursor, int))
        except InvalidInput as exc:
            raise FhirError(400, "invalid", str(exc)) from None
    events = list(
        session.execute(
            select(AuditEvent).where(*page_conds).order_by(col(AuditEvent.id).desc()).limit(count + 1)
        ).scalars()
    )
    page = events[:count]
    current = {}
    live_ids = sorted({e.entity_id for e in page if e.action != "delete"})
    if live_ids:
        found = search(
            session,
            actor,
            rtype,
            [("_id", ",".join(live_ids)), ("_count", str(MAX_COUNT))],
            strict=False,
            request_base=request_base,
        )
        current = {entry["resource"]["id"]: entry["resource"] for entry in found.get("entry", [])}
    entries = []
    for event in page:
        method, status = {"create": ("POST", "201 Created"), "delete": ("DELETE", "204 No Content")}.get(
            event.action, ("PUT", "200 OK")
        )
        resource = current.get(event.entity_id)
        entry: dict[str, Any] = {"fullUrl": urls.resource(rtype, event.entity_id)}
        if method != "DELETE" and resource is not None and resource["meta"]["versionId"] == str(event.entity_version):
            entry["resource"] = resource
        entry["request"] = {"method": method, "url": f"{rtype}/{event.entity_id}"}
        response: dict[str, Any] = {"status": status, "lastModified": instant(event.at)}
        if event.entity_version is not None:
            response["etag"] = f'W/"{event.entity_version}"'
        entry["response"] = response
        entries.append(entry)
    query = [("_since", since_text)] if since_text else []
    query.append(("_count", str(count)))
    self_link = f"{urls.root}/{rtype}/_history?{urlencode([*query, *([('_cursor', cursor)] if cursor else [])])}"
    links = [{"relation": "self", "url": self_link}]
    if len(events) > count:
        nxt = encode_cursor(page[-1].id or 0)
        links.append(
            {"relation": "next", "url": f"{urls.root}/{rtype}/_history?{urlencode([*query, ('_cursor', nxt)])}"}
        )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "history",
        "meta": {"lastUpdated": instant(datetime.now(UTC))},
        "total": total,
        "link": links,
    }
    if entries:  # FHIR JSON has no empty arrays
        bundle["entry"] = entries
    return bundle


# --- metadata ---------------------------------------------------------------------------------------------


def capability_statement(request_base: str) -> dict[str, Any]:
    """What this server supports, exactly: read, search and type history of four types, JSON only."""
    urls = Urls.of(request_base)
    resources = []
    for rtype in RESOURCE_TYPES:
        resources.append(
            {
                "type": rtype,
                "interaction": [{"code": "read"}, {"code": "search-type"}, {"code": "history-type"}],
                "versioning": "versioned",
                "readHistory": False,
                "searchParam": [{"name": name, "type": kind} for name, kind in SEARCH_PARAMS[rtype].items()]
                + [{"name": "_count", "type": "number"}],
            }
        )
    return {
        "resourceType": "CapabilityStatement",
        "url": f"{urls.root}/metadata",
        "name": "RehabkartFhirR4",
        "title": "Rehabkart FHIR R4",
        "status": "active",
        "date": "2026-11-28",
        "publisher": "Rehabkart",
        "description": "Read-only FHIR R4 export of the Rehabkart catalogue of rehabilitation services.",
        "kind": "instance",
        "software": {"name": "Rehabkart"},
        "implementation": {"description": "Rehabkart", "url": urls.root},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [
            {
                "mode": "server",
                "documentation": "Unknown search parameters are ignored unless Prefer: handling=strict is sent. "
                "Paging: follow the Bundle's next link.",
                "resource": resources,
            }
        ],
    }
