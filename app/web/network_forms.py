"""Network, member, meeting, plan and report forms: posted form data → the shared schemas' input, and their
errors → Norwegian messages per field. The rules themselves are the schemas' and the domain's
(app.domain.networks)."""

import re
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData, QueryParams

from app.domain.errors import FieldError
from app.models.network import MeetingKind, MemberRole, NetworkKind
from app.web.forms import domain_messages, field_messages, form_text, posted_id

NETWORK_TEXT = ("name", "kind", "region", "mandate", "plan_due", "report_due", "aggregate_due")
NETWORK_INT = ("owner_id", "parent_id")
NETWORK_LISTS = ("patient_groups", "series")
MEMBER_TEXT = ("role", "representative_name", "representative_title", "representative_email")
MEETING_TEXT = ("held_on", "kind", "title", "agenda", "minutes", "decisions")
LINK_TEXT = ("area", "contact", "time_frame")
OWN_MEASURE_TEXT = ("what", "due_on", "status", "done_on", "note")
PLAN_MEASURE_FIELDS = (
    *LINK_TEXT,
    "position",
    "what",
    "responsible_id",
    "due_on",
    "status",
    "done_on",
    "note",
    "version",
)
_SPLIT = re.compile(r"[\s,;]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _blank_none(body: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    for name in names:
        if name in body and not str(body[name] or "").strip():
            body[name] = None
    return body


# --- networks -----------------------------------------------------------------------------------------------------


def network_values(form: FormData) -> dict[str, Any]:
    """What the network form posted, as typed (shown again after an error)."""
    values: dict[str, Any] = {name: form_text(form, name) for name in (*NETWORK_TEXT, *NETWORK_INT, "version")}
    values["municipalities"] = form_text(form, "municipalities")
    for name in NETWORK_LISTS:
        values[name] = [str(v) for v in form.getlist(name) if isinstance(v, str) and v]
    return values


def network_body(values: dict[str, Any]) -> dict[str, Any]:
    """The NetworkFields input of a form's values: blanks are "not given"; municipalities split on commas and
    spaces; a blank deadline is the default."""
    body: dict[str, Any] = {name: values.get(name, "") for name in NETWORK_TEXT}
    _blank_none(body, ("region", "mandate"))
    for name in ("plan_due", "report_due", "aggregate_due"):
        if not str(body.get(name) or "").strip():
            body.pop(name, None)
        else:
            body[name] = str(body[name]).strip()
    body["municipalities"] = [n for n in _SPLIT.split(str(values.get("municipalities", ""))) if n]
    for name in NETWORK_LISTS:
        body[name] = list(values.get(name) or [])
    for name in NETWORK_INT:
        body[name] = posted_id(str(values.get(name, "")))
    return body


def network_to_values(network: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {name: "" if network.get(name) is None else str(network[name]) for name in NETWORK_TEXT}
    for name in NETWORK_INT:
        values[name] = "" if network.get(name) is None else str(network[name])
    values["municipalities"] = " ".join(network.get("municipalities") or [])
    for name in NETWORK_LISTS:
        values[name] = list(network.get(name) or [])
    values["version"] = str(network.get("version") or "")
    return values


# --- members and meetings ---------------------------------------------------------------------------------------


def member_values(form: FormData) -> dict[str, str]:
    return {name: form_text(form, name) for name in ("organisation_id", *MEMBER_TEXT, "version") if name in form}


def member_body(values: dict[str, str], *, create: bool) -> dict[str, Any]:
    body: dict[str, Any] = {name: values.get(name, "") for name in MEMBER_TEXT}
    _blank_none(body, ("representative_name", "representative_title", "representative_email"))
    if body.get("representative_email"):
        body["representative_email"] = str(body["representative_email"]).strip()
    if not body.get("role"):
        body["role"] = None if not create else MemberRole.member.value
    if create:
        body["organisation_id"] = posted_id(values.get("organisation_id", ""))
    return body


def member_to_values(member: dict[str, Any]) -> dict[str, str]:
    names = ("organisation_id", *MEMBER_TEXT, "version")
    return {name: "" if member.get(name) is None else str(member[name]) for name in names}


def meeting_values(form: FormData) -> dict[str, str]:
    return {name: form_text(form, name) for name in (*MEETING_TEXT, "version") if name in form}


def meeting_body(values: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {name: values.get(name, "") for name in MEETING_TEXT}
    return _blank_none(body, ("agenda", "minutes", "decisions"))


def meeting_to_values(meeting: dict[str, Any]) -> dict[str, str]:
    return {name: "" if meeting.get(name) is None else str(meeting[name]) for name in (*MEETING_TEXT, "version")}


# --- plan measures and reports ------------------------------------------------------------------------------------


def plan_measure_values(form: FormData) -> dict[str, str]:
    names = ("measure_id", "responsible_id", "position", *LINK_TEXT, *OWN_MEASURE_TEXT, "version", "source")
    return {name: form_text(form, name) for name in names if name in form}


def plan_measure_body(values: dict[str, str], *, own: bool) -> dict[str, Any]:
    """PlanMeasureAdd / PlanMeasureUpdate input: the link's fields, and the measure's own when `own`."""
    body: dict[str, Any] = {name: values.get(name, "") for name in LINK_TEXT if name in values}
    _blank_none(body, LINK_TEXT)
    if "position" in values and values["position"].strip():
        body["position"] = posted_id(values["position"])
    if own:
        body.update({name: values[name] for name in OWN_MEASURE_TEXT if name in values})
        _blank_none(body, OWN_MEASURE_TEXT)
        if "responsible_id" in values:
            body["responsible_id"] = posted_id(values["responsible_id"])
    elif "measure_id" in values:
        body["measure_id"] = posted_id(values["measure_id"])
    return body


def sections_body(form: FormData, sections: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The plan's sections with the posted texts (`text-<key>`); titles (`title-<key>`) when posted."""
    out = []
    for section in sections:
        key = str(section["key"])
        title = form_text(form, f"title-{key}") if f"title-{key}" in form else str(section["title"])
        text = form_text(form, f"text-{key}") if f"text-{key}" in form else str(section.get("text") or "")
        out.append({"key": key, "title": title, "text": text})
    return out


def report_body(form: FormData) -> dict[str, Any]:
    """AnnualReportWrite input: the free text and a reason per measure not done (`note-<measure id>`)."""
    notes = {}
    for name in form:
        if name.startswith("note-") and name[5:].isdigit():
            text = form_text(form, name).strip()
            if text:
                notes[name[5:]] = text
    text = form_text(form, "text")
    return {"text": text if text.strip() else None, "measure_notes": notes}


# --- the list's filters -----------------------------------------------------------------------------------------


def parse_filter(params: QueryParams) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The list's filter from the address: (NetworkFilter keyword arguments, the values as chosen, problems)."""
    chosen = {name: (params.get(name) or "").strip()[:200] for name in ("kind", "organisation", "q")}
    problems: list[str] = []
    args: dict[str, Any] = {}
    if chosen["kind"]:
        if chosen["kind"] in NetworkKind.__members__:
            args["kind"] = NetworkKind(chosen["kind"])
        else:
            problems.append("Ukjent type nettverk.")
    if chosen["organisation"]:
        value = chosen["organisation"]
        if value.isdigit() and 0 < int(value) <= 2_147_483_647:
            args["organisation"] = int(value)
        else:
            problems.append("Ukjent organisasjon.")
    if chosen["q"]:
        if _CONTROL.search(chosen["q"]):
            problems.append("Fritekst kan ikke inneholde kontrolltegn.")
        else:
            args["q"] = chosen["q"]
    return args, chosen, problems


# --- messages -----------------------------------------------------------------------------------------------------

_OVERRIDES = {
    "municipalities": "Skriv kommunenumre med fire sifre, skilt med komma eller mellomrom.",
    "owner_id": "Velg eier.",
    "organisation_id": "Velg organisasjon.",
    "responsible_id": "Velg ansvarlig organisasjon.",
    "measure_id": "Velg et tiltak.",
    "parent_id": "Velg et samhandlingsutvalg fra listen.",
    "region": "Velg en region fra listen.",
    "patient_groups": "Velg pasientgrupper fra listen.",
    "plan_due": "Skriv måned og dag som MM-DD, f.eks. 11-30.",
    "report_due": "Skriv måned og dag som MM-DD, f.eks. 01-31.",
    "aggregate_due": "Skriv måned og dag som MM-DD, f.eks. 02-28.",
    "representative_email": "Skriv en gyldig e-postadresse.",
    "kind": "Velg et av alternativene.",
    "role": "Velg en rolle.",
}
_VALUE_ERRORS = {
    "give measure_id, or what and responsible_id for a new measure": (
        "what",
        "Skriv tiltaket og velg ansvarlig, eller velg et tiltak fra et av nettverkets behov.",
    ),
    "give either measure_id or the fields of a new measure, not both": (
        "measure_id",
        "Velg enten et tiltak fra et behov eller skriv et nytt, ikke begge.",
    ),
    "section keys must be unique": ("sections", "To kapitler har samme nøkkel."),
}


def schema_messages(exc: ValidationError) -> dict[str, str]:
    """{field: Norwegian message} for the shared schemas' errors; some fields get a message of their own."""
    out: dict[str, str] = {}
    for err in exc.errors():
        raw = str((err.get("ctx") or {}).get("error", ""))
        if raw in _VALUE_ERRORS:
            name, message = _VALUE_ERRORS[raw]
            out.setdefault(name, message)
    rest = field_messages(exc)
    kinds = {str(e["loc"][0]): e["type"] for e in exc.errors() if e["loc"]}
    for name, message in rest.items():
        if message.startswith("Ugyldig verdi: ") and message[15:] in _VALUE_ERRORS:
            continue
        if name in _OVERRIDES and kinds.get(name) not in ("personal_data", "string_too_long", "missing"):
            message = _OVERRIDES[name]
        out.setdefault(name, message)
    return out


def domain_field_messages(errors: list[FieldError]) -> dict[str, str]:
    """{field: message} for the domain's errors (already Norwegian), under the form's field names."""
    out = {}
    for name, message in domain_messages(errors).items():
        out[name] = message[:1].upper() + message[1:] + ("" if message.endswith(".") else ".")
    return out


KIND_CODES = [k.value for k in NetworkKind]
ROLE_CODES = [r.value for r in MemberRole]
MEETING_CODES = [k.value for k in MeetingKind]
