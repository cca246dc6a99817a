"""Services for the exports: the catalogue's own filter and SQL, plus the count and page-number paging the
standards need (FHIR's `Bundle.total`, HSDS's page envelope) and the native list does not."""

import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlmodel import Session

from app.domain.catalogue.documents import hydrate
from app.domain.catalogue.query import ServiceFilter, _Query, _where
from app.domain.catalogue.tables import service_catchment, services
from app.kit.serialization import dumps, loads


def _query(session: Session, flt: ServiceFilter, *, driver: bool = False) -> tuple[_Query, Any]:
    """The filter's conditions and the table(s) they drive: values for SQLAlchemy, or (driver) as the
    catalogue's own queries pass them to the database driver."""
    by_municipality = flt.municipality is not None
    query = _Query(key=service_catchment.c.service_id if by_municipality else services.c.id)
    _where(session, flt, query)
    since = query.values.get("since")
    if isinstance(since, str) and not driver:  # SQLite text for the driver; SQLAlchemy binds a datetime itself
        query.values["since"] = datetime.strptime(since, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=UTC)
    source = (
        service_catchment.join(services, services.c.id == service_catchment.c.service_id)
        if by_municipality
        else services
    )
    return query, source


# (database, query shape, values) → (table stamp, count). A count reads every matching row (SQLite has
# no index that answers "live services"), hundreds of milliseconds for the whole 100,000-service
# catalogue; every write to a service moves its `updated_at` (and a new one its id), so the stamp
# (newest updated_at and highest id: index look-ups) tells when a stored count is still exact. Services
# are never removed (a deletion is a tombstone write), so no change escapes the stamp.
_COUNTS: dict[tuple[Any, ...], tuple[tuple[Any, ...], int]] = {}
_COUNTS_MAX = 5000
_counts_lock = threading.Lock()


def _stamp(session: Session) -> tuple[Any, ...]:
    """(newest updated_at, highest id) of the service table: two index look-ups in one statement."""
    row = session.execute(
        select(
            select(func.max(services.c.updated_at)).scalar_subquery(),
            select(func.max(services.c.id)).scalar_subquery(),
        )
    ).one()
    return tuple(row)


def count_services(session: Session, flt: ServiceFilter) -> int:
    """How many live services match `flt` (exact: a stored count is used only while no service changed)."""
    query, source = _query(session, flt)
    key = (
        str(session.get_bind().engine.url),
        flt.municipality is not None,
        *query.shape,
        *sorted((k, str(v)) for k, v in query.values.items()),
    )
    stamp = _stamp(session)
    with _counts_lock:
        hit = _COUNTS.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    stmt = select(func.count()).select_from(source).where(and_(*query.conds))
    count = int(session.execute(stmt, query.values).scalar_one())
    with _counts_lock:
        if len(_COUNTS) >= _COUNTS_MAX:
            _COUNTS.clear()
        _COUNTS[key] = (stamp, count)
    return count


# (dialect, driven by the catchment key, columns, *query shape) → (SQL text, positional parameter order).
_SQL: dict[tuple[Any, ...], tuple[str, tuple[str, ...] | None]] = {}


def page_columns(
    session: Session, flt: ServiceFilter, columns: Sequence[str], *, limit: int, offset: int
) -> list[dict[str, Any]]:
    """One page of live services by position, in id order: only these columns of the service table (for a
    listing that needs a few one-to-one fields, cheaper than parsing whole documents).

    Like the native list, the SQL text is compiled once per shape and run on the driver's cursor; values
    come back as the driver gives them (SQLite: dates and times as text)."""
    query, source = _query(session, flt, driver=True)
    dialect = session.get_bind().dialect
    shape = (dialect.name, flt.municipality is not None, tuple(columns), *query.shape)
    cached = _SQL.get(shape)
    if cached is None:
        stmt = (
            select(*(services.c[name] for name in columns))
            .select_from(source)
            .where(and_(*query.conds))
            .order_by(query.key)
        )
        compiled = stmt.compile(dialect=dialect)
        cached = (compiled.string, tuple(compiled.positiontup or ()) if compiled.positional else None)
        if len(_SQL) < 1000:
            _SQL[shape] = cached
    sql, order = cached
    sql += f" LIMIT {int(limit)} OFFSET {int(offset)}"  # ints, kept out of the cached text
    params: Any = tuple(query.values[name] for name in order) if order is not None else query.values
    cursor = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        cursor.close()


def page_services(session: Session, flt: ServiceFilter, *, limit: int, offset: int) -> list[dict[str, Any]]:
    """One page of live services (their stored documents, parsed) by position, in id order."""
    query, source = _query(session, flt)
    stmt = (
        select(services.c.id, services.c.doc)
        .select_from(source)
        .where(and_(*query.conds))
        .order_by(query.key)
        .limit(limit)
        .offset(offset)
    )
    rows = list(session.execute(stmt, query.values).all())
    missing = [sid for sid, doc in rows if doc is None]
    built = {item["id"]: item for item in hydrate(session, missing)} if missing else {}
    out: list[dict[str, Any]] = []
    for sid, doc in rows:
        if doc is not None:
            out.append(loads(doc))
        elif sid in built:  # a document not stored yet: JSON-shaped like a stored one
            out.append(loads(dumps(built[sid])))
    return out
