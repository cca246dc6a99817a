"""Gap and measure forms: posted form data → the shared schemas' input, and their errors → Norwegian
messages per field. The rules themselves are the schemas' and the domain's (app.domain.gaps)."""

import re
from typing import Any
from urllib.parse import urlencode

from pydantic import ValidationError
from starlette.datastructures import FormData, QueryParams

from app.domain import gaps
from app.domain.errors import FieldError
from app.models.gap import GapCategory, GapSeverity, GapSource, GapStatus
from app.web.forms import domain_messages, field_messages, form_text, posted_id

GAP_TEXT = ("title", "description", "category", "severity", "patient_group", "region", "source", "source_reference")
MEASURE_TEXT = ("what", "responsible_id", "due_on", "status", "done_on", "note")
_OPTIONAL = ("description", "patient_group", "region", "source_reference", "due_on", "done_on", "note")
_INT = ("owner_id", "responsible_id")
_SPLIT = re.compile(r"[\s,;]+")
OPEN_STATUSES = (GapStatus.registered, GapStatus.assessed, GapStatus.measure_planned)
NETWORK_LINKS = ("network_id", "meeting_id")


def gap_values(form: FormData) -> dict[str, str]:
    """What the gap form posted, as typed (shown again after an error); the network and meeting a gap is
    registered from only when the form carries them."""
    values = {name: form_text(form, name) for name in (*GAP_TEXT, "municipalities", "owner_id", "version")}
    values.update({name: form_text(form, name) for name in NETWORK_LINKS if form_text(form, name)})
    return values


def gap_body(values: dict[str, str]) -> dict[str, Any]:
    """The GapFields input of a form's values: blanks are "not given", municipalities split on commas and spaces."""
    body: dict[str, Any] = {name: values.get(name, "") for name in GAP_TEXT}
    for name in _OPTIONAL:
        if name in body and not str(body[name]).strip():
            body[name] = None
    body["municipalities"] = [n for n in _SPLIT.split(values.get("municipalities", "")) if n]
    body["owner_id"] = posted_id(values.get("owner_id", ""))
    for name in NETWORK_LINKS:  # registered by a network, perhaps from one of its meetings
        if values.get(name):
            body[name] = posted_id(values[name])
    return body


def gap_to_values(gap: dict[str, Any]) -> dict[str, str]:
    """A stored gap as the form's values."""
    values = {name: "" if gap.get(name) is None else str(gap[name]) for name in GAP_TEXT}
    values["municipalities"] = " ".join(gap.get("municipalities") or [])
    values["owner_id"] = str(gap.get("owner_id") or "")
    values["version"] = str(gap.get("version") or "")
    return values


def measure_values(form: FormData) -> dict[str, str]:
    """The measure fields the form posted (a status-only form posts just the status)."""
    return {name: form_text(form, name) for name in (*MEASURE_TEXT, "version") if name in form}


