"""The FastAPI application: the JSON API, the pages, error handling and middleware."""

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from starlette.types import Scope, Send

from app import __doc__ as summary
from app.api import errors, openapi
from app.api.router import api_router
from app.api.routes.imports import UPLOAD_FORM_OVERHEAD, upload_too_large
from app.middleware import CsrfMiddleware, RequestIdMiddleware, SecurityHeadersMiddleware, UploadLimitMiddleware
from app.serialization import dumps
from app.settings import get_settings
from app.web.render import STATIC
from app.web.routes import auth as web_auth
from app.web.routes import catalogue as web_catalogue
from app.web.routes import imports as web_imports


def _operation_id(route: APIRoute) -> str:
    # Handler names (list_rehab_services, …) read well as generated client methods.
    return route.name


async def _csrf_failed(scope: Scope, send: Send, message_id: Any) -> None:
    body = dumps(
        {
            "type": "/problems/csrf",
            "title": "CSRF check failed",
            "status": 403,
            "detail": "The form was stale or not sent from Rehabkart: reload the page and try again",
            "instance": scope.get("path", ""),
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


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
        docs_url="/api/docs",
        redoc_url=None,
    )
    errors.install(app)
    openapi.install(app)
    app.include_router(api_router)
    app.include_router(web_auth.router)
    app.include_router(web_catalogue.router)
    app.include_router(web_imports.router)
    settings = get_settings()
    # Double-submit CSRF for cookie-authenticated form posts (hidden field) and htmx (X-CSRFToken header);
    # requests without cookies or with a bearer token are exempt.
    app.add_middleware(
        CsrfMiddleware,
        signing_secret=settings.signing_secret(),
        cookie_secure=bool(settings.cookie_secure),
        send_csrf_failed=_csrf_failed,
    )
    app.add_middleware(
        UploadLimitMiddleware,
        path="/api/v1/imports",
        limit=lambda: get_settings().import_max_bytes + UPLOAD_FORM_OVERHEAD,
        refuse=upload_too_large,
    )
    app.add_middleware(
        SecurityHeadersMiddleware,
        script_sources=[settings.htmx_url],
        style_sources=[settings.designsystemet_css_url, settings.designsystemet_theme_url],
    )
    app.add_middleware(RequestIdMiddleware)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    return app


app = create_app()
