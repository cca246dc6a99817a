"""Text helpers for portable, case-insensitive search."""


def fold(*parts: str) -> str:
    """Case-folded text for LIKE search; SQLite's lower() only knows ASCII, so fold in Python."""
    return " ".join(p.casefold() for p in parts if p)


def like_pattern(query: str) -> str:
    """A LIKE pattern matching `query` anywhere, with the wildcard characters escaped (ESCAPE '\\')."""
    escaped = fold(query).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