def measure_body(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {name: values[name] for name in MEASURE_TEXT if name in values}
    for name in _OPTIONAL:
        if name in body and not str(body[name]).strip():
            body[name] = None
    if "responsible_id" in body:
        body["responsible_id"] = posted_id(str(body["responsible_id"] or ""))
    return body


def measure_to_values(measure: dict[str, Any]) -> dict[str, str]:
    return {name: "" if measure.get(name) is None else str(measure[name]) for name in (*MEASURE_TEXT, "version")}


_OVERRIDES = {
    "municipalities": "Skriv kommunenumre med fire sifre, skilt med komma eller mellomrom.",
    "owner_id": "Velg eier.",
    "responsible_id": "Velg ansvarlig organisasjon.",
    "region": "Velg en region fra listen.",
    "patient_group": "Velg en pasientgruppe fra listen.",
}


def schema_messages(exc: ValidationError) -> dict[str, str]:
    """{field: Norwegian message} for the shared schemas' errors; a few fields get a message of their own."""
    out = field_messages(exc)
    kinds = {str(e["loc"][0]): e["type"] for e in exc.errors() if e["loc"]}
    for name, message in _OVERRIDES.items():
        if name in out and kinds.get(name) not in ("personal_data", "string_too_long"):
            out[name] = message
    return out


def domain_field_messages(errors: list[FieldError]) -> dict[str, str]:
    """{field: message} for the domain's errors (already Norwegian), under the form's field names."""
    return {("reason" if k == "__all__" else k): v for k, v in domain_messages(errors).items()}


# --- the list's filters -------------------------------------------------------------------------------------

_MUNICIPALITY = re.compile(r"^[0-9]{4}$")
_REGION = re.compile(r"^[A-Z]{2,8}$")
_GROUP = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FILTER_NAMES = (
    "category",
    "severity",
    "patient_group",
    "municipality",
    "region",
    "source",
    "owner",
    "network",
    "overdue",
    "q",
)


def parse_filter(params: QueryParams) -> tuple[gaps.GapFilter, dict[str, Any], list[str]]:
    """The list's filter from the address: (filter, the values as chosen, Norwegian problems). A bad value is
    left out of the filter and named in the problems."""
    chosen: dict[str, Any] = {name: (params.get(name) or "").strip() for name in FILTER_NAMES}
    chosen["status"] = [s for s in params.getlist("status") if s]
    problems: list[str] = []
    statuses = tuple(GapStatus(s) for s in chosen["status"] if s in GapStatus.__members__)
    if len(statuses) != len(chosen["status"]):
        problems.append("Ukjent status.")

    def coded(name: str, kind: type[GapCategory] | type[GapSeverity] | type[GapSource], what: str) -> Any:
        value = chosen[name]
        if value and value not in kind.__members__:
            problems.append(f"Ukjent {what}.")
            return None
        return kind(value) if value else None

    category = coded("category", GapCategory, "kategori")
    severity = coded("severity", GapSeverity, "alvorlighet")
    source = coded("source", GapSource, "kilde")
    checks = (
        ("patient_group", _GROUP, "Ukjent pasientgruppe."),
        ("municipality", _MUNICIPALITY, "Kommunenummer har fire sifre."),
        ("region", _REGION, "Ukjent region."),
    )
    clean: dict[str, str | None] = {}
    for name, pattern, message in checks:
        value = chosen[name]
        if value and not pattern.match(value):
            problems.append(message)
            value = ""
        clean[name] = value or None
    owner = None
    if chosen["owner"]:
        if chosen["owner"].isdigit() and 0 < int(chosen["owner"]) <= 2_147_483_647:
            owner = int(chosen["owner"])
        else:
            problems.append("Ukjent eier.")
    network = None
    if chosen["network"]:
        if chosen["network"].isdigit() and 0 < int(chosen["network"]) <= 2_147_483_647:
            network = int(chosen["network"])
        else:
            problems.append("Ukjent nettverk.")
    overdue = {"true": True, "false": False}.get(chosen["overdue"])
    if chosen["overdue"] and overdue is None:
        problems.append("Ugyldig valg for forfalte tiltak.")
    q = chosen["q"][:200] or None
    if q and re.search(r"[\x00-\x1f\x7f]", q):
        problems.append("Fritekst kan ikke inneholde kontrolltegn.")
        q = None
    flt = gaps.GapFilter(
        status=statuses,
        category=category,
        severity=severity,
        patient_group=clean["patient_group"],
        municipality=clean["municipality"],
        region=clean["region"],
        source=source,
        owner=owner,
        network=network,
        overdue=overdue,
        q=q,
    )
    return flt, chosen, problems


def query_string(chosen: dict[str, Any], **extra: str) -> str:
    """The chosen filters as a query string (statuses repeated), for paging and the CSV link."""
    pairs: list[tuple[str, str]] = [("status", s) for s in chosen.get("status", [])]
    pairs += [(name, chosen[name]) for name in FILTER_NAMES if chosen.get(name)]
    pairs += list(extra.items())
    return urlencode(pairs)


def summary_link(patient_group: str | None, region: str | None) -> str:
    """/gaps filtered to the open gaps of one summary cell (or a row's or column's total)."""
    pairs = [("status", s.value) for s in OPEN_STATUSES]
    if patient_group:
        pairs.append(("patient_group", patient_group))
    if region:
        pairs.append(("region", region))
    return "/gaps?" + urlencode(pairs)


# --- the history ------------------------------------------------------------------------------------------------

_ACTIONS = {
    ("gap", "create"): "Registrerte behovet",
    ("gap", "update"): "Endret behovet",
    ("gap", "transition"): "Endret status",
    ("gap", "delete"): "Slettet behovet",
    ("gap_measure", "create"): "La til et tiltak",
    ("gap_measure", "update"): "Endret et tiltak",
    ("gap_measure", "delete"): "Slettet et tiltak",
    ("gap_comment", "comment"): "Kommenterte",
}
_CODED = {
    "status": ("gap_statuses", "measure_statuses"),
    "category": ("gap_categories",),
    "severity": ("gap_severities",),
    "source": ("gap_sources",),
}
_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_HIDDEN = {"id", "version", "created_at", "updated_at", "search_text", "deleted_at", "gap_id", "owner_name"}


def _value(field: str, value: Any, entity: str, names: dict[str, dict[str, str]], orgs: dict[int, str]) -> str:
    if value is None or value == [] or value == "":
        return "–"
    if field in _INT and isinstance(value, int):
        return orgs.get(value, str(value))
    if isinstance(value, str) and _ISO_DATE.match(value):
        return ".".join(reversed(value.split("-")))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    mappings = _CODED.get(field, ())
    if field == "status":
        mappings = mappings[1:] if entity == "gap_measure" else mappings[:1]
    for mapping in mappings:
        if str(value) in names[mapping]:
            return names[mapping][str(value)]
    return str(value)


def history_rows(
    items: list[dict[str, Any]], names: dict[str, dict[str, str]], orgs: dict[int, str]
) -> list[dict[str, Any]]:
    """A gap's history as the page shows it: when, who, what, and each change as (field, before, after);
    what was created or deleted is not listed field by field."""
    rows = []
    for item in items:
        entity = str(item["entity_type"])
        fields = names["measure_fields"] if entity == "gap_measure" else names["gap_fields"]
        listed = item["action"] in ("update", "transition")
        changes = [
            (
                fields.get(field, field),
                _value(field, pair[0], entity, names, orgs),
                _value(field, pair[1], entity, names, orgs),
            )
            for field, pair in (item.get("changes") or {}).items()
            if listed and field not in _HIDDEN and isinstance(pair, list | tuple) and len(pair) == 2
        ]
        rows.append(
            {
                "at": item["at"],
                "actor": item["actor"],
                "what": _ACTIONS.get((entity, str(item["action"])), str(item["action"])),
                "changes": changes,
                "text": item.get("text"),
            }
        )
    return rows
