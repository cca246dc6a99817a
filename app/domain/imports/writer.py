"""Writing checked rows: services a chunk at a time through the catalogue's bulk path, then profiles, then a
survey's unmet needs as gap registrations through the gaps domain."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import gaps, profiles
from app.domain.actor import Actor
from app.domain.catalogue import BulkRow, BulkUpsert
from app.domain.errors import FieldError, Forbidden, InvalidInput, RowError
from app.domain.imports.batches import Report
from app.domain.imports.checks import Checker, RawRow
from app.domain.imports.rows import NeedRow, ProfileRow, ServiceRow
from app.domain.versioning import etag
from app.models import Gap
from app.models.gap import GapSource
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


_NEED_FIELDS = {"municipalities": "municipality_number", "owner_id": "municipality_number"}


def _need_column(row: NeedRow, error: FieldError) -> str | None:
    """The file's header of the column a gap's FieldError (loc ("body", field, …)) is about."""
    name = _field(error.loc)
    return row.header(_NEED_FIELDS.get(name, name))


def find_survey_gap(session: Session, reference: str) -> Gap | None:
    """The live gap a survey need made before: source `survey` and the need's `source_reference` (its key:
    year, municipality, patient group, category). A gap deleted since is not found (the need makes a new one);
    should two match, the oldest is the one kept up to date."""
    return session.execute(
        select(Gap)
        .where(
            col(Gap.source) == GapSource.survey.value,
            col(Gap.source_reference) == reference,
            col(Gap.deleted_at).is_(None),
        )
        .order_by(col(Gap.id))
        .limit(1)
    ).scalar_one_or_none()


def _changes(row: NeedRow) -> dict[str, Any]:
    """What a row changes on the gap it made before: only the cells filled in (a blank title, severity or
    description keeps the gap's own, which may have been edited in Rehabkart since)."""
    out: dict[str, Any] = {}
    if row.title is not None:
        out["title"] = row.gap.title
    if row.severity is not None:
        out["severity"] = row.gap.severity.value
    if row.description is not None:
        out["description"] = row.gap.description
    return out


def write_needs(
    session: Session, actor: Actor, report: Report, checker: Checker, rows: list[NeedRow], batch_id: int | None
) -> None:
    """Create or update the gap of each unmet need through the gaps domain (`gaps.create` / `gaps.update`,
    with their rules, access checks and audit events), counting outcomes into the report. What the domain
    refuses (access, a field) becomes a row error; the caller then rolls the whole import back."""
    for row in rows:
        existing = find_survey_gap(session, row.gap.source_reference or "")
        try:
            if existing is None:
                gaps.create(session, actor, row.gap, batch_id=batch_id)
                outcome = "created"
                if row.severity is None:
                    message = "alvorlighet mangler: satt til «Middels»"
                    column = row.header("severity")
                    report.notices.append(RowError(row.row, message, column, row.table or None, "default_severity"))
            else:
                assert existing.id is not None
                gap_id, version = existing.id, existing.version
                after = gaps.update(session, actor, gap_id, _changes(row), etag(version), batch_id=batch_id)
                outcome = "unchanged" if after["version"] == version else "updated"
        except Forbidden as exc:
            column = row.header("municipality_number")
            checker.reject(row.table, [RowError(row.row, exc.detail, column, code="not_allowed")])
            continue
        except InvalidInput as exc:
            checker.reject(row.table, [RowError(row.row, e.message, _need_column(row, e)) for e in exc.errors])
            continue
        report.tally(outcome)
