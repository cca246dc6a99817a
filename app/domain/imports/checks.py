"""Checking rows as they stream from the file: the row limit, one row per key, every problem collected, and
whether the actor may write what the rows are about."""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.domain.actor import Actor
from app.domain.errors import Forbidden, RowError
from app.domain.imports import columns as c
from app.domain.imports.errors import ImportFileError
from app.domain.imports.headers import profile_columns, service_columns
from app.domain.imports.readers import Table
from app.domain.imports.rows import Lookups, ProfileRow, ServiceParser, cell, find_provider, parse_profile
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


def digest(cells: list[Any], indexes: list[int], names: str) -> str:
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


class Checker:
    """Checks rows one by one as they stream from the file, collecting every problem."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.lookups = Lookups(session)
        self.actor = actor
        self.limit = get_settings().import_max_rows
        self.rows = 0
        self.errors: list[RowError] = []
        self.rejected: set[tuple[str, int]] = set()  # (table, row number)
        self.refused: set[int] = set()  # providers whose services the actor may not change

    @property
    def clean(self) -> bool:
        """No problem so far: the rows checked may be written."""
        return not self.errors and not self.refused

    def _count(self) -> None:
        self.rows += 1
        if self.rows > self.limit:
            raise ImportFileError(f"The file has more than {self.limit} rows; split it")

    def reject(self, table: str, errors: list[RowError]) -> None:
        for error in errors:
            error.sheet = table or None
        self.errors += errors
        self.rejected.update((table, e.index) for e in errors)

    def services(self, tables: list[Table]) -> Iterator[RawRow]:
        """Rows with their key and digest; the cells are parsed later, and only when the digest is new.

        A provider the actor may not write for is noted in `refused` (the import is refused at the end).
        """
        seen: dict[tuple[int, str], int] = {}
        for table in tables:
            columns = service_columns(table)
            parse = ServiceParser(columns, table.headers, self.lookups)
            ordered = sorted(columns.items())
            names, indexes = ",".join(name for name, _ in ordered), [index for _, index in ordered]
            for number, cells in table.rows:
                self._count()
                key_errors: list[RowError] = []
                provider_id = find_provider(cells, columns, table.headers, self.lookups, number, key_errors)
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
                    message = f"the same provider and external ID as row {seen[key]}"
                    self.reject(table.name, [RowError(number, message, parse.header("external_id"))])
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
            for number, cells in table.rows:
                self._count()
                parsed = parse_profile(number, cells, columns, table.headers, self.lookups)
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

    def require_write_access(self, profile_rows: list[ProfileRow]) -> None:
        """Forbidden when the file has services of a refused provider, or facts of a municipality the actor
        may not report for."""
        if self.refused:
            raise Forbidden(
                f"You may not change services of organisation(s) {', '.join(map(str, sorted(self.refused)))}"
            )
        numbers = sorted({p.values["municipality_number"] for p in profile_rows})
        refused = [n for n in numbers if not self.actor.may_write_org(self.lookups.by_municipality.get(n, 0))]
        if refused:
            raise Forbidden(f"You may not report for municipality {', '.join(refused)}")

    def require_rows(self) -> None:
        """ImportFileError when the file had no rows at all."""
        if self.rows == 0:
            raise ImportFileError("The file has a header but no rows")
