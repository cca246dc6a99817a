"""The gap workflow, the only way a gap's status changes:

    registered → assessed → measure_planned → resolved
    registered | assessed → rejected              (a reason is required)
    resolved | rejected → assessed                (reopening; a reason is required)

`measure_planned` needs a measure that is not cancelled; `resolved` needs every measure done or cancelled.
Every other move is a 409 that names the moves allowed from where the gap is.
"""

from typing import Any

from sqlmodel import Session

from app.domain import audit
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, InvalidInput
from app.domain.gaps import access, measures, records
from app.domain.gaps.records import ENTITY, label
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.models import Gap
from app.models.gap import GapStatus

S = GapStatus
ALLOWED: dict[GapStatus, frozenset[GapStatus]] = {
    S.registered: frozenset({S.assessed, S.rejected}),
    S.assessed: frozenset({S.measure_planned, S.rejected}),
    S.measure_planned: frozenset({S.resolved}),
    S.resolved: frozenset({S.assessed}),
    S.rejected: frozenset({S.assessed}),
}
_ORDER = list(GapStatus)


def needs_reason(source: GapStatus, target: GapStatus) -> bool:
    """Rejecting and reopening must say why."""
    return target == S.rejected or source in (S.resolved, S.rejected)


def _refused(source: GapStatus, target: GapStatus) -> Conflict:
    allowed = " eller ".join(label(s) for s in sorted(ALLOWED[source], key=_ORDER.index))
    return Conflict(
        f"Et udekket behov med status {label(source)} kan ikke gå til {label(target)}: "
        f"fra {label(source)} kan det bare gå til {allowed}"
    )


def _check_measures(session: Session, gap: Gap, target: GapStatus) -> None:
    assert gap.id is not None
    active, open_ = measures.counts(session, gap.id)
    if target == S.measure_planned and active == 0:
        raise Conflict(
            f"Et udekket behov kan ikke gå til {label(target)} uten minst ett tiltak som ikke er avbrutt: "
            "legg til et tiltak først"
        )
    if target == S.resolved and open_ > 0:
        raise Conflict(
            f"Et udekket behov kan ikke bli {label(target)} mens {open_} tiltak er planlagt eller pågår: "
            "fullfør eller avbryt dem først"
        )


def transition(
    session: Session, actor: Actor, gap_id: int, target: GapStatus, reason: str | None, if_match: str | None
) -> dict[str, Any]:
    """Move the gap to `target` (a new version); `reason` becomes its `status_reason`."""
    require_if_match(if_match, "gap registration")
    gap = records.get_gap(session, gap_id)
    before = records.read(session, gap)
    access.require_write(session, actor, gap.owner_id, before["municipalities"])
    source = GapStatus(gap.status)
    if target not in ALLOWED[source]:
        raise _refused(source, target)
    reason = (reason or "").strip() or None
    if reason is None and needs_reason(source, target):
        what = "avvise" if target == S.rejected else "gjenåpne"
        raise InvalidInput(
            f"Oppgi en begrunnelse for å {what} et udekket behov",
            [FieldError(("body", "reason"), f"påkrevd for å {what} et udekket behov")],
        )
    _check_measures(session, gap, target)
    check_version(gap.version, if_match, required=True, what="gap registration")
    version = guarded_update(
        session, Gap, gap_id, gap.version, {"status": target.value, "status_reason": reason}, "gap registration"
    )
    session.expire(gap)
    after = records.read(session, gap)
    audit.record(session, actor, "transition", ENTITY, gap_id, records.audited(before), records.audited(after), version)
    return after
