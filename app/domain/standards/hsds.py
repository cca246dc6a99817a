"""Open Referral HSDS 3.0: services, organizations, taxonomies and taxonomy terms, with the Page envelope.

Ids are UUIDs derived from ours (`ids.hsds_id`), stable across exports. Our patient groups, service forms
and service levels are three taxonomies; a service links to its terms through `attributes`. Its
catchment is one `service_area` per municipality, the municipality number in `uri`.
"""

import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from app.domain import catalogue, geography, taxonomy
from app.domain.catalogue.tables import organisations, services
from app.domain.errors import FieldError, InvalidInput, NotFound
from app.domain.standards.common import HSDS_STATUS, MUNICIPALITY_SYSTEM, day, instant
from app.domain.standards.ids import hsds_id
from app.domain.standards.services import count_services, page_columns, page_services
from app.models.organisation import OrganisationKind
from app.models.rehab_service import ServiceForm, ServiceLevel

HSDS_VERSION = "3.0"
PROFILE_URL = "https://docs.openreferral.org/en/v3.0/"
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500

# Our taxonomies: key → (name, description).
TAXONOMIES = {
    "patient_group": ("Rehabkart pasientgrupper", "Pasientgrupper som rehabiliteringstilbud er for, med ICD-10-koder"),
    "service_form": ("Rehabkart tjenesteformer", "Hvordan tilbudet gis: døgn, dag, poliklinisk, ambulant …"),
    "service_level": ("Rehabkart tjenestenivå", "Kommunal helse- og omsorgstjeneste eller spesialisthelsetjeneste"),
}
ORGNR_SCHEME = "NO-BRC"  # org-id.guide: Brønnøysund Register Centre (organisasjonsnummer)


@dataclass(frozen=True)
class Labels:
    """Norwegian names of the form and level codes (the pages' labels)."""

    forms: Mapping[str, str]
    levels: Mapping[str, str]


# --- paging -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PageRequest:
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page


def page_request(page: int | None, per_page: int | None) -> PageRequest:
    if page is not None and page < 1:
        raise InvalidInput("page starts at 1", [FieldError(("query", "page"), "must be 1 or more")])
    if per_page is not None and not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            "per_page is out of range", [FieldError(("query", "per_page"), f"must be 1 to {MAX_PER_PAGE}")]
        )
    return PageRequest(page or 1, per_page or DEFAULT_PER_PAGE)


def envelope(contents: list[dict[str, Any]], total: int, req: PageRequest) -> dict[str, Any]:
    """HSDS's Page: totals, position and the items of this page."""
    total_pages = math.ceil(total / req.per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": req.page,
        "size": len(contents),
        "first_page": req.page == 1,
        "last_page": req.page >= total_pages,
        "empty": not contents,
        "contents": contents,
    }


def _slice(items: list[dict[str, Any]], req: PageRequest) -> dict[str, Any]:
    return envelope(items[req.offset : req.offset + req.per_page], len(items), req)


# --- ids back to ours ---------------------------------------------------------------------------------------

_reverse_lock = threading.Lock()
_reverse: dict[str, tuple[int, dict[str, int]]] = {}  # kind → (highest id mapped, uuid → id)


def _our_id(session: Session, kind: str, uuid: str, table: Any) -> int | None:
    """Our integer id behind an HSDS id (uuid5 is one-way: ids are mapped once, then as new rows come)."""
    with _reverse_lock:
        upto, mapping = _reverse.get(kind, (0, {}))
        if uuid not in mapping:
            highest = session.execute(select(func.max(table.c.id))).scalar() or 0
            if highest > upto:
                mapping.update({hsds_id(kind, i): i for i in range(upto + 1, highest + 1)})
                _reverse[kind] = (highest, mapping)
        return mapping.get(uuid)


# --- taxonomies ---------------------------------------------------------------------------------------------


def _taxonomy(key: str) -> dict[str, Any]:
    name, description = TAXONOMIES[key]
    return {"id": hsds_id("taxonomy", key), "name": name, "description": description, "version": "1"}


def term_id(taxonomy_key: str, code: str) -> str:
    return hsds_id("taxonomy_term", f"{taxonomy_key}:{code}")


def _term(key: str, code: str, name: str, description: str, parent: str | None = None) -> dict[str, Any]:
    term = {
        "id": term_id(key, code),
        "code": code,
        "name": name,
        "description": description,
        "parent_id": term_id(key, parent) if parent else None,
        "taxonomy": TAXONOMIES[key][0],
        "taxonomy_id": hsds_id("taxonomy", key),
        "language": "nb",
    }
    return {k: v for k, v in term.items() if v is not None}


