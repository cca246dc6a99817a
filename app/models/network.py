"""Networks (fagnettverk, fagråd, læringsnettverk, samhandlingsutvalg), their members and meetings, and their
yearly action plans and reports.

A collaboration committee is a network too (kind `collaboration_committee`); other networks report to one
(`parent_id`). An action plan (per network and year: the year the plan covers) lists measures from the
same `measure` table that gaps use, through `action_plan_measure`: a measure of one of the network's gaps,
or one of the plan's own (`measure.gap_id` null). A new revision of a plan copies the links, never the
measures, so a measure's status is the same in every revision that lists it.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator
from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.base import Tracked
from app.models.gap import MeasureRead, MeasureUpdate, RegionCode
from app.models.pathway import Slug
from app.models.types import BoundedDate, Code, LongText, MunicipalityNumber, Name, ShortText, UtcDatetime

Id = Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]
# A yearly deadline as month and day ("11-30"); the year follows from the plan or report it is for.
MonthDay = Annotated[
    str,
    StringConstraints(pattern=r"^(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"),
    Field(description="Month and day, `MM-DD`", examples=["11-30"]),
]
Email = Annotated[str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
MAX_MUNICIPALITIES = 400
PLAN_DUE = "11-30"  # the plan for year Y is due on 30 November of Y-1
REPORT_DUE = "01-31"  # the report for year Y is due on 31 January of Y+1
AGGREGATE_DUE = "02-28"  # the committee's aggregate of the reports for Y, by 28 February of Y+1


class NetworkKind(StrEnum):
    professional_network = "professional_network"
    advisory_council = "advisory_council"
    learning_network = "learning_network"
    collaboration_committee = "collaboration_committee"
    other = "other"


class MemberRole(StrEnum):
    leader = "leader"
    secretary = "secretary"
    member = "member"
    secretariat_contact = "secretariat_contact"


class MeetingKind(StrEnum):
    meeting = "meeting"
    dialogue_meeting = "dialogue_meeting"
    seminar = "seminar"


class PlanStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"


class ReportStatus(StrEnum):
    draft = "draft"
    submitted = "submitted"


# --- tables -----------------------------------------------------------------------------------------------


class Network(Tracked, table=True):
    __tablename__ = "network"

    id: int | None = DbField(default=None, primary_key=True)
    name: str = DbField(max_length=200)
    kind: str = DbField(max_length=32, index=True)
    owner_id: int = DbField(foreign_key="organisation.id", index=True)  # the owner or secretariat
    parent_id: int | None = DbField(default=None, foreign_key="network.id", index=True)
    region_id: int | None = DbField(default=None, foreign_key="region.id", index=True)
    mandate: str | None = None
    plan_due: str = DbField(default=PLAN_DUE, max_length=5)
    report_due: str = DbField(default=REPORT_DUE, max_length=5)
    aggregate_due: str = DbField(default=AGGREGATE_DUE, max_length=5)
    search_text: str = DbField(default="")
    deleted_at: datetime | None = None


class NetworkMunicipality(SQLModel, table=True):
    __tablename__ = "network_municipality"

    network_id: int = DbField(foreign_key="network.id", primary_key=True, ondelete="CASCADE")
    municipality_number: str = DbField(foreign_key="municipality.number", primary_key=True, max_length=4)


class NetworkPatientGroup(SQLModel, table=True):
    __tablename__ = "network_patient_group"

    network_id: int = DbField(foreign_key="network.id", primary_key=True, ondelete="CASCADE")
    patient_group_id: int = DbField(foreign_key="patient_group.id", primary_key=True)


class NetworkSeries(SQLModel, table=True):
    """A pathway template series the network follows (its coverage goes into the yearly report)."""

    __tablename__ = "network_series"

    network_id: int = DbField(foreign_key="network.id", primary_key=True, ondelete="CASCADE")
    series: str = DbField(primary_key=True, max_length=60)


class NetworkMember(Tracked, table=True):
    """An organisation in a network, in a role, optionally with a named representative (staff contact data,
    never patients)."""

    __tablename__ = "network_member"
    __table_args__ = (UniqueConstraint("network_id", "organisation_id", "role"),)

    id: int | None = DbField(default=None, primary_key=True)
    network_id: int = DbField(foreign_key="network.id", index=True)
    organisation_id: int = DbField(foreign_key="organisation.id", index=True)
    role: str = DbField(max_length=24)
    representative_name: str | None = DbField(default=None, max_length=200)
    representative_title: str | None = DbField(default=None, max_length=200)
    representative_email: str | None = DbField(default=None, max_length=254)


class NetworkMeeting(Tracked, table=True):
    __tablename__ = "network_meeting"

    id: int | None = DbField(default=None, primary_key=True)
    network_id: int = DbField(foreign_key="network.id", index=True)
    held_on: date = DbField(index=True)
    kind: str = DbField(max_length=24)
    title: str = DbField(max_length=200)
    agenda: str | None = None
    minutes: str | None = None
    decisions: str | None = None
    deleted_at: datetime | None = None


class ActionPlan(Tracked, table=True):
    """One revision of a network's action plan for `year`; only the newest revision can be a draft."""

    __tablename__ = "action_plan"
    __table_args__ = (UniqueConstraint("network_id", "year", "revision"),)

    id: int | None = DbField(default=None, primary_key=True)
    network_id: int = DbField(foreign_key="network.id", index=True)
    year: int
    revision: int = 1
    status: str = DbField(max_length=16, default=PlanStatus.draft.value)
    sections: list[dict[str, Any]] = DbField(default_factory=list, sa_column=Column(JSON, nullable=False))
    submitted_at: datetime | None = None
    approved_at: datetime | None = None
    approved_by: str | None = DbField(default=None, max_length=300)


