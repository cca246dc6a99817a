"""The audit trail and the change feed (app/domain/audit.py), written and read on the real database."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.db import transaction
from app.domain import audit, organisations
from app.domain.actor import ANONYMOUS, Actor
from app.domain.errors import Forbidden, InvalidInput
from app.models.auth import Role, TokenScope
from app.models.organisation import OrganisationKind, OrganisationUpdate
from app.models.types import as_utc, utcnow
from tests.factories import SYSTEM, make_organisation

TOKEN = Actor(kind="token", label="integrasjon (token 9)", user_id=3, token_id=9, role=Role.admin)


def record(entity_id: int, action: str = "update", actor: Actor = SYSTEM, **changes: Any) -> None:
    with transaction() as session:
        audit.record(session, actor, action, "organisation", entity_id, None, changes or None, 2)


def events(**filters: Any) -> list[dict[str, Any]]:
    with transaction() as session:
        return audit.list_events(session, SYSTEM, **filters)[0]


def test_diff_names_each_changed_field_as_plain_values() -> None:
    before = {
        "name": "A",
        "kind": OrganisationKind.other,
        "on": date(2026, 1, 31),
        "at": datetime(2026, 1, 31, 12, tzinfo=UTC),
        "groups": ["copd"],
        "same": 1,
    }
    after = {
        "name": "B",
        "kind": OrganisationKind.education,
        "on": date(2026, 2, 1),
        "at": datetime(2026, 1, 31, 13),  # naive: UTC
        "groups": ("copd", "stroke"),
        "same": 1,
    }
    assert audit.diff(before, after) == {
        "name": ["A", "B"],
        "kind": ["other", "education"],
        "on": ["2026-01-31", "2026-02-01"],
        "at": ["2026-01-31T12:00:00+00:00", "2026-01-31T13:00:00+00:00"],
        "groups": [["copd"], ["copd", "stroke"]],
    }


def test_diff_leaves_out_bookkeeping_and_secrets() -> None:
    after = {
        "version": 2,
        "updated_at": utcnow(),
        "created_at": utcnow(),
        "password": "pw",
        "password_hash": "$argon2id$…",
        "token": "rk_secret",
        "token_hash": "abc",
        "email": "a@test.example",
    }
    assert audit.diff(None, after) == {"email": [None, "a@test.example"]}
    assert audit.diff({"email": "a@test.example"}, None) == {"email": ["a@test.example", None]}
    assert audit.diff(None, None) == {}


def test_diff_documents_compares_plain_documents() -> None:
    doc = {"name": "A", "forms": ["day"], "waiting_time_days": None, "version": 1, "updated_at": "2026-01-31T12:00Z"}
    assert audit.diff_documents(None, doc) == {"name": [None, "A"], "forms": [None, ["day"]]}
    changed = {**doc, "forms": ["day", "home_based"], "version": 2, "updated_at": "2026-02-01T12:00Z"}
    assert audit.diff_documents(doc, changed) == {"forms": [["day"], ["day", "home_based"]]}
    assert audit.diff_documents(doc, dict(doc)) == {}


def test_record_keeps_who_what_and_the_request(database_url: str) -> None:
    org = make_organisation()
    long_label = replace(TOKEN, label="x" * 400).with_request("req-42")
    with transaction() as session:
        audit.record(session, long_label, "update", "organisation", org["id"], {"name": "A"}, {"name": "B"}, 2, None)
    event = events(entity_type="organisation", entity_id=str(org["id"]))[0]
    assert (event["action"], event["entity_type"], event["entity_id"], event["entity_version"]) == (
        "update",
        "organisation",
        str(org["id"]),
        2,
    )
    assert (event["actor_kind"], event["actor_user_id"], event["actor_token_id"]) == ("token", 3, 9)
    assert event["actor_label"] == "x" * 300  # cut to fit
    assert (event["request_id"], event["batch_id"]) == ("req-42", None)
    assert event["changes"] == {"name": ["A", "B"]}
    assert abs(as_utc(event["at"]) - utcnow()) < timedelta(minutes=1)


def _record_then_fail(org_id: int) -> None:
    with transaction() as session:
        audit.record(session, SYSTEM, "update", "organisation", org_id, None, {"name": "B"}, 2)
        raise RuntimeError("the write failed after its event was added")


def test_a_failed_write_leaves_no_event(database_url: str) -> None:
    org = make_organisation()
    with pytest.raises(RuntimeError, match="after its event"):
        _record_then_fail(org["id"])
    assert [e["action"] for e in events(entity_id=str(org["id"]))] == ["create"]


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (SYSTEM, True),
        (TOKEN, True),
        (Actor(kind="token", label="t", user_id=3, token_id=9, role=Role.admin, scope=TokenScope.read), True),
        (Actor(kind="user", label="u", user_id=3, role=Role.editor, organisation_ids=frozenset({1})), False),
        (Actor(kind="token", label="t", user_id=3, token_id=9, role=Role.admin, token_organisation_id=1), False),
        (ANONYMOUS, False),
    ],
    ids=["system", "admin token", "admin read token", "editor", "restricted admin token", "anonymous"],
)
def test_the_trail_is_for_administrators(database_url: str, actor: Actor, allowed: bool) -> None:
    org = make_organisation()
    with transaction() as session:
        if allowed:
            listed = audit.list_events(session, actor, entity_type="organisation", entity_id=str(org["id"]))[0]
            assert [e["action"] for e in listed] == ["create"]
        else:
            with pytest.raises(Forbidden, match="Only an administrator may read the audit trail"):
                audit.list_events(session, actor)


def test_list_events_filters_newest_first_and_pages(database_url: str) -> None:
    start = utcnow()
    a, b = make_organisation(name="A"), make_organisation(name="B")
    record(a["id"], name=["x"])
    record(b["id"], actor=TOKEN, name=["y"])
    mine = events(since=start)  # the reference load's events are older
    assert [(e["entity_id"], e["action"]) for e in mine] == [
        (str(b["id"]), "update"),
        (str(a["id"]), "update"),
        (str(b["id"]), "create"),
        (str(a["id"]), "create"),
    ]
    assert [e["id"] for e in mine] == sorted((e["id"] for e in mine), reverse=True)
    assert events()[:4] == mine
    assert not {e["id"] for e in events(until=start, limit=1000)} & {e["id"] for e in mine}
    assert events(since=utcnow() + timedelta(minutes=5)) == []
    assert [e["action"] for e in events(entity_type="organisation", entity_id=str(a["id"]))] == ["update", "create"]
    assert events(entity_type="user", entity_id=str(a["id"])) == []
    assert [e["entity_id"] for e in events(actor_user_id=3)] == [str(b["id"])]
    with transaction() as session:
        first, cursor = audit.list_events(session, SYSTEM, limit=3)
        assert cursor is not None
        rest, _ = audit.list_events(session, SYSTEM, limit=3, cursor=cursor)
        with pytest.raises(InvalidInput):
            audit.list_events(session, SYSTEM, cursor="not-a-cursor")
    assert first == mine[:3]
    assert rest[0] == mine[3]


def _changes(since: str | None, limit: int = 100) -> tuple[list[dict[str, Any]], str]:
    with transaction() as session:
        return audit.list_changes(session, since=since, limit=limit)


def test_the_change_feed_lists_catalogue_changes_oldest_first_and_continues(database_url: str) -> None:
    _, start = _changes(None, limit=1_000_000)
    org = make_organisation()
    with transaction() as session:
        audit.record(session, SYSTEM, "create", "user", 1, None, {"email": "a@test.example"}, 1)  # not in the feed
    record(org["id"], name=["Nytt"])
    items, cursor = _changes(start)
    assert [(i["entity_type"], i["entity_id"], i["action"], i["version"]) for i in items] == [
        ("organisation", str(org["id"]), "create", 1),
        ("organisation", str(org["id"]), "update", 2),
    ]
    assert items[0]["url"] == f"/api/v1/organisations/{org['id']}"
    assert items[0]["seq"] < items[1]["seq"]
    assert set(audit.FEED_URLS) >= {"rehab_service", "organisation"}
    assert _changes(cursor) == ([], cursor)  # nothing new: the same cursor again
    one, after_one = _changes(start, limit=1)
    assert one == items[:1]
    assert _changes(after_one)[0] == items[1:]
    with pytest.raises(InvalidInput):
        _changes("not-a-cursor")


def test_changes_since_merges_the_events_after_a_version(database_url: str) -> None:
    org = make_organisation(name="Første", website="https://a.example")
    for version, values in enumerate(
        [{"name": "Andre"}, {"name": "Tredje", "website": "https://b.example"}, {"website": "https://a.example"}],
        start=1,
    ):
        with transaction() as session:
            organisations.update_organisation(
                session, SYSTEM, org["id"], OrganisationUpdate.model_validate(values), f'"{version}"'
            )
    with transaction() as session:
        since_first = audit.changes_since(session, "organisation", org["id"], 1)
        since_second = audit.changes_since(session, "organisation", org["id"], 2)
        since_third = audit.changes_since(session, "organisation", org["id"], 3)
        since_last = audit.changes_since(session, "organisation", org["id"], 4)
    # The website went to b and back: no change since version 1 or 2, but since version 3.
    assert since_first == {"name": ["Første", "Tredje"]}
    assert since_second == {"name": ["Andre", "Tredje"]}
    assert since_third == {"website": ["https://b.example", "https://a.example"]}
    assert since_last == {}
