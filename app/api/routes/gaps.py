"""Gap registrations (udekkede behov), their workflow, measures, comments, history and summary.

Reading gaps and measures needs a login unless REHABKART_PUBLIC_GAPS is true; comments and history always
do. Who may write what is decided in app.domain.gaps.access.
"""

from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlmodel import Session

from app.api.openapi import problems, with_etag
from app.api.responses import Json, page, resource, versioned
from app.db import get_engine
from app.domain import gaps
from app.http.deps import PageActor, Reader, ReadSessionDep, SessionDep, Writer
from app.http.errors import problem
from app.http.params import Cursor, IdPath, IfMatch, Limit, SearchText
from app.models.gap import (
    CommentCreate,
    CommentPage,
    CommentRead,
    GapCategory,
    GapCreate,
    GapFromCoverage,
    GapHistory,
    GapPage,
    GapRead,
    GapSeverity,
    GapSource,
    GapStatus,
    GapSummary,
    GapTransition,
    GapUpdate,
    MeasureCreate,
    MeasurePage,
    MeasureRead,
    MeasureUpdate,
    SummaryDimension,
)

router = APIRouter(prefix="/gaps", tags=["gaps"])
WRITE_PROBLEMS = problems(401, 403, 404, 409, 412, 428)
# Anyone, logged in or not: whether they may read is the domain's decision (REHABKART_PUBLIC_GAPS).
Caller = PageActor
_DIMENSION = "(?:" + "|".join(d.value for d in SummaryDimension) + ")"


def _gap(gap: dict[str, Any], created: bool = False) -> Json:
    return resource(gap, created_at=f"/api/v1/gaps/{gap['id']}" if created else None)


def _filter(
    category: GapCategory | None = None,
    severity: GapSeverity | None = None,
    patient_group: Annotated[
        str | None,
        Query(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="Patient-group code; its sub-groups are included"),
    ] = None,
    municipality: Annotated[
        str | None,
        Query(
            pattern=r"^[0-9]{4}$",
            description="Gaps that name this municipality, or affect the whole region it belongs to",
        ),
    ] = None,
    region: Annotated[
        str | None,
        Query(pattern=r"^[A-Z]{2,8}$", description="Gaps for the whole region or any of its municipalities"),
    ] = None,
    source: GapSource | None = None,
    owner: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Owner organisation id")] = None,
    network: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="Gaps registered by (and followed by) this network")
    ] = None,
    overdue: Annotated[
        bool | None, Query(description="true: gaps with an overdue measure; false: gaps without one")
    ] = None,
    q: SearchText = None,
) -> gaps.GapFilter:
    return gaps.GapFilter(
        category=category,
        severity=severity,
        patient_group=patient_group,
        municipality=municipality,
        region=region,
        source=source,
        owner=owner,
        network=network,
        overdue=overdue,
        q=q,
    )


GapFilterDep = Annotated[gaps.GapFilter, Depends(_filter)]


