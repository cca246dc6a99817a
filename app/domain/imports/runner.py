"""Run an import: read, check every row, then write all rows in one transaction (or none).

A dry run does the same writes inside a savepoint and rolls it back, so its report (created, updated,
unchanged) is exactly what applying would do, and it leaves the database as it was.
"""

import gc
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import geography, profiles, taxonomy
from app.domain.actor import Actor
from app.domain.catalogue_bulk import BulkRow, BulkUpsert
from app.domain.errors import DomainError, Forbidden, NotFound, RowError
from app.domain.imports import columns as c
from app.domain.imports.readers import Table, UnreadableFile, read_tables
from app.kit.text import nfc
from app.models import ImportBatch, Organisation
from app.models.base import shaped
from app.models.imports import ImportBatchRead, ImportKind
from app.models.rehab_service import (
    AgeGroup,
    CapacityUnit,
    Referrer,
    RehabServiceFields,
    ServiceForm,
    ServiceLevel,
    ServiceSource,
    ServiceStatus,
)
from app.models.types import utcnow
from app.settings import get_settings

WRITE_CHUNK = 2000  # rows per bulk write: few statements, little memory


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (unreadable, empty, missing columns, too many rows)."""


@dataclass
class ServiceRow:
    row: int
    provider_id: int
    external_id: str
    fields: RehabServiceFields


def _field(loc: tuple[str | int, ...]) -> str:
    """The field an error location such as ('body', 'patient_groups', 0) is about."""
    return next((part for part in loc if isinstance(part, str) and part != "body"), "")


@dataclass
class ProfileRow:
    row: int
    values: dict[str, Any]


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


def _header_map(table: Table, spec: dict[str, tuple[str, ...]]) -> dict[str, int]:
    aliases = {c.norm(alias): name for name, names in spec.items() for alias in (name, *names)}
    found: dict[str, int] = {}
    for index, header in enumerate(table.headers):
        name = aliases.get(c.norm(header))
        if name is None:
            continue
        if name in found:
            raise ImportFileError(f"Two columns mean the same thing: '{table.headers[found[name]]}' and '{header}'")
        found[name] = index
    return found


class _Context:
    """Lookups shared by all rows, loaded once."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.municipalities = geography.municipality_numbers(session)
        self.taxonomy = taxonomy.get_taxonomy(session)
        orgs = session.execute(
            select(
                col(Organisation.id),
                col(Organisation.orgnr),
                col(Organisation.municipality_number),
                col(Organisation.kind),
            )
        ).all()
        self.org_ids = {o.id for o in orgs}
        self.by_orgnr: dict[str, int] = {o.orgnr: o.id for o in orgs if o.orgnr}
        self.by_municipality: dict[str, int] = {
            o.municipality_number: o.id for o in orgs if o.kind == "municipality" and o.municipality_number
        }


def _cell(cells: list[Any], columns: dict[str, int], name: str) -> Any:
    index = columns.get(name)
    return cells[index] if index is not None and index < len(cells) else None


def _listed(mapping: dict[str, str], codes: set[str], what: str) -> Callable[[Any], list[str]]:
    return lambda value: [c.coded(v, mapping, codes, what) for v in c.items(value)]


_LEVELS = {e.value for e in ServiceLevel}
_STATUSES = {e.value for e in ServiceStatus}
_FORMS = {e.value for e in ServiceForm}
_AGE_GROUPS = {e.value for e in AgeGroup}
_REFERRERS = {e.value for e in Referrer}
_UNITS = {e.value for e in CapacityUnit}
_TEXTS = (
    "description",
    "referral_criteria",
    "contact_name",
    "contact_phone",
    "contact_email",
    "website",
    "helsehjelpsomrade_8655",
    "iplos_9151",
    "omsorgsniva_8406",
)
_SERVICE_PARSERS: dict[str, Callable[[Any], Any]] = {
    "name": c.required,
    **dict.fromkeys(_TEXTS, c.text),
    "level": lambda v: c.coded(c.required(v), c.LEVELS, _LEVELS, "level"),
    "status": lambda v: c.coded(c.text(v) or "active", c.STATUSES, _STATUSES, "status"),
    "forms": lambda v: _listed(c.FORMS, _FORMS, "form")(c.required(v)),
    "age_groups": _listed(c.AGE_GROUPS, _AGE_GROUPS, "age group"),
    "referrers": _listed(c.REFERRERS, _REFERRERS, "referrer"),
    "capacity_unit": lambda v: c.coded(t, c.UNITS, _UNITS, "unit") if (t := c.text(v)) else None,
    **dict.fromkeys(("capacity_number", "waiting_time_days"), c.integer),
    **dict.fromkeys(("waiting_time_reported_on", "valid_from", "valid_to", "last_verified_on"), c.day),
}
# Left out when blank, so the model's defaults apply.
_DEFAULTED = ("description", "referral_criteria", "status")


