"""Writing checked rows: services a chunk at a time through the catalogue's bulk path, then profiles."""

from sqlmodel import Session

from app.domain import profiles
from app.domain.actor import Actor
from app.domain.catalogue import BulkRow, BulkUpsert
from app.domain.errors import RowError
from app.domain.imports.batches import Report
from app.domain.imports.checks import Checker, RawRow
from app.domain.imports.rows import ProfileRow, ServiceRow
from app.models.rehab_service import ServiceSource

WRITE_CHUNK = 2000  # rows per bulk write: few statements, little memory


def _field(loc: tuple[str | int, ...]) -> str:
    """The field an error location such as ('body', 'patient_groups', 0) is about."""
    return next((part for part in loc if isinstance(part, str) and part != "body"), "")


class ServiceWriter:
    """Collects checked service rows and writes them a chunk at a time, counting outcomes into the report.

    Once the checker has seen any problem, nothing more is written: the rest is only parsed and checked
    (the caller rolls the import back).
    """

    def __init__(self, session: Session, actor: Actor, report: Report, checker: Checker, batch_id: int | None) -> None:
        self.bulk = BulkUpsert(session, actor, source=ServiceSource.import_batch, batch_id=batch_id)
        self.report = report
        self.checker = checker
        self.pending: list[RawRow] = []

    def add(self, row: RawRow) -> None:
        """Queue a row; a full chunk is checked and written."""
        self.pending.append(row)
        if len(self.pending) >= WRITE_CHUNK:
            self.flush()

    def flush(self) -> None:
        """Check (and, while all is well, write) the pending rows; rows seen before are not parsed again."""
        rows, self.pending = self.pending, []
        known = self._unchanged_keys(rows) if self.checker.clean else set()
        fresh = self._parse_new(rows, known)
        if not self.checker.clean:  # once something is wrong, the rest is only checked
            return
        self._write(fresh)

    def _unchanged_keys(self, rows: list[RawRow]) -> set[tuple[int, str]]:
        """Keys of the rows whose service this very row left, unchanged since: they need no parsing."""
        return self.bulk.confirmed([(r.provider_id, r.external_id, r.digest) for r in rows])

    def _parse_new(self, rows: list[RawRow], known: set[tuple[int, str]]) -> list[tuple[RawRow, ServiceRow]]:
        """Parse the rows not known unchanged (counting those as unchanged); problems go to the checker."""
        fresh: list[tuple[RawRow, ServiceRow]] = []
        for raw in rows:
            if (raw.provider_id, raw.external_id) in known:
                self.report.unchanged += 1
                continue
            parsed = raw.parse(raw.number, raw.cells)
            if isinstance(parsed, list):
                self.checker.reject(raw.table, parsed)
            else:
                fresh.append((raw, parsed))
        return fresh

    def _write(self, fresh: list[tuple[RawRow, ServiceRow]]) -> None:
        """Upsert the parsed rows; count each outcome, or reject the row on the column the catalogue refused."""
        outcomes = self.bulk.write([BulkRow(r.provider_id, r.external_id, p.fields, r.digest) for r, p in fresh])
        for (raw, _), outcome in zip(fresh, outcomes, strict=True):
            if isinstance(outcome, list):
                self.checker.reject(
                    raw.table,
                    [RowError(raw.number, e.message, raw.parse.header(_field(e.loc)) or None) for e in outcome],
                )
            else:
                self.report.tally(outcome)


def write_profiles(
    session: Session, actor: Actor, report: Report, rows: list[ProfileRow], batch_id: int | None
) -> None:
    """Upsert each municipality profile, counting its outcome into the report."""
    for row in rows:
        report.tally(profiles.upsert_profile(session, actor, row.values, batch_id))
