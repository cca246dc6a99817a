"""Coverage: which steps of a published pathway template each municipality's residents can get.

Computed from the catalogue on every read, never stored: these are the shapes of the answers.
"""

from enum import StrEnum

from pydantic import BaseModel, Field

from app.models.rehab_service import ServiceForm, ServiceLevel


class MissReason(StrEnum):
    """Why a step is not covered: the nearest miss, the first that applies in this order."""

    not_active = "not_active"
    wrong_form = "wrong_form"
    wrong_level = "wrong_level"
    outside_catchment = "outside_catchment"
    no_service = "no_service"


class CoveringService(BaseModel):
    id: int
    name: str
    provider_id: int
    level: ServiceLevel
    forms: list[ServiceForm]
    partial: bool = Field(description="The service takes patients from only some districts of the municipality")


class StepCoverage(BaseModel):
    key: str
    title: str
    covered: bool
    partial: bool = Field(description="Covered for only some districts (bydeler) of the municipality")
    reason: MissReason | None = Field(
        description="The nearest miss when not covered; `outside_catchment` for a partial step (the rest of "
        "the municipality is outside every catchment)"
    )
    services: list[CoveringService] = Field(description="The services that cover the step, fully or partially")


class TemplateCoverage(BaseModel):
    template_id: int
    series: str
    series_version: int
    title: str
    municipality: str
    steps: list[StepCoverage]
    covered_steps: int
    partial_steps: int
    total_steps: int


class MatrixStep(BaseModel):
    key: str
    title: str


class MatrixCell(BaseModel):
    key: str
    covered: bool
    partial: bool
    reason: MissReason | None
    service_count: int = Field(description="Services covering the step for the municipality, fully or partially")


class MatrixMunicipality(BaseModel):
    number: str
    name: str
    population: int | None
    cells: list[MatrixCell]
    covered_steps: int
    partial_steps: int


class StepTotal(BaseModel):
    key: str
    municipalities_covered: int
    municipalities_partial: int
    population_covered: int
    population_share: float = Field(description="Population covered ÷ population of the matrix's municipalities")


class CoverageMatrix(BaseModel):
    template_id: int
    series: str
    series_version: int
    title: str
    scope: str = Field(description="`country`, `region:<code>` or `county:<nn>`")
    steps: list[MatrixStep]
    municipalities: list[MatrixMunicipality]
    step_totals: list[StepTotal]
    population: int


class MunicipalityCoverage(BaseModel):
    municipality: str
    name: str
    templates: list[TemplateCoverage] = Field(description="Every published template, by title")
