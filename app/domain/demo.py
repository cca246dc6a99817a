"""The invented demo data set, loaded idempotently.

- `app/demo/services.json`: organisations (by name) and services (by provider and external id), created or
  refreshed through the catalogue;
- `app/demo/pathways.json`: pathway templates (by series), created and published through `pathways` when
  their series does not exist yet, and one template's next version left as a draft. Published versions
  are frozen, so a series that exists is never touched again.
- `app/demo/networks.json`: networks (by name) with their members and meetings, created through `networks`
  when no network has the name; a network that exists is never touched again.
- `app/demo/gaps.json`: gap registrations (udekkede behov, by title), created through `gaps` with their
  measures and moved through the workflow to their status; a title that exists is never touched again.
"""

import json
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from app.domain import catalogue, gaps, networks, organisations, pathways
from app.domain.actor import Actor
from app.domain.catalogue.verification import today as norwegian_today
from app.domain.networks import plans, reports
from app.domain.versioning import etag
from app.models import Catchment, Gap, Measure, Municipality, Network, NetworkMeeting, Organisation, Region
from app.models.gap import GapCreate, GapStatus, MeasureCreate
from app.models.network import (
    ActionPlanWrite,
    AnnualReportWrite,
    MeetingCreate,
    MemberCreate,
    NetworkCreate,
    PlanMeasureAdd,
)
from app.models.organisation import OrganisationCreate
from app.models.pathway import PathwayCreate, PathwayStatus, PathwayTemplate, PathwayUpdate
from app.models.rehab_service import RehabServiceFields, ServiceSource
from app.models.types import utcnow

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"
DEMO_FILE = DEMO_DIR / "services.json"
PATHWAYS_FILE = DEMO_DIR / "pathways.json"
GAPS_FILE = DEMO_DIR / "gaps.json"
NETWORKS_FILE = DEMO_DIR / "networks.json"


@dataclass
class DemoReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    pathways_created: int = 0
    """Template versions created: each new series' published version 1, and the demo draft."""
    pathways_unchanged: int = 0
    gaps_created: int = 0
    gaps_unchanged: int = 0
    networks_created: int = 0
    networks_unchanged: int = 0


def load_demo(
    session: Session,
    actor: Actor,
    path: Path = DEMO_FILE,
    pathways_path: Path = PATHWAYS_FILE,
    gaps_path: Path = GAPS_FILE,
    networks_path: Path = NETWORKS_FILE,
) -> DemoReport:
    """Create or refresh the demo services (source "demo"), then the demo pathway templates, then the demo
    gap registrations (which may link to the templates' steps). The caller commits."""
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
    _load_networks(session, actor, networks_path, report)
    _load_gaps(session, actor, gaps_path, report)
    _load_network_work(session, actor, networks_path)
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


# The workflow's steps from `registered` to each status; measures are added before `measure_planned`.
_ROUTES = {
    GapStatus.registered: (),
    GapStatus.assessed: (GapStatus.assessed,),
    GapStatus.measure_planned: (GapStatus.assessed, GapStatus.measure_planned),
    GapStatus.resolved: (GapStatus.assessed, GapStatus.measure_planned, GapStatus.resolved),
    GapStatus.rejected: (GapStatus.rejected,),
}


_NOT_GAP_FIELDS = ("owner", "status", "reason", "measures", "network", "meeting")


