"""Organisations (municipalities, health trusts, private institutions …) and their catchments."""

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import UniqueConstraint
from sqlmodel import Field as DbField

from app.models.base import Tracked
from app.models.types import MunicipalityNumber, Name, OrgNumber, Url, UtcDatetime


class OrganisationKind(StrEnum):
    municipality = "municipality"
    district = "district"
    health_trust = "health_trust"
    private_institution = "private_institution"
    user_organisation = "user_organisation"
    education = "education"
    regional_authority = "regional_authority"
    other = "other"


# Kinds that come only from the reference data and are never created through the API.
REFERENCE_KINDS = frozenset(
    {OrganisationKind.municipality, OrganisationKind.health_trust, OrganisationKind.regional_authority}
)


class EditableKind(StrEnum):
    """Organisation kinds that users may create."""

    district = "district"
    private_institution = "private_institution"
    user_organisation = "user_organisation"
    education = "education"
    other = "other"


class Organisation(Tracked, table=True):
    id: int | None = DbField(default=None, primary_key=True)
    kind: str = DbField(max_length=32, index=True)
    name: str = DbField(max_length=200)
    orgnr: str | None = DbField(default=None, max_length=9, unique=True)
    municipality_number: str | None = DbField(default=None, max_length=4, foreign_key="municipality.number", index=True)
    parent_id: int | None = DbField(default=None, foreign_key="organisation.id", index=True)
    region_id: int | None = DbField(default=None, foreign_key="region.id", index=True)
    website: str | None = DbField(default=None, max_length=500)
    # Set for rows owned by the reference loader (e.g. "hf:helse-fonna"); those are read-only here.
    reference_key: str | None = DbField(default=None, max_length=64, unique=True)
    search_text: str = DbField(default="", max_length=1000)


class Catchment(Tracked, table=True):
    """A municipality (or one district of it) that an organisation serves: its opptaksområde."""

    __table_args__ = (UniqueConstraint("organisation_id", "municipality_number", "district_code"),)

    id: int | None = DbField(default=None, primary_key=True)
    organisation_id: int = DbField(foreign_key="organisation.id", index=True)
    municipality_number: str = DbField(max_length=4, foreign_key="municipality.number", index=True)
    # Empty when the whole municipality is served; a 6-digit bydel code when only part of it is.
    district_code: str = DbField(default="", max_length=6)


class OrganisationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: EditableKind
    name: Name
    orgnr: OrgNumber | None = None
    municipality_number: MunicipalityNumber | None = None
    parent_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2,4}$", description="Region code, e.g. HSO")
    website: Url | None = None
    catchment: list[MunicipalityNumber] | None = Field(
        default=None, max_length=400, description="Municipalities served; services inherit it"
    )


class OrganisationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    orgnr: OrgNumber | None = None
    municipality_number: MunicipalityNumber | None = None
    parent_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    region: str | None = Field(default=None, pattern=r"^[A-Z]{2,4}$")
    website: Url | None = None
    catchment: list[MunicipalityNumber] | None = Field(default=None, max_length=400)


class OrganisationRead(BaseModel):
    id: int
    kind: OrganisationKind
    name: str
    orgnr: str | None
    municipality_number: str | None
    parent_id: int | None
    region: str | None
    website: str | None
    reference_data: bool
    catchment: list[str]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int