def all_terms(session: Session, labels: Labels) -> list[dict[str, Any]]:
    """Every taxonomy term: patient groups (a tree), then forms and levels."""
    tax = taxonomy.get_taxonomy(session)
    terms = []
    for g in tax.groups:
        parent = tax.by_id[g.parent_id].code if g.parent_id in tax.by_id else None
        description = f"{g.name_en}; ICD-10: {g.icd10}" if g.icd10 else g.name_en
        terms.append(_term("patient_group", g.code, g.name_nb, description, parent))
    for form in ServiceForm:
        name = labels.forms.get(form.value, form.value)
        terms.append(_term("service_form", form.value, name, f"Tjenesteform: {name}"))
    for level in ServiceLevel:
        name = labels.levels.get(level.value, level.value)
        terms.append(_term("service_level", level.value, name, f"Tjenestenivå: {name}"))
    return terms


def list_taxonomies(req: PageRequest, search: str | None = None) -> dict[str, Any]:
    items = [_taxonomy(key) for key in TAXONOMIES]
    if search:
        items = [t for t in items if search.casefold() in (t["name"] + " " + t["description"]).casefold()]
    return _slice(items, req)


def get_taxonomy(uuid: str) -> dict[str, Any]:
    for key in TAXONOMIES:
        if hsds_id("taxonomy", key) == uuid:
            return _taxonomy(key)
    raise NotFound(f"No taxonomy with id {uuid}")


def list_terms(
    session: Session,
    labels: Labels,
    req: PageRequest,
    *,
    taxonomy_id: str | None = None,
    parent_id: str | None = None,
    top_only: bool = False,
    search: str | None = None,
) -> dict[str, Any]:
    items = all_terms(session, labels)
    if taxonomy_id:
        items = [t for t in items if t["taxonomy_id"] == taxonomy_id]
    if parent_id:
        items = [t for t in items if t.get("parent_id") == parent_id]
    if top_only:
        items = [t for t in items if "parent_id" not in t]
    if search:
        needle = search.casefold()
        items = [t for t in items if needle in f"{t['code']} {t['name']} {t['description']}".casefold()]
    return _slice(items, req)


def get_term(session: Session, labels: Labels, uuid: str) -> dict[str, Any]:
    for term in all_terms(session, labels):
        if term["id"] == uuid:
            return term
    raise NotFound(f"No taxonomy term with id {uuid}")


# --- organizations ------------------------------------------------------------------------------------------

_KIND_DESCRIPTION = {
    OrganisationKind.municipality.value: "Kommune",
    OrganisationKind.district.value: "Bydel eller avdeling",
    OrganisationKind.health_trust.value: "Helseforetak",
    OrganisationKind.private_institution.value: "Privat institusjon",
    OrganisationKind.user_organisation.value: "Brukerorganisasjon",
    OrganisationKind.education.value: "Utdanningsinstitusjon",
    OrganisationKind.regional_authority.value: "Regionalt helseforetak",
    OrganisationKind.other.value: "Annen organisasjon",
}


