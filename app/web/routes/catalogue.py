"""The catalogue pages: front page, service list, detail, create/edit, verify, organisation."""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.domain import catalogue, gaps, geography, organisations, profiles, taxonomy
from app.domain.actor import Actor
from app.domain.errors import InvalidInput, StaleVersion
from app.domain.networks import deadlines as network_deadlines
from app.http.deps import PageActor, PageWriter, ReadSessionDep, SessionDep
from app.http.params import IdPath
from app.models.network import DeadlineState
from app.models.rehab_service import RehabServiceCreate, RehabServiceFields, ServiceForm, ServiceLevel, ServiceStatus
from app.web import labels
from app.web.forms import domain_messages, field_messages, masked, service_values
from app.web.render import done, login_redirect, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/", response_class=HTMLResponse, name="home")
async def home(request: Request, session: ReadSessionDep, actor: PageActor) -> HTMLResponse:
    summary = catalogue.summary(session)
    groups = {code: name for code, name, _ in catalogue.filter_options(session).patient_groups}
    context = {"actor": actor, "summary": summary, "groups": groups, "labels": labels.ALL}
    # Overdue measures of open gaps, for those who may read gaps (empty otherwise).
    context.update(gaps_readable=gaps.may_read(actor), overdue=gaps.overdue_measures(session, actor, limit=10))
    # The deadlines of the networks the user belongs to that are not met yet (due, soon, overdue).
    if actor.authenticated:
        context["network_deadlines"] = [
            d for d in network_deadlines.for_actor(session, actor) if d["state"] != DeadlineState.done.value
        ]
    return render(request, "home.html", context)