@router.get("", response_model=GapPage, responses={200: {"content": {"text/csv": {}}}, **problems(401)})
async def list_gaps(
    request: Request,
    session: ReadSessionDep,
    actor: Caller,
    flt: GapFilterDep,
    status: Annotated[list[GapStatus] | None, Query(max_length=5, description="Any of these statuses")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="csv: every matching gap as a CSV file for Excel (also with Accept: text/csv)"),
    ] = None,
) -> Response:
    """List gaps by id, filtered (deleted gaps never); follow next_cursor for the next page."""
    flt = replace(flt, status=tuple(status or ()))
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return StreamingResponse(
            gaps.gaps_csv(session, actor, flt, lambda: Session(get_engine())),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="udekkede-behov.csv"'},
        )
    items, next_cursor = gaps.list_gaps(session, actor, flt, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post("", response_model=GapRead, status_code=201, responses={**with_etag(201, "Created"), **problems(401, 403)})
def create_gap(session: SessionDep, actor: Writer, body: GapCreate) -> Json:
    """Register a gap; it starts as `registered` (the status changes only through /transitions)."""
    return _gap(gaps.create(session, actor, body), created=True)


@router.post(
    "/from-coverage",
    response_model=GapRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 404, 409)},
)
def create_gap_from_coverage(request: Request, session: SessionDep, actor: Writer, body: GapFromCoverage) -> Response:
    """Register a step that the coverage heat map shows as missing in a municipality.
    \f
    Title from the template and step, category `missing_service` (`capacity` when a fitting service is not
    active), severity `medium`, owner the municipality's organisation, source `coverage` with the reason
    code (`no_service`, `not_active`, …) as `source_reference`, linked to the step. While an open gap stands
    for the same series, step and municipality, the request answers 409 with `existing_id` and a `Location`
    header naming that gap; a covered step is 409 too (without `existing_id`).
    """
    try:
        gap = gaps.register_from_coverage(session, actor, body.template_id, body.municipality, body.step_key)
    except gaps.AlreadyRegistered as exc:
        response = problem(request, 409, "conflict", "Conflict", exc.detail, existing_id=exc.existing_id)
        response.headers["Location"] = f"/api/v1/gaps/{exc.existing_id}"
        return response
    return _gap(gap, created=True)


@router.get("/summary", response_model=GapSummary, responses=problems(401))
async def summarise_gaps(
    session: ReadSessionDep,
    actor: Caller,
    flt: GapFilterDep,
    by: Annotated[
        str,
        Query(
            pattern=f"^{_DIMENSION}(?:,{_DIMENSION}){{0,3}}$",
            description="Comma-separated dimensions: patient_group, region, category, severity",
        ),
    ] = "patient_group,region",
) -> Json:
    """Open gaps (neither resolved, rejected nor deleted) counted per combination of `by` (see GapSummary).
    \f
    `{"by": ["patient_group", "region"], "rows": [{"patient_group": "copd", "region": "HV", "open": 3}],
    "total": 7}`: each row carries only the requested dimensions (null: a gap without a patient group).
    A gap counts once in each region it touches (a whole region, or the regions of its municipalities), so
    region rows may add up to more than `total`, which counts every open gap once. The list's filters apply.
    """
    dims = tuple(SummaryDimension(d) for d in by.split(","))
    return Json(gaps.summary(session, actor, dims, flt))


@router.get("/{gap_id}", response_model=GapRead, responses={**with_etag(), **problems(401, 404)})
async def get_gap(session: ReadSessionDep, actor: Caller, gap_id: IdPath) -> Json:
    """Get one gap; its ETag is the version to send back in If-Match."""
    return _gap(gaps.get(session, actor, gap_id))


@router.patch("/{gap_id}", response_model=GapRead, responses={**with_etag(), **WRITE_PROBLEMS})
def update_gap(session: SessionDep, actor: Writer, gap_id: IdPath, body: GapUpdate, if_match: IfMatch = None) -> Json:
    """Change some fields; needs If-Match (428 without, 412 when stale). `status` is not a field here."""
    return _gap(gaps.update(session, actor, gap_id, body.model_dump(exclude_unset=True), if_match))


@router.delete("/{gap_id}", status_code=204, responses=problems(401, 403, 404, 412, 428))
def delete_gap(session: SessionDep, actor: Writer, gap_id: IdPath, if_match: IfMatch = None) -> Response:
    """Delete a gap (a tombstone for syncing clients; it then answers 404): the owner's editors and admins."""
    gaps.delete_gap(session, actor, gap_id, if_match)
    return Response(status_code=204)


@router.post("/{gap_id}/transitions", response_model=GapRead, responses={**with_etag(), **WRITE_PROBLEMS})
def transition_gap(
    session: SessionDep, actor: Writer, gap_id: IdPath, body: GapTransition, if_match: IfMatch = None
) -> Json:
    """Move the gap to another status; answers the gap at its new version (the rules: see GapTransition).
    \f
    registered → assessed → measure_planned → resolved; registered or assessed → rejected (`reason`
    required); resolved or rejected → assessed (reopening, `reason` required). `measure_planned` needs a
    measure that is not cancelled, `resolved` every measure done or cancelled. Anything else is 409.
    """
    return _gap(gaps.transition(session, actor, gap_id, body.to, body.reason, if_match))


