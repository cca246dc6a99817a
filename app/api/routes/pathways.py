"""Pathway templates: versioned patient pathways (drafts, published and retired versions) and their diffs."""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.api.openapi import problems, with_etag
from app.api.responses import Json, page, resource
from app.domain import pathways
from app.http.deps import CatalogueReader, ReadSessionDep, SessionDep, Writer
from app.http.params import Cursor, IdPath, IfMatch, Limit, SearchText
from app.models.pathway import (
    PathwayCreate,
    PathwayDiff,
    PathwayPage,
    PathwayRead,
    PathwayStatus,
    PathwayUpdate,
)

router = APIRouter(prefix="/pathway-templates", tags=["pathway-templates"])
WRITE_PROBLEMS = problems(401, 403, 404, 409, 412, 428)


def _one(template: dict[str, Any], created: bool = False) -> Json:
    return resource(template, created_at=f"/api/v1/pathway-templates/{template['id']}" if created else None)


@router.get("", response_model=PathwayPage, responses=problems(401))
async def list_pathway_templates(
    session: ReadSessionDep,
    actor: CatalogueReader,
    status: Annotated[list[PathwayStatus] | None, Query(max_length=3)] = None,
    patient_group: Annotated[
        str | None,
        Query(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="Patient-group code; its sub-groups are included"),
    ] = None,
    owner: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Owner organisation id")] = None,
    series: Annotated[str | None, Query(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=60)] = None,
    q: SearchText = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Json:
    """List templates by id, filtered; drafts only for logged-in callers."""
    flt = pathways.PathwayFilter(
        status=tuple(status or ()), patient_group=patient_group, owner=owner, series=series, q=q
    )
    items, next_cursor = pathways.list_templates(session, actor, flt, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post(
    "",
    response_model=PathwayRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 409)},
)
def create_pathway_template(session: SessionDep, actor: Writer, body: PathwayCreate) -> Json:
    """Create a draft with its steps: version 1 of a new series, or the next version (one draft per series)."""
    return _one(pathways.create(session, actor, body), created=True)


@router.get("/{template_id}", response_model=PathwayRead, responses={**with_etag(), **problems(401, 404)})
async def get_pathway_template(session: ReadSessionDep, actor: CatalogueReader, template_id: IdPath) -> Json:
    """Get one template with its steps in order; its ETag is the version to send back in If-Match."""
    return _one(pathways.get(session, actor, template_id))


@router.patch("/{template_id}", response_model=PathwayRead, responses={**with_etag(), **WRITE_PROBLEMS})
def update_pathway_template(
    session: SessionDep, actor: Writer, template_id: IdPath, body: PathwayUpdate, if_match: IfMatch = None
) -> Json:
    """Change a draft (`steps` replaces the ordered list); published and retired versions answer 409."""
    changes = body.model_dump(exclude_unset=True, mode="json")
    return _one(pathways.update(session, actor, template_id, changes, if_match))


@router.delete("/{template_id}", status_code=204, responses=WRITE_PROBLEMS)
def delete_pathway_template(
    session: SessionDep, actor: Writer, template_id: IdPath, if_match: IfMatch = None
) -> Response:
    """Delete a draft (only drafts: published and retired versions are history)."""
    pathways.delete_draft(session, actor, template_id, if_match)
    return Response(status_code=204)


@router.post("/{template_id}/publish", response_model=PathwayRead, responses={**with_etag(), **WRITE_PROBLEMS})
def publish_pathway_template(session: SessionDep, actor: Writer, template_id: IdPath, if_match: IfMatch = None) -> Json:
    """Publish a draft: it is frozen, and the series' previously published version is retired."""
    return _one(pathways.publish(session, actor, template_id, if_match))


@router.post(
    "/{template_id}/new-version",
    response_model=PathwayRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **WRITE_PROBLEMS},
)
def new_pathway_template_version(
    session: SessionDep, actor: Writer, template_id: IdPath, if_match: IfMatch = None
) -> Json:
    """Copy the series' newest version into a new draft (409 when the series already has a draft)."""
    return _one(pathways.new_version(session, actor, template_id, if_match), created=True)


@router.post("/{template_id}/retire", response_model=PathwayRead, responses={**with_etag(), **WRITE_PROBLEMS})
def retire_pathway_template(session: SessionDep, actor: Writer, template_id: IdPath, if_match: IfMatch = None) -> Json:
    """Withdraw a published version."""
    return _one(pathways.retire(session, actor, template_id, if_match))


@router.get("/{template_id}/diff", response_model=PathwayDiff, responses=problems(401, 404))
async def diff_pathway_templates(
    session: ReadSessionDep,
    actor: CatalogueReader,
    template_id: IdPath,
    against: Annotated[int, Query(ge=1, le=2_147_483_647, description="The other version's id (the 'before')")],
) -> Json:
    """What changed from version `against` to this one: the template's fields, then step by step."""
    return Json(pathways.diff(session, actor, template_id, against))
