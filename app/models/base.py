"""Shared table conventions: constraint names, ids, timestamps and optimistic-locking versions."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlmodel import Field, SQLModel

from app.models.types import utcnow

# Explicit names so Alembic revisions are deterministic on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Tracked(SQLModel):
    """Columns every stored resource carries."""

    created_at: datetime = Field(default_factory=utcnow, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, nullable=False, index=True)
    version: int = Field(default=1, nullable=False)


def shaped(values: dict[str, Any], schema: type[BaseModel]) -> dict[str, Any]:
    """`values` with exactly the fields of `schema`, in its order (stable, readable JSON)."""
    return {key: values[key] for key in schema.model_fields}
