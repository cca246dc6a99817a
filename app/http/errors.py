"""Every error mapped once from the domain's errors: RFC 9457 problem+json for the API, a Norwegian HTML
page for the pages."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import Scope

from app.api.responses import ProblemJson
from app.db import is_lock_timeout
from app.domain.actor import ANONYMOUS
from app.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionRequired,
    Rejected,
    StaleVersion,
    Throttled,
    Unauthenticated,
)
from app.domain.versioning import etag
from app.kit.personal_data import mask
from app.settings import get_settings
from app.web.render import render

log = logging.getLogger(__name__)

_TITLES = {
    400: "Ugyldig forespørsel",
    401: "Du må logge inn",
    403: "Du har ikke tilgang",
    404: "Fant ikke siden",
    409: "Konflikt",
    412: "Noen andre har endret dette",
    413: "For stor forespørsel",
    422: "Ugyldige verdier",
    428: "Mangler versjon",
    429: "For mange forsøk",
    500: "Noe gikk galt",
    503: "Prøv igjen om litt",
}


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/")


def html_error(request: Request, status: int, detail: str) -> HTMLResponse:
    title = _TITLES.get(status, "Feil")
    actor = getattr(request.state, "actor", ANONYMOUS)  # the menu shows who is logged in, when that is known
    return render(request, "errors/error.html", {"actor": actor, "title": title, "detail": mask(detail)}, status)


PROBLEM_BASE = "/problems/"

_DOMAIN: dict[type[DomainError], tuple[int, str, str]] = {
    NotFound: (404, "not-found", "Not found"),
    Unauthenticated: (401, "unauthenticated", "Authentication required"),
    Forbidden: (403, "forbidden", "Forbidden"),
    Throttled: (429, "too-many-attempts", "Too many attempts"),
    Conflict: (409, "conflict", "Conflict"),
    StaleVersion: (412, "stale-version", "The resource has changed"),
    PreconditionRequired: (428, "if-match-required", "If-Match required"),
    InvalidInput: (422, "validation-error", "Invalid input"),
    Rejected: (422, "rows-rejected", "Rows rejected"),
}

# A text carrying a national identity number (the `personal_data` error of app.models.types): refused with
# its own type, so a client can tell the user what to remove; the number itself is never echoed.
PERSONAL_DATA = "personal_data"
_PERSONAL_DATA_PROBLEM = (
    "personal-data",
    "Personal data refused",
    "A text looks like it contains a Norwegian national identity number; remove it. Nothing was written",
)


def _masked(value: Any) -> Any:
    """`value` with every national identity number in its texts masked: an error body never repeats one,
    whatever a message quotes (an import cell, a path)."""
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


def problem(request: Request, status: int, slug: str, title: str, detail: str, **extra: Any) -> ProblemJson:
    body = {
        "type": PROBLEM_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return ProblemJson(_masked(body), status_code=status)


def _loc(loc: tuple[Any, ...] | list[Any]) -> dict[str, Any]:
    parts = [str(p) for p in loc]
    pointer = "/" + "/".join(parts[1:]) if parts and parts[0] == "body" else None
    return {
        "loc": parts,
        "field": ".".join(parts[1:]) if len(parts) > 1 else parts[0] if parts else "",
        "pointer": pointer,
    }


def field_errors(errors: list[FieldError]) -> list[dict[str, Any]]:
    return [{**_loc(e.loc), "message": e.message} for e in errors]


async def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if wants_html(request):
        return html_error(request, 422, "Noen av verdiene i adressen er ugyldige.")
    errors = []
    personal = False
    for err in exc.errors():  # never their `input`: it may be the very text refused
        loc = list(err.get("loc", ()))
        # Drop pydantic's tagged-union / function hints so paths read as field paths.
        loc = [p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-")))]
        errors.append({**_loc(loc), "message": str(err.get("msg", "invalid"))})
        personal = personal or err.get("type") == PERSONAL_DATA
    if personal:
        return problem(request, 422, *_PERSONAL_DATA_PROBLEM, errors=errors)
    return problem(
        request,
        422,
        "validation-error",
        "Invalid input",
        "The request did not pass validation",
        errors=errors,
    )


async def domain_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status, slug, title = next(
        (v for k, v in _DOMAIN.items() if isinstance(exc, k)), (400, "bad-request", "Bad request")
    )
    if wants_html(request):
        return html_error(request, status, exc.detail)
    extra: dict[str, Any] = {}
    if isinstance(exc, InvalidInput):
        extra["errors"] = field_errors(exc.errors)
        # A bad cursor is a bad request, not a bad entity.
        if exc.errors and all(e.loc == ("query", "cursor") for e in exc.errors):
            status, slug, title = 400, "invalid-cursor", "Invalid cursor"
        if any(e.kind == PERSONAL_DATA for e in exc.errors):
            slug, title, detail = _PERSONAL_DATA_PROBLEM
            return problem(request, status, slug, title, detail, **extra)
    if isinstance(exc, Rejected):
        extra["row_errors"] = [
            {"sheet": e.sheet, "row": e.index, "column": e.column, "code": e.code, "message": e.message}
            for e in exc.row_errors
        ]
    response = problem(request, status, slug, title, exc.detail, **extra)
    if isinstance(exc, StaleVersion) and exc.current_version:
        response.headers["ETag"] = etag(exc.current_version)
    if isinstance(exc, Unauthenticated):
        response.headers["WWW-Authenticate"] = 'Bearer realm="rehabkart"'
    if isinstance(exc, Throttled):
        response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


async def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    detail = exc.detail if isinstance(exc.detail, str) else phrase
    if wants_html(request) and not request.url.path.startswith("/static/"):
        return html_error(request, exc.status_code, detail)
    slug = phrase.lower().replace(" ", "-").replace("'", "")
    response = problem(request, exc.status_code, slug, phrase, detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def _busy_response(request: Request) -> Response:
    if wants_html(request):
        response: Response = html_error(request, 503, "Rehabkart er opptatt akkurat nå. Prøv igjen om litt.")
    else:
        response = problem(request, 503, "busy", "Busy", "The server is busy: retry in a moment")
    response.headers["Retry-After"] = "5"
    return response


async def _busy(request: Request, exc: Exception) -> Response:
    log.warning("Database connection pool exhausted on %s %s", request.method, request.url.path)
    return _busy_response(request)


async def _database(request: Request, exc: Exception) -> Response:
    """Another writer held the lock past the lock timeout (a long import, say): busy, not broken."""
    if is_lock_timeout(exc):
        log.warning("Gave up waiting for the write lock on %s %s", request.method, request.url.path)
        return _busy_response(request)
    return await _unexpected(request, exc)


def refuse_csrf(scope: Scope, reason: str) -> Response:
    """403 for a request that failed the CSRF check (app.http.csrf)."""
    request = Request(scope)
    if wants_html(request):
        return html_error(
            request, 403, "Skjemaet var utløpt eller ble ikke sendt fra Rehabkart. Last siden på nytt og prøv igjen."
        )
    detail = f"The form was stale or not sent from Rehabkart ({reason}): reload the page and try again"
    return problem(request, 403, "csrf", "CSRF check failed", detail)


def refuse_body(scope: Scope, limit: int) -> Response:
    """413 for a body over its limit (app.http.body_limit), sent before the body is read."""
    request = Request(scope)
    if request.url.path == "/api/v1/imports":
        megabytes = get_settings().import_max_bytes / 1_000_000
        return problem(
            request, 413, "file-too-large", "File too large", f"The largest file accepted is {megabytes:g} MB"
        )
    if wants_html(request):
        return html_error(request, 413, "Det du sendte, er for stort.")
    return problem(
        request,
        413,
        "request-too-large",
        "Request body too large",
        f"The largest request body accepted is {limit} bytes",
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    if wants_html(request):
        return html_error(request, 500, "Prøv igjen om litt. Feilen er logget.")
    return problem(request, 500, "internal-error", "Internal server error", "Something went wrong on our side")


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(DomainError, domain_problem)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(PoolTimeout, _busy)
    app.add_exception_handler(OperationalError, _database)
    app.add_exception_handler(Exception, _unexpected)
