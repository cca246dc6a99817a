"""The /api/v1 router: every API route, in one place."""

from fastapi import APIRouter

from app.api.routes import (
    audit,
    auth,
    coverage,
    gaps,
    imports,
    network_plans,
    networks,
    organisations,
    pathways,
    reference,
    rehab_services,
)

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(reference.router)
api_router.include_router(organisations.router)
api_router.include_router(rehab_services.router)
api_router.include_router(pathways.router)
api_router.include_router(coverage.router)
api_router.include_router(gaps.router)
api_router.include_router(networks.router)
api_router.include_router(network_plans.router)
api_router.include_router(network_plans.by_id)
api_router.include_router(auth.router)
api_router.include_router(audit.router)
api_router.include_router(imports.router)
