"""Read an uploaded file into tables of raw cells: CSV (encoding and delimiter detected) or XLSX.

The header row need not be the first: survey exports often start with a title, a date and blank lines.
Among the first HEADER_SEARCH_ROWS rows, the header is the first that holds at least MIN_KNOWN_HEADERS
headers the caller recognises (`recognise`: our column names, or a mapping's); failing that, the first row
with two or more filled cells. Rows above it are passed over; row numbers stay those the user sees.
"""

import codecs
import csv
import io
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

HEADER_SEARCH_ROWS = 20
MIN_KNOWN_HEADERS = 2

# How many of a row's cells (read as headers) the caller knows as column names.
Recognise = Callable[[list[str]], int]


class UnreadableFile(Exception):
    """The file is not a CSV or XLSX file we can read; `str(exc)` says why, for a person."""


@dataclass
class Table:
    name: str
    headers: list[str]
    rows: Iterator[tuple[int, list[Any]]]  # (row number as the user sees it, cells)
    size: int = 0  # rows expected (from line count or sheet dimensions), for progress bars
    header_row: int = 1  # the header's row number as the user sees it
    skipped: int = 0  # filled rows above the header (a title, a date line) that were passed over
    # Column index → field code or "ignore", from the user's column mapping (see headers.apply_mapping).
    mapped: dict[int, str] = field(default_factory=dict)


def _filled(cells: list[Any]) -> int:
    return sum(1 for cell in cells if cell is not None and str(cell).strip())


def find_header(rows: list[tuple[int, list[Any]]], recognise: Recognise | None) -> int:
    """The index in `rows` (the first rows of a table, blank ones included) of the header row; see the module."""
    if recognise is not None:
        for index, (_number, cells) in enumerate(rows):
            if _filled(cells) >= MIN_KNOWN_HEADERS and recognise(header_texts(cells)) >= MIN_KNOWN_HEADERS:
                return index
    for index, (_number, cells) in enumerate(rows):
        if _filled(cells) >= 2:
            return index
    return next((index for index, (_n, cells) in enumerate(rows) if _filled(cells)), 0)


def header_texts(cells: list[Any]) -> list[str]:
    return [str(_whole(h)).strip() if h is not None else "" for h in cells]


_SIGNATURES = {
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"%PDF": "a PDF document",
    b"GIF8": "a GIF image",
    b"\xd0\xcf\x11\xe0": "an old Excel (.xls) or Word file; save it as .xlsx or CSV",
}


def read_tables(data: bytes, file_name: str, recognise: Recognise | None = None) -> list[Table]:
    """The tables in the file: one for CSV, one per sheet for XLSX; `recognise` helps find each header row."""
    if not data.strip():
        raise UnreadableFile("The file is empty")
    for signature, what in _SIGNATURES.items():
        if data.startswith(signature):
            raise UnreadableFile(f"The file is {what}, not CSV or XLSX")
    if data.startswith(b"PK\x03\x04"):
        return _xlsx(data, recognise)
    if b"\x00" in data[:4096]:
        raise UnreadableFile("The file is binary, not CSV or XLSX")
    return [_csv(data, recognise)]


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


def _delimiter(lines: list[str]) -> str:
    """Semicolon (Norwegian Excel), comma or tab: whichever splits the widest of the first lines (the header,
    below any title lines) the most; on a tie, the earliest such line decides, semicolon first."""
    best, widest = ";", 0
    for line in lines:
        counts = {d: len(next(csv.reader([line], delimiter=d))) for d in (";", ",", "\t")}
        delimiter = max(counts, key=lambda d: counts[d])
        if counts[delimiter] > widest:
            best, widest = delimiter, counts[delimiter]
    return best


def _csv(data: bytes, recognise: Recognise | None) -> Table:
    text = io.TextIOWrapper(io.BytesIO(data), encoding=encoding(data), newline="")
    first = [line for line in (text.readline().split("\n", 1)[0] for _ in range(HEADER_SEARCH_ROWS)) if line.strip()]
    text.seek(0)
    reader = csv.reader(text, delimiter=_delimiter(first))
    head: list[tuple[int, list[Any]]] = []
    try:
        for cells in itertools.islice(reader, HEADER_SEARCH_ROWS):
            head.append((reader.line_num, cells))
    except csv.Error as exc:
        raise UnreadableFile(f"The CSV could not be read: {exc}") from exc
    if not any(_filled(cells) for _n, cells in head):
        raise UnreadableFile("The file is empty")
    at = find_header(head, recognise)
    header_row, headers = head[at][0], header_texts(head[at][1])
    above = sum(1 for _n, cells in head[:at] if _filled(cells))
    buffered = [(number, cells) for number, cells in head[at + 1 :]]

    def rows() -> Iterator[tuple[int, list[Any]]]:
        for number, cells in buffered:
            if "".join(cells).strip():
                yield number, cells
        try:
            for cells in reader:
                if "".join(cells).strip():
                    yield reader.line_num, cells
        except csv.Error as exc:
            raise UnreadableFile(f"Line {reader.line_num}: {exc}") from exc

    return Table(name="", headers=headers, rows=rows(), size=data.count(b"\n"), header_row=header_row, skipped=above)


def _xlsx(data: bytes, recognise: Recognise | None) -> list[Table]:
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
        first = sheet.start[0] + 1 if sheet.start else 1  # the row number Excel shows for the sheet's first row
        head = [
            (number, cells)
            for number, cells in zip(itertools.count(first), itertools.islice(values, HEADER_SEARCH_ROWS))
        ]
        if not head:
            continue
        at = find_header([(n, [None if c == "" else c for c in cells]) for n, cells in head], recognise)
        header_row, header = head[at]
        above = sum(1 for _n, cells in head[:at] if _filled(cells))

        def rows(
            values: Any = values, buffered: Any = head[at + 1 :], next_number: int = first + len(head)
        ) -> Iterator[tuple[int, list[Any]]]:
            for number, cells in itertools.chain(buffered, zip(itertools.count(next_number), values)):
                if any(c != "" and str(c).strip() for c in cells):
                    yield number, [None if c == "" else c for c in cells]

        tables.append(
            Table(
                name=name,
                headers=header_texts(list(header)),
                rows=rows(),
                size=max(sheet.height - (header_row - first) - 1, 0),
                header_row=header_row,
                skipped=above,
            )
        )
    if not tables:
        raise UnreadableFile("The workbook has no sheet with a header row")
    return tables


def _whole(value: Any) -> Any:
    """Excel keeps every number as a float: a header typed as 2026 reads 2026.0."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
