"""Checking rows as they stream from the file: the row limit, one row per key, every problem collected, and
whether the actor may write what the rows are about."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.domain.actor import Actor
from app.domain.errors import Forbidden, RowError
from app.domain.gaps import access as gap_access
from app.domain.imports import columns as c
from app.domain.imports.errors import NO_ROW, no_rows, too_many_rows
from app.domain.imports.headers import need_columns, profile_columns, service_columns
from app.domain.imports.readers import Table
from app.domain.imports.rows import (
    Lookups,
    NeedRow,
    Notes,
    ProfileRow,
    ServiceParser,
    cell,
    find_provider,
    parse_need,
    parse_profile,
)
from app.settings import get_settings


@dataclass
class RawRow:
    """A service row with its key and digest; its cells are parsed only when the digest is new."""

    number: int
    cells: list[Any]
    provider_id: int
    external_id: str
    digest: str
    parse: ServiceParser
    table: str


_PROVIDER_FIELDS = ("provider_id", "provider_orgnr", "provider_municipality")


def digest(cells: list[Any], indexes: list[int], names: str) -> str:
    """What a row says, as a short hash: the same text in the same columns gives the same digest.

    A blank cell is blank whether Excel left it empty or wrote ''. Cells are joined by a control
    character; in the odd row that contains one, their repr is hashed instead, so no two different
    rows can join up to the same text.
    """
    try:  # a CSV row: every cell a string already (the same texts as below, only faster)
        texts = [cells[i] for i in indexes]
        joined = "\x1f".join(texts)
    except (IndexError, TypeError):  # a short row, or a workbook's numbers, dates and empty cells
        size = len(cells)
        texts = ["" if (v := cells[i] if i < size else None) is None else str(v) for i in indexes]
        joined = "\x1f".join(texts)
    if joined.count("\x1f") != len(texts) - 1:
        joined = repr(texts)
    return hashlib.blake2b(f"{names}\x1e{joined}".encode(), digest_size=16).hexdigest()


class Checker:
    """Checks rows one by one as they stream from the file, collecting every problem."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.lookups = Lookups(session)
        self.actor = actor
        self.limit = get_settings().import_max_rows
        self.rows = 0
        self.errors: list[RowError] = []
        self.notes: list[RowError] = []  # defaults applied, columns ignored: reported, never blocking
        self.rejected: set[tuple[str, int]] = set()  # (table, row number)
        self.refused: set[int] = set()  # providers whose services the actor may not change

    @property
    def clean(self) -> bool:
        """No problem so far: the rows checked may be written."""
        return not self.errors and not self.refused

    def _count(self) -> None:
        self.rows += 1
        if self.rows > self.limit:
            raise too_many_rows(self.limit)

    def reject(self, table: str, errors: list[RowError]) -> None:
        for error in errors:
            error.sheet = table or None
        self.errors += errors
        self.rejected.update((table, e.index) for e in errors)

    def ignored(self, table: Table, columns: dict[str, int]) -> None:
        """A note for each column of `table` that no field reads (row: none, column: its header)."""
        used = set(columns.values())
        for index, header in enumerate(table.headers):
            if index not in used and header.strip():
                message = f"kolonnen «{header}» er ikke kjent og blir ikke lest"
                self.notes.append(RowError(NO_ROW, message, header, table.name or None, "column_ignored"))

    def services(self, tables: list[Table]) -> Iterator[RawRow]:
        """Rows with their key and digest; the cells are parsed later, and only when the digest is new.

        A provider the actor may not write for is noted in `refused` (the import is refused at the end).
        """
        seen: dict[tuple[int, str], int] = {}
        for table in tables:
            columns = service_columns(table)
            self.ignored(table, columns)
            parse = ServiceParser(columns, table.headers, self.lookups, Notes(table.name, self.notes))
            ordered = sorted(columns.items())
            names, indexes = ",".join(name for name, _ in ordered), [index for _, index in ordered]
            # A few hundred providers fill a file of any length: each is looked up once per cell values.
            provider_cells = [columns[k] for k in _PROVIDER_FIELDS if k in columns]
            providers: dict[tuple[Any, ...], int] = {}
            for number, cells in table.rows:
                self._count()
                key_errors: list[RowError] = []
                size = len(cells)
                provider_key = tuple(cells[i] if i < size else None for i in provider_cells)
                provider_id = providers.get(provider_key)
                if provider_id is None:
                    provider_id = find_provider(cells, columns, table.headers, self.lookups, number, key_errors)
                    if provider_id is not None:
                        providers[provider_key] = provider_id
                try:
                    external_id = c.guarded_text(cell(cells, columns, "external_id"))
                except c.CellError:  # an identity number: `parse` says so, on its column
                    external_id = None
                if provider_id is None or external_id is None:
                    parsed = parse(number, cells)  # reports every problem of the row, not only the key
                    self.reject(table.name, parsed if isinstance(parsed, list) else key_errors)
                    continue
                key = (provider_id, external_id[:100])
                if key in seen:
                    message = f"samme tilbyder og eksterne ID som rad {seen[key]}"
                    error = RowError(number, message, parse.header("external_id"), code="duplicate_key")
                    self.reject(table.name, [error])
                    continue
                seen[key] = number
                if not self.actor.may_write_org(provider_id):
                    self.refused.add(provider_id)
                yield RawRow(number, cells, key[0], key[1], digest(cells, indexes, names), parse, table.name)

    def profiles(self, tables: list[Table]) -> Iterator[ProfileRow]:
        """Municipality profile rows, one per municipality and year."""
        years: dict[tuple[str, int], int] = {}
        for table in tables:
            columns = profile_columns(table)
            self.ignored(table, columns)
            for number, cells in table.rows:
                self._count()
                parsed = parse_profile(number, cells, columns, table.headers, self.lookups)
                if isinstance(parsed, list):
                    self.reject(table.name, parsed)
                    continue
                key = (parsed.values["municipality_number"], parsed.values["year"])
                if key in years:
                    message = f"samme kommune og år som rad {years[key]}"
                    column = table.headers[columns["municipality_number"]]
                    self.reject(table.name, [RowError(number, message, column, code="duplicate_key")])
                    continue
                years[key] = number
                yield parsed

    def needs(self, tables: list[Table], profile_rows: list[ProfileRow]) -> Iterator[NeedRow]:
        """Unmet needs ("Behov"), one per survey year, municipality, patient group and category.

        A need the actor may not register (access.may_write for a gap owned by the municipality's
        organisation and naming the municipality) is a row error on its municipality column."""
        years: dict[str, set[int]] = {}
        for profile in profile_rows:
            years.setdefault(profile.values["municipality_number"], set()).add(profile.values["year"])
        seen: dict[tuple[int, str, str | None, str], int] = {}
        allowed: dict[tuple[int, str], bool] = {}
        for table in tables:
            columns = need_columns(table)
            self.ignored(table, columns)
            for number, cells in table.rows:
                self._count()
                parsed = parse_need(number, table.name, cells, columns, table.headers, self.lookups, years)
                if isinstance(parsed, list):
                    self.reject(table.name, parsed)
                    continue
                if parsed.key in seen:
                    message = f"samme år, kommune, pasientgruppe og kategori som rad {seen[parsed.key]}"
                    column = table.headers[columns["municipality_number"]]
                    self.reject(table.name, [RowError(number, message, column, code="duplicate_key")])
                    continue
                seen[parsed.key] = number
                place = (parsed.owner_id, parsed.municipality_number)
                if place not in allowed:
                    allowed[place] = gap_access.may_write(
                        self.lookups.session, self.actor, parsed.owner_id, [parsed.municipality_number]
                    )
                if not allowed[place]:
                    message = f"du kan ikke registrere udekkede behov for kommune {parsed.municipality_number}"
                    column = table.headers[columns["municipality_number"]]
                    self.reject(table.name, [RowError(number, message, column, code="not_allowed")])
                    continue
                yield parsed

    def require_write_access(self, profile_rows: list[ProfileRow]) -> None:
        """Forbidden when the file has services of a refused provider, or facts of a municipality the actor
        may not report for."""
        if self.refused:
            which = ", ".join(map(str, sorted(self.refused)))
            raise Forbidden(f"Du kan ikke endre tilbudene til organisasjon {which}")
        numbers = sorted({p.values["municipality_number"] for p in profile_rows})
        refused = [n for n in numbers if not self.actor.may_write_org(self.lookups.by_municipality.get(n, 0))]
        if refused:
            raise Forbidden(f"Du kan ikke rapportere for kommune {', '.join(refused)}")

    def require_rows(self) -> None:
        """ImportFileError when the file had no rows at all."""
        if self.rows == 0:
            raise no_rows()
