"""The gap pages (udekkede behov): the filterable list, registering and editing a gap, its page with the
workflow, measures, comments and history, deleting it, and the summary of open gaps by patient group ×
health region. (The board by status has its own module, gap_board.)

Every change is a plain form post that calls one domain function (app.domain.gaps) with the version the form
was made from (If-Match), then redirects (Post/Redirect/Get); an error shows the page again with the message
next to the field. Who may do what is the domain's decision: the pages only hide controls nobody could use.
"""

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.domain import catalogue, gaps, geography
from app.domain.actor import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, StaleVersion, Unauthenticated
from app.domain.gaps import access
from app.domain.gaps.records import CLOSED_GAP
from app.http.deps import PageActor, PageWriter, ReadSessionDep, SessionDep
from app.http.params import IdPath
from app.kit.personal_data import mask
from app.models.gap import (
    CommentCreate,
    GapCreate,
    GapFields,
    GapStatus,
    GapTransition,
    MeasureCreate,
    MeasureFields,
    MeasureUpdate,
    SummaryDimension,
)
from app.web import gap_forms as gf
from app.web import labels, options
from app.web.forms import if_match, masked
from app.web.render import done, login_redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
_ORDER = list(GapStatus)
STALE = (
    "Noen andre har endret dette siden du åpnet siden. Se over det som er lagret nå, og prøv igjen: "
    "det du skrev, står fortsatt i skjemaet."
)


def _may_write(session: Session, actor: Actor, gap: dict[str, Any]) -> bool:
    return actor.can_write and access.may_write(session, actor, gap["owner_id"], gap["municipalities"])


def _gap_or_login(request: Request, session: Session, actor: Actor, gap_id: int) -> dict[str, Any] | Response:
    try:
        return gaps.get(session, actor, gap_id)
    except Unauthenticated:
        return login_redirect(request)


def _filter_problem(loc: tuple[str | int, ...], message: str) -> str:
    if loc and loc[-1] == "cursor":
        return "Lenken til neste side er ugyldig. Begynn på første side."
    return message[:1].upper() + message[1:] + "."


# --- the list -------------------------------------------------------------------------------------------------


@router.get("/gaps", response_class=HTMLResponse, name="gaps_list")
async def gaps_list(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not gaps.may_read(actor):
        return login_redirect(request)
    flt, chosen, problems = gf.parse_filter(request.query_params)
    cursor = (request.query_params.get("cursor") or "")[:200] or None
    items: list[dict[str, Any]] = []
    next_cursor = None
    if not problems:
        try:
            items, next_cursor = gaps.list_gaps(session, actor, flt, limit=PAGE_SIZE, cursor=cursor)
        except InvalidInput as exc:
            problems = [_filter_problem(e.loc, e.message) for e in exc.errors] or [exc.detail]
    block = "results" if request.headers.get("HX-Target") == "results" else "content"
    query = gf.query_string(chosen)
    context = {
        "actor": actor,
        "items": items,
        "chosen": chosen,
        "error": " ".join(problems),
        "groups": catalogue.filter_options(session).patient_groups if block == "content" else [],
        "regions": geography.list_regions(session) if block == "content" else [],
        "owners": options.organisations(session) if block == "content" else [],
        "labels": labels.ALL,
        "csv_url": "/api/v1/gaps?" + gf.query_string(chosen, format="csv"),
        "next_url": f"/gaps?{gf.query_string(chosen, cursor=next_cursor)}" if next_cursor else None,
        "first_url": f"/gaps?{query}" if cursor else None,
        "may_create": actor.authenticated and actor.can_write,
        **options.code_names(session),
    }
    return render(request, "gaps/list.html", context, 422 if problems else 200, block=block)


# --- the summary ------------------------------------------------------------------------------------------------


@router.get("/gaps/summary", response_class=HTMLResponse, name="gaps_summary")
async def gaps_summary(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    try:
        cells = gaps.summary(session, actor)
    except Unauthenticated:
        return login_redirect(request)
    by_group = gaps.summary(session, actor, (SummaryDimension.patient_group,))
    by_region = gaps.summary(session, actor, (SummaryDimension.region,))
    names = options.code_names(session)
    counts = {(r["patient_group"], r["region"]): r["open"] for r in cells["rows"]}
    region_codes = [r["code"] for r in geography.list_regions(session)]
    if any(r["region"] is None for r in by_region["rows"]):
        region_codes.append(None)
    group_rows = [r["patient_group"] for r in by_group["rows"]]
    context = {
        "actor": actor,
        "counts": counts,
        "groups": group_rows,
        "regions": region_codes,
        "row_totals": {r["patient_group"]: r["open"] for r in by_group["rows"]},
        "column_totals": {r["region"]: r["open"] for r in by_region["rows"]},
        "total": cells["total"],
        "link": gf.summary_link,
        "labels": labels.ALL,
        **names,
    }
    return render(request, "gaps/summary.html", context)


# --- register a gap -----------------------------------------------------------------------------------------------


def _form(
    request: Request,
    session: Session,
    actor: Actor,
    values: dict[str, str],
    errors: dict[str, str],
    gap: dict[str, Any] | None = None,
    status_code: int = 200,
    conflict: str = "",
) -> HTMLResponse:
    if status_code != 200:  # shown again with what was typed: never repeat a national identity number
        values, errors = masked(values), masked(errors)
    owners = catalogue.writable_providers(session, actor)
    if gap is not None and all(o[0] != gap["owner_id"] for o in owners):
        owners = [(gap["owner_id"], gap["owner_name"]), *owners]  # a municipality's editor keeps the owner
    order = list(labels.GAP_FIELDS)
    context = {
        "actor": actor,
        "values": values,
        "errors": dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))),
        "gap": gap,
        "conflict": conflict,
        "owners": owners,
        "groups": catalogue.filter_options(session).patient_groups,
        "regions": geography.list_regions(session),
        "labels": labels.ALL,
    }
    return render(request, "gaps/form.html", context, status_code)