@router.get("/{gap_id}/measures", response_model=MeasurePage, responses=problems(401, 404))
async def list_gap_measures(
    session: ReadSessionDep, actor: Caller, gap_id: IdPath, limit: Limit = 100, cursor: Cursor = None
) -> Json:
    """The gap's measures by id, each with its own version."""
    items, next_cursor = gaps.list_measures(session, actor, gap_id, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post(
    "/{gap_id}/measures",
    response_model=MeasureRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 404, 409)},
)
def create_gap_measure(session: SessionDep, actor: Writer, gap_id: IdPath, body: MeasureCreate) -> Json:
    """Add a measure (409 once the gap is resolved or rejected); the gap's version does not change."""
    return versioned(gaps.create_measure(session, actor, gap_id, body), 201)


@router.patch(
    "/{gap_id}/measures/{measure_id}", response_model=MeasureRead, responses={**with_etag(), **WRITE_PROBLEMS}
)
def update_gap_measure(
    session: SessionDep,
    actor: Writer,
    gap_id: IdPath,
    measure_id: IdPath,
    body: MeasureUpdate,
    if_match: IfMatch = None,
) -> Json:
    """Change a measure; If-Match names the measure's version. `done` sets `done_on` to today unless given."""
    changes = body.model_dump(exclude_unset=True)
    return versioned(gaps.update_measure(session, actor, gap_id, measure_id, changes, if_match))


@router.delete("/{gap_id}/measures/{measure_id}", status_code=204, responses=WRITE_PROBLEMS)
def delete_gap_measure(
    session: SessionDep, actor: Writer, gap_id: IdPath, measure_id: IdPath, if_match: IfMatch = None
) -> Response:
    """Delete a measure (If-Match: its version); a `measure_planned` gap keeps its last one (409)."""
    gaps.delete_measure(session, actor, gap_id, measure_id, if_match)
    return Response(status_code=204)


@router.get("/{gap_id}/comments", response_model=CommentPage, responses=problems(401, 404))
async def list_gap_comments(
    session: ReadSessionDep, actor: Reader, gap_id: IdPath, limit: Limit = 100, cursor: Cursor = None
) -> Json:
    """The gap's comments, oldest first (logged-in callers)."""
    items, next_cursor = gaps.list_comments(session, actor, gap_id, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post("/{gap_id}/comments", response_model=CommentRead, status_code=201, responses=problems(401, 403, 404))
def comment_on_gap(session: SessionDep, actor: Writer, gap_id: IdPath, body: CommentCreate) -> Json:
    """Comment on a gap: anyone logged in (a viewer too), but not with a read-only token."""
    return Json(gaps.add_comment(session, actor, gap_id, body), status_code=201)


@router.get("/{gap_id}/history", response_model=GapHistory, responses=problems(401, 404))
async def gap_history(session: ReadSessionDep, actor: Reader, gap_id: IdPath) -> Json:
    """Everything that happened to the gap, oldest first, for logged-in callers (see HistoryItem).
    \f
    Each item is `{at, kind, action, actor, entity_type, entity_id, version, changes, text}`:
    - `kind: "event"`: a write to the gap (`entity_type: "gap"`; action create, update, transition or
      delete) or to one of its measures (`"gap_measure"`; create, update, delete), with `version` the
      entity's version after it and `changes` `{field: [before, after]}`; `text` is null.
    - `kind: "comment"`: `action: "comment"`, `entity_type: "gap_comment"`, `text` the comment;
      `version` and `changes` are null.
    `actor` is who did it (the comment's author).
    """
    return Json(gaps.history(session, actor, gap_id))
