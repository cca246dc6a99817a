"""Coverage: which steps of a published pathway template each municipality's residents can get."""

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from app.api.openapi import problems
from app.api.responses import Json
from app.domain import coverage, geography
from app.http.deps import CatalogueReader, ReadSessionDep
from app.http.params import MunicipalityPath
from app.models.coverage import CoverageMatrix, MunicipalityCoverage, TemplateCoverage
from app.models.geography import MunicipalityRead

router = APIRouter(tags=["coverage"])

TemplateParam = Annotated[int, Query(ge=1, le=2_147_483_647, description="A published pathway template's id")]


@router.get("/coverage", response_model=TemplateCoverage, responses=problems(401, 404, 409))
async def get_coverage(
    session: ReadSessionDep,
    actor: CatalogueReader,
    template: TemplateParam,
    municipality: Annotated[str, Query(pattern=r"^[0-9]{4}$", description="4-digit municipality number")],
) -> Json:
    """One municipality's steps of a published template, each covered or with its nearest miss and services."""
    return Json(await run_in_threadpool(coverage.for_municipality, session, actor, template, municipality))


@router.get(
    "/coverage/matrix",
    response_model=CoverageMatrix,
    responses={200: {"content": {"text/csv": {}}}, **problems(401, 404, 409)},
)
async def get_coverage_matrix(
    request: Request,
    session: ReadSessionDep,
    actor: CatalogueReader,
    template: TemplateParam,
    region: Annotated[str | None, Query(pattern=r"^[A-Z]{2,4}$", description="Region code, e.g. HN")] = None,
    county: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="2-digit county number")] = None,
    format: Annotated[
        Literal["json", "csv"] | None,
        Query(description="csv: the grid as a CSV file for Excel (also with Accept: text/csv)"),
    ] = None,
) -> Response:
    """Municipalities × steps of a published template (one region, one county, or the whole country)."""
    grid = await run_in_threadpool(coverage.matrix, session, actor, template, region=region, county=county)
    if format == "csv" or (format is None and "text/csv" in request.headers.get("accept", "")):
        name = f"dekning-{grid['series']}-v{grid['series_version']}.csv"
        return StreamingResponse(
            coverage.matrix_csv(grid),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Json(grid)


@router.get("/municipalities/{number}", response_model=MunicipalityRead, responses=problems(401, 404))
async def get_municipality(session: ReadSessionDep, _reader: CatalogueReader, number: MunicipalityPath) -> Json:
    """One municipality, with its region and the organisations serving it."""
    return Json(geography.get_municipality(session, number))


@router.get("/municipalities/{number}/coverage", response_model=MunicipalityCoverage, responses=problems(401, 404))
async def get_municipality_coverage(
    session: ReadSessionDep, _reader: CatalogueReader, number: MunicipalityPath
) -> Json:
    """Every published template's steps for one municipality: what can its residents get?"""
    return Json(await run_in_threadpool(coverage.municipality_overview, session, number))
