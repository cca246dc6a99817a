"""Import profiles: an organisation's saved column mapping, for its sheets that do not use our headers.

A profile maps the file's headers to our fields ({"Tilbudets navn": "name", "Merknad": "ignore"}). It belongs
to one organisation: that organisation's editors (and administrators) create, change and delete it; its
members (and administrators) see it and import with it; nobody else learns it exists (NotFound). An import
names a profile by id or by name, looked up among the organisations the caller belongs to.

Audit entity type: `import_profile` (not in the change feed).
"""

import re
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.domain import audit
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from app.domain.imports import columns as c
from app.domain.imports.headers import field_labels
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.personal_data import contains_identity_number
from app.models import ImportProfile, Organisation
from app.models.auth import Role
from app.models.base import shaped
from app.models.imports import IGNORE, ImportKind, ImportProfileCreate, ImportProfileRead, ImportProfileUpdate
from app.models.types import PERSONAL_DATA_MESSAGE

ENTITY = "import_profile"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # a header cell may hold a line break
WHAT = "import profile"
KIND_LABELS = {ImportKind.rehab_services: "tilbud", ImportKind.municipal_survey: "kommuneundersøkelser"}


# --- who sees and manages a profile ----------------------------------------------------------------------------


def visible_organisations(actor: Actor) -> frozenset[int] | None:
    """The organisations whose profiles `actor` sees (their own; a restricted token: its organisation); None: all."""
    if not actor.authenticated:
        return frozenset()
    if actor.restricted:
        org = actor.token_organisation_id
        assert org is not None
        mine = actor.kind == "system" or actor.role == Role.admin or org in actor.organisation_ids
        return frozenset({org}) if mine else frozenset()
    if actor.reads_as_admin:
        return None
    return actor.organisation_ids


def _sees(actor: Actor, organisation_id: int) -> bool:
    visible = visible_organisations(actor)
    return visible is None or organisation_id in visible


def _require_manage(actor: Actor, organisation_id: int) -> None:
    if not actor.can_write:
        raise Forbidden("Kontoen eller API-nøkkelen din kan bare lese")
    if not actor.may_write_org(organisation_id) or not _sees(actor, organisation_id):
        raise Forbidden(
            f"Bare redaktører i organisasjonen (id {organisation_id}) og administratorer kan endre "
            "organisasjonens importprofiler"
        )


def may_manage(actor: Actor, organisation_id: int) -> bool:
    try:
        _require_manage(actor, organisation_id)
    except Forbidden:
        return False
    return True


# --- reading ---------------------------------------------------------------------------------------------------


def read(profile: ImportProfile) -> dict[str, Any]:
    return shaped(profile.model_dump(), ImportProfileRead)


def _audited(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in {"id", "created_at", "updated_at", "version"}}


def _get(session: Session, actor: Actor, profile_id: int) -> ImportProfile:
    profile = session.get(ImportProfile, profile_id)
    if profile is None or not _sees(actor, profile.organisation_id):
        raise NotFound(f"Fant ingen importprofil med id {profile_id}")
    return profile


def get_profile(session: Session, actor: Actor, profile_id: int) -> dict[str, Any]:
    return read(_get(session, actor, profile_id))


def list_profiles(
    session: Session, actor: Actor, *, kind: ImportKind | None = None, organisation_id: int | None = None
) -> list[dict[str, Any]]:
    """The profiles `actor` sees, by organisation and name."""
    query = select(ImportProfile).order_by(col(ImportProfile.organisation_id), col(ImportProfile.name))
    visible = visible_organisations(actor)
    if visible is not None:
        query = query.where(col(ImportProfile.organisation_id).in_(sorted(visible)))
    if kind is not None:
        query = query.where(col(ImportProfile.kind) == kind.value)
    if organisation_id is not None:
        query = query.where(col(ImportProfile.organisation_id) == organisation_id)
    return [read(p) for p in session.execute(query).scalars()]


def choices(session: Session, actor: Actor, kind: ImportKind | None = None) -> list[tuple[int, str, str]]:
    """(id, kind, label) of the profiles `actor` may import with, for a select: the name, and the organisation
    when the actor sees profiles of more than one."""
    profiles = list_profiles(session, actor, kind=kind)
    orgs = {p["organisation_id"] for p in profiles}
    names: dict[int, str] = {}
    if len(orgs) > 1:
        rows = session.execute(
            select(col(Organisation.id), col(Organisation.name)).where(col(Organisation.id).in_(orgs))
        )
        names = {row[0]: row[1] for row in rows}
    return [
        (p["id"], p["kind"], f"{p['name']} ({names[p['organisation_id']]})" if names else p["name"]) for p in profiles
    ]