_FREE_TEXT = {"name", "description", "referral_criteria", "contact_name", "contact_phone", "contact_email", "website"}


def _remembered(parse: Callable[[Any], Any], limit: int = 20_000) -> Callable[[Any], Any]:
    """`parse` answering from memory for values seen before: coded columns repeat a few values on every row."""
    seen: dict[Any, tuple[bool, Any]] = {}

    def cached(value: Any) -> Any:
        try:
            ok, result = seen[value]
        except KeyError:
            try:
                ok, result = True, parse(value)
            except c.CellError as exc:
                ok, result = False, exc
            if len(seen) < limit:
                seen[value] = (ok, result)
        except TypeError:  # an unhashable cell
            return parse(value)
        if not ok:
            raise result
        return list(result) if isinstance(result, list) else result  # a copy: callers may change lists

    return cached


class _ServiceParser:
    """Turns one table's rows into checked services; the column lookups are worked out once per table."""

    def __init__(self, columns: dict[str, int], headers: list[str], ctx: _Context) -> None:
        self.columns, self.headers, self.ctx = columns, headers, ctx
        parsers = {
            **_SERVICE_PARSERS,
            "patient_groups": self._groups,
            "catchment": lambda v: [c.municipality(n, ctx.municipalities) for n in c.items(v)] or None,
        }
        self.fields: list[tuple[str, int, Callable[[Any], Any], str]] = [
            (name, index, parsers[name] if name in _FREE_TEXT else _remembered(parsers[name]), headers[index])
            for name, index in columns.items()
            if name in parsers
        ]
        self.width = len(headers)

    def _groups(self, value: Any) -> list[str]:
        out = []
        for item in c.items(value):
            group = self.ctx.taxonomy.resolve(item)
            if group is None:
                hint = self.ctx.taxonomy.suggest(item)
                raise c.CellError(f"unknown patient group '{item}'" + (f"; did you mean '{hint}'?" if hint else ""))
            out.append(group.code)
        return out

    def header(self, name: str) -> str:
        return self.headers[self.columns[name]] if name in self.columns else name

    def __call__(self, number: int, cells: list[Any]) -> ServiceRow | list[RowError]:
        errors: list[RowError] = []
        if self.width > 2:
            filled = [cell for cell in cells if cell is not None and str(cell).strip()]
            if len(filled) == 1 and any(sep in str(filled[0]) for sep in ",;\t"):
                message = f"the row has 1 cell but the header has {self.width}: is it separated like the header?"
                return [RowError(number, message, None)]
        values: dict[str, Any] = {}
        size = len(cells)
        for name, index, parse, header in self.fields:
            try:
                values[name] = parse(cells[index] if index < size else None)
            except c.CellError as exc:
                errors.append(RowError(number, str(exc), header))
        for name in _DEFAULTED:
            if values.get(name, 0) is None:
                del values[name]
        provider_id = _provider(cells, self.columns, self.headers, self.ctx, number, errors)
        external_id = c.text(_cell(cells, self.columns, "external_id"))
        if external_id is None:
            message = "external ID is missing (each row needs the provider's own key)"
            errors.append(RowError(number, message, self.header("external_id")))
        if errors:
            return errors
        try:
            fields = RehabServiceFields.model_validate(values)
        except ValidationError as exc:
            return [
                RowError(number, _message(e), self.header(str(e["loc"][0])) if e["loc"] else None) for e in exc.errors()
            ]
        assert provider_id is not None
        assert external_id is not None
        return ServiceRow(number, provider_id, external_id[:100], fields)


def _message(error: Any) -> str:
    """A pydantic error as a sentence for the person who filled in the file."""
    ctx = error.get("ctx") or {}
    if "error" in ctx:
        return str(ctx["error"])
    return str(error["msg"])


