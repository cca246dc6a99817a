"""Documents over HTTP: which format a request wants (Accept, or a `.pdf` / `.docx` path), the response
with its file name, and what OpenAPI says about it."""

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from fastapi import HTTPException, Request, Response
from starlette.concurrency import run_in_threadpool

from app.documents import DocumentsUnavailable, content
from app.documents import docx as docx_document
from app.documents import pdf as pdf_document


class DocumentFormat(StrEnum):
    pdf = "pdf"
    docx = "docx"


MEDIA_TYPES = {DocumentFormat.pdf: pdf_document.MEDIA_TYPE, DocumentFormat.docx: docx_document.MEDIA_TYPE}
_BY_MEDIA_TYPE = {media: fmt for fmt, media in MEDIA_TYPES.items()}
_RENDERERS = {DocumentFormat.pdf: pdf_document.render, DocumentFormat.docx: docx_document.render}
_JSON = ("application/json", "application/problem+json", "application/*", "*/*")


def wanted(request: Request) -> DocumentFormat | None:
    """The document format the Accept header prefers over JSON (None: JSON). Highest q wins; on a tie the
    earlier media range; a range with q=0 is refused."""
    best: tuple[float, int, DocumentFormat | None] | None = None
    for index, item in enumerate(request.headers.get("accept", "").split(",")):
        media, *params = (part.strip() for part in item.split(";"))
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        media = media.lower()
        if q <= 0 or (media not in _BY_MEDIA_TYPE and media not in _JSON):
            continue
        candidate = (q, -index, _BY_MEDIA_TYPE.get(media))
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    return best[2] if best else None


def negotiated(responses: Mapping[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """`responses=` with the document formats added to the 200 response (beside its JSON)."""
    out = {key: dict(value) for key, value in responses.items()}
    ok = out.setdefault(200, {"description": "Successful Response"})
    ok["content"] = {
        **ok.get("content", {}),
        **{media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()},
    }
    ok["description"] = (
        str(ok.get("description", "Successful Response"))
        + ". With `Accept: application/pdf` a PDF/A-2a document, with `Accept: "
        + docx_document.MEDIA_TYPE
        + "` an editable DOCX (as an attachment)"
    )
    return out


def document_responses(*problem_responses: Mapping[int | str, dict[str, Any]]) -> dict[int | str, dict[str, Any]]:
    """`responses=` of a `.pdf` / `.docx` route: the documents, and the given problem responses."""
    out: dict[int | str, dict[str, Any]] = {}
    for extra in problem_responses:
        out.update(extra)
    out[200] = {
        "description": "The document as an attachment: PDF/A-2a (`.pdf`) or DOCX (`.docx`)",
        "content": {media: {"schema": {"type": "string", "format": "binary"}} for media in MEDIA_TYPES.values()},
        "headers": {
            "Content-Disposition": {
                "description": 'attachment; filename="handlingsplan-<nettverk>-<år>-rev<revisjon>.pdf" and the like',
                "schema": {"type": "string"},
            }
        },
    }
    return out


def make(fmt: DocumentFormat, kind: content.Kind, data: dict[str, Any], today: date | None = None) -> Response:
    """The document as a response (an attachment named after the network, the year and the revision)."""
    doc = content.build(kind, data, today)
    try:
        body = _RENDERERS[fmt](doc)
    except DocumentsUnavailable as exc:
        raise HTTPException(503, str(exc)) from exc
    filename = f"{doc.filename_stem}.{fmt.value}"
    return Response(
        body,
        media_type=MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Vary": "Accept",
            "Cache-Control": "private, no-cache",
        },
    )


async def respond(fmt: DocumentFormat, kind: content.Kind, data: dict[str, Any]) -> Response:
    """`make`, off the event loop (laying out a PDF takes a while)."""
    return await run_in_threadpool(make, fmt, kind, data)
