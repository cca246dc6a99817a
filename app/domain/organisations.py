"""Organisations and their catchments (opptaksområder).

What an organisation serves by default, which its services inherit, is the catalogue's
(`catalogue.default_catchment`): a change to an organisation refreshes its services there.
"""

from typing import Any

from sqlalchemy import delete
from sqlmodel import Session, col, select

from app.domain import audit, catalogue, geography
from app.domain.actor import Actor, require_admin, require_org_write
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.text import fold, like_pattern
from app.models import Catchment, Organisation, Region
from app.models.base import shaped
from app.models.organisation import OrganisationCreate, OrganisationKind, OrganisationRead, OrganisationUpdate


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFound(f"No organisation with id {organisation_id}")
    return org


def _read(session: Session, orgs: list[Organisation]) -> list[dict[str, Any]]:
    ids = [o.id for o in orgs]
    catchments: dict[int, list[str]] = {}
    for org_id, number in session.exec(
        select(Catchment.organisation_id, Catchment.municipality_number)
        .where(col(Catchment.organisation_id).in_(ids))
        .distinct()
        .order_by(col(Catchment.organisation_id), col(Catchment.municipality_number))
    ).all():
        catchments.setdefault(org_id, []).append(number)
    regions = {r.id: r.code for r in session.exec(select(Region)).all()}
    return [
        shaped(
            {
                **o.model_dump(),
                "region": regions.get(o.region_id),
                "reference_data": o.reference_key is not None,
                "catchment": catchments.get(o.id or 0, []),
            },
            OrganisationRead,
        )
        for o in orgs
    ]


def read_organisation(session: Session, organisation_id: int) -> dict[str, Any]:
    return _read(session, [get_organisation(session, organisation_id)])[0]


def list_organisations(
    session: Session,
    *,
    kind: list[OrganisationKind] | None = None,
    region: str | None = None,
    q: str | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    stmt = select(Organisation).order_by(Organisation.id)  # type: ignore[arg-type]
    if cursor:
        stmt = stmt.where(col(Organisation.id) > decode_cursor(cursor, int))
    if kind:
        stmt = stmt.where(col(Organisation.kind).in_([k.value for k in kind]))
    if region:
        stmt = stmt.where(Organisation.region_id == geography.region_by_code(session, region, ("query", "region")).id)
    if q:
        stmt = stmt.where(col(Organisation.search_text).like(like_pattern(q), escape="\\"))
    rows = list(session.exec(stmt.limit(limit + 1)).all())
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id or 0) if len(rows) > limit else None
    return _read(session, page), next_cursor


def _validate_links(session: Session, values: dict[str, Any]) -> dict[str, Any]:
    """Turn API values into column values, checking every reference against the database."""
    out = {k: v for k, v in values.items() if k not in ("region", "catchment")}
    if values.get("municipality_number") is not None:
        geography.require_municipalities(
            session, [values["municipality_number"]], ("body", "municipality_number"), indexed=False
        )
    if values.get("parent_id") is not None and session.get(Organisation, values["parent_id"]) is None:
        raise InvalidInput("Unknown parent", [FieldError(("body", "parent_id"), "no organisation with this id")])
    if "region" in values:
        out["region_id"] = (
            geography.region_by_code(session, values["region"], ("body", "region")).id if values["region"] else None
        )
    if values.get("catchment"):
        geography.require_municipalities(session, values["catchment"], ("body", "catchment"))
        if len(set(values["catchment"])) != len(values["catchment"]):
            raise InvalidInput("Repeated municipality", [FieldError(("body", "catchment"), "must not repeat")])
    if values.get("orgnr"):
        clash = session.exec(select(Organisation.id).where(Organisation.orgnr == values["orgnr"])).first()
        if clash is not None and clash != values.get("_self"):
            raise Conflict(f"Organisation number {values['orgnr']} already belongs to organisation {clash}")
    out.pop("_self", None)
    return out


def _set_catchment(session: Session, org_id: int, numbers: list[str]) -> None:
    session.execute(delete(Catchment).where(col(Catchment.organisation_id) == org_id))
    session.add_all(Catchment(organisation_id=org_id, municipality_number=n) for n in numbers)
    session.flush()


def create_organisation(session: Session, actor: Actor, data: OrganisationCreate) -> dict[str, Any]:
    require_admin(actor)
    values = _validate_links(session, data.model_dump())
    org = Organisation(**values, search_text=fold(data.name, data.orgnr or ""))
    session.add(org)
    session.flush()
    assert org.id is not None
    if data.catchment:
        _set_catchment(session, org.id, data.catchment)
    result = read_organisation(session, org.id)
    audit.record(session, actor, "create", "organisation", org.id, None, result, 1)
    return result


def update_organisation(
    session: Session, actor: Actor, organisation_id: int, data: OrganisationUpdate, if_match: str | None
) -> dict[str, Any]:
    org = get_organisation(session, organisation_id)
    require_org_write(actor, organisation_id)
    require_if_match(if_match, "organisation")
    if org.reference_key is not None:
        raise Conflict("This organisation is reference data: it is maintained by `rehabkart reference load`")
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes and changes["name"] is None:
        raise InvalidInput("Name is required", [FieldError(("body", "name"), "may not be null")])
    values = _validate_links(session, {**changes, "_self": org.id})
    check_version(org.version, if_match, required=True, what="organisation")  # stale: only for a valid body
    column_changes = {k: v for k, v in values.items() if getattr(org, k) != v}
    catchment = changes.get("catchment")
    current_catchment = catalogue.default_catchment(session, org) if "catchment" in changes else None
    catchment_changed = "catchment" in changes and sorted(catchment or []) != sorted(
        session.exec(select(Catchment.municipality_number).where(Catchment.organisation_id == org.id)).all()
    )
    if not column_changes and not catchment_changed:
        return read_organisation(session, organisation_id)
    column_changes["search_text"] = fold(
        column_changes.get("name", org.name), column_changes.get("orgnr", org.orgnr) or ""
    )
    before = read_organisation(session, organisation_id)
    version = guarded_update(session, Organisation, organisation_id, org.version, column_changes, "organisation")
    session.expire(org)
    if catchment_changed:
        _set_catchment(session, organisation_id, catchment or [])
        if current_catchment != catalogue.default_catchment(session, org):
            catalogue.refresh_inherited_catchments(session, actor, [organisation_id])
    after = read_organisation(session, organisation_id)
    if after["name"] != before["name"]:
        catalogue.refresh_docs(session, provider_id=organisation_id)  # the documents carry provider_name
    audit.record(session, actor, "update", "organisation", organisation_id, before, after, version)
    return after
