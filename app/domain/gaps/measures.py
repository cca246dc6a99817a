"""A gap's measures (tiltak): their own versions and ETags; writing one never bumps the gap's version.

Whoever may write the gap may write its measures. The workflow's rules reach in here: the measures of a
resolved or rejected gap are read-only, and while a gap is `measure_planned` its last measure that is not
cancelled can be neither cancelled nor deleted. A `done` measure has a done date (today unless given);
any other status has none.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, validated
from app.domain.gaps import access, checks, records
from app.domain.gaps.records import CLOSED_GAP, MEASURE_ENTITY, OPEN_MEASURE, label
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.cursors import decode_cursor, encode_cursor
from app.models import Gap, Measure
from app.models.base import shaped
from app.models.gap import GapStatus, MeasureCreate, MeasureFields, MeasureRead, MeasureStatus
from app.models.types import utcnow

WHAT = "measure"
_REQUIRED = ("what", "responsible_id", "status")


def is_overdue(measure: Measure, today: date) -> bool:
    return measure.status in OPEN_MEASURE and measure.due_on is not None and measure.due_on < today


def read_many(session: Session, measures: list[Measure], today: date | None = None) -> list[dict[str, Any]]:
    on = records.today_or(today)
    names = records.organisation_names(session, {m.responsible_id for m in measures})
    return [
        shaped(
            {**m.model_dump(), "responsible_name": names.get(m.responsible_id, ""), "overdue": is_overdue(m, on)},
            MeasureRead,
        )
        for m in measures
    ]


def counts(session: Session, gap_id: int, *, excluding: int | None = None) -> tuple[int, int]:
    """(measures not cancelled, measures planned or in progress) of a gap, deleted ones never counted."""
    stmt = (
        select(col(Measure.status), func.count())
        .where(col(Measure.gap_id) == gap_id, records.live_measure())
        .group_by(col(Measure.status))
    )
    if excluding is not None:
        stmt = stmt.where(col(Measure.id) != excluding)
    by_status = {str(status): int(n) for status, n in session.execute(stmt).all()}
    active = sum(n for status, n in by_status.items() if status != MeasureStatus.cancelled)
    return active, sum(by_status.get(s, 0) for s in OPEN_MEASURE)


def list_measures(
    session: Session,
    actor: Actor,
    gap_id: int,
    *,
    limit: int = 100,
    cursor: str | None = None,
    today: date | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A gap's measures by id."""
    access.require_reader(actor)
    records.get_gap(session, gap_id)
    stmt = select(Measure).where(col(Measure.gap_id) == gap_id, records.live_measure()).order_by(col(Measure.id))
    if cursor:
        stmt = stmt.where(col(Measure.id) > decode_cursor(cursor, int))
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id or 0) if len(rows) > limit else None
    return read_many(session, page, today), next_cursor


def _writable_gap(session: Session, actor: Actor, gap_id: int) -> Gap:
    gap = records.get_gap(session, gap_id)
    assert gap.id is not None
    access.require_write(session, actor, gap.owner_id, records.municipalities_of(session, [gap.id]).get(gap.id, []))
    if gap.status in CLOSED_GAP:
        raise Conflict(
            f"Tiltakene til et udekket behov med status {label(gap.status)} kan ikke endres: gjenåpne behovet "
            "først (overgang til «vurdert»)"
        )
    return gap


def _measure_of(session: Session, gap_id: int, measure_id: int) -> Measure:
    measure = session.get(Measure, measure_id)
    if measure is None or measure.gap_id != gap_id or measure.deleted_at is not None:
        raise NotFound(f"Det udekkede behovet {gap_id} har ikke noe tiltak med id {measure_id}")
    return measure


def _done_on(fields: MeasureFields, today: date | None) -> date | None:
    """The done date to store: today for a `done` measure without one; refused for any other status."""
    if fields.status == MeasureStatus.done:
        return fields.done_on or records.today_or(today)
    if fields.done_on is not None:
        raise InvalidInput(
            "Et tiltak har bare utført dato når det er fullført",
            [FieldError(("body", "done_on"), "krever status «fullført» (done)")],
        )
    return None


def _keep_one_active(session: Session, gap: Gap, measure: Measure, doing: str) -> None:
    """While the gap is `measure_planned`, its last measure that is not cancelled must stay."""
    assert gap.id is not None
    if gap.status != GapStatus.measure_planned or measure.status == MeasureStatus.cancelled:
        return
    if counts(session, gap.id, excluding=measure.id)[0] == 0:
        raise Conflict(
            f"Tiltaket kan ikke {doing}: det er det siste som ikke er avbrutt, og behovet har status "
            "«tiltak planlagt». Legg til et nytt tiltak først, eller flytt behovet tilbake"
        )


def _values(fields: MeasureFields, today: date | None) -> dict[str, Any]:
    return {
        "what": fields.what,
        "responsible_id": fields.responsible_id,
        "due_on": fields.due_on,
        "status": fields.status.value,
        "done_on": _done_on(fields, today),
        "note": fields.note,
    }


def get_measure(session: Session, actor: Actor, gap_id: int, measure_id: int) -> dict[str, Any]:
    """One measure of the gap, as its list shows it."""
    access.require_reader(actor)
    records.get_gap(session, gap_id)
    return read_many(session, [_measure_of(session, gap_id, measure_id)])[0]


