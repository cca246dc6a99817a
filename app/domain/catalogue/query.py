"""Finding services: `ServiceFilter` and its SQL, compiled once per filter shape and run on the driver.

The list endpoint is the hottest path in the product: a page is one indexed query over the stored JSON
documents (`rehab_service.doc`), whose SQL text is cached by its shape.

The cache rule: everything that changes the SQL text is part of the cache key. A condition puts a
varying value into the statement only through `_Query.bind` (a bound parameter: its name joins the key)
or `_Query.inline` (literal values: the name and the values join the key), and a condition that is
added or left out always binds or inlines something, so its presence is in the key too. Conditions
that every query has (live services only) need no key; the dialect and the driving table are in it.
Anything else that varies goes outside the cached text, like LIMIT.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, bindparam, exists, literal_column, select
from sqlmodel import Session

from app.domain import geography, taxonomy
from app.domain.catalogue.documents import ServiceDict, hydrate
from app.domain.catalogue.tables import service_catchment, service_forms, service_groups, services
from app.domain.errors import NotFound
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.serialization import dumps, loads
from app.kit.text import like_pattern
from app.models.rehab_service import ServiceForm, ServiceLevel, ServiceStatus


@dataclass(frozen=True)
class ServiceFilter:
    municipality: str | None = None
    patient_group: str | None = None
    level: Sequence[ServiceLevel] = ()
    form: Sequence[ServiceForm] = ()
    status: Sequence[ServiceStatus] = ()
    provider: int | None = None
    q: str | None = None
    updated_since: datetime | None = None
    ids: Sequence[int] = field(default=())


@dataclass
class _Query:
    """A page query under construction: conditions, bound values, and the shape that names its SQL.

    `shape` is the statement cache's key (with the dialect and driving table): `bind` and `inline` are
    the only ways a condition varies the SQL text, and both add to it.
    """

    key: Any
    conds: list[Any] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    shape: list[Any] = field(default_factory=list)

    def bind(self, name: str, value: Any) -> Any:
        """A bound parameter: its name is in the key, its value is not."""
        self.values[name] = value
        self.shape.append(name)
        return bindparam(name)

    def inline(self, name: str, values: Sequence[str | int]) -> list[Any]:
        """Values written into the SQL text: the name and the values are in the key.

        Only enum values and ids checked against the taxonomy reach here: safe to inline, and the set
        of distinct lists is small, so each gets its own cached SQL text.
        """
        self.shape.append((name, *values))
        return [literal_column(str(v) if isinstance(v, int) else f"'{v}'") for v in values]


def _where(session: Session, flt: ServiceFilter, query: _Query) -> None:
    """Conditions for `flt`. Sub-queries correlate on the driving table's service id, so SQLite tests them
    on the index before it reads the (large) service row."""
    key = query.key
    if flt.municipality is not None:
        geography.require_municipalities(session, [flt.municipality], ("query", "municipality"), indexed=False)
        query.conds.append(service_catchment.c.municipality_number == query.bind("municipality", flt.municipality))
    if flt.patient_group is not None:
        tax = taxonomy.get_taxonomy(session)
        tax.require([flt.patient_group], ("query", "patient_group"), indexed=False)
        ids = query.inline("groups", tax.subtree_ids(flt.patient_group))
        # EXISTS on the (service_id, patient_group_id) key: checked per candidate row, never materialised.
        query.conds.append(
            exists().where(service_groups.c.service_id == key, service_groups.c.patient_group_id.in_(ids))
        )
    for column, chosen in ((services.c.level, flt.level), (services.c.status, flt.status)):
        if chosen:
            query.conds.append(column.in_(query.inline(column.name, sorted(v.value for v in chosen))))
    if flt.form:
        forms = query.inline("forms", sorted(v.value for v in flt.form))
        query.conds.append(exists().where(service_forms.c.service_id == key, service_forms.c.form.in_(forms)))
    if flt.provider is not None:
        query.conds.append(services.c.provider_id == query.bind("provider", flt.provider))
    if flt.q:
        query.conds.append(services.c.search_text.like(query.bind("q", like_pattern(flt.q)), escape="\\"))
    if flt.updated_since is not None:
        since = flt.updated_since
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since  # naive means UTC
        query.conds.append(services.c.updated_at >= query.bind("since", _db_timestamp(session, since)))
    if flt.ids:
        query.conds.append(services.c.id.in_(query.inline("ids", sorted({int(i) for i in flt.ids}))))
    query.conds.append(services.c.deleted_at.is_(None))


def _db_timestamp(session: Session, value: datetime) -> Any:
    """A UTC timestamp as the table stores it (SQLite keeps text without a zone)."""
    utc = value.astimezone(UTC)
    if session.get_bind().dialect.name == "sqlite":
        return utc.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return utc


# (dialect, driven by the catchment key, *query shape) → (SQL text, positional parameter order).
_SQL_CACHE: dict[tuple[Any, ...], tuple[str, tuple[str, ...] | None]] = {}


def _page_rows(session: Session, flt: ServiceFilter, limit: int, cursor: str | None) -> list[tuple[int, str | None]]:
    """(id, stored document) of up to limit + 1 matching services, in id order.

    With a municipality, the catchment key (municipality, service id) drives the query in id order, so
    the first matches end the scan. The SQL text is compiled once per filter shape and dialect and run on
    the driver's cursor: this is the hottest query in the product, and building and compiling the
    statement on every request cost more than running it.
    """
    by_municipality = flt.municipality is not None
    query = _Query(key=service_catchment.c.service_id if by_municipality else services.c.id)
    _where(session, flt, query)
    if cursor:
        query.conds.append(query.key > query.bind("after", decode_cursor(cursor, int)))
    dialect = session.get_bind().dialect
    shape = (dialect.name, by_municipality, *query.shape)
    cached = _SQL_CACHE.get(shape)
    if cached is None:
        source = (
            service_catchment.join(services, services.c.id == service_catchment.c.service_id)
            if by_municipality
            else services
        )
        stmt = select(services.c.id, services.c.doc).select_from(source).where(and_(*query.conds)).order_by(query.key)
        compiled = stmt.compile(dialect=dialect)
        cached = (compiled.string, tuple(compiled.positiontup or ()) if compiled.positional else None)
        if len(_SQL_CACHE) < 1000:
            _SQL_CACHE[shape] = cached
    sql, order = cached
    sql += f" LIMIT {int(limit) + 1}"  # an int from the caller, kept out of the cache key
    params: Any = tuple(query.values[name] for name in order) if order is not None else query.values
    cursor_ = session.connection().connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor_.execute(sql, params)
        return [(row[0], row[1]) for row in cursor_.fetchall()]
    finally:
        cursor_.close()


def list_service_docs(
    session: Session, flt: ServiceFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[bytes], str | None]:
    """One page of live services as their stored JSON documents, and the cursor for the next page."""
    rows = _page_rows(session, flt, limit, cursor)
    page = rows[:limit]
    missing = [sid for sid, doc in page if doc is None]
    built = {item["id"]: dumps(item) for item in hydrate(session, missing)} if missing else {}
    docs = [doc.encode() if doc is not None else built[sid] for sid, doc in page]
    next_cursor = encode_cursor(page[-1][0]) if len(rows) > limit else None
    return docs, next_cursor


def list_services(
    session: Session, flt: ServiceFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[ServiceDict], str | None]:
    """One page of live services as JSON-shaped dicts (dates as ISO strings), and the next cursor."""
    docs, next_cursor = list_service_docs(session, flt, limit=limit, cursor=cursor)
    return [loads(doc) for doc in docs], next_cursor


def get_service_doc(session: Session, service_id: int) -> tuple[int, bytes]:
    """One live service as (version, stored JSON document)."""
    docs, _ = list_service_docs(session, ServiceFilter(ids=[service_id]), limit=1)
    if not docs:
        raise NotFound(f"No rehabilitation service with id {service_id}")
    return int(loads(docs[0])["version"]), docs[0]
