"""The invented demo data set, loaded idempotently.

- `app/demo/services.json`: organisations (by name) and services (by provider and external id), created or
  refreshed through the catalogue;
- `app/demo/pathways.json`: pathway templates (by series), created and published through `pathways` when
  their series does not exist yet, and one template's next version left as a draft. Published versions
  are frozen, so a series that exists is never touched again.
"""

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.domain import catalogue, organisations, pathways
from app.domain.actor import Actor
from app.domain.versioning import etag
from app.models import Municipality, Organisation, Region
from app.models.organisation import OrganisationCreate
from app.models.pathway import PathwayCreate, PathwayStatus, PathwayTemplate, PathwayUpdate
from app.models.rehab_service import RehabServiceFields, ServiceSource
from app.models.types import utcnow

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_FILE = DEMO_DIR / "services.json"
PATHWAYS_FILE = DEMO_DIR / "pathways.json"


@dataclass
class DemoReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    pathways_created: int = 0
    """Template versions created: each new series' published version 1, and the demo draft."""
    pathways_unchanged: int = 0


def load_demo(
    session: Session, actor: Actor, path: Path = DEMO_FILE, pathways_path: Path = PATHWAYS_FILE
) -> DemoReport:
    """Create or refresh the demo services (source "demo"), then the demo pathway templates. The caller commits."""
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
    _load_pathways(session, actor, pathways_path, report)
    return report


def _load_pathways(session: Session, actor: Actor, path: Path, report: DemoReport) -> None:
    """Version 1 of each series, published; a spec's `draft` becomes version 2, left as a draft.

    Idempotent by series: a series that exists keeps its versions (a published version cannot change),
    and the draft is made only while the series' newest version is the published version 1.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    for spec in data["pathways"]:
        series = spec["series"]
        versions = _versions(session, series)
        if not versions:
            body = {k: v for k, v in spec.items() if k not in ("owner", "draft")}
            body["owner_id"] = _reference_org(session, spec["owner"])
            draft = pathways.create(session, actor, PathwayCreate.model_validate(body))
            pathways.publish(session, actor, draft["id"], etag(draft["version"]))
            report.pathways_created += 1
            versions = _versions(session, series)
        else:
            report.pathways_unchanged += 1
        if "draft" not in spec:
            continue
        newest = versions[0]
        if newest.series_version != 1 or newest.status != PathwayStatus.published:
            report.pathways_unchanged += 1
            continue
        assert newest.id is not None
        copy = pathways.new_version(session, actor, newest.id, etag(newest.version))
        changes = _draft_changes(spec["draft"], copy["steps"])
        pathways.update(session, actor, copy["id"], changes, etag(copy["version"]))
        report.pathways_created += 1


def _versions(session: Session, series: str) -> list[PathwayTemplate]:
    """The series' versions, newest first."""
    stmt = (
        select(PathwayTemplate)
        .where(PathwayTemplate.series == series)
        .order_by(col(PathwayTemplate.series_version).desc())
    )
    return list(session.exec(stmt).all())


def _draft_changes(draft: dict[str, Any], steps: list[dict[str, Any]]) -> dict[str, Any]:
    """The draft's changes to the copied version: its fields, and its steps inserted after the named keys."""
    changes = {k: v for k, v in draft.items() if k != "insert_steps"}
    if "insert_steps" in draft:
        new_steps = list(steps)
        for insertion in draft["insert_steps"]:
            keys = [s["key"] for s in new_steps]
            new_steps.insert(keys.index(insertion["after"]) + 1, insertion["step"])
        changes["steps"] = new_steps
    # Checked like a PATCH body, so a mistake in the data file reads as a field error, not a stored oddity.
    return PathwayUpdate.model_validate(changes).model_dump(exclude_unset=True, mode="json")


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
