"""HL7 FHIR R4 under /fhir/R4: read-only, JSON (`application/fhir+json`), errors as OperationOutcome.

Kept out of the OpenAPI document (FHIR documents itself: GET /fhir/R4/metadata); see the README.
"""

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import Session

from app.domain.actor import Actor
from app.domain.errors import DomainError, Forbidden, Unauthenticated
from app.domain.standards import fhir
from app.http.deps import ReadSessionDep, resolve_actor
from app.kit.serialization import dumps
from app.settings import get_settings

router = APIRouter(prefix="/fhir/R4", include_in_schema=False)


def _response(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, media_type=fhir.MEDIA_TYPE, headers=headers)


def _outcome(status: int, code: str, diagnostics: str) -> Response:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return _response(fhir.operation_outcome(code, diagnostics), status, headers)


def _answer(session: Session, request: Request, build: Callable[[Actor], Response]) -> Response:
    """Who may read (anyone when the catalogue is public, else a user or token), then `build`, with every
    error as an OperationOutcome."""
    try:
        actor = resolve_actor(session, request)
        if not actor.authenticated and not get_settings().public_catalogue:
            return _outcome(401, "login", "Log in or send an API token to read the catalogue")
        return build(actor)
    except fhir.FhirError as exc:
        return _outcome(exc.status, exc.code, exc.diagnostics)
    except Unauthenticated as exc:
        return _outcome(401, "login", str(exc))
    except Forbidden as exc:
        return _outcome(403, "forbidden", str(exc))
    except DomainError as exc:
        return _outcome(400, "invalid", str(exc))


def _strict(request: Request) -> bool:
    prefer = request.headers.get("prefer", "")
    return any(part.strip().replace(" ", "") == "handling=strict" for part in prefer.split(";") + prefer.split(","))


def _base(request: Request) -> str:
    return str(request.base_url)


@router.get("/metadata")
async def capability_statement(request: Request, session: ReadSessionDep) -> Response:
    return _answer(session, request, lambda _actor: _response(fhir.capability_statement(_base(request))))


@router.get("/{resource_type}")
async def search(request: Request, session: ReadSessionDep, resource_type: str) -> Response:
    items = list(request.query_params.multi_items())
    strict = _strict(request)
    return _answer(
        session,
        request,
        lambda actor: Response(
            fhir.search_json(session, actor, resource_type, items, strict=strict, request_base=_base(request)),
            media_type=fhir.MEDIA_TYPE,
        ),
    )


@router.get("/{resource_type}/{resource_id}")
async def read(request: Request, session: ReadSessionDep, resource_type: str, resource_id: str) -> Response:
    if resource_id == "_history":
        return _history(request, session, resource_type)

    def build(actor: Actor) -> Response:
        resource = fhir.read(session, actor, resource_type, resource_id, request_base=_base(request))
        version = resource["meta"]["versionId"]
        headers = {"ETag": f'W/"{version}"'}
        return _response(resource, headers=headers)

    return _answer(session, request, build)


def _history(request: Request, session: ReadSessionDep, resource_type: str) -> Response:
    """GET /fhir/R4/{type}/_history: the type's writes from the change feed (`_since`, `_count`)."""
    items = list(request.query_params.multi_items())
    strict = _strict(request)
    return _answer(
        session,
        request,
        lambda actor: _response(
            fhir.history(session, actor, resource_type, items, strict=strict, request_base=_base(request))
        ),
    )


@router.get("/{resource_type}/{resource_id}/{rest:path}")
async def unsupported(request: Request, session: ReadSessionDep, resource_type: str, resource_id: str) -> Response:
    return _answer(
        session, request, lambda _actor: _outcome(404, "not-supported", f"{request.url.path} is not supported here")
    )
