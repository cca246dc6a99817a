"""Bulk imports (one row per applied batch) and the municipal survey facts they bring."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StringConstraints
from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.base import Tracked
from app.models.types import Name, UtcDatetime


class ImportKind(StrEnum):
    rehab_services = "rehab-services"
    municipal_survey = "municipal-survey"


class ImportBatch(SQLModel, table=True):
    __tablename__ = "import_batch"

    id: int | None = DbField(default=None, primary_key=True)
    kind: str = DbField(max_length=32)
    file_name: str = DbField(max_length=255)
    sha256: str = DbField(max_length=64, index=True)
    actor_user_id: int | None = DbField(default=None, index=True)
    actor_label: str = DbField(max_length=300)
    created_at: datetime
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    row_errors: list[dict[str, Any]] = DbField(default_factory=list, sa_column=Column(JSON, nullable=False))


class MunicipalProfile(Tracked, table=True):
    """What a municipality reported in one survey year."""

    __tablename__ = "municipal_profile"
    __table_args__ = (UniqueConstraint("municipality_number", "year"),)

    id: int | None = DbField(default=None, primary_key=True)
    municipality_number: str = DbField(max_length=4, foreign_key="municipality.number", index=True)
    year: int
    has_cancer_coordinator: bool | None = None
    coordinating_unit_contact: str | None = DbField(default=None, max_length=300)
    rehab_in_municipal_plan: bool | None = None
    overview_of_rehab_needs: bool | None = None
    overview_of_waiting_times: bool | None = None
    everyday_rehab_team: bool | None = None
    rehab_places: int | None = None
    source_batch_id: int | None = DbField(default=None, foreign_key="import_batch.id")


class PendingImport(SQLModel, table=True):
    """An upload whose dry run was clean, kept until its owner confirms it (or it expires).

    Only the SHA-256 of the confirmation token is stored. Once applied, the bytes are dropped and the
    batch is remembered until expiry, so a repeated confirmation leads to the same batch, not a second one.
    """

    __tablename__ = "pending_import"

    id: int | None = DbField(default=None, primary_key=True)
    token_hash: str = DbField(max_length=64, unique=True)
    user_id: int = DbField(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    kind: str = DbField(max_length=32)
    file_name: str = DbField(max_length=255)
    sha256: str = DbField(max_length=64)
    data: bytes = DbField(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime
    expires_at: datetime = DbField(index=True)
    batch_id: int | None = DbField(default=None, foreign_key="import_batch.id", ondelete="CASCADE")
    # How the upload is read when it is confirmed: the sheet and the column mapping chosen before the preview.
    sheet: str | None = DbField(default=None, max_length=200)
    mapping: dict[str, str] | None = DbField(default=None, sa_column=Column(JSON, nullable=True))


# --- import profiles: an organisation's saved column mapping for sheets that do not use our headers ---------

IGNORE = "ignore"  # a mapping's value for a column that is not imported
MAX_MAPPED_COLUMNS = 200
MappedHeader = Annotated[str, StringConstraints(min_length=1, max_length=200)]
MappedField = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
ColumnMapping = Annotated[
    dict[MappedHeader, MappedField],
    Field(
        max_length=MAX_MAPPED_COLUMNS,
        description="The file's column header → our field code (as in the template, e.g. `name`), or `ignore`",
        examples=[{"Tilbudets navn": "name", "Merknad": "ignore"}],
    ),
]


class ImportProfile(Tracked, table=True):
    """A named column mapping an organisation keeps for its own sheets ({header: field or "ignore"})."""

    __tablename__ = "import_profile"
    __table_args__ = (UniqueConstraint("organisation_id", "kind", "name"),)

    id: int | None = DbField(default=None, primary_key=True)
    organisation_id: int = DbField(foreign_key="organisation.id", index=True)
    name: str = DbField(max_length=200)
    kind: str = DbField(max_length=32)
    mapping: dict[str, str] = DbField(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ImportProfileCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    organisation_id: Annotated[StrictInt, Field(ge=1, le=2_147_483_647)]
    name: Name
    kind: ImportKind = ImportKind.rehab_services
    mapping: ColumnMapping


class ImportProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    mapping: ColumnMapping | None = None


class ImportProfileRead(BaseModel):
    id: int
    organisation_id: int
    name: str
    kind: ImportKind
    mapping: dict[str, str]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class RowErrorRead(BaseModel):
    """A problem that blocks the import, on its row and column."""

    sheet: str | None = Field(default=None, description="The workbook sheet of the row (none for CSV)")
    row: int = Field(description="The row number as the spreadsheet shows it (the header is row 1)")
    column: str | None = Field(description="The column's header as the file spells it; none for the whole row")
    code: str = Field(
        default="invalid_value",
        description="Stable machine code: unknown_patient_group, ambiguous_patient_group, capacity_unit_missing, "
        "unknown_municipality, municipality_name_mismatch, provider_name_mismatch, unknown_provider, missing_value, "
        "not_a_number, not_a_date, not_yes_no, unknown_code, duplicate_key, personal_data, out_of_range, "
        "value_too_long, invalid_value …",
        examples=["unknown_patient_group"],
    )
    message: str = Field(description="What is wrong, in Norwegian (bokmål)")


class NoteRead(BaseModel):
    """Something the import filled in or left out rather than refused: a default applied, a value normalised,
    a column ignored. Never blocks the import."""

    sheet: str | None = Field(default=None, description="The workbook sheet (none for CSV)")
    row: int | None = Field(description="The row number as the spreadsheet shows it; none for a whole column")
    column: str | None = Field(description="The column's header as the file spells it")
    code: str = Field(
        description="Stable machine code: default_capacity_unit, default_level, default_severity, column_ignored …",
        examples=["default_capacity_unit"],
    )
    message: str = Field(description="What was done, in Norwegian (bokmål)")


class ImportSummary(BaseModel):
    """The report in brief: how many errors and notes, of which codes, and one Norwegian sentence."""

    errors: int
    notes: int
    codes: dict[str, int] = Field(description="How many errors and notes there are of each code")
    text: str = Field(examples=["2 rader kontrollert uten feil: 2 nye, 0 endret, 0 uendret. 1 merknad."])


class _ImportCounts(BaseModel):
    """What a file held and what happened to its rows: shared by a report and a stored batch."""

    kind: ImportKind
    file_name: str
    sha256: str
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    row_errors: list[RowErrorRead]
    notes: list[NoteRead] = Field(default_factory=list)


class ImportReport(_ImportCounts):
    """What an import did (or, for a dry run, would do)."""

    batch_id: int | None
    dry_run: bool
    applied: bool
    summary: ImportSummary


class ImportBatchRead(_ImportCounts):
    id: int
    actor_user_id: int | None
    actor_label: str
    created_at: UtcDatetime


class MunicipalProfileRead(BaseModel):
    municipality_number: str
    year: int
    has_cancer_coordinator: bool | None
    coordinating_unit_contact: str | None
    rehab_in_municipal_plan: bool | None
    overview_of_rehab_needs: bool | None
    overview_of_waiting_times: bool | None
    everyday_rehab_team: bool | None
    rehab_places: int | None
    source_batch_id: int | None
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int
