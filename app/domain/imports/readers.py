"""Read an uploaded file into tables of raw cells: CSV (encoding and delimiter detected) or XLSX."""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


class UnreadableFile(Exception):
    """The file is not a CSV or XLSX file we can read; `str(exc)` says why, for a person."""


@dataclass
class Table:
    name: str
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as the user sees it, cells)
    size: int = 0  # rows expected (from line count or sheet dimensions), for progress bars


_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file; save it as .xlsx or CSV",
}


def read_tables(data: bytes, file_name: str) -> list[Table]:
    """The tables in the file: one for CSV, one per sheet for XLSX."""
    if not data.strip():
        raise UnreadableFile("The file is empty")
    for signature, what in _SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableFile(f"The file is {what}, not CSV or XLSX")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx(data)
    if b"\x00" in data[:4096]:
        raise UnreadableFile("The file is binary, not CSV or XLSX")
    return [_csv(data)]


def encoding(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1252 (what Norwegian Excel writes).

    Checked in slices, so a large file is never held decoded in memory as a whole.
    """
    name = "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    for candidate in (name, "cp1252"):
        decoder = codecs.getincrementaldecoder(candidate)()
        try:
            for start in range(0, len(data), 1 << 20):
                decoder.decode(data[start : start + (1 << 20)])
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return candidate
    raise UnreadableFile("The text is neither UTF-8 nor Windows-1252; save it as UTF-8 CSV")


def _delimiter(header_line: str) -> str:
    """Semicolon (Norwegian Excel) or comma, whichever splits the header more."""
    counts = {d: len(next(csv.reader([header_line], delimiter=d))) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d])


def _csv(data: bytes) -> Table:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding(data), newline="")
    first = text.readline()
    text.seek(0)
    reader = csv.reader(text, delimiter=_delimiter(first.split("\n", 1)[0]))
    try:
        headers = [h.strip() for h in next(reader)]
    except StopIteration as exc:
        raise UnreadableFile("The file is empty") from exc
    except csv.Error as exc:
        raise UnreadableFile(f"The CSV could not be read: {exc}") from exc

    def rows() -> Iterator[tuple[int, list[Any]]]:
        try:
            for cells in reader:
                if "".join(cells).strip():
                    yield reader.line_num, cells
        except csv.Error as exc:
            raise UnreadableFile(f"Line {reader.line_num}: {exc}") from exc

    return Table(name="", headers=headers, rows=rows(), size=data.count(b"\n"))


def _xlsx(data: bytes) -> list[Table]:
    """Each worksheet read by calamine (Rust): ten times faster than openpyxl's streaming reader.

    A sheet's cells are held in memory while it is read (about 64 bytes a cell: some 200 MB at the
    20 MB upload limit); cached formula results are read, never the formulas.
    """
    from python_calamine import CalamineError, CalamineWorkbook, SheetTypeEnum

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = [m.name for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]
    except (CalamineError, ValueError, OSError) as exc:
        raise UnreadableFile("The file looks like XLSX but could not be opened") from exc
    tables = []
    for name in sheets:
        try:
            sheet = book.get_sheet_by_name(name)
        except (CalamineError, ValueError) as exc:
            raise UnreadableFile(f"Sheet '{name}' could not be read") from exc
        values = sheet.iter_rows()
        header = next(values, None)
        if header is None:
            continue
        first = sheet.start[0] + 1 if sheet.start else 1  # the row number Excel shows for the header

        def rows(values: Any = values, first: int = first) -> Iterator[tuple[int, list[Any]]]:
            for number, cells in enumerate(values, start=first + 1):
                if any(c != "" and str(c).strip() for c in cells):
                    yield number, [None if c == "" else c for c in cells]

        headers = [str(_whole(h)).strip() for h in header]
        tables.append(Table(name=name, headers=headers, rows=rows(), size=max(sheet.height - 1, 0)))
    if not tables:
        raise UnreadableFile("The workbook has no sheet with a header row")
    return tables


def _whole(value: Any) -> Any:
    """Excel keeps every number as a float: a header typed as 2026 reads 2026.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
