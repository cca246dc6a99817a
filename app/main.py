"""The FastAPI application: the JSON API, the pages, error handling and middleware."""

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope

from app import __doc__ as summary
from app.api import docs, fhir, hsds, openapi
from app.api.router import api_router
from app.http import errors
from app.http.authenticate_first import AuthenticateFirstMiddleware
from app.http.body_limit import UPLOAD_FORM_OVERHEAD, BodyLimitMiddleware
from app.http.csrf import CsrfMiddleware
from app.http.last_use import LastUseMiddleware
from app.http.request_id import RequestIdMiddleware
from app.http.security_headers import SecurityHeadersMiddleware
from app.settings import get_settings
from app.web.render import STATIC
from app.web.routes import auth as web_auth
from app.web.routes import catalogue as web_catalogue
from app.web.routes import coverage as web_coverage
from app.web.routes import gap_board as web_gap_board
from app.web.routes import gaps as web_gaps
from app.web.routes import imports as web_imports
from app.web.routes import networks as web_networks
from app.web.routes import pathways as web_pathways


def _operation_id(route: APIRoute) -> str:
    # Handler names (list_rehab_services, …) read well as generated client methods.
    return route.name


# Uploads may be as large as the import limit; the web form answers a file just over it inline, so its hard
# stop is further out. Every other body (JSON, forms) is small.
_UPLOADS = {"/api/v1/imports": 1, "/imports": 4}


def _body_limit(scope: Scope) -> int:
    settings = get_settings()
    factor = _UPLOADS.get(scope["path"]) if scope["method"] == "POST" else None
    return factor * (settings.import_max_bytes + UPLOAD_FORM_OVERHEAD) if factor else settings.max_body_bytes


def create_app() -> FastAPI:
    app = FastAPI(
        title="Rehabkart API",
        version="1.0.0",
        summary=summary,
        description=(
            "The shared map of rehabilitation in Norwegian health regions: services (tilbud), "
            "organisations and their catchments, and the reference data they use. "
            "Errors are RFC 9457 problem+json; writes use optimistic locking with ETag/If-Match. "
            "Reads of the catalogue are public by default; writes need `Authorization: Bearer <token>`."
        ),
        generate_unique_id_function=_operation_id,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by app.api.docs, under the same security headers as every page
        redoc_url=None,
    )
    errors.install(app)
    openapi.install(app)
    app.include_router(api_router)
    app.include_router(docs.router)
    app.include_router(fhir.router)  # the standard exports: FHIR R4 and HSDS 3.0, kept out of the OpenAPI
    app.include_router(hsds.router)
    app.include_router(web_auth.router)
    app.include_router(web_catalogue.router)
    app.include_router(web_imports.router)
    # Before the pathway pages: /pathways/{id}/coverage must not be taken for a /pathways/{id}/{action}.
    app.include_router(web_coverage.router)
    app.include_router(web_gap_board.router)  # before the gap pages: /gaps/board is not a /gaps/{id}
    app.include_router(web_gaps.router)
    app.include_router(web_networks.router)
    app.include_router(web_pathways.router)
    settings = get_settings()
    # Innermost first: each add_middleware wraps what was added before it.
    app.add_middleware(AuthenticateFirstMiddleware)
    app.add_middleware(CsrfMiddleware, secret=settings.signing_secret(), refuse=errors.refuse_csrf)
    app.add_middleware(BodyLimitMiddleware, limit=_body_limit, refuse=errors.refuse_body)
    app.add_middleware(
        SecurityHeadersMiddleware,
        script_sources=[settings.htmx_url],
        style_sources=[settings.designsystemet_css_url, settings.designsystemet_theme_url],
    )
    app.add_middleware(LastUseMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


app = create_app()
