"""The committed bad-file corpus (tests/data/imports) and the problems each file must be reported with."""

from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent / "data" / "imports"

# (file, [(row, column or None for the whole row, message)]): the same through the API and the page.
ROW_PROBLEMS: list[tuple[str, list[tuple[int, str | None, str]]]] = [
    (
        "mixed_delimiters.csv",
        [(3, None, "the row has 1 cell but the header has 7: is it separated like the header?")],
    ),
    (
        "municipalities.csv",
        [
            (3, "Kommunenr", "unknown municipality number '9999'"),
            (4, "Kommunenr", "unknown municipality number '46 14'"),
        ],
    ),
    ("duplicates.csv", [(3, "Ekstern ID", "the same provider and external ID as row 2")]),
    (
        "bad_values.csv",
        [
            (2, "Form", "unknown form 'spa'"),
            (2, "Pasientgrupper", "unknown patient group 'kols-ish'; did you mean 'copd'?"),
        ],
    ),
    ("merged_formulas.xlsx", [(3, "Navn", "is missing")]),
]

# (file, the whole-file error it must be refused with)
UNUSABLE_FILES: list[tuple[str, str]] = [
    ("empty.csv", "The file is empty"),
    ("header_only.csv", "The file has a header but no rows"),
    ("missing_columns.csv", "Missing required column(s): Nivå, Form"),
    ("image.csv", "The file is a PNG image, not CSV or XLSX"),
]