def _provider(
    cells: list[Any], columns: dict[str, int], headers: list[str], ctx: _Context, number: int, errors: list[RowError]
) -> int | None:
    """The provider by id, organisation number, or (for municipal services) municipality number."""
    if (raw := c.text(_cell(cells, columns, "provider_id"))) is not None:
        if raw.isdigit() and int(raw) in ctx.org_ids:
            return int(raw)
        errors.append(RowError(number, f"no organisation with id '{raw}'", headers[columns["provider_id"]]))
        return None
    if (raw := c.text(_cell(cells, columns, "provider_orgnr"))) is not None:
        raw = raw.replace(" ", "")
        if raw in ctx.by_orgnr:
            return ctx.by_orgnr[raw]
        errors.append(
            RowError(number, f"no organisation with organisation number '{raw}'", headers[columns["provider_orgnr"]])
        )
        return None
    if "provider_municipality" in columns:
        try:
            return ctx.by_municipality[
                c.municipality(_cell(cells, columns, "provider_municipality"), ctx.municipalities)
            ]
        except c.CellError as exc:
            errors.append(RowError(number, str(exc), headers[columns["provider_municipality"]]))
            return None
    errors.append(RowError(number, "the provider is missing (organisation number, id or municipality number)", None))
    return None


def _profile_row(
    number: int, cells: list[Any], columns: dict[str, int], headers: list[str], ctx: _Context
) -> ProfileRow | list[RowError]:
    errors: list[RowError] = []
    values: dict[str, Any] = {}
    parsers: dict[str, Callable[[Any], Any]] = {
        "municipality_number": lambda v: c.municipality(v, ctx.municipalities),
        "year": c.integer,
        "coordinating_unit_contact": c.text,
        "rehab_places": c.integer,
    }
    for name in columns:
        try:
            parser: Callable[[Any], Any] = parsers.get(name, c.boolean)
            values[name] = parser(_cell(cells, columns, name))
        except c.CellError as exc:
            errors.append(RowError(number, str(exc), headers[columns[name]]))
    year = values.get("year")
    if "year" in values and (year is None or not 2000 <= year <= 2100):
        errors.append(RowError(number, "the survey year must be between 2000 and 2100", headers[columns["year"]]))
    if values.get("rehab_places") is not None and not 0 <= values["rehab_places"] <= 100_000:
        errors.append(
            RowError(number, "the number of places must be between 0 and 100000", headers[columns["rehab_places"]])
        )
    if values.get("coordinating_unit_contact") and len(values["coordinating_unit_contact"]) > 300:
        errors.append(RowError(number, "at most 300 characters", headers[columns["coordinating_unit_contact"]]))
    return errors or ProfileRow(number, values)


_SERVICE_SHEETS = {"tilbud", "services", "rehabiliteringstilbud", "rehabservices"}
_PROFILE_SHEETS = {"kommune", "kommunefakta", "fakta", "profil", "kommuneprofil", "municipality", "facts", "profile"}


@dataclass
class _RawRow:
    number: int
    cells: list[Any]
    provider_id: int
    external_id: str
    digest: str
    parse: "_ServiceParser"
    table: str


def _digest(cells: list[Any], indexes: list[int], names: str) -> str:
    """What a row says, as a short hash: the same text in the same columns gives the same digest.

    A blank cell is blank whether Excel left it empty or wrote ''. Cells are joined by a control
    character; in the odd row that contains one, their repr is hashed instead, so no two different
    rows can join up to the same text.
    """
    size = len(cells)
    texts = ["" if (v := cells[i] if i < size else None) is None else str(v) for i in indexes]
    joined = "\x1f".join(texts)
    if joined.count("\x1f") != len(texts) - 1:
        joined = repr(texts)
    return hashlib.blake2b(f"{names}\x1e{joined}".encode(), digest_size=16).hexdigest()


