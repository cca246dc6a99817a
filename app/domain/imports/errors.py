"""The error for a file that cannot be imported at all, as against a row with a problem (a RowError), and
the Norwegian sentences both are told in.

Every message has a stable English `code` (for programs) and a bokmål sentence (for the person who filled
in the file). Row messages are built only when a row has a problem, so the clean path pays nothing for them.
"""

import re

from app.domain.errors import DomainError

# A note's row when it is about a column rather than a row (an ignored column): shown as no row (null).
NO_ROW = 0


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (unreadable, empty, missing columns, too many rows).

    `detail` is in Norwegian; `code` says which of these it is (`file_unreadable`, `file_empty`,
    `file_no_rows`, `file_too_large`, `too_many_rows`, `missing_columns`, `duplicate_column`,
    `no_facts_sheet`)."""

    def __init__(self, detail: str, code: str = "file_unreadable") -> None:
        super().__init__(detail)
        self.code = code


def too_many_rows(limit: int) -> ImportFileError:
    return ImportFileError(f"Filen har mer enn {limit} rader; del den opp", "too_many_rows")


def no_rows() -> ImportFileError:
    return ImportFileError("Filen har overskrifter, men ingen rader", "file_no_rows")


def too_large(megabytes: int) -> ImportFileError:
    return ImportFileError(f"Filen er større enn {megabytes} MB", "file_too_large")


def missing_columns(names: list[str], sheet: str | None = None) -> ImportFileError:
    where = f"Arket «{sheet}» mangler" if sheet else "Filen mangler"
    noun = "kolonnen" if len(names) == 1 else "kolonnene"
    return ImportFileError(f"{where} {noun} {', '.join(names)}", "missing_columns")


def duplicate_column(first: str, second: str) -> ImportFileError:
    return ImportFileError(
        f"To kolonner betyr det samme: «{first}» og «{second}»; fjern eller gi nytt navn til en av dem",
        "duplicate_column",
    )


def no_facts_sheet() -> ImportFileError:
    return ImportFileError(
        "En kommuneundersøkelse trenger et ark med kommunefakta («Kommune»: Kommunenr, År, Kreftkoordinator …) "
        "eller et ark med udekkede behov («Behov»)",
        "no_facts_sheet",
    )


# The reader's reasons (app.domain.imports.readers.UnreadableFile) in Norwegian, with their code.
_READER: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^The file is empty$"), "Filen er tom", "file_empty"),
    (re.compile(r"^The file is a PNG image, not CSV or XLSX$"), "Filen er et PNG-bilde, ikke CSV eller XLSX", ""),
    (re.compile(r"^The file is a JPEG image, not CSV or XLSX$"), "Filen er et JPEG-bilde, ikke CSV eller XLSX", ""),
    (re.compile(r"^The file is a GIF image, not CSV or XLSX$"), "Filen er et GIF-bilde, ikke CSV eller XLSX", ""),
    (re.compile(r"^The file is a PDF document, not CSV or XLSX$"), "Filen er et PDF-dokument, ikke CSV eller XLSX", ""),
    (
        re.compile(r"^The file is an old Excel \(\.xls\) or Word file.*$"),
        "Filen er en gammel Excel-fil (.xls) eller en Word-fil; lagre den som .xlsx eller CSV",
        "",
    ),
    (re.compile(r"^The file is binary, not CSV or XLSX$"), "Filen er binær, ikke CSV eller XLSX", ""),
    (
        re.compile(r"^The text is neither UTF-8 nor Windows-1252.*$"),
        "Teksten er verken UTF-8 eller Windows-1252; lagre filen som CSV (UTF-8)",
        "",
    ),
    (re.compile(r"^The CSV could not be read: (.*)$"), "CSV-filen kunne ikke leses: {0}", ""),
    (re.compile(r"^Line (\d+): (.*)$"), "Linje {0}: {1}", ""),
    (
        re.compile(r"^The file looks like XLSX but could not be opened$"),
        "Filen ser ut som XLSX, men kunne ikke åpnes",
        "",
    ),
    (re.compile(r"^Sheet '(.*)' could not be read$"), "Arket «{0}» kunne ikke leses", ""),
    (
        re.compile(r"^The workbook has no sheet with a header row$"),
        "Arbeidsboken har ikke noe ark med en overskriftsrad",
        "",
    ),
]


def unreadable(reason: str) -> ImportFileError:
    """The reader's reason (UnreadableFile) as an ImportFileError in Norwegian; a reason not known here is
    passed on as it is."""
    for pattern, norwegian, code in _READER:
        found = pattern.match(reason)
        if found:
            return ImportFileError(norwegian.format(*found.groups()), code or "file_unreadable")
    return ImportFileError(reason, "file_unreadable")
