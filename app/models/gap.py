"""Gap registrations (udekkede behov): where patients fall through, the measures that close them, comments.

A gap (FHIR DetectedIssue) names what is missing, for whom (a patient group) and where (municipalities, or a
whole region), who follows it up (the owner organisation), and moves through a workflow enforced in
app.domain.gaps.workflow. Its measures (FHIR Task) carry their own version: writing a measure never bumps
the gap's. A measure's `gap_id` is nullable because a network's action plan will list measures of its own
in the same table (one model, not two).
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.base import Tracked
from app.models.pathway import Slug
from app.models.types import BoundedDate, Code, LongText, MunicipalityNumber, Name, ShortText, UtcDatetime, utcnow

Id = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]
RegionCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2,8}$"), Field(description="Region (RHF) code, e.g. `HV`", examples=["HV"])
]
MAX_MUNICIPALITIES = 400  # every municipality of the largest region, with room to spare


class GapCategory(StrEnum):
    missing_service = "missing_service"
    capacity = "capacity"
    waiting_time = "waiting_time"
    handover = "handover"
    competence = "competence"
    information = "information"
    other = "other"


class GapSeverity(StrEnum):
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"


class GapSource(StrEnum):
    dialogue_meeting = "dialogue_meeting"
    deviation_report = "deviation_report"
    survey = "survey"
    coverage = "coverage"
    user_organisation = "user_organisation"
    other = "other"


class GapStatus(StrEnum):
    registered = "registered"
    assessed = "assessed"
    measure_planned = "measure_planned"
    resolved = "resolved"
    rejected = "rejected"


class MeasureStatus(StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    done = "done"
    cancelled = "cancelled"


# --- tables -----------------------------------------------------------------------------------------------


class Gap(Tracked, table=True):
    __tablename__ = "gap"

    id: int | None = DbField(default=None, primary_key=True)
    title: str = DbField(max_length=200)
    description: str | None = DbField(default=None)
    category: str = DbField(max_length=32, index=True)
    severity: str = DbField(max_length=16, index=True)
    status: str = DbField(max_length=24, default=GapStatus.registered.value, index=True)
    status_reason: str | None = DbField(default=None)
    patient_group_id: int | None = DbField(default=None, foreign_key="patient_group.id", index=True)
    # A whole region; otherwise the affected municipalities are rows of gap_municipality.
    region_id: int | None = DbField(default=None, foreign_key="region.id", index=True)
    source: str = DbField(max_length=32, index=True)
    source_reference: str | None = DbField(default=None, max_length=200)
    owner_id: int = DbField(foreign_key="organisation.id", index=True)
    # A step of a template version, as FHIR's canonical `url|version` + key: plain values, no foreign key,
    # checked when written (only frozen versions, which are never deleted).
    pathway_series: str | None = DbField(default=None, max_length=60)
    pathway_series_version: int | None = None
    pathway_step_key: str | None = DbField(default=None, max_length=60)
    service_id: int | None = DbField(default=None, foreign_key="rehab_service.id", index=True)
    # Registered by a network (which then follows it), perhaps from one of its meetings.
    network_id: int | None = DbField(default=None, foreign_key="network.id", index=True)
    meeting_id: int | None = DbField(default=None, foreign_key="network_meeting.id", index=True)
    # Case-folded title + description for portable search (æ, ø and å too).
    search_text: str = DbField(default="")
    deleted_at: datetime | None = None


class GapMunicipality(SQLModel, table=True):
    """A municipality a gap affects, as rows so lists can filter by municipality and summaries by region."""

    __tablename__ = "gap_municipality"

    gap_id: int = DbField(foreign_key="gap.id", primary_key=True, ondelete="CASCADE")
    municipality_number: str = DbField(foreign_key="municipality.number", primary_key=True, max_length=4, index=True)


class Measure(Tracked, table=True):
    """A measure (tiltak): under a gap here; later also listed by a network's action plan."""

    __tablename__ = "measure"

    id: int | None = DbField(default=None, primary_key=True)
    gap_id: int | None = DbField(default=None, foreign_key="gap.id", index=True)
    what: str = DbField(max_length=200)
    responsible_id: int = DbField(foreign_key="organisation.id", index=True)
    due_on: date | None = None
    status: str = DbField(max_length=16, default=MeasureStatus.planned.value)
    done_on: date | None = None
    note: str | None = DbField(default=None)
    # Deleted measures stay as rows so a gap's history can still find their audit events.
    deleted_at: datetime | None = None


