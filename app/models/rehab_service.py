"""Rehabilitation services (tilbud): the catalogue's central aggregate."""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator
from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.base import Tracked
from app.models.types import (
    BoundedDate,
    Code,
    Email,
    ExternalId,
    LongText,
    MunicipalityNumber,
    Name,
    Phone,
    ShortText,
    Url,
    UtcDatetime,
)


class ServiceLevel(StrEnum):
    municipal = "municipal"
    specialist = "specialist"


class ServiceForm(StrEnum):
    inpatient = "inpatient"
    day = "day"
    outpatient = "outpatient"
    ambulatory = "ambulatory"
    home_based = "home_based"
    learning_and_mastery = "learning_and_mastery"
    digital = "digital"


class ServiceStatus(StrEnum):
    planned = "planned"
    active = "active"
    paused = "paused"
    discontinued = "discontinued"


class AgeGroup(StrEnum):
    children = "children"
    adults = "adults"
    elderly = "elderly"


class CapacityUnit(StrEnum):
    beds = "beds"
    day_places = "day_places"
    course_seats_per_year = "course_seats_per_year"
    consultations_per_year = "consultations_per_year"
    places = "places"


class Referrer(StrEnum):
    gp = "gp"
    hospital = "hospital"
    self_referral = "self_referral"
    municipality = "municipality"


class ServiceSource(StrEnum):
    manual = "manual"
    integration = "integration"
    import_batch = "import"
    demo = "demo"


class RehabService(Tracked, table=True):
    __tablename__ = "rehab_service"
    __table_args__ = (UniqueConstraint("provider_id", "external_id"),)

    id: int | None = DbField(default=None, primary_key=True)
    provider_id: int = DbField(foreign_key="organisation.id", index=True)
    name: str = DbField(max_length=200)
    description: str = DbField(default="", max_length=5000)
    level: str = DbField(max_length=16, index=True)
    status: str = DbField(default=ServiceStatus.active.value, max_length=16, index=True)
    age_groups: list[str] = DbField(default_factory=list, sa_column=Column(JSON, nullable=False))
    capacity_number: int | None = None
    capacity_unit: str | None = DbField(default=None, max_length=32)
    waiting_time_days: int | None = None
    waiting_time_reported_on: date | None = None
    referrers: list[str] = DbField(default_factory=list, sa_column=Column(JSON, nullable=False))
    referral_criteria: str = DbField(default="", max_length=5000)
    contact_name: str | None = DbField(default=None, max_length=200)
    contact_phone: str | None = DbField(default=None, max_length=40)
    contact_email: str | None = DbField(default=None, max_length=254)
    website: str | None = DbField(default=None, max_length=500)
    valid_from: date | None = None
    valid_to: date | None = None
    last_verified_on: date | None = None
    catchment_inherited: bool = True
    source: str = DbField(default=ServiceSource.manual.value, max_length=16)
    source_batch_id: int | None = None
    external_id: str | None = DbField(default=None, max_length=100)
    helsehjelpsomrade_8655: str | None = DbField(default=None, max_length=10)
    iplos_9151: str | None = DbField(default=None, max_length=10)
    omsorgsniva_8406: str | None = DbField(default=None, max_length=10)
    # Case-folded name + description: portable case-insensitive search for æ, ø and å too.
    search_text: str = DbField(default="", max_length=5300)
    deleted_at: datetime | None = None
    # The service as the API shows it (RehabServiceRead as JSON), rewritten by every write: list pages
    # are then one indexed query and a join of stored documents.
    doc: str | None = DbField(default=None, sa_column=Column(Text, nullable=True))
    # Digest of the import row that last wrote (or confirmed) the service, and the version that left it:
    # the same row again, with no write in between, is unchanged without being checked again.
    import_digest: str | None = DbField(default=None, max_length=32)
    import_digest_version: int | None = None


# Link tables are kept by their primary key on SQLite (no rowid): one B-tree less per row, and their second
# index carries the key (revision 8d4e1f2a6b37). Bulk imports write ~10 link rows per service.
WITHOUT_ROWID = {"sqlite_with_rowid": False}


class RehabServiceForm(SQLModel, table=True):
    __tablename__ = "rehab_service_form"
    __table_args__ = (Index("ix_rehab_service_form_form_service", "form", "service_id"), WITHOUT_ROWID)

    service_id: int = DbField(foreign_key="rehab_service.id", primary_key=True, ondelete="CASCADE")
    form: str = DbField(max_length=32, primary_key=True)


class RehabServicePatientGroup(SQLModel, table=True):
    __tablename__ = "rehab_service_patient_group"
    __table_args__ = (
        Index("ix_rehab_service_patient_group_group_service", "patient_group_id", "service_id"),
        WITHOUT_ROWID,
    )

    service_id: int = DbField(foreign_key="rehab_service.id", primary_key=True, ondelete="CASCADE")
    patient_group_id: int = DbField(foreign_key="patient_group.id", primary_key=True)


class RehabServiceCatchment(SQLModel, table=True):
    """The effective catchment of a service: its own list, or its provider's when inherited."""

    __tablename__ = "rehab_service_catchment"
    __table_args__ = (Index("ix_rehab_service_catchment_service", "service_id"), WITHOUT_ROWID)

    # Municipality first: the list filter walks this key in service order.
    municipality_number: str = DbField(foreign_key="municipality.number", primary_key=True, max_length=4)
    service_id: int = DbField(foreign_key="rehab_service.id", primary_key=True, ondelete="CASCADE")


StrictCount = Annotated[int, Strict()]


