"""The error for a file that cannot be imported at all, as against a row with a problem (a RowError)."""

from app.domain.errors import DomainError


class ImportFileError(DomainError):
    """The file as a whole cannot be imported (unreadable, empty, missing columns, too many rows)."""
