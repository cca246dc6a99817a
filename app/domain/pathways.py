"""Patient-pathway templates: drafts edited freely, published versions frozen, one draft per series.

The rules hold on every surface (API, pages, CLI, demo data), because they are here:
- a draft can be changed and deleted; `publish` freezes it and retires the series' previous published version;
- a published or retired version is never changed again (409), only retired (published → retired);
- `new_version` copies the series' newest version into a new draft, and a series has at most one draft.
Reading published and retired versions is as public as the catalogue; drafts need a login.
"""

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import delete, func, insert, select
from sqlmodel import Session, col

from app.domain import audit, taxonomy
from app.domain.actor import Actor, require_org_write
from app.domain.errors import Conflict, FieldError, InvalidInput, NotFound, Unauthenticated, validated
from app.domain.versioning import check_version, guarded_update, require_if_match
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.text import fold, like_pattern
from app.models import Organisation
from app.models.base import shaped
from app.models.pathway import (
    PathwayCreate,
    PathwayFields,
    PathwayRead,
    PathwayStatus,
    PathwayTemplate,
    PathwayTemplatePatientGroup,
)
from app.models.types import utcnow

ENTITY = "pathway_template"
_REQUIRED = ("title", "owner_id", "steps", "patient_groups")
_INVALID = "The pathway template would not be valid after this change"


# --- reading ----------------------------------------------------------------------------------------------


def _group_codes(session: Session, ids: list[int]) -> dict[int, list[str]]:
    tax = taxonomy.get_taxonomy(session)
    rows = session.execute(
        select(col(PathwayTemplatePatientGroup.template_id), col(PathwayTemplatePatientGroup.patient_group_id)).where(
            col(PathwayTemplatePatientGroup.template_id).in_(ids)
        )
    ).all()
    codes: dict[int, list[str]] = {}
    for template_id, group_id in rows:
        codes.setdefault(template_id, []).append(tax.by_id[group_id].code)
    order = {g.code: i for i, g in enumerate(tax.groups)}
    return {k: sorted(v, key=lambda c: order.get(c, 0)) for k, v in codes.items()}


def _read_many(session: Session, templates: list[PathwayTemplate]) -> list[dict[str, Any]]:
    ids = [t.id for t in templates if t.id is not None]
    groups = _group_codes(session, ids)
    owners = dict(
        session.execute(
            select(col(Organisation.id), col(Organisation.name)).where(
                col(Organisation.id).in_({t.owner_id for t in templates})
            )
        ).all()
    )
    return [
        shaped(
            {
                **t.model_dump(),
                "patient_groups": groups.get(t.id or 0, []),
                "owner_name": owners.get(t.owner_id, ""),
            },
            PathwayRead,
        )
        for t in templates
    ]


def read(session: Session, template: PathwayTemplate) -> dict[str, Any]:
    return _read_many(session, [template])[0]


def require_visible(actor: Actor, template: PathwayTemplate) -> None:
    if template.status == PathwayStatus.draft and not actor.authenticated:
        raise Unauthenticated("Log in to read drafts of pathway templates")


def get_template(session: Session, template_id: int) -> PathwayTemplate:
    template = session.get(PathwayTemplate, template_id)
    if template is None:
        raise NotFound(f"No pathway template with id {template_id}")
    return template


def get(session: Session, actor: Actor, template_id: int) -> dict[str, Any]:
    """One template, as the API shows it (drafts only to logged-in callers)."""
    template = get_template(session, template_id)
    require_visible(actor, template)
    return read(session, template)


@dataclass(frozen=True)
class PathwayFilter:
    status: tuple[PathwayStatus, ...] = ()
    patient_group: str | None = None
    owner: int | None = None
    series: str | None = None
    q: str | None = None


def list_templates(
    session: Session, actor: Actor, flt: PathwayFilter, *, limit: int = 50, cursor: str | None = None
) -> tuple[list[dict[str, Any]], str | None]:
    """Templates by id, filtered; anonymous callers never see drafts."""
    stmt = select(PathwayTemplate).order_by(col(PathwayTemplate.id))
    if cursor:
        stmt = stmt.where(col(PathwayTemplate.id) > decode_cursor(cursor, int))
    if flt.status:
        stmt = stmt.where(col(PathwayTemplate.status).in_([s.value for s in flt.status]))
    if not actor.authenticated:
        stmt = stmt.where(col(PathwayTemplate.status) != PathwayStatus.draft.value)
    if flt.patient_group:
        tax = taxonomy.get_taxonomy(session)
        tax.require([flt.patient_group], ("query", "patient_group"), indexed=False)
        ids = tax.subtree_ids(flt.patient_group)
        stmt = stmt.where(
            col(PathwayTemplate.id).in_(
                select(col(PathwayTemplatePatientGroup.template_id)).where(
                    col(PathwayTemplatePatientGroup.patient_group_id).in_(ids)
                )
            )
        )
    if flt.owner is not None:
        stmt = stmt.where(col(PathwayTemplate.owner_id) == flt.owner)
    if flt.series:
        stmt = stmt.where(col(PathwayTemplate.series) == flt.series)
    if flt.q:
        stmt = stmt.where(col(PathwayTemplate.search_text).like(like_pattern(flt.q), escape="\\"))
    rows = list(session.execute(stmt.limit(limit + 1)).scalars())
    page = rows[:limit]
    next_cursor = encode_cursor(page[-1].id or 0) if len(rows) > limit else None
    return _read_many(session, page), next_cursor


