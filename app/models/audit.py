"""The audit trail: one event per write, in the write's own transaction. Also the change feed."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import JSON, Column, Dialect, TypeDecorator
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.types import UtcDatetime

# A created entity's changes can be stored compactly as {"@created": {field: value}} (bulk imports write
# hundreds of thousands): every reader gets them as always, {field: [None, value]}, from AuditChanges.
CREATED = "@created"


def expand_changes(value: Any) -> Any:
    """An event's changes as written: a compact created record expanded to {field: [None, value]}."""
    if isinstance(value, dict) and len(value) == 1 and CREATED in value:
        return {key: [None, item] for key, item in value[CREATED].items()}
    return value


class AuditChanges(TypeDecorator[dict[str, Any]]):
    """JSON whose compact created records are read back expanded (`expand_changes`)."""

    impl = JSON
    cache_ok = True

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return expand_changes(value)


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    # Ids are handed out in commit order (writers are serialised), so the change feed can page by id.
    id: int | None = DbField(default=None, primary_key=True)
    at: datetime = DbField(index=True)
    actor_kind: str = DbField(max_length=16)  # user, token, system
    actor_user_id: int | None = DbField(default=None, index=True)
    actor_token_id: int | None = None
    actor_label: str = DbField(max_length=300)
    action: str = DbField(max_length=32)  # create, update, delete, login, …
    entity_type: str = DbField(max_length=40, index=True)
    entity_id: str = DbField(max_length=64)
    entity_version: int | None = None
    changes: dict[str, Any] = DbField(default_factory=dict, sa_column=Column(AuditChanges, nullable=False))
    request_id: str | None = DbField(default=None, max_length=64)
    batch_id: int | None = None


class AuditEventRead(BaseModel):
    id: int
    at: UtcDatetime
    actor_kind: str
    actor_user_id: int | None
    actor_token_id: int | None
    actor_label: str
    action: str
    entity_type: str
    entity_id: str
    entity_version: int | None
    changes: dict[str, Any]
    request_id: str | None
    batch_id: int | None


class ChangeRead(BaseModel):
    seq: int
    at: UtcDatetime
    action: str
    entity_type: str
    entity_id: str
    version: int | None
    url: str


class ChangePage(BaseModel):
    items: list[ChangeRead]
    next_cursor: str
