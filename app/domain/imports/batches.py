"""Batch bookkeeping: the import's report, its ImportBatch row and their counts, and the batches listed."""

import hashlib
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.errors import NotFound, RowError
from app.kit.personal_data import mask
from app.kit.text import nfc
from app.models import ImportBatch
from app.models.base import shaped
from app.models.imports import ImportBatchRead, ImportKind
from app.models.types import utcnow


@dataclass
class Report:
    kind: ImportKind
    file_name: str
    sha256: str
    dry_run: bool
    applied: bool = False
    batch_id: int | None = None
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    row_errors: list[RowError] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch_id": self.batch_id,
            "kind": self.kind.value,
            "file_name": self.file_name,
            "sha256": self.sha256,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "row_errors": [
                {"sheet": e.sheet, "row": e.index, "column": e.column, "message": e.message} for e in self.row_errors
            ],
        }

    def tally(self, outcome: str) -> None:
        """Count one row's outcome: 'created', 'updated' or 'unchanged'."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def stored_file_name(file_name: str) -> str:
    """An uploaded file's name as it is kept and shown: in NFC (a Mac names files in NFD; stored text is NFC),
    any national identity number in it masked, at most 255 characters.

    Masked, not refused: the name is the uploader's own label for the file, not catalogue content, and
    refusing a clean import over it would only make them rename the file; masked, the rest of the name
    still tells the batch apart, and no digit of the number is stored, listed or echoed. Masked before it is
    cut (a number cut in two would keep its first digits) and after (a cut can leave 11 digits of a longer run)."""
    return mask(mask(nfc(file_name))[:255])


def new_report(kind: ImportKind, file_name: str, data: bytes, *, dry_run: bool) -> Report:
    """An empty report on the file, named as `stored_file_name` keeps it."""
    return Report(
        kind=kind, file_name=stored_file_name(file_name), sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run
    )


def open_batch(session: Session, actor: Actor, report: Report) -> ImportBatch:
    """The import's ImportBatch row, flushed so rows and audit events can name it; its id goes on the report."""
    batch = ImportBatch(
        kind=report.kind.value,
        file_name=report.file_name,
        sha256=report.sha256,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:300],
        created_at=utcnow(),
    )
    session.add(batch)
    session.flush()
    report.batch_id = batch.id
    return batch


def close_batch(
    session: Session, batch: ImportBatch, report: Report, rows: int, errors: list[RowError], rejected: int
) -> None:
    """Put the totals on the report (its row errors in row order) and the batch's counts on its row."""
    report.rows = rows
    report.row_errors = sorted(errors, key=lambda e: e.index)
    report.rejected = rejected
    batch.rows, batch.created, batch.updated, batch.unchanged = (
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
    )
    session.flush()


def settle(report: Report) -> None:
    """The report as the caller sees it: a file with row errors wrote nothing, and only an applied import
    has a batch."""
    if report.row_errors:
        report.created = report.updated = report.unchanged = 0
    if not report.applied:
        report.batch_id = None


def list_batches(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    batches = session.execute(select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)).scalars()
    return [b.model_dump() for b in batches]


def get_batch(session: Session, batch_id: int) -> dict[str, Any]:
    """One applied import batch."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"No import batch {batch_id}")
    return shaped(batch.model_dump(), ImportBatchRead)