def series_versions(session: Session, actor: Actor, series: str) -> list[dict[str, Any]]:
    """Every version of a series that the caller may see, oldest first."""
    items, _ = list_templates(session, actor, PathwayFilter(series=series), limit=500)
    return sorted(items, key=lambda t: t["series_version"])


# --- writing ----------------------------------------------------------------------------------------------


def _check(session: Session, fields: PathwayFields) -> list[int]:
    """Rules beyond the schema: known groups and owner, unique step keys. Returns the group ids."""
    errors: list[FieldError] = []
    seen: dict[str, int] = {}
    for index, step in enumerate(fields.steps):
        if step.key in seen:
            errors.append(
                FieldError(("body", "steps", index, "key"), f"'{step.key}' is already the key of step {seen[step.key]}")
            )
        seen.setdefault(step.key, index)
    if session.get(Organisation, fields.owner_id) is None:
        errors.append(FieldError(("body", "owner_id"), f"no organisation with id {fields.owner_id}"))
    if errors:
        raise InvalidInput("The pathway template is not valid", errors)
    return taxonomy.get_taxonomy(session).require(fields.patient_groups, ("body", "patient_groups"))


def _columns(fields: PathwayFields) -> dict[str, Any]:
    return {
        "title": fields.title,
        "description": fields.description,
        "owner_id": fields.owner_id,
        "source": fields.source.model_dump(mode="json") if fields.source else None,
        "steps": [step.model_dump(mode="json") for step in fields.steps],
        "search_text": fold(fields.title, fields.description or ""),
    }


def _set_groups(session: Session, template_id: int, group_ids: list[int]) -> None:
    session.execute(
        delete(PathwayTemplatePatientGroup).where(col(PathwayTemplatePatientGroup.template_id) == template_id)
    )
    if group_ids:
        session.execute(
            insert(PathwayTemplatePatientGroup),
            [{"template_id": template_id, "patient_group_id": g} for g in sorted(set(group_ids))],
        )


def _draft_of(session: Session, series: str) -> PathwayTemplate | None:
    return session.execute(
        select(PathwayTemplate).where(
            col(PathwayTemplate.series) == series, col(PathwayTemplate.status) == PathwayStatus.draft.value
        )
    ).scalar_one_or_none()


def _next_version(session: Session, series: str) -> int:
    latest = session.execute(
        select(func.max(PathwayTemplate.series_version)).where(col(PathwayTemplate.series) == series)
    ).scalar_one()
    return int(latest or 0) + 1


def _insert(session: Session, actor: Actor, series: str, fields: PathwayFields, group_ids: list[int]) -> dict[str, Any]:
    if (draft := _draft_of(session, series)) is not None:
        raise Conflict(f"Series '{series}' already has a draft (id {draft.id}): edit that one")
    template = PathwayTemplate(
        series=series,
        series_version=_next_version(session, series),
        status=PathwayStatus.draft.value,
        **_columns(fields),
    )
    session.add(template)
    session.flush()
    assert template.id is not None
    _set_groups(session, template.id, group_ids)
    result = read(session, template)
    audit.record(session, actor, "create", ENTITY, template.id, None, result, template.version)
    return result


def create(session: Session, actor: Actor, data: PathwayCreate) -> dict[str, Any]:
    """A new draft: version 1 of a new series, or the next version of an existing one."""
    require_org_write(actor, data.owner_id)
    fields = PathwayFields.model_validate(data.model_dump(exclude={"series"}))
    group_ids = _check(session, fields)
    return _insert(session, actor, data.series, fields, group_ids)


def _frozen(template: PathwayTemplate) -> Conflict:
    return Conflict(
        f"Version {template.series_version} of '{template.series}' is {template.status} and can no longer be "
        "changed: make a new version (POST …/new-version) and edit that draft"
    )


def _writable(session: Session, actor: Actor, template_id: int, if_match: str | None) -> PathwayTemplate:
    require_if_match(if_match, "pathway template")
    template = get_template(session, template_id)
    require_org_write(actor, template.owner_id)
    return template


