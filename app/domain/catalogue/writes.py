"""Writing one service at a time: create, update, upsert, delete, verify, and inherited catchments.

Every write stores the service's new document (`documents`) and records its audit event.
"""

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.domain import audit
from app.domain.actor import Actor, require_org_write
from app.domain.catalogue import verification
from app.domain.catalogue.catchments import default_catchment
from app.domain.catalogue.documents import ServiceDict, get_service
from app.domain.catalogue.links import catchment_rows, link_rows, replace_links
from app.domain.catalogue.tables import services
from app.domain.catalogue.values import (
    SCALAR_FIELDS,
    ServiceValues,
    current_values,
    new_service_row,
    resolve,
    stored_catchment,
)
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, validated
from app.domain.versioning import check_version, guarded_update, require_if_match, stale
from app.kit.serialization import dumps
from app.models import Organisation, RehabService
from app.models.rehab_service import REQUIRED_ON_UPDATE, RehabServiceCreate, RehabServiceFields, ServiceSource
from app.models.types import utcnow

Outcome = Literal["created", "updated", "unchanged"]


def _provider(session: Session, provider_id: int, loc: tuple[str, ...] | None) -> Organisation:
    org = session.get(Organisation, provider_id)
    if org is None:
        if loc is None:
            raise NotFound(f"No organisation with id {provider_id}")
        raise InvalidInput("Unknown provider", [FieldError(loc, f"no organisation with id {provider_id}")])
    return org


def _resolve(session: Session, fields: RehabServiceFields, provider: Organisation) -> ServiceValues:
    return resolve(session, fields, lambda: default_catchment(session, provider))


def _write_links(session: Session, service_id: int, new: ServiceValues, old: ServiceValues | None) -> None:
    """Write the link rows of `new` that differ from `old` (all of them for a new service)."""
    rows = link_rows([(service_id, new)])
    if old is not None:
        before = link_rows([(service_id, old)])
        rows = {table: table_rows for table, table_rows in rows.items() if table_rows != before[table]}
    replace_links(session, [service_id], rows, new=old is None)


def _insert(
    session: Session,
    provider: Organisation,
    fields: RehabServiceFields,
    external_id: str | None,
    source: ServiceSource,
    batch_id: int | None,
    resolved: ServiceValues | None = None,
) -> int:
    if resolved is None:
        resolved = _resolve(session, fields, provider)
    assert provider.id is not None
    values = new_service_row(resolved, provider.id, external_id, source.value, batch_id, utcnow())
    try:
        with session.begin_nested():
            service_id: int = session.execute(insert(services).values(**values).returning(services.c.id)).scalar_one()
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
    session.execute(update(services).where(services.c.id == service_id).values(doc=dumps(after).decode()))
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


def _apply(
    session: Session,
    actor: Actor,
    svc: RehabService,
    fields: RehabServiceFields,
    extra: dict[str, Any],
    source: ServiceSource | None = None,
    batch_id: int | None = None,
    new: ServiceValues | None = None,
) -> bool:
    """Write `fields` over `svc` if anything differs, with its audit event; True when a version was written.

    `new` is `fields` already resolved by the caller, if it has.
    """
    assert svc.id is not None
    if new is None:
        new = _resolve(session, fields, _provider(session, svc.provider_id, None))
    old = current_values(session, svc)
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
    fields = validated(
        RehabServiceFields,
        {**_current_fields(session, svc), **changes},
        "The service would not be valid after this change",
    )
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
    """Recompute the catchment of services that inherit it from their provider; returns services changed.

    Call it after a change to what an organisation serves (its own catchment, kind or region).
    """
    inheriting = services.c.catchment_inherited.is_(True)
    stmt = select(services.c.provider_id).where(inheriting).distinct()
    if provider_ids is not None:
        stmt = stmt.where(services.c.provider_id.in_(list(provider_ids)))
    changed = 0
    for provider_id in session.execute(stmt).scalars().all():
        wanted = default_catchment(session, _provider(session, provider_id, None))
        service_ids = (
            session.execute(select(services.c.id).where(services.c.provider_id == provider_id, inheriting))
            .scalars()
            .all()
        )
        for service_id in service_ids:
            if stored_catchment(session, service_id) != wanted:
                svc = session.get(RehabService, service_id)
                assert svc is not None
                before = get_service(session, service_id)
                version = guarded_update(session, RehabService, service_id, svc.version, {}, "service")
                replace_links(session, [service_id], catchment_rows(service_id, wanted))
                session.expire(svc)
                _written(session, actor, "update", service_id, before, version)
                changed += 1
    return changed


def verify_service(session: Session, actor: Actor, service_id: int) -> ServiceDict:
    """Mark the service as checked today ("verified today"), whatever its version."""
    svc = _live(session, service_id)
    require_org_write(actor, svc.provider_id)
    today = verification.today()  # "today" as the coordinator sees it, not in UTC
    if svc.last_verified_on == today:
        return get_service(session, service_id)
    before = get_service(session, service_id)
    version = guarded_update(session, RehabService, service_id, svc.version, {"last_verified_on": today}, "service")
    session.expire(svc)
    return _written(session, actor, "verify", service_id, before, version)
