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
    # The notes (the API's `notes[]`): what was filled in or left out rather than refused, each with its code
    # (a default applied, a value normalised, a column ignored); they never block. Kept when there are
    # errors too: an ignored column often explains one.
    notices: list[RowError] = field(default_factory=list)

    @property
    def notes(self) -> list[RowError]:
        return self.notices

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
            "row_errors": [entry(e) for e in self.row_errors],
            "notes": [entry(n) for n in self.notices],
            "summary": self.summary(),
        }

    def summary(self) -> dict[str, Any]:
        """The third level of the report: counts, the codes seen, and one Norwegian sentence."""
        codes: dict[str, int] = {}
        for item in (*self.row_errors, *self.notices):
            codes[item.code] = codes.get(item.code, 0) + 1
        return {
            "errors": len(self.row_errors),
            "notes": len(self.notices),
            "codes": dict(sorted(codes.items())),
            "text": summary_text(self),
        }

    def tally(self, outcome: str) -> None:
        """Count one row's outcome: 'created', 'updated' or 'unchanged'."""
        setattr(self, outcome, getattr(self, outcome) + 1)


def entry(item: RowError) -> dict[str, Any]:
    """A row error or a note as the API shows it (a note about a column has no row)."""
    return {
        "sheet": item.sheet,
        "row": item.index or None,
        "column": item.column,
        "code": item.code,
        "message": item.message,
    }


def _count(number: int, one: str, many: str) -> str:
    return f"{number} {one if number == 1 else many}"


def summary_text(report: Report) -> str:
    """The report in one Norwegian sentence: "3 rader importert: 2 nye, 1 endret, 0 uendret. 1 merknad." """
    rows = _count(report.rows, "rad", "rader")
    notes = f" {_count(len(report.notices), 'merknad', 'merknader')}." if report.notices else ""
    if report.row_errors:
        errors = _count(len(report.row_errors), "feil", "feil")
        rejected = _count(report.rejected, "rad", "rader")
        return f"Ingenting er importert: {errors} i {rejected} av {report.rows}.{notes}"
    counts = f"{report.created} nye, {report.updated} endret, {report.unchanged} uendret"
    verb = "importert" if report.applied else "kontrollert uten feil"
    return f"{rows} {verb}: {counts}.{notes}"


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


# At most this many notes are kept with a batch (a file may default a unit on every one of 100,000 rows).
KEPT_NOTES = 1000


def close_batch(
    session: Session,
    batch: ImportBatch,
    report: Report,
    rows: int,
    errors: list[RowError],
    rejected: int,
    notes: list[RowError] | None = None,
) -> None:
    """Put the totals on the report (its row errors and notes in row order: the notes on whole columns
    first) and the batch's counts and notes on its row."""
    report.rows = rows
    report.row_errors = sorted(errors, key=lambda e: e.index)
    report.notices = sorted([*(notes or []), *report.notices], key=lambda e: e.index)
    report.rejected = rejected
    batch.rows, batch.created, batch.updated, batch.unchanged = (
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
    )
    # An applied batch has no row errors, so its `row_errors` column keeps its notes, marked as such
    # (see `_split`): the batch page lists them. A note may quote a header: any identity number in it is masked.
    batch.row_errors = [
        {key: mask(value) if isinstance(value, str) else value for key, value in entry(n).items()} | {"level": "note"}
        for n in report.notices[:KEPT_NOTES]
    ]
    session.flush()


def settle(report: Report) -> None:
    """The report as the caller sees it: a file with row errors wrote nothing, and only an applied import
    has a batch."""
    if report.row_errors:
        report.created = report.updated = report.unchanged = 0
    if not report.applied:
        report.batch_id = None


def _split(values: dict[str, Any]) -> dict[str, Any]:
    """A batch as stored → as read: the notes kept in its `row_errors` column apart from any row errors."""
    kept = values.get("row_errors") or []
    notes = [{k: v for k, v in e.items() if k != "level"} for e in kept if e.get("level") == "note"]
    return values | {"row_errors": [e for e in kept if e.get("level") != "note"], "notes": notes}


def list_batches(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    batches = session.execute(select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)).scalars()
    return [_split(b.model_dump()) for b in batches]


def get_batch(session: Session, batch_id: int) -> dict[str, Any]:
    """One applied import batch, with its notes."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"Fant ingen importbunke {batch_id}")
    return shaped(_split(batch.model_dump()), ImportBatchRead)
