"""Reference data: municipalities, regions and the patient-group taxonomy (read-only)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from app.api.openapi import problems
from app.api.responses import Json, page
from app.domain import geography, profiles, taxonomy
from app.http.deps import CatalogueReader, ReadSessionDep
from app.http.params import Cursor, SearchText
from app.models.geography import MunicipalityRead, RegionRead
from app.models.imports import MunicipalProfileRead
from app.models.patient_group import PatientGroupRead

router = APIRouter(tags=["reference"])


class MunicipalityPage(BaseModel):
    items: list[MunicipalityRead]
    next_cursor: str | None


class RegionPage(BaseModel):
    items: list[RegionRead]
    next_cursor: str | None


class PatientGroupPage(BaseModel):
    items: list[PatientGroupRead]
    next_cursor: str | None


@router.get("/municipalities", response_model=MunicipalityPage, responses=problems(401))
async def list_municipalities(
    session: ReadSessionDep,
    _reader: CatalogueReader,
    q: SearchText = None,
    county: Annotated[str | None, Query(pattern=r"^[0-9]{2}$", description="2-digit county number")] = None,
    region: Annotated[str | None, Query(pattern=r"^[A-Z]{2,4}$", description="Region code, e.g. HV")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 500,
    cursor: Cursor = None,
) -> Json:
    """List municipalities (2024 structure), with their region and the organisations serving them."""
    items, next_cursor = geography.list_municipalities(
        session, q=q, county=county, region=region, limit=limit, cursor=cursor
    )
    return page(items, next_cursor)


@router.get("/regions", response_model=RegionPage, responses=problems(401))
async def list_regions(session: ReadSessionDep, _reader: CatalogueReader) -> Json:
    """List the four regional health authorities (RHF)."""
    return page(geography.list_regions(session), None)


@router.get("/patient-groups", response_model=PatientGroupPage, responses=problems(401))
async def list_patient_groups(session: ReadSessionDep, _reader: CatalogueReader) -> Json:
    """List the patient-group taxonomy, parents before children."""
    return page(taxonomy.list_patient_groups(session), None)


@router.get("/municipalities/{number}/profile", response_model=MunicipalProfileRead, responses=problems(401, 404))
async def get_municipal_profile(
    session: ReadSessionDep,
    _reader: CatalogueReader,
    number: Annotated[str, Path(pattern=r"^[0-9]{4}$")],
    year: Annotated[int | None, Query(ge=2000, le=2100, description="Survey year; the latest if omitted")] = None,
) -> Json:
    """What the municipality reported in its rehabilitation survey (the latest year unless given)."""
    return Json(profiles.get_profile(session, number, year))
