"""Text helpers for portable, case-insensitive search."""

import unicodedata


def nfc(value: str) -> str:
    """`value` in Unicode normal form C: a decomposed 'A' + ring above becomes the one character 'Å'."""
    return unicodedata.normalize("NFC", value)


def fold(*parts: str) -> str:
    """Case-folded NFC text for LIKE search; SQLite's lower() only knows ASCII, so fold in Python.

    Unicode's canonical caseless match: decompose, fold, compose. Folding can decompose on its own
    (casefold() turns 'İ' into 'i' + a combining dot), so the result is composed after folding: stored
    text and queries built with fold() compare equal however the writer or searcher encoded them.
    """
    return nfc(" ".join(unicodedata.normalize("NFD", p).casefold() for p in parts if p))


def like_pattern(query: str) -> str:
    """A LIKE pattern matching `query` anywhere, with the wildcard characters escaped (ESCAPE '\\')."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