class RehabServiceFields(BaseModel):
    """Fields a client may write; every one bounded. Shared by create, upsert, update and import."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: LongText = ""
    level: ServiceLevel
    forms: list[ServiceForm] = Field(min_length=1, max_length=7)
    patient_groups: list[Code] = Field(default_factory=list, max_length=30)
    age_groups: list[AgeGroup] = Field(default_factory=list, max_length=3)
    capacity_number: Annotated[StrictCount, Field(ge=0, le=100_000)] | None = None
    capacity_unit: CapacityUnit | None = None
    waiting_time_days: Annotated[StrictCount, Field(ge=0, le=3650)] | None = None
    waiting_time_reported_on: BoundedDate | None = None
    catchment: list[MunicipalityNumber] | None = Field(
        default=None,
        max_length=400,
        description="Municipalities the service takes patients from; null inherits the provider's",
    )
    referrers: list[Referrer] = Field(default_factory=list, max_length=4)
    referral_criteria: LongText = ""
    contact_name: ShortText | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    website: Url | None = None
    status: ServiceStatus = ServiceStatus.active
    valid_from: BoundedDate | None = None
    valid_to: BoundedDate | None = None
    last_verified_on: BoundedDate | None = None
    helsehjelpsomrade_8655: Annotated[str, Field(pattern=r"^[A-Z][0-9]{0,6}$")] | None = Field(
        default=None, description="Volven 8655 helsehjelpsområde, e.g. H09 Rehabilitering"
    )
    iplos_9151: Annotated[str, Field(pattern=r"^[0-9]{1,3}$")] | None = Field(
        default=None, description="Volven 9151 IPLOS tjenestetype (municipal services)"
    )
    omsorgsniva_8406: Annotated[str, Field(pattern=r"^[0-9]{1,2}$")] | None = Field(
        default=None, description="Volven 8406 omsorgsnivå: 1 døgn, 2 dag, 3 poliklinisk"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "RehabServiceFields":
        _check_consistency(self.model_dump(exclude_unset=False))
        return self


def _check_consistency(values: dict[str, Any]) -> None:
    frm, to = values.get("valid_from"), values.get("valid_to")
    if frm and to and to < frm:
        raise ValueError("valid_to must not be before valid_from")
    if values.get("capacity_number") is not None and values.get("capacity_unit") is None:
        raise ValueError("capacity_unit is required when capacity_number is given")
    for key in ("forms", "patient_groups", "age_groups", "referrers", "catchment"):
        items = values.get(key)
        if items and len(set(items)) != len(items):
            raise ValueError(f"{key} must not repeat a value")


class RehabServiceCreate(RehabServiceFields):
    provider_id: int = Field(ge=1, le=2_147_483_647)
    external_id: ExternalId | None = Field(default=None, description="The provider's own key for the service")


class RehabServiceUpsert(RehabServiceFields):
    """Body of PUT /rehab-services/by-external-id/{provider}/{external_id}: the whole service."""


class RehabServiceUpdate(BaseModel):
    """A partial update: only the fields present are changed; null clears an optional field."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    description: LongText | None = None
    level: ServiceLevel | None = None
    forms: list[ServiceForm] | None = Field(default=None, min_length=1, max_length=7)
    patient_groups: list[Code] | None = Field(default=None, max_length=30)
    age_groups: list[AgeGroup] | None = Field(default=None, max_length=3)
    capacity_number: Annotated[StrictCount, Field(ge=0, le=100_000)] | None = None
    capacity_unit: CapacityUnit | None = None
    waiting_time_days: Annotated[StrictCount, Field(ge=0, le=3650)] | None = None
    waiting_time_reported_on: BoundedDate | None = None
    catchment: list[MunicipalityNumber] | None = Field(default=None, max_length=400)
    referrers: list[Referrer] | None = Field(default=None, max_length=4)
    referral_criteria: LongText | None = None
    contact_name: ShortText | None = None
    contact_phone: Phone | None = None
    contact_email: Email | None = None
    website: Url | None = None
    status: ServiceStatus | None = None
    valid_from: BoundedDate | None = None
    valid_to: BoundedDate | None = None
    last_verified_on: BoundedDate | None = None
    external_id: ExternalId | None = None
    helsehjelpsomrade_8655: Annotated[str, Field(pattern=r"^[A-Z][0-9]{0,6}$")] | None = None
    iplos_9151: Annotated[str, Field(pattern=r"^[0-9]{1,3}$")] | None = None
    omsorgsniva_8406: Annotated[str, Field(pattern=r"^[0-9]{1,2}$")] | None = None


# Fields that may not be cleared with null in a PATCH.
REQUIRED_ON_UPDATE = frozenset({"name", "level", "forms", "status", "description", "referral_criteria"})


class RehabServiceRead(BaseModel):
    id: int
    provider_id: int
    provider_name: str
    external_id: str | None
    name: str
    description: str
    level: ServiceLevel
    forms: list[ServiceForm]
    patient_groups: list[str]
    age_groups: list[AgeGroup]
    capacity_number: int | None
    capacity_unit: CapacityUnit | None
    waiting_time_days: int | None
    waiting_time_reported_on: date | None
    catchment: list[str]
    catchment_inherited: bool
    referrers: list[Referrer]
    referral_criteria: str
    contact_name: str | None
    contact_phone: str | None
    contact_email: str | None
    website: str | None
    status: ServiceStatus
    valid_from: date | None
    valid_to: date | None
    last_verified_on: date | None
    helsehjelpsomrade_8655: str | None
    iplos_9151: str | None
    omsorgsniva_8406: str | None
    source: ServiceSource
    source_batch_id: int | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class RehabServicePage(BaseModel):
    items: list[RehabServiceRead]
    next_cursor: str | None
