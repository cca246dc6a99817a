"""Patient-pathway templates (pasientforløp): versioned, ordered steps across the care levels.

A template is one business version (`series` + `series_version`, FHIR PlanDefinition's `version`) with its
status (`draft` → `published` → `retired`, FHIR's draft/active/retired). Its steps are a value of the
version: always read, written and compared whole and in order, and frozen with it when it is published,
so they are stored as one JSON list on the row and validated by `PathwayStep` on every write.
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, StrictInt, model_validator
from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.base import Tracked
from app.models.rehab_service import ServiceForm, ServiceLevel
from app.models.types import BoundedDate, Code, LongText, Name, ShortText, Url, UtcDatetime, refuse_personal_data

MAX_STEPS = 200

Slug = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
        min_length=1,
        max_length=60,
        description="Lower-case letters, digits and hyphens, e.g. `kreft-hjem`",
        examples=["kreft-hjem"],
    ),
    # Digits are allowed, so 11 of them could be a national identity number: refused as in free text.
    AfterValidator(refuse_personal_data),
]


class PathwayStatus(StrEnum):
    draft = "draft"
    published = "published"
    retired = "retired"


class ResponsibleRole(StrEnum):
    coordinating_unit = "coordinating_unit"
    coordinator = "coordinator"
    cancer_coordinator = "cancer_coordinator"
    gp = "gp"
    hospital_team = "hospital_team"
    home_care_service = "home_care_service"
    rehabilitation_team = "rehabilitation_team"
    patient_and_next_of_kin = "patient_and_next_of_kin"
    other = "other"


class HandoverItem(StrEnum):
    """What travels with the patient at a hand-over."""

    discharge_summary = "discharge_summary"
    medication_list = "medication_list"
    individual_plan = "individual_plan"
    rehabilitation_report = "rehabilitation_report"
    plo_message = "plo_message"
    referral = "referral"
    nursing_report = "nursing_report"
    other = "other"


class ChecklistCode(StrEnum):
    what_matters_asked = "what_matters_asked"
    individual_plan_offered = "individual_plan_offered"
    coordinator_assigned = "coordinator_assigned"
    next_of_kin_involved = "next_of_kin_involved"


class PathwaySource(BaseModel):
    """The national pathway or guideline a template follows."""

    model_config = ConfigDict(extra="forbid")

    title: ShortText
    url: Url | None = None
    date: BoundedDate | None = None


class Handover(BaseModel):
    """The hand-over a step ends with."""

    model_config = ConfigDict(extra="forbid")

    to_level: ServiceLevel
    items: list[HandoverItem] = Field(default_factory=list, max_length=len(HandoverItem))
    note: ShortText | None = None


class ChecklistItem(BaseModel):
    """A coded item ("What matters to you?" asked …) or a free one (`code` null, `text` required)."""

    model_config = ConfigDict(extra="forbid")

    code: ChecklistCode | None = None
    text: ShortText | None = None

    @model_validator(mode="after")
    def _code_or_text(self) -> "ChecklistItem":
        if self.code is None and self.text is None:
            raise ValueError("a checklist item needs a code or a text")
        return self


class PathwayStep(BaseModel):
    model_config = ConfigDict(extra="forbid")

    key: Slug = Field(description="Stable across versions, so versions can be compared step by step")
    title: Name
    description: LongText | None = None
    levels: list[ServiceLevel] = Field(min_length=1, max_length=2, description="municipal, specialist or both")
    forms: list[ServiceForm] = Field(default_factory=list, max_length=len(ServiceForm))
    responsible_role: ResponsibleRole
    general_services_count: StrictBool = Field(
        default=False, description="Whether a service with no patient group counts for this step"
    )
    start_day: StrictInt | None = Field(
        default=None, ge=0, le=3650, description="Expected start, days after the pathway starts"
    )
    duration_days: StrictInt | None = Field(default=None, ge=0, le=3650)
    handover: Handover | None = None
    checklist: list[ChecklistItem] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _distinct(self) -> "PathwayStep":
        # Sets, stored sorted: the order of levels or forms in a body means nothing.
        self.levels = sorted(set(self.levels))
        self.forms = sorted(set(self.forms))
        return self


Steps = Annotated[list[PathwayStep], Field(max_length=MAX_STEPS, description="In pathway order")]


class PathwayTemplate(Tracked, table=True):
    __tablename__ = "pathway_template"
    __table_args__ = (
        UniqueConstraint("series", "series_version"),
        Index("ix_pathway_template_status", "status"),
    )

    id: int | None = DbField(default=None, primary_key=True)
    series: str = DbField(max_length=60, index=True)
    series_version: int
    status: str = DbField(max_length=16, default=PathwayStatus.draft.value)
    title: str = DbField(max_length=200)
    description: str | None = DbField(default=None)
    owner_id: int = DbField(foreign_key="organisation.id", index=True)
    source: dict[str, Any] | None = DbField(default=None, sa_column=Column(JSON, nullable=True))
    steps: list[dict[str, Any]] = DbField(default_factory=list, sa_column=Column(JSON, nullable=False))
    published_at: datetime | None = None
    published_by: str | None = DbField(default=None, max_length=300)
    search_text: str = DbField(default="")


class PathwayTemplatePatientGroup(SQLModel, table=True):
    """A template's patient groups, as rows so lists can filter by group (sub-groups included)."""

    __tablename__ = "pathway_template_patient_group"

    template_id: int = DbField(foreign_key="pathway_template.id", primary_key=True, ondelete="CASCADE")
    patient_group_id: int = DbField(foreign_key="patient_group.id", primary_key=True, index=True)


class PathwayFields(BaseModel):
    """What a writer sends for a draft (create and PATCH share it; PATCH sends only what changes)."""

    model_config = ConfigDict(extra="forbid")

    title: Name
    description: LongText | None = None
    patient_groups: list[Code] = Field(default_factory=list, max_length=30)
    owner_id: StrictInt = Field(ge=1, le=2_147_483_647)
    source: PathwaySource | None = None
    steps: Steps = Field(default_factory=list)


class PathwayCreate(PathwayFields):
    series: Slug


class PathwayUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    description: LongText | None = None
    patient_groups: list[Code] | None = Field(default=None, max_length=30)
    owner_id: StrictInt | None = Field(default=None, ge=1, le=2_147_483_647)
    source: PathwaySource | None = None
    steps: Steps | None = None


class PathwayRead(BaseModel):
    id: int
    series: str
    series_version: int
    status: PathwayStatus
    title: str
    description: str | None
    patient_groups: list[str]
    owner_id: int
    owner_name: str
    source: PathwaySource | None
    steps: list[PathwayStep]
    published_at: UtcDatetime | None
    published_by: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class PathwayPage(BaseModel):
    items: list[PathwayRead]
    next_cursor: str | None


class FieldChange(BaseModel):
    field: str
    before: Any
    after: Any


class StepChange(BaseModel):
    key: str
    change: str = Field(description="added, removed, moved or changed")
    fields: list[FieldChange]


class PathwayDiff(BaseModel):
    from_id: int
    to_id: int
    fields: list[FieldChange]
    steps: list[StepChange]