def managed(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """The profiles `actor` may change, each with its select label (as `choices`), for the import page's list."""
    labels = {profile_id: label for profile_id, _kind, label in choices(session, actor)}
    return [
        p | {"label": labels[p["id"]]} for p in list_profiles(session, actor) if may_manage(actor, p["organisation_id"])
    ]


# --- the mapping -----------------------------------------------------------------------------------------------


def check_mapping(
    kind: ImportKind, mapping: dict[str, str], loc: tuple[str, ...] = ("body", "mapping")
) -> dict[str, str]:
    """`mapping` with its headers trimmed (NFC), each value a field of `kind` or "ignore"; else InvalidInput."""
    labels = field_labels(kind)
    out: dict[str, str] = {}
    errors: list[FieldError] = []
    for header, field in mapping.items():
        name = c.text(header)
        if name is None:
            errors.append(FieldError(loc, "en kolonneoverskrift kan ikke være tom"))
        elif _CONTROL.search(name):
            errors.append(FieldError((*loc, header), "en kolonneoverskrift kan ikke ha kontrolltegn"))
        elif contains_identity_number(name):  # the message never repeats the number
            errors.append(FieldError(loc, PERSONAL_DATA_MESSAGE, "personal_data"))
        elif field != IGNORE and field not in labels:
            known = ", ".join(sorted(labels))
            errors.append(FieldError((*loc, header), f"ukjent felt «{field}»; bruk et av {known} eller «{IGNORE}»"))
        else:
            out[name] = field
    if errors:
        raise InvalidInput("Kolonnetilordningen er ikke gyldig: " + "; ".join(e.message for e in errors), errors)
    return out


def resolve(session: Session, actor: Actor, profile: str, kind: ImportKind) -> dict[str, str]:
    """The mapping of the profile `profile` names (its id, or its name within the actor's organisations)."""
    loc = ("body", "profile")
    wanted = profile.strip()
    if wanted.isdigit():
        found = session.get(ImportProfile, int(wanted))
        if found is None or not _sees(actor, found.organisation_id) or found.kind != kind.value:
            raise InvalidInput(
                f"Fant ingen importprofil med id {wanted} for {KIND_LABELS[kind]}",
                [FieldError(loc, f"fant ingen importprofil med id {wanted}")],
            )
        return dict(found.mapping)
    query = select(ImportProfile).where(col(ImportProfile.kind) == kind.value)
    visible = visible_organisations(actor)
    if visible is not None:
        query = query.where(col(ImportProfile.organisation_id).in_(sorted(visible)))
    matches = [p for p in session.execute(query).scalars() if c.norm(p.name) == c.norm(wanted)]
    if not matches:
        message = f"Fant ingen importprofil «{wanted}» for {KIND_LABELS[kind]} i organisasjonene dine"
        raise InvalidInput(message, [FieldError(loc, message)])
    if len(matches) > 1:
        ids = ", ".join(f"{p.id} (organisasjon {p.organisation_id})" for p in matches)
        message = f"Flere importprofiler heter «{wanted}»: oppgi id-en i stedet, en av {ids}"
        raise InvalidInput(message, [FieldError(loc, message)])
    return dict(matches[0].mapping)


def mapping_for_import(
    session: Session, actor: Actor, kind: ImportKind, profile: str | None, mapping: dict[str, str] | None
) -> dict[str, str] | None:
    """The mapping an import reads its columns with: the profile's, with an explicit mapping on top."""
    combined: dict[str, str] = {}
    if profile and profile.strip():
        combined |= resolve(session, actor, profile, kind)
    if mapping:
        combined |= check_mapping(kind, mapping)
    return combined or None


# --- writing ---------------------------------------------------------------------------------------------------


def _require_org(session: Session, organisation_id: int) -> None:
    if session.get(Organisation, organisation_id) is None:
        raise InvalidInput(
            f"Fant ingen organisasjon med id {organisation_id}",
            [FieldError(("body", "organisation_id"), f"fant ingen organisasjon med id {organisation_id}")],
        )


def _taken(session: Session, organisation_id: int, kind: str, name: str, other_than: int | None) -> bool:
    query = select(col(ImportProfile.id)).where(
        col(ImportProfile.organisation_id) == organisation_id,
        col(ImportProfile.kind) == kind,
        col(ImportProfile.name) == name,
    )
    return any(found != other_than for found in session.execute(query).scalars())


def _name_taken(name: str, kind: str) -> Conflict:
    return Conflict(f"Organisasjonen har allerede en importprofil «{name}» for {KIND_LABELS[ImportKind(kind)]}")


def create_profile(session: Session, actor: Actor, data: ImportProfileCreate) -> dict[str, Any]:
    _require_manage(actor, data.organisation_id)
    _require_org(session, data.organisation_id)
    mapping = check_mapping(data.kind, data.mapping)
    if _taken(session, data.organisation_id, data.kind.value, data.name, None):
        raise _name_taken(data.name, data.kind.value)
    profile = ImportProfile(organisation_id=data.organisation_id, name=data.name, kind=data.kind.value, mapping=mapping)
    session.add(profile)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent create of the same name
        raise _name_taken(data.name, data.kind.value) from exc
    assert profile.id is not None
    result = read(profile)
    audit.record(session, actor, "create", ENTITY, profile.id, None, _audited(result), profile.version)
    return result


def update_profile(
    session: Session, actor: Actor, profile_id: int, changes: ImportProfileUpdate, if_match: str | None
) -> dict[str, Any]:
    require_if_match(if_match, WHAT)
    profile = _get(session, actor, profile_id)
    _require_manage(actor, profile.organisation_id)
    before = read(profile)
    values: dict[str, Any] = {}
    if changes.name is not None and changes.name != profile.name:
        if _taken(session, profile.organisation_id, profile.kind, changes.name, profile_id):
            raise _name_taken(changes.name, profile.kind)
        values["name"] = changes.name
    if changes.mapping is not None:
        mapping = check_mapping(ImportKind(profile.kind), changes.mapping)
        if mapping != profile.mapping:
            values["mapping"] = mapping
    check_version(profile.version, if_match, required=True, what=WHAT)
    if not values:
        return before
    version = guarded_update(session, ImportProfile, profile_id, profile.version, values, WHAT)
    session.refresh(profile)
    after = read(profile)
    audit.record(session, actor, "update", ENTITY, profile_id, _audited(before), _audited(after), version)
    return after


def delete_profile(session: Session, actor: Actor, profile_id: int, if_match: str | None) -> None:
    require_if_match(if_match, WHAT)
    profile = _get(session, actor, profile_id)
    _require_manage(actor, profile.organisation_id)
    check_version(profile.version, if_match, required=True, what=WHAT)
    before = read(profile)
    session.execute(delete(ImportProfile).where(col(ImportProfile.id) == profile_id))
    audit.record(session, actor, "delete", ENTITY, profile_id, _audited(before), None, profile.version)


def save_profile(
    session: Session, actor: Actor, organisation_id: int, name: str, kind: ImportKind, mapping: dict[str, str]
) -> dict[str, Any]:
    """Create the profile, or replace the mapping of the organisation's profile of that name (the import page's
    "save as profile": the page always sends the whole mapping)."""
    data = ImportProfileCreate(organisation_id=organisation_id, name=name, kind=kind, mapping=mapping)
    _require_manage(actor, organisation_id)
    existing = session.execute(
        select(ImportProfile).where(
            col(ImportProfile.organisation_id) == organisation_id,
            col(ImportProfile.kind) == kind.value,
            col(ImportProfile.name) == data.name,
        )
    ).scalar_one_or_none()
    if existing is None or existing.id is None:
        return create_profile(session, actor, data)
    update = ImportProfileUpdate(mapping=data.mapping)
    return update_profile(session, actor, existing.id, update, f'"{existing.version}"')


def organisations_for_saving(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the organisations `actor` may save profiles for, by name (for a select)."""
    query = select(col(Organisation.id), col(Organisation.name)).order_by(col(Organisation.name))
    if not actor.can_write:
        return []
    writable = actor.writable_organisations()
    if writable is not None:
        query = query.where(col(Organisation.id).in_(sorted(writable)))
    return [(org_id, name) for org_id, name in session.execute(query).all() if may_manage(actor, org_id)]
