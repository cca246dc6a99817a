"""Municipal profiles: what a municipality reported in a survey year."""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import audit, geography
from app.domain.actor import Actor
from app.domain.errors import NotFound
from app.models.base import shaped
from app.models.imports import MunicipalProfile, MunicipalProfileRead
from app.models.types import utcnow

FACTS = (
    "has_cancer_coordinator",
    "coordinating_unit_contact",
    "rehab_in_municipal_plan",
    "overview_of_rehab_needs",
    "overview_of_waiting_times",
    "everyday_rehab_team",
    "rehab_places",
)


def upsert_profile(session: Session, actor: Actor, values: dict[str, Any], batch_id: int | None) -> str:
    """Create or update the profile for (municipality, year); returns created, updated or unchanged."""
    profile = session.execute(
        select(MunicipalProfile).where(
            col(MunicipalProfile.municipality_number) == values["municipality_number"],
            col(MunicipalProfile.year) == values["year"],
        )
    ).scalar_one_or_none()
    facts = {key: values.get(key) for key in FACTS}
    if profile is None:
        profile = MunicipalProfile(
            municipality_number=values["municipality_number"], year=values["year"], source_batch_id=batch_id
        )
        for key, value in facts.items():
            setattr(profile, key, value)
        session.add(profile)
        session.flush()
        audit.record(session, actor, "create", "municipal_profile", profile.id or 0, None, facts, 1, batch_id)
        return "created"
    before = {key: getattr(profile, key) for key in FACTS}
    if before == facts:
        return "unchanged"
    for key, value in facts.items():
        setattr(profile, key, value)
    profile.version += 1
    profile.updated_at = utcnow()
    profile.source_batch_id = batch_id
    session.flush()
    audit.record(
        session, actor, "update", "municipal_profile", profile.id or 0, before, facts, profile.version, batch_id
    )
    return "updated"


def get_profile(session: Session, number: str, year: int | None = None) -> dict[str, Any]:
    """The municipality's profile for `year`, or its latest."""
    geography.require_municipalities(session, [number], ("path", "number"), indexed=False)
    stmt = select(MunicipalProfile).where(col(MunicipalProfile.municipality_number) == number)
    if year is not None:
        stmt = stmt.where(col(MunicipalProfile.year) == year)
    profile = session.execute(stmt.order_by(col(MunicipalProfile.year).desc()).limit(1)).scalar_one_or_none()
    if profile is None:
        raise NotFound(f"Municipality {number} has no survey profile" + (f" for {year}" if year else ""))
    return shaped(profile.model_dump(), MunicipalProfileRead)


def list_profiles(session: Session, number: str) -> list[dict[str, Any]]:
    """Every survey year a municipality reported, newest first (none for an unknown number)."""
    stmt = (
        select(MunicipalProfile)
        .where(col(MunicipalProfile.municipality_number) == number)
        .order_by(col(MunicipalProfile.year).desc())
    )
    return [shaped(p.model_dump(), MunicipalProfileRead) for p in session.execute(stmt).scalars()]
