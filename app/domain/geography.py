"""Municipalities and regions: read-only reference data."""

import time
from typing import Any

from sqlmodel import Session, col, select

from app.domain.errors import FieldError, InvalidInput, NotFound
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.text import fold
from app.models import Catchment, Municipality, Organisation, Region
from app.models.base import shaped
from app.models.geography import MunicipalityRead, RegionRead
from app.models.organisation import OrganisationKind

_TTL_SECONDS = 30.0
_numbers_cache: dict[str, tuple[float, frozenset[str]]] = {}


def municipality_numbers(session: Session) -> frozenset[str]:
    """All valid municipality numbers (cached briefly: they change only with the reference data)."""
    key = str(session.get_bind().engine.url)
    hit = _numbers_cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < _TTL_SECONDS:
        return hit[1]
    numbers = frozenset(session.exec(select(Municipality.number)).all())
    _numbers_cache[key] = (now, numbers)
    return numbers


def invalidate() -> None:
    _numbers_cache.clear()
    _names_cache.clear()


_names_cache: dict[str, tuple[float, dict[str, str]]] = {}


def municipality_names(session: Session) -> dict[str, str]:
    """Number → name for every municipality (cached briefly, like the numbers)."""
    key = str(session.get_bind().engine.url)
    hit = _names_cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < _TTL_SECONDS:
        return hit[1]
    names = dict(session.exec(select(Municipality.number, Municipality.name)).all())
    _names_cache[key] = (now, names)
    return names


def require_municipalities(
    session: Session, numbers: list[str], loc: tuple[str | int, ...], *, indexed: bool = True
) -> None:
    known = municipality_numbers(session)
    errors = [
        FieldError((*loc, i) if indexed else loc, f"unknown municipality number '{n}'")
        for i, n in enumerate(numbers)
        if n not in known
    ]
    if errors:
        raise InvalidInput("Unknown municipality number", errors)


def region_by_code(session: Session, code: str, loc: tuple[str | int, ...]) -> Region:
    region = session.exec(select(Region).where(Region.code == code)).first()
    if region is None:
        codes = ", ".join(session.exec(select(Region.code).order_by(Region.code)).all())
        raise InvalidInput("Unknown region", [FieldError(loc, f"unknown region '{code}'; one of {codes}")])
    return region


def list_regions(session: Session) -> list[dict[str, Any]]:
    orgs = {
        o.region_id: o.id
        for o in session.exec(
            select(Organisation).where(Organisation.kind == OrganisationKind.regional_authority.value)
        ).all()
    }
    return [
        shaped({**r.model_dump(), "organisation_id": orgs.get(r.id)}, RegionRead)
        for r in session.exec(select(Region).order_by(col(Region.code))).all()
    ]


def get_municipality(session: Session, number: str) -> dict[str, Any]:
    """One municipality as the list shows it."""
    items, _ = list_municipalities(session, number=number, limit=1)
    if not items:
        raise NotFound(f"Ingen kommune har nummer {number}")
    return items[0]


def list_municipalities(
    session: Session,
    *,
    q: str | None = None,
    county: str | None = None,
    region: str | None = None,
    number: str | None = None,
    limit: int = 500,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    # 357 rows: filter in Python, where case-folding also knows æ, ø and å.
    stmt = select(Municipality, Region.code).join(Region, isouter=True).order_by(Municipality.number)
    if number is not None:
        stmt = stmt.where(Municipality.number == number)
    if region:
        stmt = stmt.where(Municipality.region_id == region_by_code(session, region, ("query", "region")).id)
    rows = list(session.exec(stmt).all())
    after = decode_cursor(cursor, str) if cursor else ""
    needle = fold(q) if q else None
    rows = [
        (m, code)
        for m, code in rows
        if m.number > after
        and (county is None or m.county_number == county)
        and (needle is None or needle in fold(m.name, m.name_official) or m.number == q)
    ]
    page = rows[:limit]
    numbers = [m.number for m, _ in page]
    orgs = dict(
        session.exec(
            select(Organisation.municipality_number, Organisation.id).where(
                Organisation.kind == OrganisationKind.municipality.value,
                col(Organisation.municipality_number).in_(numbers),
            )
        ).all()
    )
    trusts: dict[str, list[int]] = {}
    for number, org_id in session.exec(
        select(Catchment.municipality_number, Catchment.organisation_id)
        .where(col(Catchment.municipality_number).in_(numbers))
        .distinct()
        .order_by(col(Catchment.municipality_number), col(Catchment.organisation_id))
    ).all():
        trusts.setdefault(number, []).append(org_id)
    items = [
        shaped(
            {
                **m.model_dump(),
                "region": region_code,
                "catchment_organisation_ids": trusts.get(m.number, []),
                "organisation_id": orgs.get(m.number),
            },
            MunicipalityRead,
        )
        for m, region_code in page
    ]
    next_cursor = encode_cursor(page[-1][0].number) if len(rows) > limit else None
    return items, next_cursor
