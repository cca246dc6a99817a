"""A network's yearly action plans and reports, its deadlines, and a committee's aggregate.

Drafts are written by editors of the network's owner or of a member organisation (and administrators);
submitted plans and reports are frozen (409). Plans are approved by the editors of a member organisation of
the committee the network reports to, or by administrators. See app.domain.networks.plans and .reports.
"""

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from app.api.openapi import problems, with_etag
from app.api.responses import Json, page, resource, versioned
from app.documents import Kind
from app.documents.http import DocumentFormat, document_responses, negotiated, respond, wanted
from app.domain.networks import aggregate, deadlines, plans, reports
from app.http.deps import Reader, ReadSessionDep, SessionDep, Writer
from app.http.params import Cursor, IdPath, IfMatch, Limit
from app.models.network import (
    ActionPlanPage,
    ActionPlanRead,
    ActionPlanWrite,
    AggregateRead,
    AnnualReportRead,
    AnnualReportWrite,
    DeadlineRead,
    PlanMeasureAdd,
    PlanMeasureRead,
    PlanMeasureUpdate,
)

router = APIRouter(prefix="/networks", tags=["network plans and reports"])
# By id, for the change feed: an event names the plan revision or report it changed.
by_id = APIRouter(tags=["network plans and reports"])
WRITE_PROBLEMS = problems(401, 403, 404, 409, 412, 428)
Year = Annotated[int, Path(ge=2000, le=2100, description="The year the plan or report covers")]


def _plan_url(network_id: int, year: int) -> str:
    return f"/api/v1/networks/{network_id}/action-plans/{year}"


# Documents at `….pdf` / `….docx`: declared before the JSON routes, whose `{year}` would match `2027.pdf`.
@router.get(
    "/{network_id}/action-plans/{year}.{suffix}",
    response_class=Response,
    responses=document_responses(problems(401, 404)),
)
async def get_action_plan_document(
    session: ReadSessionDep, actor: Reader, network_id: IdPath, year: Year, suffix: DocumentFormat
) -> Response:
    """The newest revision of the plan as a PDF/A-2a (`.pdf`) or editable DOCX (`.docx`) attachment."""
    return await respond(suffix, Kind.plan, plans.plan_document(session, actor, network_id, year))


@router.get(
    "/{network_id}/reports/{year}.{suffix}",
    response_class=Response,
    responses=document_responses(problems(401, 404)),
)
async def get_annual_report_document(
    session: ReadSessionDep, actor: Reader, network_id: IdPath, year: Year, suffix: DocumentFormat
) -> Response:
    """The report for `year` as a PDF/A-2a (`.pdf`) or editable DOCX (`.docx`) attachment."""
    return await respond(suffix, Kind.report, reports.report_document(session, actor, network_id, year))


@router.get(
    "/{committee_id}/aggregate/{year}.{suffix}",
    response_class=Response,
    responses=document_responses(problems(401, 404, 409)),
)
async def get_committee_aggregate_document(
    session: ReadSessionDep, actor: Reader, committee_id: IdPath, year: Year, suffix: DocumentFormat
) -> Response:
    """The committee's aggregate for `year` as a PDF/A-2a (`.pdf`) or editable DOCX (`.docx`) attachment."""
    return await respond(suffix, Kind.aggregate, aggregate.aggregate_document(session, actor, committee_id, year))


@router.get(
    "/{network_id}/action-plans/{year}",
    response_model=ActionPlanRead,
    responses=negotiated({**with_etag(), **problems(401, 404)}),
)
async def get_action_plan(
    request: Request, session: ReadSessionDep, actor: Reader, network_id: IdPath, year: Year
) -> Response:
    """The newest revision of the plan for `year` (the year it covers), its measures embedded (or a document)."""
    if document := wanted(request):
        return await respond(document, Kind.plan, plans.plan_document(session, actor, network_id, year))
    response = resource(plans.get_plan(session, actor, network_id, year))
    response.headers["Vary"] = "Accept"
    return response