def _current(session: Session, template: PathwayTemplate) -> dict[str, Any]:
    now = read(session, template)
    return {key: now[key] for key in PathwayFields.model_fields}


def update(
    session: Session, actor: Actor, template_id: int, changes: dict[str, Any], if_match: str | None
) -> dict[str, Any]:
    """Change a draft (only the keys present; `steps` replaces the whole ordered list)."""
    template = _writable(session, actor, template_id, if_match)
    if template.status != PathwayStatus.draft:
        raise _frozen(template)
    cleared = sorted(
        k for k, v in changes.items() if v is None and k in ("title", "owner_id", "steps", "patient_groups")
    )
    if cleared:
        raise InvalidInput(
            "Required fields cannot be cleared", [FieldError(("body", k), "may not be null") for k in cleared]
        )
    fields = validated(PathwayFields, {**_current(session, template), **changes}, _INVALID)
    if fields.owner_id != template.owner_id:
        require_org_write(actor, fields.owner_id)
    group_ids = _check(session, fields)
    check_version(template.version, if_match, required=True, what="pathway template")
    before = read(session, template)
    assert template.id is not None
    version = guarded_update(
        session, PathwayTemplate, template.id, template.version, _columns(fields), "pathway template"
    )
    _set_groups(session, template.id, group_ids)
    session.expire(template)
    after = read(session, template)
    audit.record(session, actor, "update", ENTITY, template.id, before, after, version)
    return after


def delete_draft(session: Session, actor: Actor, template_id: int, if_match: str | None) -> None:
    """Delete a draft; published and retired versions are history and stay."""
    template = _writable(session, actor, template_id, if_match)
    if template.status != PathwayStatus.draft:
        raise _frozen(template)
    check_version(template.version, if_match, required=True, what="pathway template")
    before = read(session, template)
    session.execute(
        delete(PathwayTemplatePatientGroup).where(col(PathwayTemplatePatientGroup.template_id) == template_id)
    )
    session.delete(template)
    session.flush()
    audit.record(session, actor, "delete", ENTITY, template_id, before, None, template.version + 1)


def _set_status(session: Session, actor: Actor, template: PathwayTemplate, action: str, values: dict[str, Any]) -> int:
    assert template.id is not None
    before = read(session, template)
    version = guarded_update(session, PathwayTemplate, template.id, template.version, values, "pathway template")
    session.expire(template)
    audit.record(session, actor, action, ENTITY, template.id, before, read(session, template), version)
    return version


def publish(session: Session, actor: Actor, template_id: int, if_match: str | None) -> dict[str, Any]:
    """Freeze a draft; the series' previously published version is retired in the same transaction."""
    template = _writable(session, actor, template_id, if_match)
    if template.status != PathwayStatus.draft:
        raise Conflict(f"Only a draft can be published; this version is {template.status}")
    check_version(template.version, if_match, required=True, what="pathway template")
    if not template.steps:
        raise InvalidInput("A pathway template needs steps", [FieldError(("body", "steps"), "add at least one step")])
    previous = (
        session.execute(
            select(PathwayTemplate).where(
                col(PathwayTemplate.series) == template.series,
                col(PathwayTemplate.status) == PathwayStatus.published.value,
            )
        )
        .scalars()
        .all()
    )
    for old in previous:
        _set_status(session, actor, old, "retire", {"status": PathwayStatus.retired.value})
    _set_status(
        session,
        actor,
        template,
        "publish",
        {"status": PathwayStatus.published.value, "published_at": utcnow(), "published_by": actor.label[:300]},
    )
    return read(session, template)


def retire(session: Session, actor: Actor, template_id: int, if_match: str | None) -> dict[str, Any]:
    """Withdraw a published version."""
    template = _writable(session, actor, template_id, if_match)
    if template.status != PathwayStatus.published:
        raise Conflict(f"Only a published version can be retired; this version is {template.status}")
    check_version(template.version, if_match, required=True, what="pathway template")
    _set_status(session, actor, template, "retire", {"status": PathwayStatus.retired.value})
    return read(session, template)


def new_version(session: Session, actor: Actor, template_id: int, if_match: str | None) -> dict[str, Any]:
    """A new draft copied from the series' newest version (the one with the highest series_version)."""
    template = _writable(session, actor, template_id, if_match)
    check_version(template.version, if_match, required=True, what="pathway template")
    newest = session.execute(
        select(PathwayTemplate)
        .where(col(PathwayTemplate.series) == template.series)
        .order_by(col(PathwayTemplate.series_version).desc())
        .limit(1)
    ).scalar_one()
    fields = validated(PathwayFields, _current(session, newest), _INVALID)
    require_org_write(actor, fields.owner_id)
    group_ids = taxonomy.get_taxonomy(session).require(fields.patient_groups, ("body", "patient_groups"))
    return _insert(session, actor, template.series, fields, group_ids)


