"""Stored text in Unicode NFC: rows written before input was normalised (a decomposed "Å") match searches

Revision ID: 7c5d2e8f1a90
Revises: 3b1f0c2a9e47
Create Date: 2026-11-28 11:40:00
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '7c5d2e8f1a90'
down_revision: str | None = '3b1f0c2a9e47'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The audit trail keeps what was written, as it was written; uploads are bytes.
SKIPPED = {"alembic_version", "audit_event", "pending_import"}


def upgrade() -> None:
    bind = op.get_bind()
    metadata = sa.MetaData()
    metadata.reflect(bind)
    for table in metadata.sorted_tables:
        if table.name in SKIPPED or "id" not in table.c:
            continue
        texts = [c for c in table.c if isinstance(c.type, sa.String) and c.name != "id"]
        if not texts:
            continue
        updates = []
        for row in bind.execute(sa.select(table.c.id, *texts)):
            changed = {
                c.name: unicodedata.normalize("NFC", value)
                for c, value in zip(texts, row[1:], strict=True)
                if isinstance(value, str) and not unicodedata.is_normalized("NFC", value)
            }
            if changed:
                updates.append((row.id, changed))
        for row_id, changed in updates:
            bind.execute(table.update().where(table.c.id == row_id).values(**changed))


def downgrade() -> None:
    pass  # NFC text is the same text: nothing to undo
