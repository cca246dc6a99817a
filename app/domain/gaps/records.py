"""Reading gaps as the API shows them: one builder for single reads, lists, audit values and exports."""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlmodel import Session, col

from app.domain import taxonomy
from app.domain.catalogue.verification import today as norwegian_today
from app.domain.errors import NotFound
from app.models import Gap, GapMunicipality, Measure, Organisation, Region
from app.models.base import shaped
from app.models.gap import GapRead, GapStatus, MeasureStatus

ENTITY = "gap"
MEASURE_ENTITY = "gap_measure"
COMMENT_ENTITY = "gap_comment"

STATUS_LABELS = {
    GapStatus.registered: "registrert",
    GapStatus.assessed: "vurdert",
    GapStatus.measure_planned: "tiltak planlagt",
    GapStatus.resolved: "løst",
    GapStatus.rejected: "avvist",
}
MEASURE_STATUS_LABELS = {
    MeasureStatus.planned: "planlagt",
    MeasureStatus.in_progress: "pågår",
    MeasureStatus.done: "fullført",
    MeasureStatus.cancelled: "avbrutt",
}
OPEN_MEASURE = (MeasureStatus.planned.value, MeasureStatus.in_progress.value)
CLOSED_GAP = (GapStatus.resolved.value, GapStatus.rejected.value)
# Derived when read, so never part of an audit event: they change without the gap being written.
_DERIVED = ("owner_name", "measures_open", "measures_overdue")


def label(status: str) -> str:
    return f"«{STATUS_LABELS[GapStatus(status)]}»"


def today_or(today: date | None) -> date:
    """`today`, or today's date in Norway: a measure due yesterday in Oslo is overdue after midnight there."""
    return today if today is not None else norwegian_today()


def live_measure() -> ColumnElement[bool]:
    return col(Measure.deleted_at).is_(None)


def overdue_measure(today: date) -> ColumnElement[bool]:
    """An open measure whose due date has passed."""
    return and_(
        live_measure(),
        col(Measure.status).in_(OPEN_MEASURE),
        col(Measure.due_on).is_not(None),
        col(Measure.due_on) < today,
    )


def get_gap(session: Session, gap_id: int) -> Gap:
    """A gap that is not deleted, or NotFound."""
    gap = session.get(Gap, gap_id)
    if gap is None or gap.deleted_at is not None:
        raise NotFound(f"Fant ikke noe udekket behov med id {gap_id}")
    return gap


def municipalities_of(session: Session, gap_ids: list[int]) -> dict[int, list[str]]:
    rows = session.execute(
        select(col(GapMunicipality.gap_id), col(GapMunicipality.municipality_number))
        .where(col(GapMunicipality.gap_id).in_(gap_ids))
        .order_by(col(GapMunicipality.municipality_number))
    ).all()
    out: dict[int, list[str]] = {}
    for gap_id, number in rows:
        out.setdefault(gap_id, []).append(number)
    return out


def region_codes(session: Session) -> dict[int, str]:
    return {int(i): str(c) for i, c in session.execute(select(col(Region.id), col(Region.code))).all()}


def organisation_names(session: Session, ids: set[int]) -> dict[int, str]:
    return {
        int(i): str(n)
        for i, n in session.execute(
            select(col(Organisation.id), col(Organisation.name)).where(col(Organisation.id).in_(ids))
        ).all()
    }


def _measure_counts(session: Session, gap_ids: list[int], today: date) -> dict[int, tuple[int, int]]:
    rows = session.execute(
        select(
            col(Measure.gap_id),
            func.sum(case((col(Measure.status).in_(OPEN_MEASURE), 1), else_=0)),
            func.sum(case((overdue_measure(today), 1), else_=0)),
        )
        .where(col(Measure.gap_id).in_(gap_ids), live_measure())
        .group_by(col(Measure.gap_id))
    ).all()
    return {int(gap_id): (int(open_ or 0), int(overdue or 0)) for gap_id, open_, overdue in rows}


def read_many(session: Session, gaps: list[Gap], today: date | None = None) -> list[dict[str, Any]]:
    ids = [g.id for g in gaps if g.id is not None]
    if not ids:
        return []
    groups = taxonomy.get_taxonomy(session).by_id
    places = municipalities_of(session, ids)
    regions = region_codes(session)
    owners = organisation_names(session, {g.owner_id for g in gaps})
    counts = _measure_counts(session, ids, today_or(today))
    out = []
    for g in gaps:
        assert g.id is not None
        step = (
            {"series": g.pathway_series, "series_version": g.pathway_series_version, "key": g.pathway_step_key}
            if g.pathway_series is not None
            else None
        )
        measures_open, measures_overdue = counts.get(g.id, (0, 0))
        values = {
            **g.model_dump(),
            "patient_group": groups[g.patient_group_id].code if g.patient_group_id in groups else None,
            "municipalities": places.get(g.id, []),
            "region": regions.get(g.region_id) if g.region_id is not None else None,
            "owner_name": owners.get(g.owner_id, ""),
            "pathway_step": step,
            "measures_open": measures_open,
            "measures_overdue": measures_overdue,
        }
        out.append(shaped(values, GapRead))
    return out


def read(session: Session, gap: Gap, today: date | None = None) -> dict[str, Any]:
    return read_many(session, [gap], today)[0]


def audited(values: dict[str, Any]) -> dict[str, Any]:
    """A gap as read, without what is derived at read time: the values its audit events compare."""
    return {k: v for k, v in values.items() if k not in _DERIVED}
