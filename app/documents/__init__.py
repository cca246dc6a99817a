"""Documents people send and archive: a network's action plan, its annual report and a committee's aggregate,
as PDF/A-2a (tagged, for sending and archiving: WeasyPrint from Jinja templates) and as editable DOCX
(python-docx). Both renderers lay out the same wording, built once in app.documents.content.

The libraries are imported when a document is made, so the app starts without them; a missing one is
`DocumentsUnavailable`, which the API answers with 503.
"""

from app.documents.content import Document, Kind, build


class DocumentsUnavailable(Exception):
    """A library that makes documents is missing on this server (a Norwegian sentence for people)."""


__all__ = ["Document", "DocumentsUnavailable", "Kind", "build"]