class _Orgs:
    """Organisations by id with the regional authority of each region (a trust's parent)."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(select(organisations).order_by(organisations.c.id)).all()
        self.rows = {int(r.id): r for r in rows}
        self.authorities = {
            int(r.region_id): int(r.id)
            for r in rows
            if r.kind == OrganisationKind.regional_authority.value and r.region_id is not None
        }

    def parent(self, row: Any) -> int | None:
        if row.parent_id is not None:
            return int(row.parent_id)
        if row.kind == OrganisationKind.health_trust.value and row.region_id is not None:
            return self.authorities.get(int(row.region_id))
        return None


def organization(row: Any, orgs: _Orgs, *, full: bool) -> dict[str, Any]:
    oid = hsds_id("organization", row.id)
    parent = orgs.parent(row)
    item: dict[str, Any] = {
        "id": oid,
        "name": row.name,
        "description": _KIND_DESCRIPTION.get(row.kind, "Organisasjon"),
        "website": row.website,
        "parent_organization_id": hsds_id("organization", parent) if parent is not None else None,
    }
    item = {k: v for k, v in item.items() if v is not None}
    item["organization_identifiers"] = (
        [
            {
                "id": hsds_id("organization_identifier", f"{row.id}:orgnr"),
                "organization_id": oid,
                "identifier_scheme": ORGNR_SCHEME,
                "identifier_type": "Organisasjonsnummer",
                "identifier": row.orgnr,
            }
        ]
        if row.orgnr
        else []
    )
    if full:
        for empty in ("phones", "contacts", "locations", "programs", "funding", "attributes", "metadata"):
            item[empty] = []
    return item


def list_organizations(
    session: Session, req: PageRequest, *, search: str | None = None, full: bool = False
) -> dict[str, Any]:
    orgs = _Orgs(session)
    rows = list(orgs.rows.values())
    if search:
        needle = search.casefold()
        rows = [r for r in rows if needle in f"{r.name} {r.orgnr or ''}".casefold()]
    total = len(rows)
    page = rows[req.offset : req.offset + req.per_page]
    return envelope([organization(r, orgs, full=full) for r in page], total, req)


def get_organization(session: Session, uuid: str, labels: Labels, *, full_service: bool = False) -> dict[str, Any]:
    """One organization, fully nested, with its services (ids and names, or whole with full_service)."""
    our = _our_id(session, "organization", uuid, organisations)
    orgs = _Orgs(session)
    if our is None or our not in orgs.rows:
        raise NotFound(f"No organization with id {uuid}")
    item = organization(orgs.rows[our], orgs, full=True)
    flt = catalogue.ServiceFilter(provider=our)
    ctx = _ServiceContext.load(session, labels)
    services_: list[dict[str, Any]] = []
    offset = 0
    while True:
        docs = page_services(session, flt, limit=1000, offset=offset)
        if full_service:
            services_.extend(service(d, ctx, full=True) for d in docs)
        else:
            services_.extend({"id": hsds_id("service", d["id"]), "name": d["name"]} for d in docs)
        if len(docs) < 1000:
            break
        offset += 1000
    item["services"] = services_
    return item


# --- services -----------------------------------------------------------------------------------------------


@dataclass
class _ServiceContext:
    labels: Labels
    municipality_names: dict[str, str]
    groups: dict[str, Any]
    orgs: _Orgs | None = None

    @classmethod
    def load(cls, session: Session, labels: Labels, *, with_orgs: bool = False) -> "_ServiceContext":
        return cls(
            labels,
            geography.municipality_names(session),
            taxonomy.get_taxonomy(session).by_code,
            _Orgs(session) if with_orgs else None,
        )


def _attribute(sid: str, key: str, code: str, name: str, description: str) -> dict[str, Any]:
    term = _term(key, code, name, description)
    return {
        "id": hsds_id("attribute", f"{sid}:{key}:{code}"),
        "link_id": sid,
        "link_type": "service",
        "link_entity": "service",
        "taxonomy_term_id": term["id"],
        "taxonomy_term": term,
        "value": code,
    }


def service(doc: dict[str, Any], ctx: _ServiceContext, *, full: bool) -> dict[str, Any]:
    """A service document (as stored) as an HSDS service: the one-to-one fields, or fully nested."""
    sid = hsds_id("service", doc["id"])
    wait = None
    if doc["waiting_time_days"] is not None:
        wait = f"{doc['waiting_time_days']} dager"
        if doc["waiting_time_reported_on"]:
            wait += f" (meldt {doc['waiting_time_reported_on']})"
    item: dict[str, Any] = {
        "id": sid,
        "organization_id": hsds_id("organization", doc["provider_id"]),
        "name": doc["name"],
        "description": doc["description"] or None,
        "url": doc["website"],
        "email": doc["contact_email"],
        "status": HSDS_STATUS[doc["status"]],
        "wait_time": wait,
        "eligibility_description": doc["referral_criteria"] or None,
        "assured_date": day(doc["last_verified_on"]),
        "last_modified": instant(doc["updated_at"]),
    }
    item = {k: v for k, v in item.items() if v is not None}
    if not full:
        return item
    names = ctx.municipality_names
    item["service_areas"] = [
        {
            "id": hsds_id("service_area", f"{doc['id']}:{number}"),
            "service_id": sid,
            "name": names.get(number, number),
            "description": f"Kommunenummer {number}",
            "extent_type": "text",
            "uri": f"{MUNICIPALITY_SYSTEM}:{number}",
        }
        for number in doc["catchment"]
    ]
    item["phones"] = (
        [{"id": hsds_id("phone", f"service:{doc['id']}"), "service_id": sid, "number": doc["contact_phone"]}]
        if doc["contact_phone"]
        else []
    )
    contact = {
        "id": hsds_id("contact", f"service:{doc['id']}"),
        "service_id": sid,
        "name": doc["contact_name"],
        "email": doc["contact_email"],
    }
    item["contacts"] = (
        [{k: v for k, v in contact.items() if v is not None}] if doc["contact_name"] or doc["contact_email"] else []
    )
    attributes = []
    for code in doc["patient_groups"]:
        group = ctx.groups.get(code)
        name = group.name_nb if group else code
        attributes.append(_attribute(sid, "patient_group", code, name, group.name_en if group else code))
    for form in doc["forms"]:
        name = ctx.labels.forms.get(form, form)
        attributes.append(_attribute(sid, "service_form", form, name, f"Tjenesteform: {name}"))
    level_name = ctx.labels.levels.get(doc["level"], doc["level"])
    attributes.append(_attribute(sid, "service_level", doc["level"], level_name, f"Tjenestenivå: {level_name}"))
    item["attributes"] = attributes
    for empty in ("schedules", "service_at_locations", "languages", "funding", "cost_options", "required_documents"):
        item[empty] = []
    item["metadata"] = []
    if ctx.orgs is not None and doc["provider_id"] in ctx.orgs.rows:
        item["organization"] = organization(ctx.orgs.rows[doc["provider_id"]], ctx.orgs, full=False)
    return item


# What `service(…, full=False)` reads.
_LIST_COLUMNS = (
    "id",
    "provider_id",
    "name",
    "description",
    "website",
    "contact_email",
    "status",
    "waiting_time_days",
    "waiting_time_reported_on",
    "referral_criteria",
    "last_verified_on",
    "updated_at",
)


@dataclass(frozen=True)
class ServiceQuery:
    modified_after: datetime | None = None
    taxonomy_term_id: str | None = None
    organization_id: str | None = None
    search: str | None = None


def _filter(session: Session, labels: Labels, query: ServiceQuery) -> catalogue.ServiceFilter | None:
    """The catalogue filter for an HSDS query; None when it can match nothing (an unknown id)."""
    values: dict[str, Any] = {"q": query.search or None, "updated_since": query.modified_after}
    if query.organization_id:
        provider = _our_id(session, "organization", query.organization_id, organisations)
        if provider is None:
            return None
        values["provider"] = provider
    if query.taxonomy_term_id:
        term = next((t for t in all_terms(session, labels) if t["id"] == query.taxonomy_term_id), None)
        if term is None:
            return None
        key = next(k for k in TAXONOMIES if hsds_id("taxonomy", k) == term["taxonomy_id"])
        if key == "patient_group":
            values["patient_group"] = term["code"]
        elif key == "service_form":
            values["form"] = [ServiceForm(term["code"])]
        else:
            values["level"] = [ServiceLevel(term["code"])]
    return catalogue.ServiceFilter(**values)


def list_services(
    session: Session, labels: Labels, req: PageRequest, query: ServiceQuery, *, full: bool = False
) -> dict[str, Any]:
    flt = _filter(session, labels, query)
    if flt is None:
        return envelope([], 0, req)
    total = count_services(session, flt)
    if req.offset >= total:
        return envelope([], total, req)
    if full:
        docs = page_services(session, flt, limit=req.per_page, offset=req.offset)
    else:  # the one-to-one fields only: read from their columns, not the whole documents
        docs = page_columns(session, flt, _LIST_COLUMNS, limit=req.per_page, offset=req.offset)
    ctx = _ServiceContext.load(session, labels, with_orgs=full)
    return envelope([service(d, ctx, full=full) for d in docs], total, req)


def get_service(session: Session, labels: Labels, uuid: str) -> dict[str, Any]:
    our = _our_id(session, "service", uuid, services)
    docs = page_services(session, catalogue.ServiceFilter(ids=[our]), limit=1, offset=0) if our else []
    if not docs:
        raise NotFound(f"No service with id {uuid}")
    return service(docs[0], _ServiceContext.load(session, labels, with_orgs=True), full=True)


def iter_all_services(session: Session, labels: Labels) -> Iterator[dict[str, Any]]:
    """Every exported service, fully nested, in id order (for the tabular export)."""
    ctx = _ServiceContext.load(session, labels, with_orgs=False)
    flt = catalogue.ServiceFilter()
    cursor = None
    while True:
        docs, cursor = catalogue.list_services(session, flt, limit=500, cursor=cursor)
        for d in docs:
            yield service(d, ctx, full=True)
        if cursor is None:
            return


def root() -> dict[str, Any]:
    """The API's profile and metadata endpoint (GET /hsds/)."""
    return {"version": HSDS_VERSION, "profile": PROFILE_URL, "openapi_url": OPENAPI_URL}