# --- editing a draft's steps one at a time (the editor's actions; the API replaces the list whole) ---------


def _steps_of(session: Session, actor: Actor, template_id: int) -> list[dict[str, Any]]:
    return list(get(session, actor, template_id)["steps"])


def _position(steps: list[dict[str, Any]], key: str) -> int:
    for index, step in enumerate(steps):
        if step["key"] == key:
            return index
    raise NotFound(f"No step '{key}' in this pathway template")


def add_step(
    session: Session, actor: Actor, template_id: int, step: dict[str, Any], if_match: str | None
) -> dict[str, Any]:
    """Append a step to a draft."""
    steps = _steps_of(session, actor, template_id)
    return update(session, actor, template_id, {"steps": [*steps, step]}, if_match)


def replace_step(
    session: Session, actor: Actor, template_id: int, key: str, step: dict[str, Any], if_match: str | None
) -> dict[str, Any]:
    """Put `step` in the place of the step with `key` (its key may change)."""
    steps = _steps_of(session, actor, template_id)
    steps[_position(steps, key)] = step
    return update(session, actor, template_id, {"steps": steps}, if_match)


def move_step(
    session: Session, actor: Actor, template_id: int, key: str, direction: Literal["up", "down"], if_match: str | None
) -> dict[str, Any]:
    """Swap a step with its neighbour; the first step up or the last down changes nothing."""
    steps = _steps_of(session, actor, template_id)
    index = _position(steps, key)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(steps):
        return get(session, actor, template_id)
    steps[index], steps[other] = steps[other], steps[index]
    return update(session, actor, template_id, {"steps": steps}, if_match)


def remove_step(session: Session, actor: Actor, template_id: int, key: str, if_match: str | None) -> dict[str, Any]:
    """Remove a step from a draft."""
    steps = _steps_of(session, actor, template_id)
    steps.pop(_position(steps, key))
    return update(session, actor, template_id, {"steps": steps}, if_match)


# --- comparing versions -----------------------------------------------------------------------------------

_COMPARED = ("title", "description", "patient_groups", "owner_id", "source")


def _changes(before: dict[str, Any], after: dict[str, Any], keys: Any) -> list[dict[str, Any]]:
    return [{"field": k, "before": before.get(k), "after": after.get(k)} for k in keys if before.get(k) != after.get(k)]


def compare(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed from one version to another: the template's fields, then step by step (by key).

    A step is `added` or `removed` by key, `changed` when its content differs, and `moved` when its content
    is the same but it left the longest run of steps that kept their order (so moving one step down does not
    report the steps it passed as moved too).
    """
    old_steps = {s["key"]: s for s in before["steps"]}
    new_steps = {s["key"]: s for s in after["steps"]}
    shared_old = [k for k in old_steps if k in new_steps]
    shared_new = [k for k in new_steps if k in old_steps]
    matcher = difflib.SequenceMatcher(a=shared_old, b=shared_new, autojunk=False)
    kept = {shared_old[b.a + i] for b in matcher.get_matching_blocks() for i in range(b.size)}
    steps: list[dict[str, Any]] = []
    for key in old_steps:
        if key not in new_steps:
            steps.append({"key": key, "change": "removed", "fields": []})
    for key, step in new_steps.items():
        if key not in old_steps:
            steps.append({"key": key, "change": "added", "fields": []})
            continue
        changed = _changes(old_steps[key], step, [k for k in step if k != "key"])
        if changed:
            steps.append({"key": key, "change": "changed", "fields": changed})
        elif key not in kept:
            position = [{"field": "position", "before": shared_old.index(key) + 1, "after": shared_new.index(key) + 1}]
            steps.append({"key": key, "change": "moved", "fields": position})
    order = {key: i for i, key in enumerate([*new_steps, *[k for k in old_steps if k not in new_steps]])}
    steps.sort(key=lambda s: order[s["key"]])
    return {
        "from_id": before["id"],
        "to_id": after["id"],
        "fields": _changes(before, after, _COMPARED),
        "steps": steps,
    }


def diff(session: Session, actor: Actor, template_id: int, against: int) -> dict[str, Any]:
    """The differences from version `against` to version `template_id` (both of one series)."""
    after = get_template(session, template_id)
    before = get_template(session, against)
    require_visible(actor, after)
    require_visible(actor, before)
    if before.series != after.series:
        raise InvalidInput(
            "Only versions of one series can be compared",
            [FieldError(("query", "against"), f"template {against} belongs to series '{before.series}'")],
        )
    return compare(read(session, before), read(session, after))
