"""A service's link tables (forms, patient groups, catchment) WITHOUT ROWID on SQLite

Each link row was kept three times: in the table (by rowid), in its primary-key index and in its second
index. Keyed by its primary key, the table is the primary-key index, and the second index carries the key
(so `ix_rehab_service_catchment_service` answers a service's catchment alone). A bulk import writes ~10 link
rows per service. PostgreSQL has no rowid: nothing changes there.

Revision ID: 8d4e1f2a6b37
Revises: 2a7165115cb7
Create Date: 2026-11-28 17:55:00.000000
"""

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.sql.schema import SchemaItem
from sqlmodel.sql.sqltypes import AutoString

revision: str = "8d4e1f2a6b37"
down_revision: str | None = "2a7165115cb7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _form() -> list[SchemaItem]:
    return [
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("form", AutoString(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["rehab_service.id"],
            name="fk_rehab_service_form_service_id_rehab_service",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "form", name="pk_rehab_service_form"),
    ]


def _patient_group() -> list[SchemaItem]:
    return [
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.Column("patient_group_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_group_id"],
            ["patient_group.id"],
            name="fk_rehab_service_patient_group_patient_group_id_patient_group",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["rehab_service.id"],
            name="fk_rehab_service_patient_group_service_id_rehab_service",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("service_id", "patient_group_id", name="pk_rehab_service_patient_group"),
    ]


def _catchment() -> list[SchemaItem]:
    return [
        sa.Column("municipality_number", AutoString(length=4), nullable=False),
        sa.Column("service_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["municipality_number"],
            ["municipality.number"],
            name="fk_rehab_service_catchment_municipality_number_municipality",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["rehab_service.id"],
            name="fk_rehab_service_catchment_service_id_rehab_service",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("municipality_number", "service_id", name="pk_rehab_service_catchment"),
    ]


# (table, its columns and constraints, its second index and that index's columns)
_TABLES: list[tuple[str, Callable[[], list[SchemaItem]], str, list[str]]] = [
    ("rehab_service_form", _form, "ix_rehab_service_form_form_service", ["form", "service_id"]),
    (
        "rehab_service_patient_group",
        _patient_group,
        "ix_rehab_service_patient_group_group_service",
        ["patient_group_id", "service_id"],
    ),
    ("rehab_service_catchment", _catchment, "ix_rehab_service_catchment_service", ["service_id"]),
]


def _rebuild(with_rowid: bool) -> None:
    """Copy each link table into a new one with or without rowid, under the same name, constraints and index."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, schema, index, columns in _TABLES:
        new = f"_{name}_new"
        table = op.create_table(new, *schema(), sqlite_with_rowid=with_rowid)
        assert table is not None
        names = ", ".join(c.name for c in table.columns)
        op.execute(f"INSERT INTO {new} ({names}) SELECT {names} FROM {name}")  # noqa: S608 (our own names)
        op.drop_table(name)  # and its index
        op.rename_table(new, name)
        op.create_index(index, name, columns, unique=False)


def upgrade() -> None:
    _rebuild(with_rowid=False)


def downgrade() -> None:
    _rebuild(with_rowid=True)
