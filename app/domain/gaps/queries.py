"""Finding gaps: the list's filters and the summary of open gaps per patient group × region (or other dims)."""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from itertools import product
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, or_, select
from sqlmodel import Session, col

from app.domain import geography, taxonomy
from app.domain.actor import Actor
from app.domain.errors import FieldError, InvalidInput
from app.domain.gaps import access, checks, records
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.text import like_pattern
from app.models import Gap, GapMunicipality, Measure, Municipality, Region
from app.models.gap import GapCategory, GapSeverity, GapSource, GapStatus, SummaryDimension

AnySelect = TypeVar("AnySelect", bound=Select[*tuple[Any, ...]])


@dataclass(frozen=True)
class GapFilter:
    status: tuple[GapStatus, ...] = ()
    category: GapCategory | None = None
    severity: GapSeverity | None = None
    patient_group: str | None = None  # sub-groups included
    municipality: str | None = None  # named directly, or inside a whole region the gap affects
    region: str | None = None  # the whole region, or any of its municipalities
    source: GapSource | None = None
    owner: int | None = None
    network: int | None = None  # registered by (and followed by) this network
    overdue: bool | None = None  # True: has an overdue measure; False: has none
    q: str | None = None


def _region_id(session: Session, code: str, loc: tuple[str, ...]) -> int:
    region_id = session.execute(select(col(Region.id)).where(col(Region.code) == code)).scalar_one_or_none()
    if region_id is None:
        raise InvalidInput("Ukjent region", [FieldError(loc, f"ukjent region «{code}»")])
    return int(region_id)


def _in_region(region_id: int) -> ColumnElement[bool]:
    named = (
        select(col(GapMunicipality.gap_id))
        .join(Municipality, col(Municipality.number) == col(GapMunicipality.municipality_number))
        .where(col(Municipality.region_id) == region_id)
    )
    return or_(col(Gap.region_id) == region_id, col(Gap.id).in_(named))


def _where(session: Session, stmt: AnySelect, flt: GapFilter, today: date) -> AnySelect:
    stmt = stmt.where(col(Gap.deleted_at).is_(None))
    if flt.status:
        stmt = stmt.where(col(Gap.status).in_([str(s) for s in flt.status]))
    for column, value in ((Gap.category, flt.category), (Gap.severity, flt.severity), (Gap.source, flt.source)):
        if value is not None:
            stmt = stmt.where(col(column) == str(value))  # a StrEnum, or its code
    if flt.owner is not None:
        stmt = stmt.where(col(Gap.owner_id) == flt.owner)
    if flt.network is not None:
        stmt = stmt.where(col(Gap.network_id) == flt.network)
    if flt.patient_group:
        checks.patient_group_id(session, flt.patient_group, ("query", "patient_group"))
        stmt = stmt.where(col(Gap.patient_group_id).in_(taxonomy.get_taxonomy(session).subtree_ids(flt.patient_group)))
    if flt.municipality:
        if flt.municipality not in geography.municipality_numbers(session):
            raise InvalidInput(
                "Ukjent kommune",
                [FieldError(("query", "municipality"), f"ukjent kommunenummer «{flt.municipality}»")],
            )
        region_id = session.execute(
            select(col(Municipality.region_id)).where(col(Municipality.number) == flt.municipality)
        ).scalar_one()
        named = select(col(GapMunicipality.gap_id)).where(col(GapMunicipality.municipality_number) == flt.municipality)
        affected = [col(Gap.id).in_(named)]
        if region_id is not None:  # `region_id = NULL` would match every gap that names municipalities
            affected.append(col(Gap.region_id) == region_id)
        stmt = stmt.where(or_(*affected))
    if flt.region:
        stmt = stmt.where(_in_region(_region_id(session, flt.region, ("query", "region"))))
    if flt.overdue is not None:
        # No NULL in the subquery (an action plan's own measures): NOT IN would then match nothing.
        late = select(col(Measure.gap_id)).where(records.overdue_measure(today), col(Measure.gap_id).is_not(None))
        overdue = col(Gap.id).in_(late)
        stmt = stmt.where(overdue if flt.overdue else ~overdue)
    if flt.q:
        stmt = stmt.where(col(Gap.search_text).like(like_pattern(flt.q), escape="\\"))
    return stmt


def list_gaps(
    session: Session,
    actor: Actor,
    flt: GapFilter,
    *,
    limit: int = 50,
    cursor: str | None = None,
    today: date | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Gaps by id, filtered (deleted ones never)."""
    access.require_reader(actor)
    on = records.today_or(today)
    stmt = _where(session, select(Gap).order_by(col(Gap.id)), flt, on)
    if cursor:
        stmt = stmt.where(col(Gap.id) > decode_cursor(cursor, int))
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id or 0) if len(rows) > limit else None
    return records.read_many(session, page, on), next_cursor


def get(session: Session, actor: Actor, gap_id: int, today: date | None = None) -> dict[str, Any]:
    access.require_reader(actor)
    return records.read(session, records.get_gap(session, gap_id), today)


DEFAULT_DIMENSIONS = (SummaryDimension.patient_group, SummaryDimension.region)


def summary(
    session: Session,
    actor: Actor,
    by: tuple[SummaryDimension, ...] = DEFAULT_DIMENSIONS,
    flt: GapFilter | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Open gaps (neither resolved nor rejected) counted per combination of `by`.

    A gap counts once in every region it touches (its whole region, or the regions of its municipalities),
    so the rows of a region summary may add up to more than `total`, which counts each gap once.
    Patient groups are the gaps' own codes (null: no group); rows are sorted with nulls last.
    """
    access.require_reader(actor)
    dims = tuple(dict.fromkeys(by)) or DEFAULT_DIMENSIONS
    flt = flt or GapFilter()
    stmt = select(col(Gap.id), col(Gap.patient_group_id), col(Gap.region_id), col(Gap.category), col(Gap.severity))
    stmt = _where(session, stmt, flt, records.today_or(today)).where(col(Gap.status).not_in(records.CLOSED_GAP))
    gaps = session.execute(stmt).all()
    groups = taxonomy.get_taxonomy(session).by_id
    codes = records.region_codes(session)
    regions_of: dict[int, set[str | None]] = {}
    if SummaryDimension.region in dims:
        for gap_id, region_id in session.execute(
            select(col(GapMunicipality.gap_id), col(Municipality.region_id))
            .join(Municipality, col(Municipality.number) == col(GapMunicipality.municipality_number))
            .where(col(GapMunicipality.gap_id).in_([g[0] for g in gaps]))
        ).all():
            regions_of.setdefault(gap_id, set()).add(codes.get(region_id) if region_id is not None else None)
    counter: Counter[tuple[str | None, ...]] = Counter()
    for gap_id, group_id, region_id, category, severity in gaps:
        regions = {codes.get(region_id)} if region_id is not None else regions_of.get(gap_id, {None})
        values: dict[SummaryDimension, set[str | None]] = {
            SummaryDimension.patient_group: {groups[group_id].code if group_id in groups else None},
            SummaryDimension.region: regions,
            SummaryDimension.category: {category},
            SummaryDimension.severity: {severity},
        }
        for combination in product(*(values[d] for d in dims)):
            counter[combination] += 1
    rows = [
        {**{d.value: v for d, v in zip(dims, key, strict=True)}, "open": n}
        for key, n in sorted(counter.items(), key=lambda kv: tuple((v is None, v or "") for v in kv[0]))
    ]
    return {"by": [d.value for d in dims], "rows": rows, "total": len(gaps)}
