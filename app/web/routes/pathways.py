"""The pathway pages: the list, a template drawn as a flow across two lanes, the draft editor (the template's
fields and its ordered steps), publishing / new version / retiring with a confirmation, and version history.

Every change is a plain form post that calls one of the domain's step operations (or `pathways.update`) with the
version the form was made from (If-Match), then redirects (Post/Redirect/Get). With htmx, the step actions
swap the step list in place instead; the rules (who may edit, what is frozen) are the domain's.
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.domain import audit, catalogue, pathways
from app.domain.actor import Actor, require_org_write
from app.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    StaleVersion,
    Unauthenticated,
    schema_errors,
)
from app.http.deps import PageActor, PageWriter, ReadSessionDep, SessionDep
from app.http.params import IdPath
from app.kit.personal_data import mask
from app.models.pathway import PathwayCreate, PathwayStatus
from app.web import labels
from app.web import pathway_forms as pf
from app.web.forms import if_match, masked
from app.web.render import done, login_redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SeriesPath = Annotated[str, Path(max_length=60, pattern=SLUG)]
StepKey = Annotated[str, Path(max_length=60, pattern=SLUG)]
ACTIONS = ("publish", "new-version", "retire")
_TITLES = {401: "Du må logge inn", 403: "Du har ikke tilgang", 404: "Fant ikke siden", 409: "Kan ikke endres"}
_STEP_MESSAGES = {
    "added": "Steget «{title}» er lagt til.",
    "up": "Steget «{title}» er flyttet opp til plass {place}.",
    "down": "Steget «{title}» er flyttet ned til plass {place}.",
    "removed": "Steget «{title}» er fjernet.",
    "saved": "Steget «{title}» er lagret.",
}


# --- refusals and guards ----------------------------------------------------------------------------------


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _refused(
    request: Request, actor: Actor, status: int, detail: str, links: list[tuple[str, str]] | None = None
) -> HTMLResponse:
    """A Norwegian page saying why not (with a way on). With htmx, 409 replaces <main>; the others reload.
    The detail may quote the address (a series): any national identity number in it is masked."""
    context = {"actor": actor, "title": _TITLES.get(status, "Feil"), "detail": mask(detail), "links": links or []}
    response = render(request, "pathways/refused.html", context, status)
    if _htmx(request):
        if status == 409:
            response.headers.update({"HX-Retarget": "#main", "HX-Reswap": "innerHTML show:top"})
        else:
            response.headers["HX-Refresh"] = "true"
    return response


def _login(request: Request) -> Response:
    if _htmx(request):
        return Response(status_code=200, headers={"HX-Refresh": "true"})
    return login_redirect(request)


def _forbidden(request: Request, actor: Actor) -> HTMLResponse:
    if not actor.can_write:
        detail = "Kontoen din kan bare lese. Be en administrator om redaktørtilgang."
    else:
        detail = "Bare redaktører i organisasjonen som eier forløpet, kan endre det."
    return _refused(request, actor, 403, detail)


def _frozen(request: Request, actor: Actor, template: dict[str, Any]) -> HTMLResponse:
    status = labels.PATHWAY_STATUSES[template["status"]].lower()
    detail = (
        f"Versjon {template['series_version']} av «{template['title']}» er {status} og kan ikke endres lenger. "
        "Lag en ny versjon og rediger utkastet i stedet."
    )
    links = [("Til forløpet", f"/pathways/{template['id']}")]
    return _refused(request, actor, 409, detail, links)


def _load(session: Session, actor: Actor, template_id: int) -> dict[str, Any]:
    return pathways.get(session, actor, template_id)


def _writable(
    request: Request, session: Session, actor: Actor, template_id: int, *, draft: bool = True
) -> dict[str, Any] | Response:
    """The template if this user may change it (a draft, unless `draft` is False); else the refusal page."""
    if not actor.authenticated:
        return _login(request)
    try:
        template = _load(session, actor, template_id)
        require_org_write(actor, template["owner_id"])
    except NotFound:
        return _refused(request, actor, 404, "Forløpet finnes ikke. Kanskje et utkast er slettet?")
    except Forbidden:
        return _forbidden(request, actor)
    if draft and template["status"] != PathwayStatus.draft:
        return _frozen(request, actor, template)
    return template


def _step_problems(exc: InvalidInput, index: int) -> tuple[dict[str, str], list[str]]:
    """The errors of the step at `index` by field, and every other problem as a sentence."""
    problems = pf.sort_errors(exc.errors, index)
    other = problems.other_steps + [f"{labels.PATHWAY_FIELDS['steps']}: {m}" for m in problems.fields.values()]
    return problems.step, other


def _may_edit(actor: Actor, template: dict[str, Any]) -> bool:
    return actor.authenticated and actor.scope is None and actor.may_write_org(template["owner_id"])


# --- the list ---------------------------------------------------------------------------------------------


@router.get("/pathways", response_class=HTMLResponse, name="pathway_list")
async def pathway_list(
    request: Request,
    session: ReadSessionDep,
    actor: PageActor,
    status: str = Query("", pattern=r"^[a-z]{0,20}$"),
    patient_group: str = Query("", pattern=r"^([a-z][a-z0-9_]{0,39})?$"),
    owner: str = Query("", pattern=r"^([1-9][0-9]{0,9})?$"),
    q: str = Query("", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"),
    cursor: str = Query("", max_length=200),
) -> HTMLResponse:
    chosen = {"status": status, "patient_group": patient_group, "owner": owner, "q": q}
    owner_id = int(owner) if owner and int(owner) <= 2_147_483_647 else None
    flt = pathways.PathwayFilter(
        status=(PathwayStatus(status),) if status in PathwayStatus.__members__ else (),
        patient_group=patient_group or None,
        owner=owner_id,
        q=q or None,
    )
    error = None
    try:
        items, next_cursor = pathways.list_templates(session, actor, flt, limit=PAGE_SIZE, cursor=cursor or None)
    except InvalidInput as exc:
        items, next_cursor = [], None
        error = "Ukjent pasientgruppe." if any("patient group" in e.message for e in exc.errors) else "Ugyldig filter."
    block = "results" if request.headers.get("HX-Target") == "results" else "content"
    groups = pf.group_options(session)
    owners: dict[int, str] = {}
    if block == "content":
        every, _ = pathways.list_templates(session, actor, pathways.PathwayFilter(), limit=500)
        owners = {t["owner_id"]: t["owner_name"] for t in every}
    query = {k: v for k, v in chosen.items() if v}
    context = {
        "actor": actor,
        "items": items,
        "chosen": chosen,
        "groups": groups,
        "group_names": {code: name for code, name, _ in groups},
        "owners": sorted(owners.items(), key=lambda kv: kv[1]),
        "labels": labels.ALL,
        "error": error,
        "next_url": f"/pathways?{urlencode({**query, 'cursor': next_cursor})}" if next_cursor else None,
        "first_url": f"/pathways?{urlencode(query)}" if cursor else None,
    }
    return render(request, "pathways/list.html", context, block=block)


# --- a new draft ------------------------------------------------------------------------------------------


def _new_form(
    request: Request,
    session: Session,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
    status_code: int = 200,
) -> HTMLResponse:
    if status_code != 200:  # shown again with what was typed: never repeat an identity number (see _editor)
        values, errors = masked(values), masked(errors)
    context = {
        "actor": actor,
        "values": values,
        "errors": errors,
        "groups": pf.group_options(session),
        "providers": catalogue.writable_providers(session, actor),
        "labels": labels.ALL,
    }
    return render(request, "pathways/new.html", context, status_code)


@router.get("/pathways/new", response_class=HTMLResponse, name="pathway_new")
async def pathway_new(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    if not actor.can_write:
        return _forbidden(request, actor)
    values = pf.template_to_values({})
    providers = catalogue.writable_providers(session, actor)
    if len(providers) == 1:  # an editor of one organisation: that is the owner
        values["owner_id"] = str(providers[0][0])
    return _new_form(request, session, actor, values, {})


@router.post("/pathways/new", response_model=None, name="pathway_create")
async def pathway_create(request: Request, session: SessionDep, actor: PageWriter) -> Response:
    if not actor.authenticated:
        return _login(request)
    values = pf.template_values(await request.form())
    body = {"series": values["series"].strip(), **pf.template_changes(values)}
    try:
        created = pathways.create(session, actor, PathwayCreate.model_validate(body))
    except ValidationError as exc:
        problems = pf.sort_errors(schema_errors(exc))
        return _new_form(request, session, actor, values, problems.fields, 422)
    except InvalidInput as exc:
        session.rollback()
        return _new_form(request, session, actor, values, pf.sort_errors(exc.errors).fields, 422)
    except Conflict:
        session.rollback()
        message = f"Serien «{body['series']}» har allerede et utkast. Rediger det, eller velg et annet navn."
        return _new_form(request, session, actor, values, {"series": message}, 409)
    except Forbidden:
        session.rollback()
        errors = {"owner_id": "Du kan ikke lage forløp for denne eieren."}
        return _new_form(request, session, actor, values, errors, 422)
    return done(request, f"/pathways/{created['id']}/edit")


# --- a template, drawn ------------------------------------------------------------------------------------


@router.get("/pathways/{template_id}", response_class=HTMLResponse, name="pathway_detail")
async def pathway_detail(request: Request, session: ReadSessionDep, actor: PageActor, template_id: IdPath) -> Response:
    try:
        template = _load(session, actor, template_id)
    except Unauthenticated:
        return login_redirect(request)
    versions = pathways.series_versions(session, actor, template["series"])
    context = {
        "actor": actor,
        "template": template,
        "flow": pf.flow(template["steps"]),
        "pf": pf,
        "group_names": {code: name for code, name, _ in pf.group_options(session)},
        "may_edit": _may_edit(actor, template),
        "draft": next((v for v in versions if v["status"] == PathwayStatus.draft), None),
        "versions": len(versions),
        "labels": labels.ALL,
    }
    return render(request, "pathways/detail.html", context)


# --- the editor -------------------------------------------------------------------------------------------


def _conflict_rows(
    session: Session, template: dict[str, Any], since: str, groups: dict[str, str]
) -> list[tuple[str, str, str]]:
    """What others saved after version `since`, as (field, before, now) rows."""
    theirs = audit.changes_since(
        session, pathways.ENTITY, template["id"], int(since) if since.isdigit() and len(since) < 10 else 0
    )
    owners = {template["owner_id"]: template["owner_name"]}
    rows = []
    for name in ("title", "description", "owner_id", "patient_groups", "source", "status"):
        if name in theirs:
            before, now = theirs[name]
            rows.append(
                (
                    labels.PATHWAY_FIELDS[name],
                    pf.template_value(name, before, groups, owners),
                    pf.template_value(name, now, groups, owners),
                )
            )
    if "steps" in theirs:
        old, new = theirs["steps"]
        changes = pathways.compare({"id": 0, "steps": old or []}, {"id": 0, "steps": new or []})["steps"]
        titles = {s["key"]: s["title"] for s in [*(old or []), *(new or [])]}
        rows.append((labels.PATHWAY_FIELDS["steps"], f"{len(old or [])} steg", pf.steps_summary(changes, titles)))
    return rows


def _editor(
    request: Request,
    session: Session,
    actor: Actor,
    template: dict[str, Any],
    *,
    status_code: int = 200,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    conflict: list[tuple[str, str, str]] | None = None,
    version: int | str | None = None,
    add_values: dict[str, Any] | None = None,
    add_errors: dict[str, str] | None = None,
    step_problems: list[str] | None = None,
    step_conflict: list[tuple[str, str, str]] | None = None,
    message: str = "",
    saved: bool = False,
) -> HTMLResponse:
    """The editor page, or (htmx aimed at #steps) just the step list with the new version out of band."""
    block = "steps" if request.headers.get("HX-Target") == "steps" and _htmx(request) else "content"
    groups = pf.group_options(session)
    if status_code != 200:
        # Shown again after an error or a conflict: what was typed, and the messages (which may quote a key),
        # with every national identity number masked, so the page never repeats one. Stored values are shown
        # as they are.
        values, add_values = values and masked(values), add_values and masked(add_values)
        errors, add_errors = errors and masked(errors), add_errors and masked(add_errors)
        step_problems = [mask(problem) for problem in step_problems or []]
    context = {
        "actor": actor,
        "template": template,
        "version": template["version"] if version is None else version,
        "values": values or pf.template_to_values(template),
        "errors": errors or {},
        "conflict": conflict,
        "add_values": add_values or pf.empty_step_values(),
        "add_errors": add_errors or {},
        "step_problems": step_problems or [],
        "step_conflict": step_conflict,
        "message": message,
        "saved": saved,
        "oob": block == "steps",
        "groups": groups,
        "group_names": {code: name for code, name, _ in groups},
        "providers": catalogue.writable_providers(session, actor),
        "pf": pf,
        "labels": labels.ALL,
    }
    return render(request, "pathways/edit.html", context, status_code, block=block)


def _step_message(template: dict[str, Any], did: str, key: str, title: str = "") -> str:
    keys = [s["key"] for s in template["steps"]]
    if key in keys:
        title = template["steps"][keys.index(key)]["title"]
    if did == "removed" and not title:
        return "Steget er fjernet."
    if did not in _STEP_MESSAGES or not title:
        return ""
    return _STEP_MESSAGES[did].format(title=title, place=keys.index(key) + 1 if key in keys else "")


@router.get("/pathways/{template_id}/edit", response_class=HTMLResponse, name="pathway_edit")
async def pathway_edit(
    request: Request,
    session: ReadSessionDep,
    actor: PageActor,
    template_id: IdPath,
    step: str = Query("", max_length=60, pattern=r"^[a-z0-9-]*$"),
    did: str = Query("", max_length=10, pattern=r"^[a-z]*$"),
) -> Response:
    template = _writable(request, session, actor, template_id)
    if isinstance(template, Response):
        return template
    message = _step_message(template, did, step) if did != "fields" else ""
    return _editor(request, session, actor, template, message=message, saved=did == "fields")


@router.post("/pathways/{template_id}/edit", response_model=None, name="pathway_update")
async def pathway_update(request: Request, session: SessionDep, actor: PageWriter, template_id: IdPath) -> Response:
    template = _writable(request, session, actor, template_id)
    if isinstance(template, Response):
        return template
    form = await request.form()
    values = pf.template_values(form)
    version = str(form.get("version", ""))
    try:
        pathways.update(session, actor, template_id, pf.template_changes(values), if_match(version))
    except InvalidInput as exc:
        session.rollback()
        problems = pf.sort_errors(exc.errors)
        return _editor(
            request, session, actor, template, status_code=422, values=values, errors=problems.fields, version=version
        )
    except Forbidden:
        session.rollback()
        errors = {"owner_id": "Du kan ikke gi forløpet til en organisasjon du ikke er redaktør for."}
        return _editor(request, session, actor, template, status_code=422, values=values, errors=errors)
    except StaleVersion:
        session.rollback()
        current = _load(session, actor, template_id)
        groups = {code: name for code, name, _ in pf.group_options(session)}
        rows = _conflict_rows(session, current, version, groups)
        theirs = audit.changes_since(session, pathways.ENTITY, template_id, int(version) if version.isdigit() else 0)
        kept = pf.kept_after_conflict(values, current, theirs)
        return _editor(request, session, actor, current, status_code=409, values=kept, conflict=rows)
    return done(request, f"/pathways/{template_id}/edit?did=fields")


def _after_step(
    request: Request, session: Session, actor: Actor, template_id: int, did: str, key: str, title: str = ""
) -> Response:
    """Post/Redirect/Get to the step in the editor; with htmx, the step list at once."""
    if request.headers.get("HX-Target") == "steps" and _htmx(request):
        template = _load(session, actor, template_id)
        message = _step_message(template, did, key, title)
        return _editor(request, session, actor, template, message=message)
    anchor = f"step-{key}" if did != "removed" else "steps"
    query = urlencode({"step": key, "did": did})
    return done(request, f"/pathways/{template_id}/edit?{query}#{anchor}")


def _steps_conflict(
    request: Request,
    session: Session,
    actor: Actor,
    template_id: int,
    since: str,
    add_values: dict[str, Any] | None = None,
) -> HTMLResponse:
    session.rollback()
    current = _load(session, actor, template_id)
    groups = {code: name for code, name, _ in pf.group_options(session)}
    rows = _conflict_rows(session, current, since, groups)
    return _editor(request, session, actor, current, status_code=409, step_conflict=rows, add_values=add_values)


def _stale(template: dict[str, Any], version: str) -> bool:
    return version != str(template["version"])


@router.post("/pathways/{template_id}/steps", response_model=None, name="pathway_step_add")
async def pathway_step_add(request: Request, session: SessionDep, actor: PageWriter, template_id: IdPath) -> Response:
    template = _writable(request, session, actor, template_id)
    if isinstance(template, Response):
        return template
    form = await request.form()
    values = pf.step_values(form)
    version = str(form.get("version", ""))
    if _stale(template, version):
        return _steps_conflict(request, session, actor, template_id, version, values)
    steps = list(template["steps"])
    new = pf.values_to_step(values, [s["key"] for s in steps])
    try:
        pathways.add_step(session, actor, template_id, new, if_match(version))
    except InvalidInput as exc:
        session.rollback()
        step_errors, other = _step_problems(exc, len(steps))
        return _editor(
            request,
            session,
            actor,
            template,
            status_code=422,
            add_values=values,
            add_errors=step_errors,
            step_problems=other,
        )
    except StaleVersion:
        return _steps_conflict(request, session, actor, template_id, version, values)
    return _after_step(request, session, actor, template_id, "added", new["key"])


def _step_index(template: dict[str, Any], key: str) -> int | None:
    keys = [s["key"] for s in template["steps"]]
    return keys.index(key) if key in keys else None


def _step_page(
    request: Request,
    actor: Actor,
    template: dict[str, Any],
    key: str,
    values: dict[str, Any],
    *,
    errors: dict[str, str] | None = None,
    problems: list[str] | None = None,
    conflict: list[tuple[str, str, str]] | None = None,
    version: int | str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    index = _step_index(template, key)
    if status_code != 200:  # shown again with what was typed: never repeat an identity number (see _editor)
        values, errors = masked(values), masked(errors or {})
        problems = [mask(problem) for problem in problems or []]
    context = {
        "actor": actor,
        "template": template,
        "key": key,
        "number": (index + 1) if index is not None else len(template["steps"]) + 1,
        "values": values,
        "errors": errors or {},
        "problems": problems or [],
        "conflict": conflict,
        "version": template["version"] if version is None else version,
        "labels": labels.ALL,
    }
    return render(request, "pathways/step.html", context, status_code)


def _step_gone(request: Request, actor: Actor, template_id: int) -> HTMLResponse:
    links = [("Til redigeringen", f"/pathways/{template_id}/edit")]
    return _refused(request, actor, 404, "Steget finnes ikke (lenger) i dette utkastet.", links)


@router.get("/pathways/{template_id}/steps/{key}", response_class=HTMLResponse, name="pathway_step_edit")
async def pathway_step_edit(
    request: Request, session: ReadSessionDep, actor: PageActor, template_id: IdPath, key: StepKey
) -> Response:
    template = _writable(request, session, actor, template_id)
    if isinstance(template, Response):
        return template
    index = _step_index(template, key)
    if index is None:
        return _step_gone(request, actor, template_id)
    return _step_page(request, actor, template, key, pf.step_to_values(template["steps"][index]))


@router.post("/pathways/{template_id}/steps/{key}", response_model=None, name="pathway_step_save")
async def pathway_step_save(
    request: Request, session: SessionDep, actor: PageWriter, template_id: IdPath, key: StepKey
) -> Response:
    template = _writable(request, session, actor, template_id)
    if isinstance(template, Response):
        return template
    form = await request.form()
    values = pf.step_values(form)
    version = str(form.get("version", ""))
    groups = {code: name for code, name, _ in pf.group_options(session)}
    index = _step_index(template, key)
    if _stale(template, version):
        rows = _conflict_rows(session, template, version, groups)
        if index is None:
            return _step_gone(request, actor, template_id)
        return _step_page(request, actor, template, key, values, conflict=rows, status_code=409)
    if index is None:
        return _step_gone(request, actor, template_id)
    steps = template["steps"]
    new = pf.values_to_step(values, [s["key"] for i, s in enumerate(steps) if i != index], steps[index])
    try:
        pathways.replace_step(session, actor, template_id, key, new, if_match(version))
    except InvalidInput as exc:
        session.rollback()
        step_errors, other = _step_problems(exc, index)
        return _step_page(request, actor, template, key, values, errors=step_errors, problems=other, status_code=422)
    except StaleVersion:
        session.rollback()
        current = _load(session, actor, template_id)
        rows = _conflict_rows(session, current, version, groups)
        return _step_page(request, actor, current, key, values, conflict=rows, status_code=409)
    return _after_step(request, session, actor, template_id, "saved", new["key"])


@router.post("/pathways/{template_id}/steps/{key}/move", response_model=None, name="pathway_step_move")
async def pathway_step_move(
    request: Request, session: SessionDep, actor: PageWriter, template_id: IdPath, key: StepKey
) -> Response:
    template = _writable(request, session, actor, template_id)
    if isinstance(template, Response):
        return template
    form = await request.form()
    version = str(form.get("version", ""))
    direction = str(form.get("direction", ""))
    if _stale(template, version):
        return _steps_conflict(request, session, actor, template_id, version)
    if _step_index(template, key) is None or direction not in ("up", "down"):
        return _step_gone(request, actor, template_id)
    try:
        pathways.move_step(session, actor, template_id, key, "up" if direction == "up" else "down", if_match(version))
    except StaleVersion:
        return _steps_conflict(request, session, actor, template_id, version)
    return _after_step(request, session, actor, template_id, direction, key)


@router.post("/pathways/{template_id}/steps/{key}/remove", response_model=None, name="pathway_step_remove")
async def pathway_step_remove(
    request: Request, session: SessionDep, actor: PageWriter, template_id: IdPath, key: StepKey
) -> Response:
    template = _writable(request, session, actor, template_id)
    if isinstance(template, Response):
        return template
    form = await request.form()
    version = str(form.get("version", ""))
    if _stale(template, version):
        return _steps_conflict(request, session, actor, template_id, version)
    index = _step_index(template, key)
    if index is None:
        return _step_gone(request, actor, template_id)
    removed = template["steps"][index]
    try:
        pathways.remove_step(session, actor, template_id, key, if_match(version))
    except StaleVersion:
        return _steps_conflict(request, session, actor, template_id, version)
    return _after_step(request, session, actor, template_id, "removed", key, removed["title"])


# --- version history and diffs ----------------------------------------------------------------------------


@router.get("/pathways/series/{series}", response_class=HTMLResponse, name="pathway_history")
async def pathway_history(
    request: Request,
    session: ReadSessionDep,
    actor: PageActor,
    series: SeriesPath,
    before: str = Query("", pattern=r"^([1-9][0-9]{0,9})?$"),
    after: str = Query("", pattern=r"^([1-9][0-9]{0,9})?$"),
) -> Response:
    versions = pathways.series_versions(session, actor, series)
    if not versions:
        if not actor.authenticated:
            return login_redirect(request)
        return _refused(request, actor, 404, f"Fant ingen versjoner av serien «{series}».")
    by_id = {v["id"]: v for v in versions}
    chosen_before = int(before) if before else (versions[-2]["id"] if len(versions) > 1 else versions[0]["id"])
    chosen_after = int(after) if after else versions[-1]["id"]
    error, diff = "", None
    if chosen_before not in by_id or chosen_after not in by_id:
        error = "Velg to versjoner fra listen."
    elif chosen_before == chosen_after:
        error = "Velg to ulike versjoner for å se hva som er endret." if before or after else ""
    else:
        groups = {code: name for code, name, _ in pf.group_options(session)}
        owners = {v["owner_id"]: v["owner_name"] for v in versions}
        old, new = by_id[chosen_before], by_id[chosen_after]
        diff = pf.diff_view(pathways.compare(old, new), old, new, groups, owners)
    context = {
        "actor": actor,
        "series": series,
        "versions": versions,
        "newest": versions[-1],
        "before": chosen_before,
        "after": chosen_after,
        "by_id": by_id,
        "diff": diff,
        "error": error,
        "labels": labels.ALL,
    }
    return render(request, "pathways/history.html", context)


# --- publish, new version, retire: each with a confirmation ------------------------------------------------


def _action_refusal(
    request: Request, session: Session, actor: Actor, template: dict[str, Any], action: str
) -> Response | None:
    """Why this action cannot be done to this version now (a Norwegian 409), or None."""
    if action == "publish" and template["status"] != PathwayStatus.draft:
        return _refused(request, actor, 409, "Bare et utkast kan publiseres.", [("Til forløpet", _url(template))])
    if action == "retire" and template["status"] != PathwayStatus.published:
        return _refused(
            request, actor, 409, "Bare en publisert versjon kan trekkes tilbake.", [("Til forløpet", _url(template))]
        )
    if action == "new-version":
        versions = pathways.series_versions(session, actor, template["series"])
        draft = next((v for v in versions if v["status"] == PathwayStatus.draft), None)
        if draft is not None:
            detail = f"Serien har allerede et utkast (versjon {draft['series_version']}). Rediger det i stedet."
            return _refused(request, actor, 409, detail, [("Rediger utkastet", f"/pathways/{draft['id']}/edit")])
    return None


def _url(template: dict[str, Any]) -> str:
    return f"/pathways/{template['id']}"


def _confirm(
    request: Request,
    session: Session,
    actor: Actor,
    template: dict[str, Any],
    action: str,
    *,
    error: str = "",
    changed: bool = False,
    status_code: int = 200,
) -> HTMLResponse:
    versions = pathways.series_versions(session, actor, template["series"])
    heading, button = {
        "publish": (f"Publiser versjon {template['series_version']}?", "Ja, publiser"),
        "new-version": ("Lag en ny versjon?", "Ja, lag ny versjon"),
        "retire": (f"Trekk tilbake versjon {template['series_version']}?", "Ja, trekk tilbake"),
    }[action]
    context = {
        "actor": actor,
        "template": template,
        "action": action,
        "heading": heading,
        "button": button,
        "error": error,
        "changed": changed,
        "published": next((v for v in versions if v["status"] == PathwayStatus.published), None),
        "newest": versions[-1] if versions else template,
        "labels": labels.ALL,
    }
    return render(request, "pathways/confirm.html", context, status_code)


ActionPath = Annotated[str, Path(pattern=r"^(publish|new-version|retire)$")]
_NO_STEPS = "Forløpet har ingen steg ennå. Legg til minst ett steg før du publiserer."


@router.get("/pathways/{template_id}/{action}", response_class=HTMLResponse, name="pathway_confirm")
async def pathway_confirm(
    request: Request, session: ReadSessionDep, actor: PageActor, template_id: IdPath, action: ActionPath
) -> Response:
    template = _writable(request, session, actor, template_id, draft=False)
    if isinstance(template, Response):
        return template
    if (refusal := _action_refusal(request, session, actor, template, action)) is not None:
        return refusal
    error = _NO_STEPS if action == "publish" and not template["steps"] else ""
    return _confirm(request, session, actor, template, action, error=error)


@router.post("/pathways/{template_id}/{action}", response_model=None, name="pathway_act")
async def pathway_act(
    request: Request, session: SessionDep, actor: PageWriter, template_id: IdPath, action: ActionPath
) -> Response:
    template = _writable(request, session, actor, template_id, draft=False)
    if isinstance(template, Response):
        return template
    if (refusal := _action_refusal(request, session, actor, template, action)) is not None:
        return refusal
    form = await request.form()
    expected = if_match(str(form.get("version", "")))
    try:
        if action == "publish":
            result = pathways.publish(session, actor, template_id, expected)
        elif action == "retire":
            result = pathways.retire(session, actor, template_id, expected)
        else:
            result = pathways.new_version(session, actor, template_id, expected)
    except StaleVersion:
        session.rollback()
        current = _load(session, actor, template_id)
        return _confirm(request, session, actor, current, action, changed=True, status_code=409)
    except InvalidInput:
        session.rollback()
        return _confirm(request, session, actor, template, action, error=_NO_STEPS, status_code=422)
    except Conflict:
        session.rollback()
        current = _load(session, actor, template_id)
        return _action_refusal(request, session, actor, current, action) or _frozen(request, actor, current)
    if action == "new-version":
        return done(request, f"/pathways/{result['id']}/edit")
    return done(request, f"/pathways/{template_id}")
