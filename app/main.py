"""The FastAPI application: API, error handling and (later) the web pages."""

from fastapi import FastAPI
from fastapi.routing import APIRoute

from app import __doc__ as summary
from app.api import errors, openapi
from app.api.router import api_router


def _operation_id(route: APIRoute) -> str:
    # Handler names (list_rehab_services, …) read well as generated client methods.
    return route.name


def create_app() -> FastAPI:
    app = FastAPI(
        title="Rehabkart API",
        version="1.0.0",
        summary=summary,
        description=(
            "The shared map of rehabilitation in Norwegian health regions: services (tilbud), "
            "organisations and their catchments, and the reference data they use. "
            "Errors are RFC 9457 problem+json; writes use optimistic locking with ETag/If-Match."
        ),
        generate_unique_id_function=_operation_id,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    errors.install(app)
    openapi.install(app)
    app.include_router(api_router)
    return app


app = create_app()
