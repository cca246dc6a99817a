"""Organisations: reference data (municipalities, trusts, regions) and user-created ones."""

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.openapi import problems, with_etag
from app.api.responses import Json, page, resource
from app.domain import organisations
from app.http.deps import CatalogueReader, ReadSessionDep, SessionDep, Writer
from app.http.params import Cursor, IdPath, IfMatch, Limit, SearchText
from app.models.organisation import OrganisationCreate, OrganisationKind, OrganisationRead, OrganisationUpdate

router = APIRouter(prefix="/organisations", tags=["organisations"])


class OrganisationPage(BaseModel):
    items: list[OrganisationRead]
    next_cursor: str | None


def _one(org: dict[str, Any], status_code: int = 200) -> Json:
    return resource(org, created_at=f"/api/v1/organisations/{org['id']}" if status_code == 201 else None)


@router.get("", response_model=OrganisationPage, responses=problems(401))
async def list_organisations(
    session: ReadSessionDep,
    _reader: CatalogueReader,
    kind: Annotated[list[OrganisationKind] | None, Query(max_length=8)] = None,
    region: Annotated[str | None, Query(pattern=r"^[A-Z]{2,4}$", description="Region code, e.g. HSO")] = None,
    q: SearchText = None,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> Json:
    """List organisations, filtered by kind, region and name or organisation number."""
    items, next_cursor = organisations.list_organisations(
        session, kind=kind, region=region, q=q, limit=limit, cursor=cursor
    )
    return page(items, next_cursor)


@router.get("/{organisation_id}", response_model=OrganisationRead, responses={**with_etag(), **problems(401, 404)})
async def get_organisation(session: ReadSessionDep, _reader: CatalogueReader, organisation_id: IdPath) -> Json:
    """Get one organisation with its catchment."""
    return _one(organisations.read_organisation(session, organisation_id))


@router.post(
    "",
    response_model=OrganisationRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 409)},
)
def create_organisation(session: SessionDep, actor: Writer, body: OrganisationCreate) -> Json:
    """Create an organisation of a kind that is not reference data (private institution, …); admins only."""
    return _one(organisations.create_organisation(session, actor, body), 201)


@router.patch(
    "/{organisation_id}",
    response_model=OrganisationRead,
    responses={**with_etag(), **problems(401, 403, 404, 409, 412, 428)},
)
def update_organisation(
    session: SessionDep, actor: Writer, organisation_id: IdPath, body: OrganisationUpdate, if_match: IfMatch = None
) -> Json:
    """Change an organisation; send If-Match with its ETag. Reference data cannot be changed here."""
    return _one(organisations.update_organisation(session, actor, organisation_id, body, if_match))