class _Checker:
    """Checks rows one by one as they stream from the file, collecting every problem."""

    def __init__(self, session: Session) -> None:
        self.ctx = _Context(session)
        self.limit = get_settings().import_max_rows
        self.rows = 0
        self.errors: list[RowError] = []
        self.rejected: set[tuple[str, int]] = set()

    def _count(self) -> None:
        self.rows += 1
        if self.rows > self.limit:
            raise ImportFileError(f"The file has more than {self.limit} rows; split it")

    def reject(self, table: str, errors: list[RowError]) -> None:
        for error in errors:
            error.sheet = table or None
        self.errors += errors
        self.rejected.update((table, e.index) for e in errors)

    def services(self, tables: list[Table]) -> Iterator["_RawRow"]:
        """Rows with their key and digest; the cells are parsed later, and only when the digest is new."""
        seen: dict[tuple[int, str], int] = {}
        for table in tables:
            columns = _header_map(table, c.SERVICE_COLUMNS)
            missing = [c.SERVICE_COLUMNS[n][0] for n in ("external_id", "name", "level", "forms") if n not in columns]
            if not {"provider_id", "provider_orgnr", "provider_municipality"} & columns.keys():
                missing.append("Tilbyder orgnr (or Tilbyder ID / Kommunenr)")
            if missing:
                raise ImportFileError(f"Missing required column(s): {', '.join(missing)}")
            parse = _ServiceParser(columns, table.headers, self.ctx)
            ordered = sorted(columns.items())
            names, indexes = ",".join(name for name, _ in ordered), [index for _, index in ordered]
            for number, cells in table.rows:
                self._count()
                key_errors: list[RowError] = []
                provider_id = _provider(cells, columns, table.headers, self.ctx, number, key_errors)
                external_id = c.text(_cell(cells, columns, "external_id"))
                if provider_id is None or external_id is None:
                    parsed = parse(number, cells)  # reports every problem of the row, not only the key
                    self.reject(table.name, parsed if isinstance(parsed, list) else key_errors)
                    continue
                key = (provider_id, external_id[:100])
                if key in seen:
                    message = f"the same provider and external ID as row {seen[key]}"
                    self.reject(table.name, [RowError(number, message, parse.header("external_id"))])
                    continue
                seen[key] = number
                digest = _digest(cells, indexes, names)
                yield _RawRow(number, cells, key[0], key[1], digest, parse, table.name)

    def profiles(self, tables: list[Table]) -> Iterator[ProfileRow]:
        years: dict[tuple[str, int], int] = {}
        for table in tables:
            columns = _header_map(table, c.PROFILE_COLUMNS)
            missing = [c.PROFILE_COLUMNS[n][0] for n in ("municipality_number", "year") if n not in columns]
            if missing:
                raise ImportFileError(
                    f"Sheet '{table.name or 'CSV'}': missing required column(s): {', '.join(missing)}"
                )
            for number, cells in table.rows:
                self._count()
                parsed = _profile_row(number, cells, columns, table.headers, self.ctx)
                if isinstance(parsed, list):
                    self.reject(table.name, parsed)
                    continue
                key = (parsed.values["municipality_number"], parsed.values["year"])
                if key in years:
                    message = f"the same municipality and year as row {years[key]}"
                    self.reject(table.name, [RowError(number, message, None)])
                    continue
                years[key] = number
                yield parsed


