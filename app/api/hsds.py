"""Open Referral HSDS 3.0 under /hsds, following the HSDS API reference: read-only JSON pages.

Kept out of the OpenAPI document (HSDS publishes its own API reference); see the README. Errors are the
API's problem+json; reads are public when the catalogue is, else they need a login or token.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from app.api.responses import Json
from app.domain.standards import hsds, tabular
from app.http.deps import CatalogueReader, ReadSessionDep
from app.models.types import IsoDatetime
from app.web import labels

router = APIRouter(prefix="/hsds", include_in_schema=False)

LABELS = hsds.Labels(forms=labels.FORMS, levels=labels.LEVELS)

Page = Annotated[int | None, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int | None, Query(ge=1, le=hsds.MAX_PER_PAGE)]
Search = Annotated[str | None, Query(max_length=200)]
HsdsId = Annotated[str | None, Query(max_length=36)]


def _json(body: dict[str, Any]) -> Json:
    return Json(body)


@router.get("/")
async def profile(_reader: CatalogueReader) -> Json:
    return _json(hsds.root())


@router.get("/services")
async def list_services(
    session: ReadSessionDep,
    _reader: CatalogueReader,
    page: Page = None,
    per_page: PerPage = None,
    modified_after: Annotated[IsoDatetime | None, Query()] = None,
    taxonomy_term_id: HsdsId = None,
    organization_id: HsdsId = None,
    search: Search = None,
    full: bool = False,
) -> Json:
    query = hsds.ServiceQuery(
        modified_after=modified_after,
        taxonomy_term_id=taxonomy_term_id,
        organization_id=organization_id,
        search=search,
    )
    return _json(hsds.list_services(session, LABELS, hsds.page_request(page, per_page), query, full=full))


@router.get("/services/{service_id}")
async def get_service(session: ReadSessionDep, _reader: CatalogueReader, service_id: str) -> Json:
    return _json(hsds.get_service(session, LABELS, service_id))


@router.get("/organizations")
async def list_organizations(
    session: ReadSessionDep,
    _reader: CatalogueReader,
    page: Page = None,
    per_page: PerPage = None,
    search: Search = None,
    full: bool = False,
) -> Json:
    return _json(hsds.list_organizations(session, hsds.page_request(page, per_page), search=search, full=full))


@router.get("/organizations/{organization_id}")
async def get_organization(
    session: ReadSessionDep, _reader: CatalogueReader, organization_id: str, full_service: bool = False
) -> Json:
    return _json(hsds.get_organization(session, organization_id, LABELS, full_service=full_service))


@router.get("/taxonomies")
async def list_taxonomies(
    _reader: CatalogueReader, page: Page = None, per_page: PerPage = None, search: Search = None
) -> Json:
    return _json(hsds.list_taxonomies(hsds.page_request(page, per_page), search))


@router.get("/taxonomies/{taxonomy_id}")
async def get_taxonomy(_reader: CatalogueReader, taxonomy_id: str) -> Json:
    return _json(hsds.get_taxonomy(taxonomy_id))


@router.get("/taxonomy_terms")
async def list_taxonomy_terms(
    session: ReadSessionDep,
    _reader: CatalogueReader,
    page: Page = None,
    per_page: PerPage = None,
    taxonomy_id: HsdsId = None,
    parent_id: HsdsId = None,
    top_only: bool = False,
    search: Search = None,
) -> Json:
    req = hsds.page_request(page, per_page)
    return _json(
        hsds.list_terms(
            session, LABELS, req, taxonomy_id=taxonomy_id, parent_id=parent_id, top_only=top_only, search=search
        )
    )


@router.get("/taxonomy_terms/{term_id}")
async def get_taxonomy_term(session: ReadSessionDep, _reader: CatalogueReader, term_id: str) -> Json:
    return _json(hsds.get_term(session, LABELS, term_id))


@router.get("/service_at_locations")
async def list_service_at_locations(_reader: CatalogueReader, page: Page = None, per_page: PerPage = None) -> Json:
    """Rehabkart records where a service is offered as its catchment (service_areas), not as physical
    locations: there are no service_at_location records, so every page is empty."""
    return _json(hsds.envelope([], 0, hsds.page_request(page, per_page)))


@router.get("/datapackage.zip")
def datapackage(session: ReadSessionDep, _reader: CatalogueReader) -> Response:
    body = tabular.datapackage_zip(session, LABELS)
    return Response(
        body,
        media_type="application/zip",
        headers={"Content-Disposition": 'attachment; filename="rehabkart-hsds-datapackage.zip"'},
    )
