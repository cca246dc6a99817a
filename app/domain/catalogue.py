"""The rehabilitation-service catalogue: find, read, create, change, upsert and delete services.

Every write stores the service's JSON document (`rehab_service.doc`), so reading a page is one indexed
query plus a join of stored documents: the list endpoint is the hottest path in the product. The
documents are built by `_hydrate`, which assembles services from their tables; writes and audit use it.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import ValidationError
from sqlalchemy import and_, bindparam, case, delete, exists, func, insert, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.domain import audit, geography, organisations, taxonomy
from app.domain.actor import Actor, require_org_write
from app.domain.codes import code_list
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from app.domain.versioning import check_version, guarded_update, require_if_match, stale
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.serialization import dumps, loads
from app.kit.text import fold, like_pattern
from app.models import (
    Organisation,
    PatientGroup,
    RehabService,
    RehabServiceCatchment,
    RehabServiceForm,
    RehabServicePatientGroup,
)
from app.models.base import shaped
from app.models.rehab_service import (
    REQUIRED_ON_UPDATE,
    RehabServiceCreate,
    RehabServiceFields,
    RehabServiceRead,
    ServiceForm,
    ServiceLevel,
    ServiceSource,
    ServiceStatus,
)
from app.models.types import utcnow

ServiceDict = dict[str, Any]
Outcome = Literal["created", "updated", "unchanged"]
NORWAY = ZoneInfo("Europe/Oslo")

_S = RehabService.__table__  # type: ignore[attr-defined]
_O = Organisation.__table__  # type: ignore[attr-defined]
_F = RehabServiceForm.__table__  # type: ignore[attr-defined]
_G = RehabServicePatientGroup.__table__  # type: ignore[attr-defined]
_C = RehabServiceCatchment.__table__  # type: ignore[attr-defined]
_PG = PatientGroup.__table__  # type: ignore[attr-defined]

_HIDDEN = {"search_text", "deleted_at", "doc", "import_digest", "import_digest_version"}
_COLUMNS = [c for c in _S.c if c.name not in _HIDDEN]
LINK_FIELDS = ("forms", "patient_groups", "catchment")
SCALAR_FIELDS = tuple(f for f in RehabServiceFields.model_fields if f not in LINK_FIELDS)


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
    """A page query under construction: conditions, bound values, and the shape that names its SQL."""

    key: Any
    conds: list[Any] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    shape: list[Any] = field(default_factory=list)

    def bind(self, name: str, value: Any) -> Any:
        self.values[name] = value
        self.shape.append(name)
        return bindparam(name)


def _literals(values: Sequence[str | int]) -> list[Any]:
    # Only enum values and ids checked against the taxonomy reach here: safe to inline, and the set of
    # distinct lists is small, so each gets its own cached SQL text.
    return [literal_column(str(v) if isinstance(v, int) else f"'{v}'") for v in values]


def _where(session: Session, flt: ServiceFilter, query: _Query) -> None:
    """Conditions for `flt`. Sub-queries correlate on the driving table's service id, so SQLite tests them
    on the index before it reads the (large) service row."""
    key = query.key
    if flt.municipality is not None:
        geography.require_municipalities(session, [flt.municipality], ("query", "municipality"), indexed=False)
        query.conds.append(_C.c.municipality_number == query.bind("municipality", flt.municipality))
    if flt.patient_group is not None:
        tax = taxonomy.get_taxonomy(session)
        tax.require([flt.patient_group], ("query", "patient_group"), indexed=False)
        ids = tax.subtree_ids(flt.patient_group)
        query.shape.append(("groups", *ids))
        # EXISTS on the (service_id, patient_group_id) key: checked per candidate row, never materialised.
        query.conds.append(exists().where(_G.c.service_id == key, _G.c.patient_group_id.in_(_literals(ids))))
    for column, chosen in ((_S.c.level, flt.level), (_S.c.status, flt.status)):
        if chosen:
            codes = sorted(v.value for v in chosen)
            query.shape.append((column.name, *codes))
            query.conds.append(column.in_(_literals(codes)))
    if flt.form:
        forms = sorted(v.value for v in flt.form)
        query.shape.append(("forms", *forms))
        query.conds.append(exists().where(_F.c.service_id == key, _F.c.form.in_(_literals(forms))))
    if flt.provider is not None:
        query.conds.append(_S.c.provider_id == query.bind("provider", flt.provider))
    if flt.q:
        query.conds.append(_S.c.search_text.like(query.bind("q", like_pattern(flt.q)), escape="\\"))
    if flt.updated_since is not None:
        since = flt.updated_since
        since = since.replace(tzinfo=UTC) if since.tzinfo is None else since  # naive means UTC
        query.conds.append(_S.c.updated_at >= query.bind("since", _db_timestamp(session, since)))
    if flt.ids:
        ids = sorted({int(i) for i in flt.ids})
        query.shape.append(("ids", *ids))
        query.conds.append(_S.c.id.in_(_literals(ids)))
    query.conds.append(_S.c.deleted_at.is_(None))


def _db_timestamp(session: Session, value: datetime) -> Any:
    """A UTC timestamp as the table stores it (SQLite keeps text without a zone)."""
    utc = value.astimezone(UTC)
    if session.get_bind().dialect.name == "sqlite":
        return utc.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return utc


_SQL_CACHE: dict[tuple[Any, ...], tuple[str, tuple[str, ...] | None]] = {}


def _page_rows(session: Session, flt: ServiceFilter, limit: int, cursor: str | None) -> list[tuple[int, str | None]]:
    """(id, stored document) of up to limit + 1 matching services, in id order.

    With a municipality, the catchment key (municipality, service id) drives the query in id order, so
    the first matches end the scan. The SQL text is compiled once per filter shape and dialect and run on
    the driver's cursor: this is the hottest query in the product, and building and compiling the
    statement on every request cost more than running it.
    """
    by_municipality = flt.municipality is not None
    query = _Query(key=_C.c.service_id if by_municipality else _S.c.id)
    _where(session, flt, query)
    if cursor:
        query.conds.append(query.key > query.bind("after", decode_cursor(cursor, int)))
    dialect = session.get_bind().dialect
    shape = (dialect.name, by_municipality, *query.shape)
    cached = _SQL_CACHE.get(shape)
    if cached is None:
        source = _C.join(_S, _S.c.id == _C.c.service_id) if by_municipality else _S
        stmt = select(_S.c.id, _S.c.doc).select_from(source).where(and_(*query.conds)).order_by(query.key)
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
    built = {item["id"]: dumps(item) for item in _hydrate(session, missing)} if missing else {}
    docs = [doc.encode() if doc is not None else built[sid] for sid, doc in page]
    next_cursor = encode_cursor(page[-1][0]) if len(rows) > limit else None
    return docs, next_cursor


def list_services(
    session: Session, flt: ServiceFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[ServiceDict], str | None]:
    """One page of live services as JSON-shaped dicts (dates as ISO strings), and the next cursor."""
    docs, next_cursor = list_service_docs(session, flt, limit=limit, cursor=cursor)
    return [loads(doc) for doc in docs], next_cursor


def _hydrate(session: Session, ids: Sequence[int]) -> list[ServiceDict]:
    """Live services assembled from their tables, in id order, with Python values."""
    if not ids:
        return []
    stmt = (
        select(*_COLUMNS, _O.c.name.label("provider_name"))
        .join(_O, _O.c.id == _S.c.provider_id)
        .where(_S.c.id.in_(list(ids)), _S.c.deleted_at.is_(None))
        .order_by(_S.c.id)
    )
    page = [dict(r) for r in session.execute(stmt).mappings()]
    _attach_links(session, page)
    return page


def store_docs(session: Session, ids: Sequence[int]) -> None:
    """Rewrite the stored JSON documents of these services (after any write that changes them)."""
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        items = _hydrate(session, chunk)
        if items:
            session.execute(
                update(_S).where(_S.c.id == bindparam("sid")).values(doc=bindparam("new_doc")),
                [{"sid": item["id"], "new_doc": dumps(item).decode()} for item in items],
            )


def refresh_docs(session: Session, *, provider_id: int | None = None, only_missing: bool = False) -> int:
    """Rebuild stored documents (all, one provider's, or those missing); returns how many."""
    stmt = select(_S.c.id).where(_S.c.deleted_at.is_(None)).order_by(_S.c.id)
    if provider_id is not None:
        stmt = stmt.where(_S.c.provider_id == provider_id)
    if only_missing:
        stmt = stmt.where(_S.c.doc.is_(None))
    ids = list(session.execute(stmt).scalars())
    store_docs(session, ids)
    return len(ids)


def _attach_links(session: Session, items: list[ServiceDict]) -> None:
    """Fill forms, patient groups and catchment for a page of services with three queries."""
    if not items:
        return
    by_id = {item["id"]: item for item in items}
    for item in items:
        item["forms"], item["patient_groups"], item["catchment"] = [], [], []
    ids = list(by_id)
    for sid, form in session.execute(select(_F.c.service_id, _F.c.form).where(_F.c.service_id.in_(ids))):
        by_id[sid]["forms"].append(form)
    codes = taxonomy.get_taxonomy(session).by_id
    for sid, gid in session.execute(select(_G.c.service_id, _G.c.patient_group_id).where(_G.c.service_id.in_(ids))):
        by_id[sid]["patient_groups"].append(codes[gid].code if gid in codes else str(gid))
    for sid, number in session.execute(
        select(_C.c.service_id, _C.c.municipality_number)
        .where(_C.c.service_id.in_(ids))
        .order_by(_C.c.service_id, _C.c.municipality_number)
    ):
        by_id[sid]["catchment"].append(number)
    order = {f.value: i for i, f in enumerate(ServiceForm)}
    for index, item in enumerate(items):
        item["forms"].sort(key=order.__getitem__)
        item["patient_groups"].sort()
        items[index] = shaped(item, RehabServiceRead)


def get_service(session: Session, service_id: int) -> ServiceDict:
    """One live service with Python values (dates as dates)."""
    items = _hydrate(session, [service_id])
    if not items:
        raise NotFound(f"No rehabilitation service with id {service_id}")
    return items[0]


def get_service_doc(session: Session, service_id: int) -> tuple[int, bytes]:
    """One live service as (version, stored JSON document)."""
    docs, _ = list_service_docs(session, ServiceFilter(ids=[service_id]), limit=1)
    if not docs:
        raise NotFound(f"No rehabilitation service with id {service_id}")
    return int(loads(docs[0])["version"]), docs[0]


# --- writes -------------------------------------------------------------------------------------


def code_errors(fields: RehabServiceFields) -> list[FieldError]:
    """The optional national codes in `fields` that are not in their code lists."""
    return [
        FieldError(("body", name), f"'{value}' is not a code in the {name.rsplit('_', 1)[-1]} code list")
        for name in ("helsehjelpsomrade_8655", "iplos_9151", "omsorgsniva_8406")
        if (value := getattr(fields, name)) is not None and value not in code_list(name)
    ]


def _check_codes(fields: RehabServiceFields) -> None:
    if errors := code_errors(fields):
        raise InvalidInput("Unknown national code", errors)


@dataclass
class _Resolved:
    scalars: dict[str, Any]
    forms: set[str]
    group_ids: set[int]
    catchment: list[str]
    inherited: bool


def _resolve(session: Session, fields: RehabServiceFields, provider: Organisation) -> _Resolved:
    """Check every reference in `fields` against the database and compute the stored values."""
    _check_codes(fields)
    group_ids = taxonomy.get_taxonomy(session).require(fields.patient_groups, ("body", "patient_groups"))
    if fields.catchment is None:
        catchment, inherited = organisations.default_catchment(session, provider), True
    else:
        geography.require_municipalities(session, fields.catchment, ("body", "catchment"))
        catchment, inherited = sorted(fields.catchment), False
    return stored_values(fields, group_ids, catchment, inherited)


def stored_values(fields: RehabServiceFields, group_ids: list[int], catchment: list[str], inherited: bool) -> _Resolved:
    """What is stored for `fields` whose references are already checked: column values and links."""
    scalars = {name: getattr(fields, name) for name in SCALAR_FIELDS}
    for enum_field in ("level", "status", "capacity_unit"):
        if scalars[enum_field] is not None:
            scalars[enum_field] = scalars[enum_field].value
    scalars["age_groups"] = [a.value for a in fields.age_groups]
    scalars["referrers"] = [r.value for r in fields.referrers]
    scalars["catchment_inherited"] = inherited
    scalars["search_text"] = fold(fields.name, fields.description)
    return _Resolved(scalars, {f.value for f in fields.forms}, set(group_ids), catchment, inherited)


def _provider(session: Session, provider_id: int, loc: tuple[str, ...] | None) -> Organisation:
    org = session.get(Organisation, provider_id)
    if org is None:
        if loc is None:
            raise NotFound(f"No organisation with id {provider_id}")
        raise InvalidInput("Unknown provider", [FieldError(loc, f"no organisation with id {provider_id}")])
    return org


def _write_links(session: Session, service_id: int, resolved: _Resolved, old: _Resolved | None) -> None:
    if old is None or old.forms != resolved.forms:
        session.execute(delete(_F).where(_F.c.service_id == service_id))
        if resolved.forms:
            session.execute(insert(_F), [{"service_id": service_id, "form": f} for f in sorted(resolved.forms)])
    if old is None or old.group_ids != resolved.group_ids:
        session.execute(delete(_G).where(_G.c.service_id == service_id))
        if resolved.group_ids:
            session.execute(
                insert(_G),
                [{"service_id": service_id, "patient_group_id": g} for g in sorted(resolved.group_ids)],
            )
    if old is None or old.catchment != resolved.catchment:
        _replace_catchment(session, service_id, resolved.catchment)


def _replace_catchment(session: Session, service_id: int, numbers: list[str]) -> None:
    session.execute(delete(_C).where(_C.c.service_id == service_id))
    if numbers:
        session.execute(insert(_C), [{"service_id": service_id, "municipality_number": n} for n in numbers])


def _insert(
    session: Session,
    provider: Organisation,
    fields: RehabServiceFields,
    external_id: str | None,
    source: ServiceSource,
    batch_id: int | None,
    resolved: _Resolved | None = None,
) -> int:
    if resolved is None:
        resolved = _resolve(session, fields, provider)
    now = utcnow()
    values = {
        **resolved.scalars,
        "provider_id": provider.id,
        "external_id": external_id,
        "source": source.value,
        "source_batch_id": batch_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with session.begin_nested():
            service_id: int = session.execute(insert(_S).values(**values).returning(_S.c.id)).scalar_one()
    except IntegrityError as exc:
        raise Conflict(f"Provider {provider.id} already has a service with external_id '{external_id}'") from exc
    _write_links(session, service_id, resolved, None)
    return service_id


def create_service(
    session: Session,
    actor: Actor,
    data: RehabServiceCreate,
    *,
    source: ServiceSource = ServiceSource.manual,
    batch_id: int | None = None,
) -> ServiceDict:
    """Add a service. A duplicate (provider, external_id) is a Conflict."""
    provider = _provider(session, data.provider_id, ("body", "provider_id"))
    require_org_write(actor, data.provider_id)
    if data.external_id is not None and _by_external_id(session, data.provider_id, data.external_id) is not None:
        raise Conflict(
            f"Provider {data.provider_id} already has a service with external_id '{data.external_id}' "
            "(use PUT /rehab-services/by-external-id/… to update it)"
        )
    fields = RehabServiceFields.model_validate(data.model_dump(exclude={"provider_id", "external_id"}))
    service_id = _insert(session, provider, fields, data.external_id, source, batch_id)
    return _created(session, actor, service_id, batch_id)


def _created(session: Session, actor: Actor, service_id: int, batch_id: int | None) -> ServiceDict:
    return _written(session, actor, "create", service_id, None, 1, batch_id)


def _written(
    session: Session,
    actor: Actor,
    action: str,
    service_id: int,
    before: ServiceDict | None,
    version: int,
    batch_id: int | None = None,
) -> ServiceDict:
    """After a write: store the service's new JSON document and record the audit event."""
    after = get_service(session, service_id)
    session.execute(update(_S).where(_S.c.id == service_id).values(doc=dumps(after).decode()))
    audit.record(session, actor, action, "rehab_service", service_id, before, after, version, batch_id)
    return after


def _by_external_id(session: Session, provider_id: int, external_id: str) -> RehabService | None:
    return session.execute(
        select(RehabService).where(
            RehabService.provider_id == provider_id,  # type: ignore[arg-type]
            RehabService.external_id == external_id,  # type: ignore[arg-type]
        )
    ).scalar_one_or_none()


def _live(session: Session, service_id: int) -> RehabService:
    svc = session.get(RehabService, service_id)
    if svc is None or svc.deleted_at is not None:
        raise NotFound(f"No rehabilitation service with id {service_id}")
    return svc


def _current_fields(session: Session, svc: RehabService) -> dict[str, Any]:
    """The service as RehabServiceFields input, so a patch can be merged and validated whole."""
    assert svc.id is not None
    current = get_service(session, svc.id) if svc.deleted_at is None else None
    values = {name: getattr(svc, name) for name in SCALAR_FIELDS}
    if current is not None:
        values["forms"] = current["forms"]
        values["patient_groups"] = current["patient_groups"]
        values["catchment"] = None if svc.catchment_inherited else current["catchment"]
    return values


def _stored(session: Session, svc: RehabService) -> _Resolved:
    assert svc.id is not None
    sid = svc.id
    return _Resolved(
        scalars={name: getattr(svc, name) for name in (*SCALAR_FIELDS, "catchment_inherited", "search_text")},
        forms=set(session.execute(select(_F.c.form).where(_F.c.service_id == sid)).scalars()),
        group_ids=set(session.execute(select(_G.c.patient_group_id).where(_G.c.service_id == sid)).scalars()),
        catchment=list(
            session.execute(
                select(_C.c.municipality_number).where(_C.c.service_id == sid).order_by(_C.c.municipality_number)
            ).scalars()
        ),
        inherited=svc.catchment_inherited,
    )


def _validated(values: dict[str, Any]) -> RehabServiceFields:
    try:
        return RehabServiceFields.model_validate(values)
    except ValidationError as exc:
        raise InvalidInput(
            "The service would not be valid after this change",
            [FieldError(("body", *e["loc"]), e["msg"]) for e in exc.errors()],
        ) from exc


def _apply(
    session: Session,
    actor: Actor,
    svc: RehabService,
    fields: RehabServiceFields,
    extra: dict[str, Any],
    source: ServiceSource | None = None,
    batch_id: int | None = None,
    new: _Resolved | None = None,
) -> bool:
    """Write `fields` over `svc` if anything differs, with its audit event; True when a version was written.

    `new` is `fields` already resolved by the caller, if it has.
    """
    assert svc.id is not None
    if new is None:
        new = _resolve(session, fields, _provider(session, svc.provider_id, None))
    old = _stored(session, svc)
    changes = {k: v for k, v in {**new.scalars, **extra}.items() if getattr(svc, k) != v}
    links_changed = (old.forms, old.group_ids, old.catchment) != (new.forms, new.group_ids, new.catchment)
    if not changes and not links_changed:
        return False
    # Where a change came from is recorded only with a change: re-applying the same data changes nothing.
    if source is not None:
        changes["source"] = source.value
    if batch_id is not None:
        changes["source_batch_id"] = batch_id
    before = get_service(session, svc.id) if svc.deleted_at is None else None
    version = guarded_update(session, RehabService, svc.id, svc.version, changes, "service")
    _write_links(session, svc.id, new, old)
    session.expire(svc)
    _written(session, actor, "update" if before is not None else "create", svc.id, before, version, batch_id)
    return True


def update_service(
    session: Session, actor: Actor, service_id: int, changes: dict[str, Any], if_match: str | None
) -> ServiceDict:
    """Apply a partial update (only the keys present). Needs the current version in `if_match`.

    A missing If-Match is refused first (428), but a stale one only after the change has been validated
    and its references resolved: a bad body is 422 whatever version it names.
    """
    svc = _live(session, service_id)
    require_org_write(actor, svc.provider_id)
    require_if_match(if_match, "service")
    cleared = sorted(k for k, v in changes.items() if v is None and k in REQUIRED_ON_UPDATE)
    if cleared:
        raise InvalidInput(
            "Required fields cannot be cleared", [FieldError(("body", k), "may not be null") for k in cleared]
        )
    extra: dict[str, Any] = {}
    if "external_id" in changes:
        extra["external_id"] = changes.pop("external_id")
    fields = _validated({**_current_fields(session, svc), **changes})
    new = _resolve(session, fields, _provider(session, svc.provider_id, None))
    check_version(svc.version, if_match, required=True, what="service")
    if extra.get("external_id") is not None and extra["external_id"] != svc.external_id:
        other = _by_external_id(session, svc.provider_id, extra["external_id"])
        if other is not None:
            raise Conflict(f"Service {other.id} already has external_id '{extra['external_id']}'")
    _apply(session, actor, svc, fields, extra, new=new)
    return get_service(session, service_id)


def upsert_service(
    session: Session,
    actor: Actor,
    provider_id: int,
    external_id: str,
    fields: RehabServiceFields,
    if_match: str | None,
    *,
    source: ServiceSource = ServiceSource.integration,
    batch_id: int | None = None,
) -> tuple[ServiceDict, Outcome]:
    """Create or replace the provider's service with this external id; (service, what happened).

    The body's references are resolved before If-Match is checked: a bad body is 422, stale or not.
    """
    provider = _provider(session, provider_id, None)
    require_org_write(actor, provider_id)
    svc = _by_external_id(session, provider_id, external_id)
    new = _resolve(session, fields, provider)
    if svc is None:
        if if_match is not None and if_match.strip() != "*":
            raise stale("service", 0)
        service_id = _insert(session, provider, fields, external_id, source, batch_id, new)
        return _created(session, actor, service_id, batch_id), "created"
    assert svc.id is not None
    check_version(svc.version, if_match, required=False, what="service")
    extra: dict[str, Any] = {"deleted_at": None}  # an upsert brings a deleted service back
    changed = _apply(session, actor, svc, fields, extra, source, batch_id, new)
    return get_service(session, svc.id), "updated" if changed else "unchanged"


def delete_service(session: Session, actor: Actor, service_id: int, if_match: str | None) -> None:
    """Mark the service deleted (a tombstone, so syncing clients can see it go)."""
    svc = _live(session, service_id)
    require_org_write(actor, svc.provider_id)
    check_version(svc.version, if_match, required=True, what="service")
    before = get_service(session, service_id)
    version = guarded_update(session, RehabService, service_id, svc.version, {"deleted_at": utcnow()}, "service")
    session.expire(svc)
    audit.record(session, actor, "delete", "rehab_service", service_id, before, None, version)


def refresh_inherited_catchments(session: Session, actor: Actor, provider_ids: Sequence[int] | None = None) -> int:
    """Recompute the catchment of services that inherit it from their provider; returns services changed."""
    stmt = select(_S.c.provider_id).where(_S.c.catchment_inherited.is_(True)).distinct()
    if provider_ids is not None:
        stmt = stmt.where(_S.c.provider_id.in_(list(provider_ids)))
    changed = 0
    for provider_id in session.execute(stmt).scalars().all():
        wanted = organisations.default_catchment(session, _provider(session, provider_id, None))
        service_ids = (
            session.execute(select(_S.c.id).where(_S.c.provider_id == provider_id, _S.c.catchment_inherited.is_(True)))
            .scalars()
            .all()
        )
        for service_id in service_ids:
            have = list(
                session.execute(
                    select(_C.c.municipality_number)
                    .where(_C.c.service_id == service_id)
                    .order_by(_C.c.municipality_number)
                ).scalars()
            )
            if have != wanted:
                svc = session.get(RehabService, service_id)
                assert svc is not None
                before = get_service(session, service_id)
                version = guarded_update(session, RehabService, service_id, svc.version, {}, "service")
                _replace_catchment(session, service_id, wanted)
                session.expire(svc)
                _written(session, actor, "update", service_id, before, version)
                changed += 1
    return changed


def verify_service(session: Session, actor: Actor, service_id: int) -> ServiceDict:
    """Mark the service as checked today ("verified today"), whatever its version."""
    svc = _live(session, service_id)
    require_org_write(actor, svc.provider_id)
    today = datetime.now(NORWAY).date()  # "today" as the coordinator sees it, not in UTC
    if svc.last_verified_on == today:
        return get_service(session, service_id)
    before = get_service(session, service_id)
    version = guarded_update(session, RehabService, service_id, svc.version, {"last_verified_on": today}, "service")
    session.expire(svc)
    return _written(session, actor, "verify", service_id, before, version)


@dataclass
class CatalogueSummary:
    total: int
    by_level: dict[str, int]
    by_form: dict[str, int]
    by_patient_group: dict[str, int]
    recently_changed: list[ServiceDict]
    unverified: list[ServiceDict]
    unverified_total: int


def summary(session: Session, *, recent: int = 8, stale_after_days: int = 365) -> CatalogueSummary:
    """Counts for the front page, the latest changes and the services nobody has verified for a year."""
    live = _S.c.deleted_at.is_(None)
    total = session.execute(select(func.count()).select_from(_S).where(live)).scalar_one()
    by_level = dict(session.execute(select(_S.c.level, func.count()).where(live).group_by(_S.c.level)).all())
    by_form = dict(
        session.execute(
            select(_F.c.form, func.count()).join(_S, _S.c.id == _F.c.service_id).where(live).group_by(_F.c.form)
        ).all()
    )
    # A group counts the services of its sub-groups too, as its filter does: one pass over the links.
    tax = taxonomy.get_taxonomy(session)
    codes = [g.code for g in tax.groups]
    counts = [
        func.count(func.distinct(case((_G.c.patient_group_id.in_(tax.subtree_ids(code)), _G.c.service_id))))
        for code in codes
    ]
    row = session.execute(select(*counts).select_from(_G.join(_S, _S.c.id == _G.c.service_id)).where(live)).one()
    by_group = {code: n for code, n in zip(codes, row, strict=True) if n}
    recent_ids = list(
        session.execute(
            select(_S.c.id).where(live).order_by(_S.c.updated_at.desc(), _S.c.id.desc()).limit(recent)
        ).scalars()
    )
    cutoff = utcnow().date() - timedelta(days=stale_after_days)
    stale = live & (_S.c.last_verified_on.is_(None) | (_S.c.last_verified_on < cutoff))
    stale_total = session.execute(select(func.count()).select_from(_S).where(stale)).scalar_one()
    stale_ids = list(session.execute(select(_S.c.id).where(stale).order_by(_S.c.id).limit(recent)).scalars())
    recent_items = {s["id"]: s for s in list_services(session, ServiceFilter(ids=recent_ids), limit=recent)[0]}
    return CatalogueSummary(
        total=total,
        by_level=by_level,
        by_form=by_form,
        by_patient_group=by_group,
        recently_changed=[recent_items[i] for i in recent_ids if i in recent_items],
        unverified=list_services(session, ServiceFilter(ids=stale_ids), limit=recent)[0],
        unverified_total=stale_total,
    )


@dataclass
class FilterOptions:
    municipalities: list[tuple[str, str]]
    patient_groups: list[tuple[str, str, bool]]  # code, Norwegian name, is a sub-group


def filter_options(session: Session) -> FilterOptions:
    """What the service filters can choose from."""
    tax = taxonomy.get_taxonomy(session)
    numbers = sorted(geography.municipality_names(session).items(), key=lambda item: item[1])
    groups: list[tuple[str, str, bool]] = []
    for group in tax.groups:
        if group.parent_id is None:
            groups.append((group.code, group.name_nb, False))
            groups += [(tax.by_id[c].code, tax.by_id[c].name_nb, True) for c in tax.children.get(group.id or 0, [])]
    return FilterOptions(municipalities=numbers, patient_groups=groups)


def writable_providers(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """Organisations whose services the actor may change, for the provider field of the form."""
    stmt = select(_O.c.id, _O.c.name).order_by(_O.c.name)
    allowed = actor.writable_organisations()
    if allowed is not None:
        stmt = stmt.where(_O.c.id.in_(sorted(allowed)))
    return [(row.id, row.name) for row in session.execute(stmt)]