class GapComment(SQLModel, table=True):
    __tablename__ = "gap_comment"

    id: int | None = DbField(default=None, primary_key=True)
    gap_id: int = DbField(foreign_key="gap.id", index=True)
    text: str
    author: str = DbField(max_length=300)
    author_user_id: int | None = None
    created_at: datetime = DbField(default_factory=utcnow, nullable=False)


# --- schemas ----------------------------------------------------------------------------------------------


class PathwayStepRef(BaseModel):
    """A step of one version of a pathway template."""

    model_config = ConfigDict(extra="forbid")

    series: Slug
    series_version: Id
    key: Slug


class GapFields(BaseModel):
    """What a writer sends (create; PATCH sends only what changes and is merged onto the stored gap)."""

    model_config = ConfigDict(extra="forbid")

    title: Name
    description: LongText | None = None
    category: GapCategory
    severity: GapSeverity
    patient_group: Code | None = Field(default=None, description="Patient-group code, e.g. `copd`")
    municipalities: list[MunicipalityNumber] = Field(
        default_factory=list,
        max_length=MAX_MUNICIPALITIES,
        description="The affected municipalities (4-digit numbers); leave empty when `region` is given",
    )
    region: RegionCode | None = Field(default=None, description="A whole region instead of municipalities")
    source: GapSource
    source_reference: ShortText | None = Field(default=None, description="e.g. the meeting or deviation number")
    owner_id: Id = Field(description="The organisation that follows the gap up")
    pathway_step: PathwayStepRef | None = None
    service_id: Id | None = None
    network_id: Id | None = Field(default=None, description="The network that registered the gap and follows it")
    meeting_id: Id | None = Field(default=None, description="The network's meeting it was registered at")


class GapCreate(GapFields):
    pass


class GapUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Name | None = None
    description: LongText | None = None
    category: GapCategory | None = None
    severity: GapSeverity | None = None
    patient_group: Code | None = None
    municipalities: list[MunicipalityNumber] | None = Field(default=None, max_length=MAX_MUNICIPALITIES)
    region: RegionCode | None = None
    source: GapSource | None = None
    source_reference: ShortText | None = None
    owner_id: Id | None = None
    pathway_step: PathwayStepRef | None = None
    service_id: Id | None = None
    network_id: Id | None = Field(default=None, description="The network that registered the gap and follows it")
    meeting_id: Id | None = Field(default=None, description="The network's meeting it was registered at")


class GapFromCoverage(BaseModel):
    """A step of a published template that is missing in a municipality, as the coverage heat map shows it."""

    model_config = ConfigDict(extra="forbid")

    template_id: Id = Field(description="A published pathway template (a version's id)")
    municipality: MunicipalityNumber
    step_key: Slug


class GapTransition(BaseModel):
    """registered → assessed → measure_planned → resolved; registered or assessed → rejected (`reason`
    required); resolved or rejected → assessed (reopening, `reason` required). `measure_planned` needs a
    measure that is not cancelled, `resolved` every measure done or cancelled. Anything else is 409."""

    model_config = ConfigDict(extra="forbid")

    to: GapStatus
    reason: LongText | None = Field(
        default=None, description="Why; required when rejecting and when reopening a resolved or rejected gap"
    )


