"""Token versions: revoking a token names the version it revokes (If-Match), as every versioned write does

Revision ID: 3b1f0c2a9e47
Revises: d98803e69832
Create Date: 2026-11-28 10:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '3b1f0c2a9e47'
down_revision: str | None = 'd98803e69832'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_column('version')
