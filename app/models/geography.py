"""Regions (RHF) and municipalities: reference data loaded by `rehabkart reference load`."""

from pydantic import BaseModel
from sqlmodel import Field

from app.models.base import Tracked
from app.models.types import UtcDatetime


class Region(Tracked, table=True):
    """A regional health authority (RHF)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=8, unique=True)
    name: str = Field(max_length=200)
    orgnr: str | None = Field(default=None, max_length=9)
    ssb_code: str | None = Field(default=None, max_length=8)


class Municipality(Tracked, table=True):
    """A municipality (kommune) in the 2024 structure: 357 of them."""

    number: str = Field(primary_key=True, max_length=4)
    name: str = Field(max_length=200)
    name_official: str = Field(max_length=300)
    county_number: str = Field(max_length=2, index=True)
    county_name: str = Field(max_length=100)
    region_id: int | None = Field(default=None, foreign_key="region.id", index=True)
    population: int | None = None


class RegionRead(BaseModel):
    id: int
    code: str
    name: str
    orgnr: str | None
    ssb_code: str | None
    organisation_id: int | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class MunicipalityRead(BaseModel):
    number: str
    name: str
    name_official: str
    county_number: str
    county_name: str
    region: str | None
    catchment_organisation_ids: list[int]
    organisation_id: int | None
    population: int | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int
