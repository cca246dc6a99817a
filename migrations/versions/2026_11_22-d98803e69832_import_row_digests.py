"""Import row digests: re-importing an unchanged row skips checking it again

Revision ID: d98803e69832
Revises: c81eeeacc7b1
Create Date: 2026-11-22 22:03:00.817779
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = 'd98803e69832'
down_revision: str | None = 'c81eeeacc7b1'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('rehab_service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_digest', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('import_digest_version', sa.Integer(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('rehab_service', schema=None) as batch_op:
        batch_op.drop_column('import_digest_version')
        batch_op.drop_column('import_digest')