@router.get("/gaps/new", response_class=HTMLResponse, name="gap_new")
async def gap_new(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = gf.gap_to_values({"category": "", "severity": "medium", "source": ""})
    owners = catalogue.writable_providers(session, actor)
    if len(owners) == 1:  # an editor of one organisation: that is the owner
        values["owner_id"] = str(owners[0][0])
    # From a network's page (?network_id=…&meeting_id=…): registered by the network, from its meeting.
    for name in gf.NETWORK_LINKS:
        raw = request.query_params.get(name, "")
        if raw.isdigit() and 0 < int(raw) <= 2_147_483_647:
            values[name] = raw
    if values.get("meeting_id"):
        values["source"] = "dialogue_meeting"
    return _form(request, session, actor, values, {})


@router.post("/gaps", response_model=None, name="gap_create")
async def gap_create(request: Request, session: SessionDep, actor: PageWriter) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = gf.gap_values(await request.form())
    try:
        data = GapCreate.model_validate(gf.gap_body(values))
        created = gaps.create(session, actor, data)
    except ValidationError as exc:
        return _form(request, session, actor, values, gf.schema_messages(exc), None, 422)
    except InvalidInput as exc:
        session.rollback()
        return _form(request, session, actor, values, gf.domain_field_messages(exc.errors), None, 422)
    except Forbidden:
        session.rollback()
        message = "Du kan ikke registrere udekkede behov for denne eieren."
        return _form(request, session, actor, values, {"owner_id": message}, None, 403)
    return done(request, f"/gaps/{created['id']}")


# --- a gap ------------------------------------------------------------------------------------------------------


def _detail(
    request: Request,
    session: Session,
    actor: Actor,
    gap: dict[str, Any],
    status_code: int = 200,
    **extra: Any,
) -> HTMLResponse:
    gap_id = int(gap["id"])
    measures, _ = gaps.list_measures(session, actor, gap_id, limit=500)
    comments: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    if actor.authenticated:
        comments, _ = gaps.list_comments(session, actor, gap_id, limit=500)
        history = gaps.history(session, actor, gap_id)["items"]
    status = GapStatus(gap["status"])
    may_write = _may_write(session, actor, gap)
    orgs = options.organisations(session) if may_write or history else []
    if status_code != 200:  # shown again with what was typed: never repeat a national identity number
        for key in ("transition", "measure", "comment"):
            for part in ("values", "errors"):
                if f"{key}_{part}" in extra:
                    extra[f"{key}_{part}"] = masked(extra[f"{key}_{part}"])
        if "measure_message" in extra:
            extra["measure_message"] = mask(extra["measure_message"])
    context = {
        "actor": actor,
        "gap": gap,
        "measures": measures,
        "comments": comments,
        "history": gf.history_rows(history, labels.ALL, dict(orgs)),
        "transitions": sorted(gaps.ALLOWED[status], key=_ORDER.index),
        "reason_needed": [t.value for t in gaps.ALLOWED[status] if gaps.needs_reason(status, t)],
        "may_write": may_write,
        "may_write_measures": may_write and gap["status"] not in CLOSED_GAP,
        "may_delete": actor.can_write and actor.may_write_org(gap["owner_id"]),
        "may_comment": actor.authenticated,
        "organisations": orgs if may_write else [],
        "labels": labels.ALL,
        "transition_values": {},
        "transition_errors": {},
        "measure_values": {"status": "planned"},
        "measure_errors": {},
        "measure_message": "",
        "comment_values": {},
        "comment_errors": {},
        **options.code_names(session),
        **extra,
    }
    return render(request, "gaps/detail.html", context, status_code)


@router.get("/gaps/{gap_id}", response_class=HTMLResponse, name="gap_detail")
async def gap_detail(request: Request, session: ReadSessionDep, actor: PageActor, gap_id: IdPath) -> Response:
    gap = _gap_or_login(request, session, actor, gap_id)
    if isinstance(gap, Response):
        return gap
    return _detail(request, session, actor, gap)


@router.post("/gaps/{gap_id}/transition", response_model=None, name="gap_transition")
async def gap_transition(request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    values = {name: str(form.get(name, "")) for name in ("to", "reason", "version")}
    try:
        body = GapTransition.model_validate({"to": values["to"], "reason": values["reason"] or None})
        gaps.transition(session, actor, gap_id, body.to, body.reason, if_match(values["version"]))
    except ValidationError as exc:
        messages = gf.schema_messages(exc)
        if "to" in messages:
            messages["to"] = "Velg ny status."
        return _transition_refused(request, session, actor, gap_id, values, messages, 422)
    except InvalidInput as exc:
        session.rollback()
        return _transition_refused(request, session, actor, gap_id, values, gf.domain_field_messages(exc.errors), 422)
    except StaleVersion:
        session.rollback()
        return _transition_refused(request, session, actor, gap_id, values, {"to": STALE}, 409)
    except Conflict as exc:
        session.rollback()
        return _transition_refused(request, session, actor, gap_id, values, {"to": exc.detail + "."}, 409)
    return done(request, f"/gaps/{gap_id}#status")


def _transition_refused(
    request: Request,
    session: Session,
    actor: Actor,
    gap_id: int,
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int,
) -> HTMLResponse:
    gap = gaps.get(session, actor, gap_id)
    return _detail(request, session, actor, gap, status_code, transition_values=values, transition_errors=errors)


# --- editing and deleting a gap -------------------------------------------------------------------------------


@router.get("/gaps/{gap_id}/edit", response_class=HTMLResponse, name="gap_edit")
async def gap_edit(request: Request, session: ReadSessionDep, actor: PageActor, gap_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    gap = gaps.get(session, actor, gap_id)
    access.require_write(session, actor, gap["owner_id"], gap["municipalities"])
    return _form(request, session, actor, gf.gap_to_values(gap), {}, gap)


@router.post("/gaps/{gap_id}/edit", response_model=None, name="gap_update")
async def gap_update(request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = gf.gap_values(await request.form())
    current = gaps.get(session, actor, gap_id)
    body = gf.gap_body(values)
    try:
        GapFields.model_validate({**body, "pathway_step": current["pathway_step"], "service_id": current["service_id"]})
        gaps.update(session, actor, gap_id, body, if_match(values["version"]))
    except ValidationError as exc:
        return _form(request, session, actor, values, gf.schema_messages(exc), current, 422)
    except InvalidInput as exc:
        session.rollback()
        return _form(request, session, actor, values, gf.domain_field_messages(exc.errors), current, 422)
    except StaleVersion:
        session.rollback()
        # Keep what was typed; the next save replaces what the other person saved, knowingly.
        fresh = gaps.get(session, actor, gap_id)
        values = {**values, "version": str(fresh["version"])}
        return _form(request, session, actor, values, {}, fresh, 409, conflict=STALE)
    return done(request, f"/gaps/{gap_id}")


@router.get("/gaps/{gap_id}/delete", response_class=HTMLResponse, name="gap_delete_confirm")
async def gap_delete_confirm(request: Request, session: ReadSessionDep, actor: PageActor, gap_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    gap = gaps.get(session, actor, gap_id)
    access.require_delete(actor, gap["owner_id"])
    return render(request, "gaps/delete.html", {"actor": actor, "gap": gap, "labels": labels.ALL})


@router.post("/gaps/{gap_id}/delete", response_model=None, name="gap_delete")
async def gap_delete(request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    try:
        gaps.delete_gap(session, actor, gap_id, if_match(str(form.get("version", ""))))
    except StaleVersion:
        session.rollback()
        gap = gaps.get(session, actor, gap_id)
        context = {"actor": actor, "gap": gap, "labels": labels.ALL, "error": STALE}
        return render(request, "gaps/delete.html", context, 409)
    return done(request, "/gaps")


# --- measures -------------------------------------------------------------------------------------------------


def _measure_refused(
    request: Request, session: Session, actor: Actor, gap_id: int, status_code: int, **extra: Any
) -> HTMLResponse:
    return _detail(request, session, actor, gaps.get(session, actor, gap_id), status_code, **extra)


@router.post("/gaps/{gap_id}/measures", response_model=None, name="measure_create")
async def measure_create(request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = gf.measure_values(await request.form())
    try:
        gaps.create_measure(session, actor, gap_id, MeasureCreate.model_validate(gf.measure_body(values)))
    except ValidationError as exc:
        errors = gf.schema_messages(exc)
        return _measure_refused(request, session, actor, gap_id, 422, measure_values=values, measure_errors=errors)
    except InvalidInput as exc:
        session.rollback()
        errors = gf.domain_field_messages(exc.errors)
        return _measure_refused(request, session, actor, gap_id, 422, measure_values=values, measure_errors=errors)
    except Conflict as exc:
        session.rollback()
        return _measure_refused(request, session, actor, gap_id, 409, measure_values=values, measure_message=exc.detail)
    return done(request, f"/gaps/{gap_id}#measures")


def _measure_form(
    request: Request,
    session: Session,
    actor: Actor,
    gap: dict[str, Any],
    measure: dict[str, Any],
    values: dict[str, str],
    errors: dict[str, str],
    status_code: int = 200,
    message: str = "",
) -> HTMLResponse:
    if status_code != 200:
        values, errors = masked(values), masked(errors)
    context = {
        "actor": actor,
        "gap": gap,
        "measure": measure,
        "values": values,
        "errors": errors,
        "message": message,
        "organisations": options.organisations(session),
        "labels": labels.ALL,
    }
    return render(request, "gaps/measure.html", context, status_code)


@router.get("/gaps/{gap_id}/measures/{measure_id}/edit", response_class=HTMLResponse, name="measure_edit")
async def measure_edit(
    request: Request, session: ReadSessionDep, actor: PageActor, gap_id: IdPath, measure_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    gap = gaps.get(session, actor, gap_id)
    access.require_write(session, actor, gap["owner_id"], gap["municipalities"])
    measure = gaps.get_measure(session, actor, gap_id, measure_id)
    return _measure_form(request, session, actor, gap, measure, gf.measure_to_values(measure), {})


@router.post("/gaps/{gap_id}/measures/{measure_id}", response_model=None, name="measure_update")
async def measure_update(
    request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath, measure_id: IdPath
) -> Response:
    """The measure's edit page posts every field; the status form in the table posts only the status."""
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    values = gf.measure_values(form)
    full = form.get("form") == "edit"
    changes = gf.measure_body(values)
    try:
        (MeasureFields if full else MeasureUpdate).model_validate(changes)
        gaps.update_measure(session, actor, gap_id, measure_id, changes, if_match(values.get("version", "")))
    except (ValidationError, InvalidInput, Conflict, StaleVersion) as exc:
        session.rollback()
        status_code = 422 if isinstance(exc, ValidationError | InvalidInput) else 409
        if isinstance(exc, ValidationError):
            errors = gf.schema_messages(exc)
        elif isinstance(exc, InvalidInput):
            errors = gf.domain_field_messages(exc.errors)
        else:
            errors = {}
        message = STALE if isinstance(exc, StaleVersion) else exc.detail + "." if isinstance(exc, Conflict) else ""
        gap = gaps.get(session, actor, gap_id)
        if full:
            measure = gaps.get_measure(session, actor, gap_id, measure_id)
            if isinstance(exc, StaleVersion):
                values = {**values, "version": str(measure["version"])}
            return _measure_form(request, session, actor, gap, measure, values, errors, status_code, message)
        text = message or " ".join(f"{labels.MEASURE_FIELDS.get(k, k)}: {v}" for k, v in errors.items())
        return _detail(request, session, actor, gap, status_code, measure_message=text)
    return done(request, f"/gaps/{gap_id}#measure-{measure_id}")


@router.post("/gaps/{gap_id}/measures/{measure_id}/delete", response_model=None, name="measure_delete")
async def measure_delete(
    request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath, measure_id: IdPath
) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    try:
        gaps.delete_measure(session, actor, gap_id, measure_id, if_match(str(form.get("version", ""))))
    except (Conflict, StaleVersion) as exc:
        session.rollback()
        message = STALE if isinstance(exc, StaleVersion) else exc.detail + "."
        gap = gaps.get(session, actor, gap_id)
        return _detail(request, session, actor, gap, 409, measure_message=message)
    return done(request, f"/gaps/{gap_id}#measures")


# --- comments ---------------------------------------------------------------------------------------------------


@router.post("/gaps/{gap_id}/comments", response_model=None, name="comment_create")
async def comment_create(request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    values = {"text": str(form.get("text", ""))}
    try:
        gaps.add_comment(session, actor, gap_id, CommentCreate.model_validate(values))
    except ValidationError as exc:
        errors = gf.schema_messages(exc)
        gap = gaps.get(session, actor, gap_id)
        return _detail(request, session, actor, gap, 422, comment_values=values, comment_errors=errors)
    return done(request, f"/gaps/{gap_id}#comments")