def _pick_tables(tables: list[Table], kind: ImportKind) -> tuple[list[Table], list[Table]]:
    if kind == ImportKind.rehab_services:
        named = [t for t in tables if c.norm(t.name) in _SERVICE_SHEETS]
        return (named or tables[:1]), []
    services = [t for t in tables if c.norm(t.name) in _SERVICE_SHEETS]
    facts = [t for t in tables if c.norm(t.name) in _PROFILE_SHEETS]
    if not facts:
        by_header = [t for t in tables if "year" in _header_map(t, c.PROFILE_COLUMNS)]
        facts = [t for t in by_header if t not in services]
    if not facts:
        raise ImportFileError(
            "A municipal survey needs a sheet of municipality facts ('Kommune': Kommunenr, År, Kreftkoordinator, …)"
        )
    return services, facts


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Pause Python's cycle collector: a long file allocates millions of small containers (none in
    cycles), and its repeated full passes over them took a third of an import's time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_import(
    session: Session,
    actor: Actor,
    data: bytes,
    file_name: str,
    kind: ImportKind,
    *,
    dry_run: bool,
    on_row: Callable[[int, int], None] | None = None,
) -> Report:
    """Check the whole file and write it in one go, or not at all; see the module docstring.

    Rows are written in chunks as they are read (so memory stays flat on long files) inside a savepoint;
    once any row has a problem, writing stops, checking goes on to the end, and the savepoint is rolled
    back. `on_row(done, estimated_total)` reports progress.
    """
    if not actor.can_write:
        raise Forbidden("Your account or token may only read")
    name = nfc(file_name)[:255]  # a Mac names files in NFD; stored text is NFC
    report = Report(kind=kind, file_name=name, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    if len(data) > get_settings().import_max_bytes:
        raise ImportFileError(f"The file is larger than {get_settings().import_max_bytes // 1_000_000} MB")
    try:
        tables = read_tables(data, file_name)
        service_tables, profile_tables = _pick_tables(tables, kind)
        # Leaving the block releases the savepoint (an exception rolls it back); the caller owns the commit.
        with session.begin_nested() as savepoint:
            with _without_cycle_collection():
                _apply(session, actor, report, service_tables, profile_tables, on_row)
            if report.row_errors or dry_run:
                savepoint.rollback()
            else:
                report.applied = True
    except UnreadableFile as exc:
        raise ImportFileError(str(exc)) from exc
    if report.row_errors:
        report.created = report.updated = report.unchanged = 0
    if not report.applied:
        report.batch_id = None
    return report


def _apply(
    session: Session,
    actor: Actor,
    report: Report,
    service_tables: list[Table],
    profile_tables: list[Table],
    on_row: Callable[[int, int], None] | None,
) -> None:
    """Check and write every row into `report`; the caller rolls back when the report has errors."""
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
    checker = _Checker(session)
    writer = BulkUpsert(session, actor, source=ServiceSource.import_batch, batch_id=batch.id)
    estimate = sum(t.size for t in (*service_tables, *profile_tables))
    refused: set[int] = set()
    pending: list[_RawRow] = []

    def write_pending() -> None:
        """Check (and, while all is well, write) the pending rows; rows seen before are not parsed again."""
        writing = not checker.errors and not refused
        known = writer.confirmed([(r.provider_id, r.external_id, r.digest) for r in pending]) if writing else set()
        fresh: list[tuple[_RawRow, ServiceRow]] = []
        for raw in pending:
            if (raw.provider_id, raw.external_id) in known:
                report.unchanged += 1
                continue
            parsed = raw.parse(raw.number, raw.cells)
            if isinstance(parsed, list):
                checker.reject(raw.table, parsed)
            else:
                fresh.append((raw, parsed))
        pending.clear()
        if checker.errors or refused:  # once something is wrong, the rest is only checked
            return
        outcomes = writer.write([BulkRow(r.provider_id, r.external_id, p.fields, r.digest) for r, p in fresh])
        for (raw, _), outcome in zip(fresh, outcomes, strict=True):
            if isinstance(outcome, list):
                checker.reject(
                    raw.table,
                    [RowError(raw.number, e.message, raw.parse.header(_field(e.loc)) or None) for e in outcome],
                )
            else:
                _count(report, outcome)

    for raw_row in checker.services(service_tables):
        if not actor.may_write_org(raw_row.provider_id):
            refused.add(raw_row.provider_id)
        pending.append(raw_row)
        if len(pending) >= WRITE_CHUNK:
            write_pending()
        if on_row:
            on_row(checker.rows, max(estimate, checker.rows))
    write_pending()
    profile_rows = list(checker.profiles(profile_tables))
    if refused:
        raise Forbidden(f"You may not change services of organisation(s) {', '.join(map(str, sorted(refused)))}")
    numbers = sorted({p.values["municipality_number"] for p in profile_rows})
    refused_numbers = [n for n in numbers if not actor.may_write_org(checker.ctx.by_municipality.get(n, 0))]
    if refused_numbers:
        raise Forbidden(f"You may not report for municipality {', '.join(refused_numbers)}")
    if not checker.errors:
        for profile_row in profile_rows:
            _count(report, profiles.upsert_profile(session, actor, profile_row.values, batch.id))
    if checker.rows == 0:
        raise ImportFileError("The file has a header but no rows")
    report.rows = checker.rows
    report.row_errors = sorted(checker.errors, key=lambda e: e.index)
    report.rejected = len(checker.rejected)
    batch.rows, batch.created, batch.updated, batch.unchanged = (
        report.rows,
        report.created,
        report.updated,
        report.unchanged,
    )
    session.flush()


def _count(report: Report, outcome: str) -> None:
    setattr(report, outcome, getattr(report, outcome) + 1)


def list_batches(session: Session, limit: int = 100) -> list[dict[str, Any]]:
    batches = session.execute(select(ImportBatch).order_by(col(ImportBatch.id).desc()).limit(limit)).scalars()
    return [b.model_dump() for b in batches]


def get_batch(session: Session, batch_id: int) -> dict[str, Any]:
    """One applied import batch."""
    batch = session.get(ImportBatch, batch_id)
    if batch is None:
        raise NotFound(f"No import batch {batch_id}")
    return shaped(batch.model_dump(), ImportBatchRead)
