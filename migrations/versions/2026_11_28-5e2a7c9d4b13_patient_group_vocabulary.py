"""Patient-group vocabulary: a nynorsk name and the everyday terms (aliases) each group is known by

Revision ID: 5e2a7c9d4b13
Revises: df95e36d897b
Create Date: 2026-11-28 17:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5e2a7c9d4b13'
down_revision: str | None = 'df95e36d897b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Filled by `rehabkart reference load` from app/reference/patient_group_terms.csv.
    with op.batch_alter_table("patient_group") as batch:
        batch.add_column(sa.Column("name_nn", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("aliases", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("patient_group") as batch:
        batch.drop_column("aliases")
        batch.drop_column("name_nn")
