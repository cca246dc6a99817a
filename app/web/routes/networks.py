"""The network pages (fagnettverk, fagråd, læringsnettverk, samhandlingsutvalg): the filterable list, creating
and editing a network, its page with deadlines, members, meetings, the gaps it registered and its plans and
reports by year; the action-plan editor, the annual report and a committee's overview of its networks.

Every change is a plain form post that calls one domain function (app.domain.networks) with the version the
form was made from (If-Match), then redirects (Post/Redirect/Get); an error shows the page again with the
message next to the field, a stale version says so inline (409). Who may do what is the domain's decision: the
pages only hide controls nobody could use, and a refused write shows the 403 page.
"""

from datetime import date
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.domain import catalogue, gaps, geography, networks, pathways
from app.domain.actor import Actor
from app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    StaleVersion,
    Unauthenticated,
)
from app.domain.gaps.records import CLOSED_GAP
from app.domain.networks import access, aggregate, deadlines, plans, records, reports
from app.http.deps import PageActor, PageWriter, ReadSessionDep, SessionDep
from app.http.params import IdPath
from app.kit.personal_data import mask
from app.models.network import (
    ActionPlanWrite,
    AnnualReportWrite,
    MeetingCreate,
    MeetingFields,
    MemberCreate,
    MemberUpdate,
    NetworkCreate,
    NetworkFields,
    NetworkKind,
    PlanMeasureAdd,
    PlanMeasureUpdate,
    PlanSection,
    PlanStatus,
    ReportStatus,
)
from app.web import labels, options
from app.web import network_forms as nf
from app.web.forms import if_match, masked
from app.web.render import done, login_redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
YearPath = Annotated[int, Path(ge=2000, le=2100)]
STALE = (
    "Noen andre har endret dette siden du åpnet siden. Se over det som er lagret nå, og prøv igjen: "
    "det du skrev, står fortsatt i skjemaet."
)


def _require_work(session: Session, actor: Actor, network_id: int) -> None:
    """Refuse (the 403 page) before a form is validated: its errors would show on a page without the form."""
    access.require_work(session, actor, records.get_network(session, network_id))


def _this_year() -> int:
    return date.today().year


def _committees(session: Session, actor: Actor, exclude: int | None = None) -> list[tuple[int, str]]:
    flt = networks.NetworkFilter(kind=NetworkKind.collaboration_committee)
    items, _ = networks.list_networks(session, actor, flt, limit=500)
    return [(int(n["id"]), str(n["name"])) for n in items if n["id"] != exclude]


def _series_options(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """Every pathway series as (series, the newest version's title)."""
    items, _ = pathways.list_templates(session, actor, pathways.PathwayFilter(), limit=500)
    newest: dict[str, dict[str, Any]] = {}
    for t in items:
        if t["series"] not in newest or t["series_version"] > newest[t["series"]]["series_version"]:
            newest[t["series"]] = t
    return sorted(((s, f"{t['title']} ({s})") for s, t in newest.items()), key=lambda pair: pair[1])


# --- the list -------------------------------------------------------------------------------------------------


@router.get("/networks", response_class=HTMLResponse, name="networks_list")
async def networks_list(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    args, chosen, problems = nf.parse_filter(request.query_params)
    cursor = (request.query_params.get("cursor") or "")[:200] or None
    items: list[dict[str, Any]] = []
    next_cursor = None
    if not problems:
        try:
            items, next_cursor = networks.list_networks(
                session, actor, networks.NetworkFilter(**args), limit=PAGE_SIZE, cursor=cursor
            )
        except InvalidInput as exc:
            problems = [exc.detail + "."]
    query = urlencode([(k, v) for k, v in chosen.items() if v] + [("cursor", next_cursor or "")])
    context = {
        "actor": actor,
        "items": items,
        "chosen": chosen,
        "error": " ".join(problems),
        "owners": options.organisations(session),
        "labels": labels.ALL,
        "next_url": f"/networks?{query}" if next_cursor else None,
        "may_create": actor.can_write,
        "deadlines": deadlines.for_actor(session, actor),
        "region_names": options.region_names(session),
    }
    return render(request, "networks/list.html", context, 422 if problems else 200)


# --- creating and editing a network ---------------------------------------------------------------------------


def _form(
    request: Request,
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
    network: dict[str, Any] | None = None,
    status_code: int = 200,
    conflict: str = "",
) -> HTMLResponse:
    if status_code != 200:  # shown again with what was typed: never repeat a national identity number
        values, errors = masked(values), masked(errors)
    owners = catalogue.writable_providers(session, actor)
    if network is not None and all(o[0] != network["owner_id"] for o in owners):
        owners = [(network["owner_id"], network["owner_name"]), *owners]
    order = list(labels.NETWORK_FIELDS)
    context = {
        "actor": actor,
        "values": values,
        "errors": dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))),
        "network": network,
        "conflict": conflict,
        "owners": owners,
        "committees": _committees(session, actor, network["id"] if network else None),
        "groups": catalogue.filter_options(session).patient_groups,
        "regions": geography.list_regions(session),
        "series_options": _series_options(session, actor),
        "labels": labels.ALL,
    }
    return render(request, "networks/form.html", context, status_code)