def _load_gaps(session: Session, actor: Actor, path: Path, report: DemoReport) -> None:
    """Each gap created through `gaps.create`, its measures through `gaps.create_measure` and its status
    reached through `gaps.transition`, as a network would do it.

    Idempotent by title: a gap whose title exists (not deleted) is left as it is, so a second load changes
    nothing, and whatever was done with a demo gap in the app since is kept. Due dates are given relative to
    the day of loading (`due_in_days`), so exactly one measure is overdue (the one due in the past and not
    done) whenever the demo is loaded.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    today = norwegian_today()
    for spec in data["gaps"]:
        exists = session.exec(select(Gap.id).where(Gap.title == spec["title"], col(Gap.deleted_at).is_(None))).first()
        if exists is not None:
            report.gaps_unchanged += 1
            continue
        body = {
            k: v for k, v in spec.items() if k not in ("owner", "status", "reason", "measures", "network", "meeting")
        }
        body["owner_id"] = _reference_org(session, spec["owner"])
        if "network" in spec:  # registered by a demo network, perhaps at one of its meetings
            body["network_id"] = _network_id(session, spec["network"])
            if "meeting" in spec and body["network_id"] is not None:
                body["meeting_id"] = _meeting_id(session, body["network_id"], spec["meeting"])
        gap = gaps.create(session, actor, GapCreate.model_validate(body))
        for measure in spec.get("measures", []):
            values = {k: v for k, v in measure.items() if k not in ("responsible", "due_in_days")}
            values["responsible_id"] = _reference_org(session, measure["responsible"])
            if "due_in_days" in measure:
                values["due_on"] = (today + timedelta(days=measure["due_in_days"])).isoformat()
            if values.get("status") == "done":
                values["done_on"] = min(today, date.fromisoformat(values.get("due_on", today.isoformat()))).isoformat()
            gaps.create_measure(session, actor, gap["id"], MeasureCreate.model_validate(values))
        for target in _ROUTES[GapStatus(spec.get("status", GapStatus.registered))]:
            reason = spec.get("reason") if gaps.needs_reason(GapStatus(gap["status"]), target) else None
            gap = gaps.transition(session, actor, gap["id"], target, reason, etag(gap["version"]))
        report.gaps_created += 1


def _load_networks(session: Session, actor: Actor, path: Path, report: DemoReport) -> None:
    """Each network created through `networks` with its members and meetings, in file order (a committee
    before the networks that report to it). Idempotent by name: a network that exists is left as it is."""
    data = json.loads(path.read_text(encoding="utf-8"))
    for spec in data["networks"]:
        if _network_id(session, spec["name"]) is not None:
            report.networks_unchanged += 1
            continue
        body: dict[str, Any] = {
            k: v for k, v in spec.items() if k in ("name", "kind", "region", "patient_groups", "series", "mandate")
        }
        body["owner_id"] = _reference_org(session, spec["owner"])
        if "parent" in spec:
            body["parent_id"] = _network_id(session, spec["parent"])
        if "catchment_of" in spec:
            body["municipalities"] = _catchment(session, _reference_org(session, spec["catchment_of"]))
        network = networks.create(session, actor, NetworkCreate.model_validate(body))
        for member in spec.get("members", []):
            values = {k: v for k, v in member.items() if k != "organisation"}
            values["organisation_id"] = _reference_org(session, member["organisation"])
            networks.add_member(session, actor, network["id"], MemberCreate.model_validate(values))
        for meeting in spec.get("meetings", []):
            networks.create_meeting(session, actor, network["id"], MeetingCreate.model_validate(meeting))
        report.networks_created += 1


def _load_network_work(session: Session, actor: Actor, path: Path) -> None:
    """Each network's action plan for the coming year (with its measures, moved to the file's status) and its
    report for this year (a draft with text), made after the gaps so a plan can list a gap's measure. Only for
    networks without a plan for that year, so a second load changes nothing."""
    data = json.loads(path.read_text(encoding="utf-8"))
    today = norwegian_today()
    for spec in data["networks"]:
        network_id = _network_id(session, spec["name"])
        if network_id is None or "plan" not in spec:
            continue
        plan_spec = spec["plan"]
        year = today.year + plan_spec["year_offset"]
        if plans.newest(session, network_id, year) is not None:
            continue
        plans.put_plan(session, actor, network_id, year, ActionPlanWrite(), None)
        for title in plan_spec.get("gap_measures", []):
            gap_id = session.exec(select(Gap.id).where(Gap.title == title, Gap.network_id == network_id)).first()
            measure_ids = session.exec(select(Measure.id).where(Measure.gap_id == gap_id)).all() if gap_id else []
            for measure_id in measure_ids:
                body = PlanMeasureAdd(measure_id=measure_id, area="Fra registrerte behov")
                plans.add_measure(session, actor, network_id, year, body)
        for measure in plan_spec.get("measures", []):
            values = {k: v for k, v in measure.items() if k not in ("responsible", "due_in_days")}
            values["responsible_id"] = _reference_org(session, measure["responsible"])
            values["due_on"] = (today + timedelta(days=measure["due_in_days"])).isoformat()
            plans.add_measure(session, actor, network_id, year, PlanMeasureAdd.model_validate(values))
        status = plan_spec.get("status", "draft")
        if status in ("submitted", "approved"):
            current = plans.newest(session, network_id, year)
            assert current is not None
            plans.submit(session, actor, network_id, year, etag(current.version))
        if status == "approved":
            current = plans.newest(session, network_id, year)
            assert current is not None
            plans.approve(session, actor, network_id, year, etag(current.version))
        if "report" in spec:
            body_report = AnnualReportWrite(text=spec["report"]["text"])
            reports.put_report(session, actor, network_id, today.year, body_report, None)


def _network_id(session: Session, name: str) -> int | None:
    return session.exec(select(Network.id).where(Network.name == name, col(Network.deleted_at).is_(None))).first()


def _meeting_id(session: Session, network_id: int, title: str) -> int | None:
    return session.exec(
        select(NetworkMeeting.id).where(NetworkMeeting.network_id == network_id, NetworkMeeting.title == title)
    ).first()


def _catchment(session: Session, organisation_id: int) -> list[str]:
    return sorted(
        session.exec(select(Catchment.municipality_number).where(Catchment.organisation_id == organisation_id)).all()
    )


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