def _insert(
    session: Session, actor: Actor, gap_id: int | None, data: MeasureCreate, today: date | None
) -> dict[str, Any]:
    """Check and add a measure (of a gap, or of no gap), with its audit event."""
    fields = MeasureFields.model_validate(data.model_dump())
    checks.organisation_exists(session, fields.responsible_id, ("body", "responsible_id"))
    measure = Measure(gap_id=gap_id, **_values(fields, today))
    session.add(measure)
    session.flush()
    assert measure.id is not None
    result = read_many(session, [measure], today)[0]
    audit.record(session, actor, "create", MEASURE_ENTITY, measure.id, None, _audited(result), measure.version)
    return result


def _change(
    session: Session,
    actor: Actor,
    measure: Measure,
    changes: dict[str, Any],
    if_match: str | None,
    today: date | None,
    guard: Callable[[MeasureFields], None] | None = None,
) -> dict[str, Any]:
    """Change the fields present in `changes`; `guard` may refuse the result (a gap's workflow rules)."""
    cleared = sorted(k for k, v in changes.items() if v is None and k in _REQUIRED)
    if cleared:
        raise InvalidInput(
            "Påkrevde felt kan ikke tømmes", [FieldError(("body", k), "kan ikke være null") for k in cleared]
        )
    before = read_many(session, [measure], today)[0]
    merged = {**{k: before[k] for k in MeasureFields.model_fields}, **changes}
    if merged["status"] != MeasureStatus.done and "done_on" not in changes:
        merged["done_on"] = None  # leaving `done` takes its date along, unless the change names one
    fields = validated(MeasureFields, merged, "Tiltaket ville ikke vært gyldig etter endringen")
    if fields.responsible_id != measure.responsible_id:
        checks.organisation_exists(session, fields.responsible_id, ("body", "responsible_id"))
    values = _values(fields, today)
    if guard is not None:
        guard(fields)
    check_version(measure.version, if_match, required=True, what=WHAT)
    if all(getattr(measure, k) == v for k, v in values.items()):
        return before
    assert measure.id is not None
    version = guarded_update(session, Measure, measure.id, measure.version, values, WHAT)
    session.expire(measure)
    after = read_many(session, [measure], today)[0]
    audit.record(session, actor, "update", MEASURE_ENTITY, measure.id, _audited(before), _audited(after), version)
    return after


def _soft_delete(session: Session, actor: Actor, measure: Measure) -> None:
    """Mark the measure deleted: kept as a row, so a history can still show it."""
    assert measure.id is not None
    before = read_many(session, [measure])[0]
    version = guarded_update(session, Measure, measure.id, measure.version, {"deleted_at": utcnow()}, WHAT)
    session.expire(measure)
    audit.record(session, actor, "delete", MEASURE_ENTITY, measure.id, _audited(before), None, version)


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in ("overdue", "responsible_name")}


def create_measure(
    session: Session, actor: Actor, gap_id: int, data: MeasureCreate, today: date | None = None
) -> dict[str, Any]:
    """Add a measure to a gap (a due date in the past is fine: measures are often registered late)."""
    _writable_gap(session, actor, gap_id)
    return _insert(session, actor, gap_id, data, today)


def update_measure(
    session: Session,
    actor: Actor,
    gap_id: int,
    measure_id: int,
    changes: dict[str, Any],
    if_match: str | None,
    today: date | None = None,
) -> dict[str, Any]:
    """Change a measure's fields present in `changes`; If-Match names the measure's version."""
    require_if_match(if_match, WHAT)
    gap = _writable_gap(session, actor, gap_id)
    measure = _measure_of(session, gap_id, measure_id)

    def keep_one_active(fields: MeasureFields) -> None:
        if fields.status == MeasureStatus.cancelled:
            _keep_one_active(session, gap, measure, "avbrytes")

    return _change(session, actor, measure, changes, if_match, today, keep_one_active)


def delete_measure(session: Session, actor: Actor, gap_id: int, measure_id: int, if_match: str | None) -> None:
    """Delete a measure (kept as a row so the gap's history still shows it)."""
    require_if_match(if_match, WHAT)
    gap = _writable_gap(session, actor, gap_id)
    measure = _measure_of(session, gap_id, measure_id)
    _keep_one_active(session, gap, measure, "slettes")
    check_version(measure.version, if_match, required=True, what=WHAT)
    _soft_delete(session, actor, measure)


# --- measures without a gap (a network's action plan lists measures of its own) -------------------------
# The caller (app.domain.networks.plans) decides who may write them; the rules of the fields are the same.


def create_loose_measure(
    session: Session, actor: Actor, data: MeasureCreate, today: date | None = None
) -> dict[str, Any]:
    """A measure that belongs to no gap (gap_id null), checked and audited as a gap's measure is."""
    return _insert(session, actor, None, data, today)


def loose_measure(session: Session, measure_id: int) -> Measure:
    """A live measure without a gap, or NotFound."""
    measure = session.get(Measure, measure_id)
    if measure is None or measure.gap_id is not None or measure.deleted_at is not None:
        raise NotFound(f"Fant ikke noe tiltak uten udekket behov med id {measure_id}")
    return measure


def update_loose_measure(
    session: Session,
    actor: Actor,
    measure_id: int,
    changes: dict[str, Any],
    if_match: str | None,
    today: date | None = None,
) -> dict[str, Any]:
    """`update_measure` for a measure without a gap (no workflow rules: there is no gap)."""
    require_if_match(if_match, WHAT)
    return _change(session, actor, loose_measure(session, measure_id), changes, if_match, today)


def delete_loose_measure(session: Session, actor: Actor, measure_id: int) -> None:
    """Delete a measure without a gap (kept as a row, as a gap's measures are); the caller checked versions."""
    _soft_delete(session, actor, loose_measure(session, measure_id))
