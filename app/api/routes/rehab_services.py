"""Rehabilitation services: the catalogue."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator
from sqlmodel import Session

from app.api.openapi import ETAG_HEADER, problems, with_etag
from app.api.responses import Json, raw_page, resource
from app.db import get_engine
from app.domain import catalogue, exports
from app.domain.versioning import etag
from app.http.deps import CatalogueReader, ReadSessionDep, SessionDep, Writer
from app.http.params import Cursor, IdPath, IfMatch, SearchText
from app.models.rehab_service import (
    RehabServiceCreate,
    RehabServicePage,
    RehabServiceRead,
    RehabServiceUpdate,
    RehabServiceUpsert,
    ServiceForm,
    ServiceLevel,
    ServiceSource,
    ServiceStatus,
)
from app.models.types import IsoDatetime, refuse_personal_data

router = APIRouter(prefix="/rehab-services", tags=["rehab-services"])


def _one(service: dict[str, Any], status_code: int = 200) -> Json:
    return resource(service, created_at=f"/api/v1/rehab-services/{service['id']}" if status_code == 201 else None)


@router.get(
    "",
    response_model=RehabServicePage,
    responses={200: {"content": {"text/csv": {}}}, **problems(401)},
)
async def list_rehab_services(
    request: Request,
    session: ReadSessionDep,
    _reader: CatalogueReader,
    municipality: Annotated[
        str | None,
        Query(pattern=r"^[0-9]{4}$", description="Services whose catchment includes this municipality"),
    ] = None,
    patient_group: Annotated[
        str | None,
        Query(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="Patient-group code; its sub-groups are included"),
    ] = None,
    level: Annotated[list[ServiceLevel] | None, Query(max_length=2)] = None,
    form: Annotated[list[ServiceForm] | None, Query(max_length=7, description="Any of these forms")] = None,
    status: Annotated[list[ServiceStatus] | None, Query(max_length=4)] = None,
    provider: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Provider organisation id")] = None,
    q: SearchText = None,
    updated_since: Annotated[
        IsoDatetime | None,
        Query(description="Only services changed at or after this time (ISO 8601, e.g. 2026-01-31T12:00:00Z)"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size (1-500)")] = 50,
    cursor: Cursor = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="csv: every matching service as a CSV file for Excel (also with Accept: text/csv)"),
    ] = None,
) -> Response:
    """List services in a stable order, filtered; follow next_cursor for the next page."""
    flt = catalogue.ServiceFilter(
        municipality=municipality,
        patient_group=patient_group,
        level=level or (),
        form=form or (),
        status=status or (),
        provider=provider,
        q=q,
        updated_since=updated_since,
    )
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        return StreamingResponse(
            exports.services_csv(session, flt, lambda: Session(get_engine())),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="rehabiliteringstilbud.csv"'},
        )
    docs, next_cursor = catalogue.list_service_docs(session, flt, limit=limit, cursor=cursor)
    return raw_page(docs, next_cursor)


@router.get("/{service_id}", response_model=RehabServiceRead, responses={**with_etag(), **problems(401, 404)})
async def get_rehab_service(session: ReadSessionDep, _reader: CatalogueReader, service_id: IdPath) -> Response:
    """Get one service; its ETag is the version to send back in If-Match."""
    version, doc = catalogue.get_service_doc(session, service_id)
    return Response(doc, media_type="application/json", headers={"ETag": etag(version)})


@router.post(
    "",
    response_model=RehabServiceRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 409)},
)
def create_rehab_service(session: SessionDep, actor: Writer, body: RehabServiceCreate) -> Json:
    """Create a service. A provider's external_id may be used only once (409)."""
    return _one(catalogue.create_service(session, actor, body), 201)


@router.patch(
    "/{service_id}",
    response_model=RehabServiceRead,
    responses={**with_etag(), **problems(401, 403, 404, 409, 412, 428)},
)
def update_rehab_service(
    session: SessionDep, actor: Writer, service_id: IdPath, body: RehabServiceUpdate, if_match: IfMatch = None
) -> Json:
    """Change some fields of a service; needs If-Match (428 without, 412 when stale)."""
    changes = body.model_dump(exclude_unset=True)
    return _one(catalogue.update_service(session, actor, service_id, changes, if_match))


@router.delete("/{service_id}", status_code=204, responses=problems(401, 403, 404, 412, 428))
def delete_rehab_service(session: SessionDep, actor: Writer, service_id: IdPath, if_match: IfMatch = None) -> Response:
    """Delete a service (kept as a tombstone for syncing clients); needs If-Match."""
    catalogue.delete_service(session, actor, service_id, if_match)
    return Response(status_code=204)


@router.put(
    "/by-external-id/{provider_id}/{external_id}",
    response_model=RehabServiceRead,
    responses={
        **with_etag(200, "Replaced (or unchanged)"),
        201: {"model": RehabServiceRead, "description": "Created", "headers": ETAG_HEADER},
        **problems(401, 403, 404, 409, 412),
    },
)
def upsert_rehab_service(
    session: SessionDep,
    actor: Writer,
    provider_id: IdPath,
    # Guarded as the body's ExternalId is: a national identity number is a 422 /problems/personal-data.
    external_id: Annotated[
        str,
        Path(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f/]+$"),
        AfterValidator(refuse_personal_data),
    ],
    body: RehabServiceUpsert,
    if_match: IfMatch = None,
) -> Json:
    """Create or replace a service by the provider's own key; repeating the same body changes nothing."""
    service, outcome = catalogue.upsert_service(
        session, actor, provider_id, external_id.strip(), body, if_match, source=ServiceSource.integration
    )
    return _one(service, 201 if outcome == "created" else 200)
