"""Bulk imports (one row per applied batch) and the municipal survey facts they bring."""

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import JSON, Column, LargeBinary, UniqueConstraint
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.base import Tracked
from app.models.types import UtcDatetime


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


class RowErrorRead(BaseModel):
    sheet: str | None = Field(default=None, description="The workbook sheet of the row (none for CSV)")
    row: int = Field(description="The row number as the spreadsheet shows it (the header is row 1)")
    column: str | None = Field(description="The column's header as the file spells it; none for the whole row")
    message: str


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


class ImportReport(_ImportCounts):
    """What an import did (or, for a dry run, would do)."""

    batch_id: int | None
    dry_run: bool
    applied: bool


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
