"""Import profiles (an organisation's saved column mapping) and the sheet and mapping of a pending upload

Revision ID: 2a7165115cb7
Revises: 05b906765554
Create Date: 2026-11-28 17:05:14.588431
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '2a7165115cb7'
down_revision: str | None = '05b906765554'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'import_profile',
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('mapping', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ['organisation_id'], ['organisation.id'], name=op.f('fk_import_profile_organisation_id_organisation')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_profile')),
        sa.UniqueConstraint('organisation_id', 'kind', 'name', name=op.f('uq_import_profile_organisation_id_kind_name')),
    )
    with op.batch_alter_table('import_profile', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_profile_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_import_profile_updated_at'), ['updated_at'], unique=False)

    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sheet', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('mapping', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('pending_import', schema=None) as batch_op:
        batch_op.drop_column('mapping')
        batch_op.drop_column('sheet')

    with op.batch_alter_table('import_profile', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_profile_updated_at'))
        batch_op.drop_index(batch_op.f('ix_import_profile_organisation_id'))

    op.drop_table('import_profile')