@router.get("/networks/new", response_class=HTMLResponse, name="network_new")
async def network_new(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    if not actor.can_write:
        raise Forbidden("Kontoen din kan bare lese. Be en administrator om redaktørtilgang for å opprette nettverk")
    values = nf.network_to_values(
        {"kind": "professional_network", "plan_due": "11-30", "report_due": "01-31", "aggregate_due": "02-28"}
    )
    owners = catalogue.writable_providers(session, actor)
    if len(owners) == 1:
        values["owner_id"] = str(owners[0][0])
    return _form(request, session, actor, values, {})


@router.post("/networks", response_model=None, name="network_create")
async def network_create(request: Request, session: SessionDep, actor: PageWriter) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = nf.network_values(await request.form())
    try:
        data = NetworkCreate.model_validate(nf.network_body(values))
        created = networks.create(session, actor, data)
    except ValidationError as exc:
        return _form(request, session, actor, values, nf.schema_messages(exc), None, 422)
    except InvalidInput as exc:
        session.rollback()
        return _form(request, session, actor, values, nf.domain_field_messages(exc.errors), None, 422)
    return done(request, f"/networks/{created['id']}")


@router.get("/networks/{network_id}/edit", response_class=HTMLResponse, name="network_edit")
async def network_edit(request: Request, session: ReadSessionDep, actor: PageActor, network_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    network = networks.get(session, actor, network_id)
    access.require_manage(actor, network["owner_id"])
    return _form(request, session, actor, nf.network_to_values(network), {}, network)


@router.post("/networks/{network_id}/edit", response_model=None, name="network_update")
async def network_update(request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = nf.network_values(await request.form())
    current = networks.get(session, actor, network_id)
    body = nf.network_body(values)
    try:
        NetworkFields.model_validate(body)
        networks.update(session, actor, network_id, body, if_match(str(values.get("version", ""))))
    except ValidationError as exc:
        return _form(request, session, actor, values, nf.schema_messages(exc), current, 422)
    except InvalidInput as exc:
        session.rollback()
        return _form(request, session, actor, values, nf.domain_field_messages(exc.errors), current, 422)
    except StaleVersion:
        session.rollback()
        fresh = networks.get(session, actor, network_id)
        values = {**values, "version": str(fresh["version"])}
        return _form(request, session, actor, values, {}, fresh, 409, conflict=STALE)
    return done(request, f"/networks/{network_id}")


# --- a network --------------------------------------------------------------------------------------------------


def _years(this_year: int) -> dict[str, list[int]]:
    """The plan and report years the page links to: next year's plan and this year's, last year's report and
    this year's."""
    return {"plans": [this_year + 1, this_year, this_year - 1], "reports": [this_year, this_year - 1]}


def _day_month(month_day: str) -> str:
    """`MM-DD` as Norwegian writes a yearly date: "30.11."."""
    month, _, day = month_day.partition("-")
    return f"{day}.{month}."


def _detail(
    request: Request, session: Session, actor: Actor, network_id: int, status_code: int = 200, **extra: Any
) -> HTMLResponse:
    network = networks.get(session, actor, network_id)
    row = records.get_network(session, network_id)
    members, _ = networks.list_members(session, actor, network_id, limit=500)
    meetings, _ = networks.list_meetings(session, actor, network_id, limit=500)
    registered, _ = gaps.list_gaps(session, actor, gaps.GapFilter(network=network_id), limit=100)
    parent = None
    if network["parent_id"] is not None:
        try:
            parent = networks.get(session, actor, network["parent_id"])
        except NotFound:
            parent = None
    children: list[dict[str, Any]] = []
    if network["kind"] == NetworkKind.collaboration_committee.value:
        children, _ = networks.list_networks(session, actor, networks.NetworkFilter(parent=network_id), limit=500)
    may_manage = access.may_manage(actor, row)
    may_work = access.may_work(session, actor, row)
    if status_code != 200:  # shown again with what was typed: never repeat a national identity number
        for key in ("member", "meeting"):
            for part in ("values", "errors"):
                if f"{key}_{part}" in extra:
                    extra[f"{key}_{part}"] = masked(extra[f"{key}_{part}"])
            if f"{key}_message" in extra:
                extra[f"{key}_message"] = mask(extra[f"{key}_message"])
    this_year = _this_year()
    context = {
        "actor": actor,
        "network": network,
        "parent": parent,
        "children": children,
        "members": members,
        "meetings": meetings,
        "registered": registered,
        "deadlines": deadlines.for_actor(session, actor, network_id=network_id),
        "years": _years(this_year),
        "due_days": {k: _day_month(network[k]) for k in ("plan_due", "report_due", "aggregate_due")},
        "this_year": this_year,
        "may_manage": may_manage,
        "may_work": may_work,
        "may_register_gap": actor.can_write,
        "organisations": options.organisations(session) if may_manage else [],
        "labels": labels.ALL,
        "member_values": {"role": "member"},
        "member_errors": {},
        "member_message": "",
        "meeting_values": {"kind": "meeting", "held_on": date.today().isoformat()},
        "meeting_errors": {},
        "meeting_message": "",
        **options.code_names(session),
        **extra,
    }
    return render(request, "networks/detail.html", context, status_code)


@router.get("/networks/{network_id}", response_class=HTMLResponse, name="network_detail")
async def network_detail(request: Request, session: ReadSessionDep, actor: PageActor, network_id: IdPath) -> Response:
    try:
        return _detail(request, session, actor, network_id)
    except Unauthenticated:
        return login_redirect(request)


# --- members ------------------------------------------------------------------------------------------------------


@router.post("/networks/{network_id}/members", response_model=None, name="network_member_add")
async def network_member_add(request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    access.require_manage(actor, records.get_network(session, network_id).owner_id)  # refused before validating
    values = nf.member_values(await request.form())
    try:
        body = MemberCreate.model_validate(nf.member_body(values, create=True))
        networks.add_member(session, actor, network_id, body)
    except ValidationError as exc:
        errors = nf.schema_messages(exc)
        return _detail(request, session, actor, network_id, 422, member_values=values, member_errors=errors)
    except InvalidInput as exc:
        session.rollback()
        errors = nf.domain_field_messages(exc.errors)
        return _detail(request, session, actor, network_id, 422, member_values=values, member_errors=errors)
    except Conflict as exc:
        session.rollback()
        org = dict(options.organisations(session)).get(int(values.get("organisation_id") or 0) or -1, "Organisasjonen")
        role = labels.MEMBER_ROLES.get(values.get("role", ""), values.get("role", "")).lower()
        message = f"{org} er allerede med i nettverket som {role}." if org else exc.detail + "."
        return _detail(request, session, actor, network_id, 409, member_values=values, member_message=message)
    return done(request, f"/networks/{network_id}#members")


def _item_form(
    request: Request,
    session: Session,
    actor: Actor,
    network_id: int,
    kind: Literal["member", "meeting"],
    item: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    message: str = "",
) -> HTMLResponse:
    """The edit page of a member or a meeting, shown again with what was typed after a refusal."""
    if status_code != 200:
        values, errors = masked(values), masked(errors)
    context = {
        "actor": actor,
        "network": networks.get(session, actor, network_id),
        kind: item,
        "values": values,
        "errors": errors,
        "message": message,
        "labels": labels.ALL,
    }
    return render(request, f"networks/{kind}.html", context, status_code)


def _refused_form(exc: Exception, conflict: str = "") -> tuple[int, dict[str, str], str]:
    """(status, field errors, message) for a refused form: 422 at the fields, 409 for a stale version or a
    conflict (`conflict` is the message for one, else the domain's)."""
    if isinstance(exc, ValidationError):
        return 422, nf.schema_messages(exc), ""
    if isinstance(exc, InvalidInput):
        return 422, nf.domain_field_messages(exc.errors), ""
    return 409, {}, conflict if conflict and not isinstance(exc, StaleVersion) else _refusal(exc)


@router.get("/networks/{network_id}/members/{member_id}/edit", response_class=HTMLResponse, name="network_member_edit")
async def network_member_edit(
    request: Request, session: ReadSessionDep, actor: PageActor, network_id: IdPath, member_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    network = networks.get(session, actor, network_id)
    access.require_manage(actor, network["owner_id"])
    member = networks.get_member(session, actor, network_id, member_id)
    return _item_form(request, session, actor, network_id, "member", member, nf.member_to_values(member), {})


@router.post("/networks/{network_id}/members/{member_id}", response_model=None, name="network_member_update")
async def network_member_update(
    request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath, member_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = nf.member_values(await request.form())
    changes = nf.member_body(values, create=False)
    try:
        MemberUpdate.model_validate(changes)
        networks.update_member(session, actor, network_id, member_id, changes, if_match(values.get("version", "")))
    except (ValidationError, InvalidInput, Conflict, StaleVersion) as exc:
        session.rollback()
        status_code, errors, message = _refused_form(exc, "Organisasjonen har allerede den rollen i nettverket.")
        member = networks.get_member(session, actor, network_id, member_id)
        if isinstance(exc, StaleVersion):
            values = {**values, "version": str(member["version"])}
        return _item_form(request, session, actor, network_id, "member", member, values, errors, status_code, message)
    return done(request, f"/networks/{network_id}#members")


@router.post("/networks/{network_id}/members/{member_id}/delete", response_model=None, name="network_member_remove")
async def network_member_remove(
    request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath, member_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    try:
        networks.remove_member(session, actor, network_id, member_id, if_match(str(form.get("version", ""))))
    except StaleVersion:
        session.rollback()
        return _detail(request, session, actor, network_id, 409, member_message=STALE)
    return done(request, f"/networks/{network_id}#members")


# --- meetings ---------------------------------------------------------------------------------------------------


@router.post("/networks/{network_id}/meetings", response_model=None, name="network_meeting_create")
async def network_meeting_create(
    request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    _require_work(session, actor, network_id)
    values = nf.meeting_values(await request.form())
    try:
        networks.create_meeting(session, actor, network_id, MeetingCreate.model_validate(nf.meeting_body(values)))
    except ValidationError as exc:
        errors = nf.schema_messages(exc)
        return _detail(request, session, actor, network_id, 422, meeting_values=values, meeting_errors=errors)
    except InvalidInput as exc:
        session.rollback()
        errors = nf.domain_field_messages(exc.errors)
        return _detail(request, session, actor, network_id, 422, meeting_values=values, meeting_errors=errors)
    return done(request, f"/networks/{network_id}#meetings")


@router.get(
    "/networks/{network_id}/meetings/{meeting_id}/edit", response_class=HTMLResponse, name="network_meeting_edit"
)
async def network_meeting_edit(
    request: Request, session: ReadSessionDep, actor: PageActor, network_id: IdPath, meeting_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    access.require_work(session, actor, records.get_network(session, network_id))
    meeting = networks.read_meeting(session, actor, network_id, meeting_id)
    return _item_form(request, session, actor, network_id, "meeting", meeting, nf.meeting_to_values(meeting), {})


@router.post("/networks/{network_id}/meetings/{meeting_id}", response_model=None, name="network_meeting_update")
async def network_meeting_update(
    request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath, meeting_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = nf.meeting_values(await request.form())
    changes = nf.meeting_body(values)
    try:
        MeetingFields.model_validate(changes)
        networks.update_meeting(session, actor, network_id, meeting_id, changes, if_match(values.get("version", "")))
    except (ValidationError, InvalidInput, StaleVersion) as exc:
        session.rollback()
        status_code, errors, message = _refused_form(exc)
        meeting = networks.read_meeting(session, actor, network_id, meeting_id)
        if isinstance(exc, StaleVersion):
            values = {**values, "version": str(meeting["version"])}
        return _item_form(request, session, actor, network_id, "meeting", meeting, values, errors, status_code, message)
    return done(request, f"/networks/{network_id}#meeting-{meeting_id}")


# --- the action plan --------------------------------------------------------------------------------------------


def _gap_measure_options(session: Session, actor: Actor, network_id: int, listed: set[int]) -> list[tuple[int, str]]:
    """Measures of the network's open gaps not yet in the plan, as (id, "measure – gap")."""
    registered, _ = gaps.list_gaps(session, actor, gaps.GapFilter(network=network_id), limit=200)
    out: list[tuple[int, str]] = []
    for gap in registered:
        if gap["status"] in CLOSED_GAP:
            continue
        items, _ = gaps.list_measures(session, actor, int(gap["id"]), limit=200)
        out += [(int(m["id"]), f"{m['what']} (behov: {gap['title']})") for m in items if m["id"] not in listed]
    return out


def _plan_page(
    request: Request,
    session: Session,
    actor: Actor,
    network_id: int,
    year: int,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    network = networks.get(session, actor, network_id)
    row = records.get_network(session, network_id)
    try:
        plan: dict[str, Any] | None = plans.get_plan(session, actor, network_id, year)
    except NotFound:
        plan = None
    revisions: list[dict[str, Any]] = []
    if plan is not None:
        revisions, _ = plans.list_revisions(session, actor, network_id, year, limit=100)
    may_work = access.may_work(session, actor, row)
    draft = plan is not None and plan["status"] == PlanStatus.draft.value
    listed = {int(m["id"]) for m in plan["measures"]} if plan else set()
    if plan is not None and not extra.get("sections_values"):
        extra["sections_values"] = {f"{k}-{s['key']}": s[k] for s in plan["sections"] for k in ("title", "text")}
    if status_code != 200:  # shown again with what was typed: never repeat a national identity number
        for key in ("sections", "own", "pick"):
            for part in ("values", "errors"):
                if f"{key}_{part}" in extra:
                    extra[f"{key}_{part}"] = masked(extra[f"{key}_{part}"])
        if "plan_message" in extra:
            extra["plan_message"] = mask(extra["plan_message"])
    context = {
        "actor": actor,
        "network": network,
        "year": year,
        "plan": plan,
        "revisions": revisions,
        "section_names": {
            f"{k}-{s['key']}": f"{s['title']} ({'overskrift' if k == 'title' else 'tekst'})"
            for s in (plan["sections"] if plan else [])
            for k in ("title", "text")
        },
        "due_on": deadlines.plan_due(row, year),
        "may_work": may_work,
        "may_edit": may_work and draft,
        "may_approve": plan is not None
        and plan["status"] == PlanStatus.submitted.value
        and plans.may_approve(session, actor, row),
        "organisations": options.organisations(session) if may_work and draft else [],
        "gap_measures": _gap_measure_options(session, actor, network_id, listed) if may_work and draft else [],
        "labels": labels.ALL,
        "sections_values": {},
        "sections_errors": {},
        "own_values": {"status": "planned"},
        "own_errors": {},
        "pick_values": {},
        "pick_errors": {},
        "plan_message": "",
        **extra,
    }
    return render(request, "networks/plan.html", context, status_code)


def _plan_url(network_id: int, year: int, anchor: str = "") -> str:
    return f"/networks/{network_id}/plans/{year}" + (f"#{anchor}" if anchor else "")


@router.get("/networks/{network_id}/plans/{year}", response_class=HTMLResponse, name="network_plan")
async def network_plan(
    request: Request, session: ReadSessionDep, actor: PageActor, network_id: IdPath, year: YearPath
) -> Response:
    try:
        return _plan_page(request, session, actor, network_id, year)
    except Unauthenticated:
        return login_redirect(request)


def _refusal(exc: Exception) -> str:
    """The inline message for a stale version or a domain conflict."""
    if isinstance(exc, StaleVersion):
        return STALE
    detail = str(getattr(exc, "detail", exc))
    return detail + ("" if detail.endswith(".") else ".")


@router.post("/networks/{network_id}/plans/{year}", response_model=None, name="network_plan_save")
async def network_plan_save(
    request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath, year: YearPath
) -> Response:
    """Create the plan (no sections posted: the default outline), or save the draft's sections."""
    if not actor.authenticated:
        return login_redirect(request)
    _require_work(session, actor, network_id)
    form = await request.form()
    version = str(form.get("version", ""))
    sections: list[dict[str, Any]] | None = None
    if version:
        current = plans.get_plan(session, actor, network_id, year)
        sections = nf.sections_body(form, current["sections"])
        errors: dict[str, str] = {}
        for section in sections:
            try:
                PlanSection.model_validate(section)
            except ValidationError as exc:
                for name, message in nf.schema_messages(exc).items():
                    errors[f"{name}-{section['key']}"] = message
        if errors:
            values = {f"{k}-{s['key']}": s[k] for s in sections for k in ("title", "text")}
            return _plan_page(
                request, session, actor, network_id, year, 422, sections_values=values, sections_errors=errors
            )
    try:
        plans.put_plan(
            session,
            actor,
            network_id,
            year,
            ActionPlanWrite.model_validate({"sections": sections}),
            if_match(version) if version else None,
        )
    except (StaleVersion, Conflict, PreconditionRequired) as exc:
        session.rollback()
        values = {f"{k}-{s['key']}": s[k] for s in sections or [] for k in ("title", "text")}
        return _plan_page(
            request, session, actor, network_id, year, 409, sections_values=values, plan_message=_refusal(exc)
        )
    return done(request, _plan_url(network_id, year, "sections" if version else ""))


@router.post("/networks/{network_id}/plans/{year}/measures", response_model=None, name="plan_measure_add")
async def plan_measure_add(
    request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath, year: YearPath
) -> Response:
    """Add a measure of the plan's own (`source=own`) or one of a network's gap's (`source=gap`)."""
    if not actor.authenticated:
        return login_redirect(request)
    _require_work(session, actor, network_id)
    values = nf.plan_measure_values(await request.form())
    own = values.get("source") != "gap"
    key = "own" if own else "pick"
    body = nf.plan_measure_body(values, own=own)
    try:
        plans.add_measure(session, actor, network_id, year, PlanMeasureAdd.model_validate(body))
    except ValidationError as exc:
        extra = {f"{key}_values": values, f"{key}_errors": nf.schema_messages(exc)}
        return _plan_page(request, session, actor, network_id, year, 422, **extra)
    except InvalidInput as exc:
        session.rollback()
        errors = nf.domain_field_messages(exc.errors)
        if "__all__" in errors:
            errors["what"] = errors.pop("__all__")
        extra = {f"{key}_values": values, f"{key}_errors": errors}
        return _plan_page(request, session, actor, network_id, year, 422, **extra)
    except Conflict as exc:
        session.rollback()
        conflict: dict[str, Any] = {f"{key}_values": values, "plan_message": _refusal(exc)}
        return _plan_page(request, session, actor, network_id, year, 409, **conflict)
    return done(request, _plan_url(network_id, year, "measures"))


def _plan_measure(plan: dict[str, Any], measure_id: int) -> dict[str, Any]:
    found: dict[str, Any] | None = next((m for m in plan["measures"] if m["id"] == measure_id), None)
    if found is None:
        raise NotFound(f"Handlingsplanen for {plan['year']} har ikke noe tiltak med id {measure_id}")
    return found


def _plan_measure_form(
    request: Request,
    session: Session,
    actor: Actor,
    network_id: int,
    year: int,
    measure_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    message: str = "",
) -> HTMLResponse:
    plan = plans.get_plan(session, actor, network_id, year)
    measure = _plan_measure(plan, measure_id)
    access.require_work(session, actor, records.get_network(session, network_id))
    draft = plan["status"] == PlanStatus.draft.value
    if values is None:
        values = {name: "" if measure.get(name) is None else str(measure[name]) for name in nf.PLAN_MEASURE_FIELDS}
    elif status_code != 200:
        values = {
            **masked(values),
            "version": str(measure["version"]) if message == STALE else values.get("version", ""),
        }
    context = {
        "actor": actor,
        "network": networks.get(session, actor, network_id),
        "plan": plan,
        "year": year,
        "measure": measure,
        "own": measure["gap_id"] is None,
        "draft": draft,
        "values": values,
        "errors": masked(errors or {}),
        "message": mask(message),
        "organisations": options.organisations(session),
        "labels": labels.ALL,
    }
    return render(request, "networks/plan_measure.html", context, status_code)


@router.get(
    "/networks/{network_id}/plans/{year}/measures/{measure_id}/edit",
    response_class=HTMLResponse,
    name="plan_measure_edit",
)
async def plan_measure_edit(
    request: Request,
    session: ReadSessionDep,
    actor: PageActor,
    network_id: IdPath,
    year: YearPath,
    measure_id: IdPath,
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    return _plan_measure_form(request, session, actor, network_id, year, measure_id)


@router.post(
    "/networks/{network_id}/plans/{year}/measures/{measure_id}", response_model=None, name="plan_measure_update"
)
async def plan_measure_update(
    request: Request,
    session: SessionDep,
    actor: PageWriter,
    network_id: IdPath,
    year: YearPath,
    measure_id: IdPath,
) -> Response:
    """The edit page posts the fields it shows: the link's on a draft, the measure's own for a measure of the
    plan's own (on a submitted plan only its progress)."""
    if not actor.authenticated:
        return login_redirect(request)
    values = nf.plan_measure_values(await request.form())
    body = nf.plan_measure_body(values, own=True)
    body.pop("measure_id", None)
    try:
        data = PlanMeasureUpdate.model_validate(body)
        plans.update_measure(session, actor, network_id, year, measure_id, data, if_match(values.get("version", "")))
    except ValidationError as exc:
        return _plan_measure_form(
            request, session, actor, network_id, year, measure_id, values, nf.schema_messages(exc), 422
        )
    except InvalidInput as exc:
        session.rollback()
        errors = nf.domain_field_messages(exc.errors)
        return _plan_measure_form(request, session, actor, network_id, year, measure_id, values, errors, 422)
    except (Conflict, StaleVersion) as exc:
        session.rollback()
        message = _refusal(exc)
        return _plan_measure_form(request, session, actor, network_id, year, measure_id, values, {}, 409, message)
    return done(request, _plan_url(network_id, year, f"measure-{measure_id}"))


@router.post(
    "/networks/{network_id}/plans/{year}/measures/{measure_id}/delete",
    response_model=None,
    name="plan_measure_remove",
)
async def plan_measure_remove(
    request: Request,
    session: SessionDep,
    actor: PageWriter,
    network_id: IdPath,
    year: YearPath,
    measure_id: IdPath,
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    try:
        plans.remove_measure(session, actor, network_id, year, measure_id, if_match(str(form.get("version", ""))))
    except (Conflict, StaleVersion) as exc:
        session.rollback()
        return _plan_page(request, session, actor, network_id, year, 409, plan_message=_refusal(exc))
    return done(request, _plan_url(network_id, year, "measures"))


_PLAN_ACTIONS = {"submit": plans.submit, "approve": plans.approve, "revise": plans.revise}


@router.post("/networks/{network_id}/plans/{year}/{action}", response_model=None, name="network_plan_action")
async def network_plan_action(
    request: Request,
    session: SessionDep,
    actor: PageWriter,
    network_id: IdPath,
    year: YearPath,
    action: Annotated[str, Path(pattern=r"^(submit|approve|revise)$")],
) -> Response:
    """Send inn (submit), Godkjenn (approve) or Lag ny revisjon (revise), with the plan's version."""
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    try:
        _PLAN_ACTIONS[action](session, actor, network_id, year, if_match(str(form.get("version", ""))))
    except (Conflict, StaleVersion) as exc:
        session.rollback()
        return _plan_page(request, session, actor, network_id, year, 409, plan_message=_refusal(exc))
    return done(request, _plan_url(network_id, year))


# --- the annual report ------------------------------------------------------------------------------------------


def _report_page(
    request: Request,
    session: Session,
    actor: Actor,
    network_id: int,
    year: int,
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    network = networks.get(session, actor, network_id)
    row = records.get_network(session, network_id)
    report = reports.get_report(session, actor, network_id, year)
    may_work = access.may_work(session, actor, row)
    if status_code != 200:
        for part in ("report_values", "report_errors"):
            if part in extra:
                extra[part] = masked(extra[part])
        if "report_message" in extra:
            extra["report_message"] = mask(extra["report_message"])
    values = {"text": report["text"] or "", **{f"note-{k}": v for k, v in report["measure_notes"].items()}}
    context = {
        "actor": actor,
        "network": network,
        "year": year,
        "report": report,
        "figures": report["figures"],
        "may_edit": may_work and report["status"] == ReportStatus.draft.value,
        "labels": labels.ALL,
        "report_values": values,
        "report_errors": {},
        "report_message": "",
        **extra,
    }
    return render(request, "networks/report.html", context, status_code)


@router.get("/networks/{network_id}/reports/{year}", response_class=HTMLResponse, name="network_report")
async def network_report(
    request: Request, session: ReadSessionDep, actor: PageActor, network_id: IdPath, year: YearPath
) -> Response:
    try:
        return _report_page(request, session, actor, network_id, year)
    except Unauthenticated:
        return login_redirect(request)


@router.post("/networks/{network_id}/reports/{year}", response_model=None, name="network_report_save")
async def network_report_save(
    request: Request, session: SessionDep, actor: PageWriter, network_id: IdPath, year: YearPath
) -> Response:
    """Save the text and the reasons; with `action=submit`, then send the report in (frozen from then on)."""
    if not actor.authenticated:
        return login_redirect(request)
    _require_work(session, actor, network_id)
    form = await request.form()
    version = str(form.get("version", ""))
    body = nf.report_body(form)
    values = {"text": str(form.get("text", "")), **{f"note-{k}": v for k, v in body["measure_notes"].items()}}
    try:
        data = AnnualReportWrite.model_validate(body)
        saved = reports.put_report(session, actor, network_id, year, data, if_match(version))
        if form.get("action") == "submit":
            reports.submit_report(session, actor, network_id, year, if_match(str(saved["version"])))
    except ValidationError as exc:
        errors = _report_messages(exc)
        return _report_page(request, session, actor, network_id, year, 422, report_values=values, report_errors=errors)
    except InvalidInput as exc:
        session.rollback()
        errors = {
            (f"note-{e.loc[2]}" if len(e.loc) > 2 else "text"): e.message[:1].upper() + e.message[1:] + "."
            for e in exc.errors
        }
        return _report_page(request, session, actor, network_id, year, 422, report_values=values, report_errors=errors)
    except (Conflict, StaleVersion) as exc:
        session.rollback()
        return _report_page(
            request, session, actor, network_id, year, 409, report_values=values, report_message=_refusal(exc)
        )
    return done(request, f"/networks/{network_id}/reports/{year}")


def _report_messages(exc: ValidationError) -> dict[str, str]:
    """{field: message}: `text`, or `note-<measure id>` for a reason."""
    out: dict[str, str] = {}
    flat = nf.schema_messages(exc)
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        name = f"note-{loc[1]}" if loc[0] == "measure_notes" and len(loc) > 1 else loc[0]
        out.setdefault(name, flat.get(loc[0], "Ugyldig verdi."))
    return out


# --- a committee's overview -----------------------------------------------------------------------------------


@router.get("/networks/{network_id}/overview/{year}", response_class=HTMLResponse, name="network_overview")
async def network_overview(
    request: Request, session: ReadSessionDep, actor: PageActor, network_id: IdPath, year: YearPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    overview = aggregate.aggregate(session, actor, network_id, year)
    context = {
        "actor": actor,
        "network": networks.get(session, actor, network_id),
        "year": year,
        "overview": overview,
        "labels": labels.ALL,
    }
    return render(request, "networks/overview.html", context)
