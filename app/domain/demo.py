"""The invented demo data set (app/demo/services.json), loaded idempotently by external id."""

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.domain import catalogue, organisations
from app.domain.actor import Actor
from app.models import Municipality, Organisation, Region
from app.models.organisation import OrganisationCreate
from app.models.rehab_service import RehabServiceFields, ServiceSource
from app.models.types import utcnow

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "services.json"


@dataclass
class DemoReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def load_demo(session: Session, actor: Actor, path: Path = DEMO_FILE) -> DemoReport:
    """Create or refresh the demo services (source "demo"). The caller commits."""
    data = json.loads(path.read_text(encoding="utf-8"))
    providers: dict[str, int] = {}
    for spec in data["organisations"]:
        existing = session.exec(select(Organisation).where(Organisation.name == spec["name"])).first()
        if existing is None:
            body = OrganisationCreate.model_validate({k: v for k, v in spec.items() if k != "key"})
            providers[f"org:{spec['key']}"] = organisations.create_organisation(session, actor, body)["id"]
        else:
            assert existing.id is not None
            providers[f"org:{spec['key']}"] = existing.id
    report = DemoReport()
    for spec in data["services"]:
        provider_id = providers.get(spec["provider"]) or _reference_org(session, spec["provider"])
        values: dict[str, Any] = {
            k: v for k, v in spec.items() if k not in ("id", "provider", "catchment_region", "verified_days_ago")
        }
        if "verified_days_ago" in spec:
            # Relative, so the demo keeps a mix of fresh and stale services whenever it is loaded.
            values["last_verified_on"] = (utcnow() - timedelta(days=spec["verified_days_ago"])).date()
        if "catchment_region" in spec:
            values["catchment"] = _region_municipalities(session, spec["catchment_region"])
        _, outcome = catalogue.upsert_service(
            session,
            actor,
            provider_id,
            spec["id"],
            RehabServiceFields.model_validate(values),
            None,
            source=ServiceSource.demo,
        )
        setattr(report, outcome, getattr(report, outcome) + 1)
    return report


def _reference_org(session: Session, key: str) -> int:
    org_id = session.exec(select(Organisation.id).where(Organisation.reference_key == key)).first()
    if org_id is None:
        raise LookupError(
            f"Demo data names {key!r}, which the reference data does not have: run `rehabkart reference load`"
        )
    return org_id


def _region_municipalities(session: Session, code: str) -> list[str]:
    region_id = session.exec(select(Region.id).where(Region.code == code)).one()
    return sorted(session.exec(select(Municipality.number).where(Municipality.region_id == region_id)).all())
