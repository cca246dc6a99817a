"""Creating, changing and (softly) deleting gaps. The status is not a field here: see `workflow`."""

from typing import Any

from sqlalchemy import delete, insert
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.errors import FieldError, InvalidInput, validated
from app.domain.gaps import access, checks, records
from app.domain.gaps.records import ENTITY
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.text import fold
from app.models import Gap, GapMunicipality
from app.models.gap import GapCreate, GapFields, GapStatus
from app.models.types import utcnow

WHAT = "gap registration"  # in the shared (English) version messages
_REQUIRED = ("title", "category", "severity", "source", "owner_id")


def _columns(fields: GapFields, resolved: checks.Resolved) -> dict[str, Any]:
    step = fields.pathway_step
    return {
        "title": fields.title,
        "description": fields.description,
        "category": fields.category.value,
        "severity": fields.severity.value,
        "patient_group_id": resolved.patient_group_id,
        "region_id": resolved.region_id,
        "source": fields.source.value,
        "source_reference": fields.source_reference,
        "owner_id": fields.owner_id,
        "pathway_series": step.series if step else None,
        "pathway_series_version": step.series_version if step else None,
        "pathway_step_key": step.key if step else None,
        "service_id": fields.service_id,
        "network_id": fields.network_id,
        "meeting_id": fields.meeting_id,
        "search_text": fold(fields.title, fields.description or ""),
    }


def _set_municipalities(session: Session, gap_id: int, numbers: list[str]) -> None:
    session.execute(delete(GapMunicipality).where(col(GapMunicipality.gap_id) == gap_id))
    if numbers:
        session.execute(insert(GapMunicipality), [{"gap_id": gap_id, "municipality_number": n} for n in numbers])


def create(session: Session, actor: Actor, data: GapCreate, *, batch_id: int | None = None) -> dict[str, Any]:
    """Register a gap (status `registered`); `batch_id`: the import that made it, for its audit event."""
    fields = GapFields.model_validate(data.model_dump())
    access.require_write(session, actor, fields.owner_id, fields.municipalities)
    resolved = checks.resolve(session, fields)
    gap = Gap(**_columns(fields, resolved), status=GapStatus.registered.value)
    session.add(gap)
    session.flush()
    assert gap.id is not None
    _set_municipalities(session, gap.id, resolved.municipalities)
    result = records.read(session, gap)
    audit.record(session, actor, "create", ENTITY, gap.id, None, records.audited(result), gap.version, batch_id)
    return result


def _as_fields(values: dict[str, Any]) -> dict[str, Any]:
    return {key: values[key] for key in GapFields.model_fields}


def update(
    session: Session,
    actor: Actor,
    gap_id: int,
    changes: dict[str, Any],
    if_match: str | None,
    *,
    batch_id: int | None = None,
) -> dict[str, Any]:
    """Change the fields present in `changes`; the actor must be allowed to write the gap before and after."""
    require_if_match(if_match, WHAT)
    gap = records.get_gap(session, gap_id)
    before = records.read(session, gap)
    access.require_write(session, actor, gap.owner_id, before["municipalities"])
    cleared = sorted(k for k, v in changes.items() if v is None and k in _REQUIRED)
    if cleared:
        raise InvalidInput(
            "Påkrevde felt kan ikke tømmes", [FieldError(("body", k), "kan ikke være null") for k in cleared]
        )
    fields = validated(
        GapFields, {**_as_fields(before), **changes}, "Det udekkede behovet ville ikke vært gyldig etter endringen"
    )
    access.require_write(session, actor, fields.owner_id, fields.municipalities)
    previous = checks.Previous(before["service_id"], before["pathway_step"])
    resolved = checks.resolve(session, fields, previous)
    check_version(gap.version, if_match, required=True, what=WHAT)
    columns = _columns(fields, resolved)
    if all(getattr(gap, k) == v for k, v in columns.items()) and resolved.municipalities == before["municipalities"]:
        return before  # nothing changed: no new version, no event
    assert gap.id is not None
    version = guarded_update(session, Gap, gap.id, gap.version, columns, WHAT)
    _set_municipalities(session, gap.id, resolved.municipalities)
    session.expire(gap)
    after = records.read(session, gap)
    audit.record(
        session, actor, "update", ENTITY, gap.id, records.audited(before), records.audited(after), version, batch_id
    )
    return after


def delete_gap(session: Session, actor: Actor, gap_id: int, if_match: str | None) -> None:
    """Mark the gap deleted (a tombstone for the change feed); only the owner's editors and administrators."""
    require_if_match(if_match, WHAT)
    gap = records.get_gap(session, gap_id)
    access.require_delete(actor, gap.owner_id)
    check_version(gap.version, if_match, required=True, what=WHAT)
    before = records.read(session, gap)
    version = guarded_update(session, Gap, gap_id, gap.version, {"deleted_at": utcnow()}, WHAT)
    session.expire(gap)
    audit.record(session, actor, "delete", ENTITY, gap_id, records.audited(before), None, version)