class ActionPlanMeasure(SQLModel, table=True):
    """A measure listed in a plan revision, with the plan's own area, contact and time frame for it."""

    __tablename__ = "action_plan_measure"

    plan_id: int = DbField(foreign_key="action_plan.id", primary_key=True, ondelete="CASCADE")
    measure_id: int = DbField(foreign_key="measure.id", primary_key=True, index=True)
    position: int = 0
    area: str | None = DbField(default=None, max_length=200)
    contact: str | None = DbField(default=None, max_length=200)
    time_frame: str | None = DbField(default=None, max_length=200)


class AnnualReport(Tracked, table=True):
    """A network's report of what it did in `year`: free text beside figures taken from the data; the
    figures (coverage included) are stored as a snapshot when the report is submitted."""

    __tablename__ = "annual_report"
    __table_args__ = (UniqueConstraint("network_id", "year"),)

    id: int | None = DbField(default=None, primary_key=True)
    network_id: int = DbField(foreign_key="network.id", index=True)
    year: int
    status: str = DbField(max_length=16, default=ReportStatus.draft.value)
    text: str | None = None
    measure_notes: dict[str, Any] = DbField(default_factory=dict, sa_column=Column(JSON, nullable=False))
    snapshot: dict[str, Any] | None = DbField(default=None, sa_column=Column(JSON, nullable=True))
    submitted_at: datetime | None = None


# --- schemas: networks, members, meetings -----------------------------------------------------------------


class NetworkFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: NetworkKind
    owner_id: Id = Field(description="The owner or secretariat organisation")
    parent_id: Id | None = Field(default=None, description="The collaboration committee the network reports to")
    region: RegionCode | None = Field(default=None, description="A whole region the network covers")
    municipalities: list[MunicipalityNumber] = Field(default_factory=list, max_length=MAX_MUNICIPALITIES)
    patient_groups: list[Code] = Field(default_factory=list, max_length=30)
    series: list[Slug] = Field(
        default_factory=list, max_length=50, description="Pathway template series the network follows"
    )
    mandate: LongText | None = None
    plan_due: MonthDay = PLAN_DUE
    report_due: MonthDay = REPORT_DUE
    aggregate_due: MonthDay = AGGREGATE_DUE


class NetworkCreate(NetworkFields):
    pass


class NetworkUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    kind: NetworkKind | None = None
    owner_id: Id | None = None
    parent_id: Id | None = None
    region: RegionCode | None = None
    municipalities: list[MunicipalityNumber] | None = Field(default=None, max_length=MAX_MUNICIPALITIES)
    patient_groups: list[Code] | None = Field(default=None, max_length=30)
    series: list[Slug] | None = Field(default=None, max_length=50)
    mandate: LongText | None = None
    plan_due: MonthDay | None = None
    report_due: MonthDay | None = None
    aggregate_due: MonthDay | None = None


class NetworkRead(BaseModel):
    id: int
    name: str
    kind: NetworkKind
    owner_id: int
    owner_name: str
    parent_id: int | None
    region: str | None
    municipalities: list[str]
    patient_groups: list[str]
    series: list[str]
    mandate: str | None
    plan_due: str
    report_due: str
    aggregate_due: str
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class NetworkPage(BaseModel):
    items: list[NetworkRead]
    next_cursor: str | None


class MemberFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: Id
    role: MemberRole = MemberRole.member
    representative_name: ShortText | None = None
    representative_title: ShortText | None = None
    representative_email: Email | None = None


class MemberCreate(MemberFields):
    pass


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: MemberRole | None = None
    representative_name: ShortText | None = None
    representative_title: ShortText | None = None
    representative_email: Email | None = None


class MemberRead(BaseModel):
    id: int
    network_id: int
    organisation_id: int
    organisation_name: str
    role: MemberRole
    representative_name: str | None
    representative_title: str | None
    representative_email: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class MemberPage(BaseModel):
    items: list[MemberRead]
    next_cursor: str | None


class MeetingFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: BoundedDate
    kind: MeetingKind = MeetingKind.meeting
    title: Name
    agenda: LongText | None = None
    minutes: LongText | None = None
    decisions: LongText | None = None


class MeetingCreate(MeetingFields):
    pass


class MeetingUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    held_on: BoundedDate | None = None
    kind: MeetingKind | None = None
    title: Name | None = None
    agenda: LongText | None = None
    minutes: LongText | None = None
    decisions: LongText | None = None

    @model_validator(mode="after")
    def _required_stay(self) -> "MeetingUpdate":
        for name in ("held_on", "kind", "title"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class MeetingRead(BaseModel):
    id: int
    network_id: int
    held_on: date
    kind: MeetingKind
    title: str
    agenda: str | None
    minutes: str | None
    decisions: str | None
    gaps: list[int] = Field(description="Gaps registered from this meeting")
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class MeetingPage(BaseModel):
    items: list[MeetingRead]
    next_cursor: str | None


# --- schemas: action plans, annual reports, deadlines, the committee's aggregate ------------------------

SectionKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
MAX_SECTIONS = 40


class PlanSection(BaseModel):
    """One section of an action plan (formål, mandat og organisering …), each editable."""

    model_config = ConfigDict(extra="forbid")

    key: SectionKey
    title: Name
    text: LongText = ""


class ActionPlanWrite(BaseModel):
    """The draft's sections (all of them, in order); left out when creating: the default outline."""

    model_config = ConfigDict(extra="forbid")

    sections: list[PlanSection] | None = Field(default=None, max_length=MAX_SECTIONS)

    @model_validator(mode="after")
    def _unique_keys(self) -> "ActionPlanWrite":
        keys = [s.key for s in self.sections or []]
        if len(keys) != len(set(keys)):
            raise ValueError("section keys must be unique")
        return self


class PlanMeasureLink(BaseModel):
    """The plan's own fields for a measure it lists."""

    model_config = ConfigDict(extra="forbid")

    area: ShortText | None = Field(default=None, description="The plan's area (område) the measure belongs to")
    contact: ShortText | None = Field(default=None, description="Contact person or role (staff, never patients)")
    time_frame: ShortText | None = Field(default=None, description="Time frame as the plan words it")
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None


class PlanMeasureUpdate(PlanMeasureLink, MeasureUpdate):
    """The link's fields, and for a measure of the plan's own its measure fields (those of a gap's measure
    are changed under its gap)."""


class PlanMeasureAdd(PlanMeasureUpdate):
    """Either `measure_id` (a measure of one of the network's gaps) or a new measure of the plan's own
    (`what` and `responsible_id`, optionally `due_on`, `status`, `done_on`, `note`)."""

    measure_id: Id | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> "PlanMeasureAdd":
        own = ("what", "responsible_id", "due_on", "status", "done_on", "note")
        if self.measure_id is not None:
            if any(getattr(self, k) is not None for k in own):
                raise ValueError("give either measure_id or the fields of a new measure, not both")
        elif self.what is None or self.responsible_id is None:
            raise ValueError("give measure_id, or what and responsible_id for a new measure")
        return self


class PlanMeasureRead(MeasureRead):
    """A measure as the gaps domain reads it, with the plan's fields for it."""

    area: str | None
    contact: str | None
    time_frame: str | None
    position: int


class ActionPlanRead(BaseModel):
    id: int
    network_id: int
    network_name: str
    year: int = Field(description="The year the plan covers")
    revision: int
    status: PlanStatus
    due_on: date = Field(description="When the plan is due (from the network's plan_due)")
    sections: list[PlanSection]
    measures: list[PlanMeasureRead]
    submitted_at: UtcDatetime | None
    approved_at: UtcDatetime | None
    approved_by: str | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int = Field(description="Grows across revisions: a new revision continues the numbering")


class ActionPlanPage(BaseModel):
    items: list[ActionPlanRead]
    next_cursor: str | None


MeasureNoteKey = Annotated[str, StringConstraints(pattern=r"^[1-9][0-9]{0,9}$")]


class AnnualReportWrite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: LongText | None = None
    measure_notes: dict[MeasureNoteKey, LongText] | None = Field(
        default=None, max_length=500, description="{measure_id: why it was not done}"
    )


class AnnualReportRead(BaseModel):
    id: int | None = Field(description="Null until the report is first saved")
    network_id: int
    network_name: str
    year: int
    status: ReportStatus
    due_on: date
    text: str | None
    measure_notes: dict[str, str]
    figures: dict[str, Any] = Field(
        description="meetings, measures (status and reason), gaps (registered, resolved, open), coverage per "
        "series with the change since last year's report; frozen when submitted"
    )
    submitted_at: UtcDatetime | None
    created_at: UtcDatetime | None
    updated_at: UtcDatetime | None
    version: int


class DeadlineKind(StrEnum):
    plan = "plan"
    report = "report"
    aggregate = "aggregate"


class DeadlineState(StrEnum):
    due = "due"
    soon = "soon"
    overdue = "overdue"
    done = "done"


class DeadlineRead(BaseModel):
    network_id: int
    network_name: str
    kind: DeadlineKind
    year: int = Field(description="The year the plan or report covers (the aggregate: the reports' year)")
    due_on: date
    state: DeadlineState
    days_left: int = Field(description="Negative when overdue")
    text: str = Field(description="The deadline in Norwegian")


class AggregateRead(BaseModel):
    committee_id: int
    committee_name: str
    year: int
    aggregate: DeadlineRead
    networks: list[dict[str, Any]]
    combined: dict[str, Any]
