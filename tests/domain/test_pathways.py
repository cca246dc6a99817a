"""app.domain.pathways through its functions: the versioning rules and the comparison of versions."""

from typing import Any

import pytest

from app.db import transaction
from app.domain import pathways
from app.domain.actor import ANONYMOUS
from app.domain.errors import Conflict, InvalidInput, NotFound, StaleVersion, Unauthenticated
from app.models.pathway import PathwayCreate
from tests.conftest import SYSTEM
from tests.factories import fingerprint, pathway_body


def _step(key: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "title": key.upper(), "levels": ["municipal"], "responsible_role": "coordinator", **fields}


def _version(template_id: int, steps: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {"id": template_id, "title": "T", "description": None, "patient_groups": [], "owner_id": 1,
            "source": None, "steps": steps, **fields}  # fmt: skip


def test_compare_reports_each_kind_of_step_change_in_the_new_order() -> None:
    before = _version(1, [_step("a"), _step("b"), _step("c"), _step("d")])
    after = _version(2, [_step("d"), _step("a"), _step("c", title="Ny"), _step("e")], title="T2")
    result = pathways.compare(before, after)
    assert result["fields"] == [{"field": "title", "before": "T", "after": "T2"}]
    assert [(s["key"], s["change"]) for s in result["steps"]] == [
        ("d", "moved"),
        ("c", "changed"),
        ("e", "added"),
        ("b", "removed"),
    ]


def test_compare_of_a_version_with_itself_is_empty() -> None:
    same = _version(1, [_step("a"), _step("b")])
    assert pathways.compare(same, same) == {"from_id": 1, "to_id": 1, "fields": [], "steps": []}


def test_moving_one_step_down_reports_only_that_step() -> None:
    before = _version(1, [_step(k) for k in "abcdef"])
    after = _version(2, [_step(k) for k in "bcdeaf"])
    assert [(s["key"], s["change"]) for s in pathways.compare(before, after)["steps"]] == [("a", "moved")]


def _create(owner_org: int, series: str = "kols-lunge", **overrides: Any) -> dict[str, Any]:
    with transaction() as session:
        return pathways.create(
            session, SYSTEM, PathwayCreate.model_validate(pathway_body(owner_org, series, **overrides))
        )


def test_the_lifecycle_of_a_series(owner_org: int) -> None:
    first = _create(owner_org)
    with transaction() as session:
        published = pathways.publish(session, SYSTEM, first["id"], '"1"')
        draft = pathways.new_version(session, SYSTEM, first["id"], f'"{published["version"]}"')
        with pytest.raises(Conflict):
            pathways.new_version(session, SYSTEM, first["id"], f'"{published["version"]}"')
        pathways.publish(session, SYSTEM, draft["id"], '"1"')
        versions = pathways.series_versions(session, SYSTEM, "kols-lunge")
    assert [(v["series_version"], v["status"]) for v in versions] == [(1, "retired"), (2, "published")]


def test_a_frozen_version_refuses_every_change_and_writes_nothing(owner_org: int) -> None:
    first = _create(owner_org)
    with transaction() as session:
        published = pathways.publish(session, SYSTEM, first["id"], '"1"')
    etag = f'"{published["version"]}"'
    before = fingerprint()
    for attempt in (
        lambda s: pathways.update(s, SYSTEM, first["id"], {"title": "X"}, etag),
        lambda s: pathways.delete_draft(s, SYSTEM, first["id"], etag),
        lambda s: pathways.publish(s, SYSTEM, first["id"], etag),
    ):
        with pytest.raises(Conflict), transaction() as session:
            attempt(session)
    assert fingerprint() == before


def test_publishing_needs_steps(owner_org: int) -> None:
    empty = _create(owner_org, steps=[])
    with pytest.raises(InvalidInput), transaction() as session:
        pathways.publish(session, SYSTEM, empty["id"], '"1"')


def test_duplicate_step_keys_name_the_second_step(owner_org: int) -> None:
    draft = _create(owner_org)
    with pytest.raises(InvalidInput) as refused, transaction() as session:
        pathways.update(session, SYSTEM, draft["id"], {"steps": [_step("a"), _step("b"), _step("a")]}, '"1"')
    assert [e.loc for e in refused.value.errors] == [("body", "steps", 2, "key")]


def test_drafts_are_hidden_from_anonymous_readers(owner_org: int) -> None:
    draft = _create(owner_org)
    with transaction() as session:
        with pytest.raises(Unauthenticated):
            pathways.get(session, ANONYMOUS, draft["id"])
        items, _ = pathways.list_templates(session, ANONYMOUS, pathways.PathwayFilter())
        assert items == []
        assert pathways.get(session, SYSTEM, draft["id"])["status"] == "draft"


def test_step_operations_edit_one_step_of_a_draft(owner_org: int) -> None:
    draft = _create(owner_org, steps=[_step("a"), _step("b"), _step("c")])
    with transaction() as session:
        moved = pathways.move_step(session, SYSTEM, draft["id"], "c", "up", '"1"')
        assert [s["key"] for s in moved["steps"]] == ["a", "c", "b"]
        unchanged = pathways.move_step(session, SYSTEM, draft["id"], "a", "up", '"2"')
        assert unchanged["version"] == 2
        added = pathways.add_step(session, SYSTEM, draft["id"], _step("d"), '"2"')
        replaced = pathways.replace_step(session, SYSTEM, draft["id"], "b", _step("e", title="Ny"), '"3"')
        assert [s["key"] for s in replaced["steps"]] == ["a", "c", "e", "d"]
        removed = pathways.remove_step(session, SYSTEM, draft["id"], "a", '"4"')
    assert [s["key"] for s in added["steps"]] == ["a", "c", "b", "d"]
    assert [s["key"] for s in removed["steps"]] == ["c", "e", "d"]
    assert removed["version"] == 5


def test_step_operations_refuse_unknown_steps_and_stale_versions(owner_org: int) -> None:
    draft = _create(owner_org, steps=[_step("a")])
    before = fingerprint()
    with pytest.raises(NotFound), transaction() as session:
        pathways.remove_step(session, SYSTEM, draft["id"], "x", '"1"')
    with pytest.raises(StaleVersion), transaction() as session:
        pathways.add_step(session, SYSTEM, draft["id"], _step("b"), '"7"')
    assert fingerprint() == before