class GapRead(BaseModel):
    id: int
    title: str
    description: str | None
    category: GapCategory
    severity: GapSeverity
    status: GapStatus
    status_reason: str | None = Field(description="The reason given with the last transition")
    patient_group: str | None
    municipalities: list[str]
    region: str | None
    source: GapSource
    source_reference: str | None
    owner_id: int
    owner_name: str
    pathway_step: PathwayStepRef | None
    service_id: int | None
    network_id: int | None
    meeting_id: int | None
    measures_open: int = Field(description="Measures planned or in progress")
    measures_overdue: int = Field(description="Open measures whose due date has passed (Norwegian date)")
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class GapPage(BaseModel):
    items: list[GapRead]
    next_cursor: str | None


class MeasureFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: ShortText
    responsible_id: Id = Field(description="The responsible organisation")
    due_on: BoundedDate | None = Field(
        default=None, description="May be in the past: measures are often registered late"
    )
    status: MeasureStatus = MeasureStatus.planned
    done_on: BoundedDate | None = Field(default=None, description="Only with status done; defaults to today")
    note: LongText | None = None


class MeasureCreate(MeasureFields):
    pass


class MeasureUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    what: ShortText | None = None
    responsible_id: Id | None = None
    due_on: BoundedDate | None = None
    status: MeasureStatus | None = None
    done_on: BoundedDate | None = None
    note: LongText | None = None


class MeasureRead(BaseModel):
    id: int
    gap_id: int | None
    what: str
    responsible_id: int
    responsible_name: str
    due_on: date | None
    status: MeasureStatus
    done_on: date | None
    note: str | None
    overdue: bool = Field(description="Due date passed (Norwegian date) and neither done nor cancelled")
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class MeasurePage(BaseModel):
    items: list[MeasureRead]
    next_cursor: str | None


class CommentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: LongText = Field(min_length=1)


class CommentRead(BaseModel):
    id: int
    gap_id: int
    text: str
    author: str
    created_at: UtcDatetime


class CommentPage(BaseModel):
    items: list[CommentRead]
    next_cursor: str | None


class HistoryItem(BaseModel):
    """One thing that happened to a gap. `kind: "event"`: a write to the gap (`entity_type: "gap"`; action
    create, update, transition or delete) or to one of its measures (`"gap_measure"`; create, update,
    delete), with the entity's `version` after it and `changes` as {field: [before, after]}. `kind:
    "comment"`: `action: "comment"`, `entity_type: "gap_comment"`, `text` the comment. `actor`: who."""

    at: UtcDatetime
    kind: Literal["event", "comment"]
    action: str = Field(description="create, update, delete, transition, or comment")
    actor: str
    entity_type: str = Field(description="gap, gap_measure or gap_comment")
    entity_id: str
    version: int | None = Field(description="The entity's version after an event; null for a comment")
    changes: dict[str, Any] | None = Field(description="An event's changed fields: {field: [before, after]}")
    text: str | None = Field(description="A comment's text")


class GapHistory(BaseModel):
    gap_id: int
    items: list[HistoryItem]


class SummaryDimension(StrEnum):
    patient_group = "patient_group"
    region = "region"
    category = "category"
    severity = "severity"


class GapSummaryRow(BaseModel):
    """One combination of the requested dimensions (only those keys are present) and its open gaps."""

    patient_group: str | None = None
    region: str | None = None
    category: GapCategory | None = None
    severity: GapSeverity | None = None
    open: int


class GapSummary(BaseModel):
    """Open gaps per combination of the dimensions in `by`, e.g. {"by": ["patient_group", "region"], "rows":
    [{"patient_group": "copd", "region": "HV", "open": 3}], "total": 7}. A gap counts once in each region
    it touches (a whole region, or the regions of its municipalities), so region rows may add up to more
    than `total`, which counts every open gap once. A null patient group: gaps without one."""

    by: list[SummaryDimension]
    rows: list[GapSummaryRow]
    total: int = Field(description="Open gaps counted once each")