@router.put(
    "/{network_id}/action-plans/{year}",
    response_model=ActionPlanRead,
    responses={**with_etag(), **with_etag(201, "Created (a plan or a new revision)"), **WRITE_PROBLEMS},
)
def put_action_plan(
    session: SessionDep, actor: Writer, network_id: IdPath, year: Year, body: ActionPlanWrite, if_match: IfMatch = None
) -> Json:
    """Create the plan or edit its draft (a submitted plan gets a new draft revision); If-Match once it exists."""
    plan, created = plans.put_plan(session, actor, network_id, year, body, if_match)
    return resource(plan, created_at=_plan_url(network_id, year) if created else None)


@router.get("/{network_id}/action-plans/{year}/revisions", response_model=ActionPlanPage, responses=problems(401, 404))
async def list_action_plan_revisions(
    session: ReadSessionDep, actor: Reader, network_id: IdPath, year: Year, limit: Limit = 100, cursor: Cursor = None
) -> Json:
    """Every revision of the plan, oldest first."""
    items, next_cursor = plans.list_revisions(session, actor, network_id, year, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post(
    "/{network_id}/action-plans/{year}/submit",
    response_model=ActionPlanRead,
    responses={**with_etag(), **WRITE_PROBLEMS},
)
def submit_action_plan(
    session: SessionDep, actor: Writer, network_id: IdPath, year: Year, if_match: IfMatch = None
) -> Json:
    """draft → submitted; the revision is frozen from now on."""
    return resource(plans.submit(session, actor, network_id, year, if_match))


@router.post(
    "/{network_id}/action-plans/{year}/approve",
    response_model=ActionPlanRead,
    responses={**with_etag(), **WRITE_PROBLEMS},
)
def approve_action_plan(
    session: SessionDep, actor: Writer, network_id: IdPath, year: Year, if_match: IfMatch = None
) -> Json:
    """submitted → approved: members of the committee the network reports to, and administrators."""
    return resource(plans.approve(session, actor, network_id, year, if_match))


@router.post(
    "/{network_id}/action-plans/{year}/revise",
    response_model=ActionPlanRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **WRITE_PROBLEMS},
)
def revise_action_plan(
    session: SessionDep, actor: Writer, network_id: IdPath, year: Year, if_match: IfMatch = None
) -> Json:
    """A new draft revision (n+1) of a submitted or approved plan, copying its sections and measure links."""
    return resource(plans.revise(session, actor, network_id, year, if_match), created_at=_plan_url(network_id, year))


@router.post(
    "/{network_id}/action-plans/{year}/measures",
    response_model=PlanMeasureRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 404, 409)},
)
def add_action_plan_measure(
    session: SessionDep, actor: Writer, network_id: IdPath, year: Year, body: PlanMeasureAdd
) -> Json:
    """List a measure of the network's gaps (`measure_id`) in the draft, or create one of the plan's own."""
    return versioned(plans.add_measure(session, actor, network_id, year, body), 201)


@router.patch(
    "/{network_id}/action-plans/{year}/measures/{measure_id}",
    response_model=PlanMeasureRead,
    responses={**with_etag(), **WRITE_PROBLEMS},
)
def update_action_plan_measure(
    session: SessionDep,
    actor: Writer,
    network_id: IdPath,
    year: Year,
    measure_id: IdPath,
    body: PlanMeasureUpdate,
    if_match: IfMatch = None,
) -> Json:
    """Link fields (draft only); own measures' fields (frozen plan: progress only). If-Match: the measure."""
    return versioned(plans.update_measure(session, actor, network_id, year, measure_id, body, if_match))