@router.get("/rehab-services", response_class=HTMLResponse, name="service_list")
async def service_list(
    request: Request,
    session: ReadSessionDep,
    actor: PageActor,
    municipality: str = Query("", pattern=r"^([0-9]{4})?$"),
    # A code, or any term of the vocabulary ("Parkinson", "MS", "J44"): the page filter reads as people write.
    patient_group: str = Query("", max_length=80, pattern=r"^[^\x00-\x1f\x7f]*$"),
    level: str = Query("", pattern=r"^[a-z_]{0,20}$"),
    form: str = Query("", pattern=r"^[a-z_]{0,30}$"),
    status: str = Query("", pattern=r"^[a-z_]{0,20}$"),
    q: str = Query("", max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$"),
    cursor: str = Query("", max_length=200),
) -> HTMLResponse:
    error = None
    if patient_group.strip():
        try:
            patient_group = taxonomy.get_taxonomy(session).code_for(patient_group.strip(), ("query", "patient_group"))
        except InvalidInput as exc:
            error, patient_group = exc.errors[0].message, ""
    chosen = {
        "municipality": municipality,
        "patient_group": patient_group,
        "level": level,
        "form": form,
        "status": status,
        "q": q,
    }
    flt = catalogue.ServiceFilter(
        municipality=municipality or None,
        patient_group=patient_group or None,
        level=[ServiceLevel(level)] if level in ServiceLevel.__members__ else (),
        form=[ServiceForm(form)] if form in ServiceForm.__members__ else (),
        status=[ServiceStatus(status)] if status in ServiceStatus.__members__ else (),
        q=q or None,
    )
    items: list[Any] = []
    next_cursor = None
    try:
        if error is None:
            # Stored documents, not parsed: table_row renders (and caches) a row per document.
            items, next_cursor = catalogue.list_service_docs(session, flt, limit=PAGE_SIZE, cursor=cursor or None)
    except InvalidInput as exc:
        error = "; ".join(e.message for e in exc.errors) or exc.detail
    query = {k: v for k, v in chosen.items() if v}
    block = "results" if request.headers.get("HX-Target") == "results" else "content"
    context = {
        "actor": actor,
        "items": items,
        "chosen": chosen,
        # The filter form is not in the htmx fragment, so its options are only needed for the full page.
        "options": catalogue.filter_options(session) if block == "content" else None,
        "labels": labels.ALL,
        "error": error,
        "next_url": f"/rehab-services?{urlencode({**query, 'cursor': next_cursor})}" if next_cursor else None,
        "first_url": f"/rehab-services?{urlencode(query)}" if cursor else None,
    }
    return render(request, "rehab_services/list.html", context, block=block)


@router.get("/rehab-services/new", response_class=HTMLResponse, name="service_new")
async def service_new(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    values = {"status": "active", "forms": [], "patient_groups": [], "age_groups": [], "referrers": []}
    return _form(request, session, actor, values, {}, None)


def _form(
    request: Request,
    session: Any,
    actor: Actor,
    values: dict[str, Any],
    errors: dict[str, str],
    service: dict[str, Any] | None,
    status_code: int = 200,
    conflict: dict[str, list[Any]] | None = None,
) -> HTMLResponse:
    order = list(labels.FIELDS)
    if status_code != 200:
        # Shown again after an error or a conflict: what was typed (and any message quoting it) with every
        # national identity number masked, so the page never repeats one. A stored service is shown as it is.
        values, errors = masked(values), masked(errors)
    context = {
        "actor": actor,
        "values": values,
        "errors": dict(sorted(errors.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order))),
        "service": service,
        "conflict": conflict,
        "options": catalogue.filter_options(session),
        "providers": catalogue.writable_providers(session, actor),
        "labels": labels.ALL,
    }
    return render(request, "rehab_services/form.html", context, status_code)


@router.post("/rehab-services/new", response_model=None, name="service_create")
async def service_create(request: Request, session: SessionDep, actor: PageWriter) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    values = service_values(form)
    try:
        data = RehabServiceCreate.model_validate(values)
        service = catalogue.create_service(session, actor, data)
    except ValidationError as exc:
        return _form(request, session, actor, values, field_messages(exc), None, 422)
    except InvalidInput as exc:
        return _form(request, session, actor, values, domain_messages(exc.errors), None, 422)
    return done(request, f"/rehab-services/{service['id']}")


@router.get("/rehab-services/{service_id}", response_class=HTMLResponse, name="service_detail")
async def service_detail(request: Request, session: ReadSessionDep, actor: PageActor, service_id: IdPath) -> Response:
    service = catalogue.get_service(session, service_id)
    names = catalogue.filter_options(session)
    context = {
        "actor": actor,
        "service": service,
        "may_edit": actor.may_write_org(service["provider_id"]) and actor.scope is None,
        "groups": {code: name for code, name, _ in names.patient_groups},
        "municipalities": dict(names.municipalities),
        "stale": catalogue.is_unverified(service["last_verified_on"]),
        "labels": labels.ALL,
    }
    return render(request, "rehab_services/detail.html", context)


@router.get("/rehab-services/{service_id}/edit", response_class=HTMLResponse, name="service_edit")
async def service_edit(request: Request, session: ReadSessionDep, actor: PageActor, service_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    service = catalogue.get_service(session, service_id)
    values = {**service, "catchment": None if service["catchment_inherited"] else service["catchment"]}
    return _form(request, session, actor, values, {}, service)


@router.post("/rehab-services/{service_id}/edit", response_model=None, name="service_update")
async def service_update(request: Request, session: SessionDep, actor: PageWriter, service_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    form = await request.form()
    values = service_values(form)
    version = str(form.get("version", ""))
    current = catalogue.get_service(session, service_id)
    changes = {k: v for k, v in values.items() if k in RehabServiceFields.model_fields}
    if "external_id" in form:  # the provider's own key is not a schema field: read it here, or it would be lost
        changes["external_id"] = str(form["external_id"]).strip() or None
    try:
        RehabServiceFields.model_validate({k: v for k, v in changes.items() if k != "external_id"})
        catalogue.update_service(session, actor, service_id, changes, f'"{version}"' if version.isdigit() else None)
    except ValidationError as exc:
        return _form(request, session, actor, {**values, "version": version}, field_messages(exc), current, 422)
    except InvalidInput as exc:
        return _form(request, session, actor, {**values, "version": version}, domain_messages(exc.errors), current, 422)
    except StaleVersion:
        # Someone saved first: show what they changed and keep everything this user typed.
        merged = catalogue.merge_edit(session, current, int(version) if version.isdigit() else 0, values)
        return _form(request, session, actor, merged.values, {}, current, 409, conflict=merged.theirs)
    return done(request, f"/rehab-services/{service_id}")


@router.post("/rehab-services/{service_id}/verify", response_model=None, name="service_verify")
def service_verify(request: Request, session: SessionDep, actor: PageWriter, service_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    catalogue.verify_service(session, actor, service_id)
    return done(request, f"/rehab-services/{service_id}")


@router.get("/organisations/{organisation_id}", response_class=HTMLResponse, name="organisation_detail")
async def organisation_detail(
    request: Request, session: ReadSessionDep, actor: PageActor, organisation_id: IdPath
) -> HTMLResponse:
    org = organisations.read_organisation(session, organisation_id)
    surveys = (
        profiles.list_profiles(session, org["municipality_number"])
        if org["kind"] == "municipality" and org.get("municipality_number")
        else []
    )
    services, next_cursor = catalogue.list_services(
        session, catalogue.ServiceFilter(provider=organisation_id), limit=500
    )
    context = {
        "actor": actor,
        "org": org,
        "surveys": surveys,
        "services": services,
        "more": next_cursor is not None,
        "municipalities": dict(catalogue.filter_options(session).municipalities),
        "regions": {r["code"]: r["name"] for r in geography.list_regions(session)},
        "labels": labels.ALL,
        # The overdue measures of the gaps this organisation owns, for those who may read gaps.
        "gaps_readable": gaps.may_read(actor),
        "overdue": gaps.overdue_measures(session, actor, owner_id=organisation_id, limit=50),
    }
    return render(request, "organisations/detail.html", context)