@router.delete("/{network_id}/action-plans/{year}/measures/{measure_id}", status_code=204, responses=WRITE_PROBLEMS)
def remove_action_plan_measure(
    session: SessionDep, actor: Writer, network_id: IdPath, year: Year, measure_id: IdPath, if_match: IfMatch = None
) -> Response:
    """Take a measure out of the draft (a measure of the plan's own no other revision lists is deleted)."""
    plans.remove_measure(session, actor, network_id, year, measure_id, if_match)
    return Response(status_code=204)


@router.get(
    "/{network_id}/reports/{year}",
    response_model=AnnualReportRead,
    responses=negotiated({**with_etag(), **problems(401, 404)}),
)
async def get_annual_report(
    request: Request, session: ReadSessionDep, actor: Reader, network_id: IdPath, year: Year
) -> Response:
    """The report for `year`, its figures pre-filled from the data (a fresh draft has id null, version 0)."""
    if document := wanted(request):
        return await respond(document, Kind.report, reports.report_document(session, actor, network_id, year))
    response = resource(reports.get_report(session, actor, network_id, year))
    response.headers["Vary"] = "Accept"
    return response


@router.put(
    "/{network_id}/reports/{year}",
    response_model=AnnualReportRead,
    responses={**with_etag(), **WRITE_PROBLEMS},
)
def put_annual_report(
    session: SessionDep,
    actor: Writer,
    network_id: IdPath,
    year: Year,
    body: AnnualReportWrite,
    if_match: IfMatch = None,
) -> Json:
    """Save the text and the reasons for measures not done ({measure_id: reason}); If-Match once saved."""
    return resource(reports.put_report(session, actor, network_id, year, body, if_match))


@router.post(
    "/{network_id}/reports/{year}/submit",
    response_model=AnnualReportRead,
    responses={**with_etag(), **WRITE_PROBLEMS},
)
def submit_annual_report(
    session: SessionDep, actor: Writer, network_id: IdPath, year: Year, if_match: IfMatch = None
) -> Json:
    """draft → submitted: the figures are stored as a snapshot and the report is frozen."""
    return resource(reports.submit_report(session, actor, network_id, year, if_match))


@router.get("/{network_id}/deadlines", response_model=list[DeadlineRead], responses=problems(401, 404))
async def get_network_deadlines(
    session: ReadSessionDep,
    actor: Reader,
    network_id: IdPath,
    today: Annotated[date | None, Query(description="Judge the deadlines as of this day (default: today)")] = None,
) -> Json:
    """The network's last and next deadline of each kind, with their state (due, soon, overdue, done)."""
    return Json(deadlines.for_actor(session, actor, network_id=network_id, today=today))


@router.get(
    "/{committee_id}/aggregate/{year}",
    response_model=AggregateRead,
    responses=negotiated(problems(401, 404, 409)),
)
async def get_committee_aggregate(
    request: Request, session: ReadSessionDep, actor: Reader, committee_id: IdPath, year: Year
) -> Response:
    """Each child network's plan (year+1) and report (year) against the deadlines, and the combined report."""
    if document := wanted(request):
        data = aggregate.aggregate_document(session, actor, committee_id, year)
        return await respond(document, Kind.aggregate, data)
    return Json(aggregate.aggregate(session, actor, committee_id, year), headers={"Vary": "Accept"})


@by_id.get("/action-plans/{plan_id}", response_model=ActionPlanRead, responses={**with_etag(), **problems(401, 404)})
async def get_action_plan_revision(session: ReadSessionDep, actor: Reader, plan_id: IdPath) -> Json:
    """One revision of an action plan by its id (the URL the change feed gives for an `action_plan` event)."""
    return resource(plans.get_revision(session, actor, plan_id))


@by_id.get(
    "/annual-reports/{report_id}", response_model=AnnualReportRead, responses={**with_etag(), **problems(401, 404)}
)
async def get_annual_report_by_id(session: ReadSessionDep, actor: Reader, report_id: IdPath) -> Json:
    """A saved annual report by its id (the URL the change feed gives for an `annual_report` event)."""
    return resource(reports.get_report_by_id(session, actor, report_id))
