"""The bulk write path's storage (issue 14, speed): the rows it writes equal a single write's, its compact audit
records read back exactly as full ones, bind values are processed once per distinct value, and the link tables
are kept WITHOUT ROWID on SQLite."""

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import select, text

from app.db import transaction
from app.db.bulk import _process_column
from app.domain import audit, catalogue
from app.domain.catalogue.tables import services
from app.kit.serialization import loads
from app.models.rehab_service import RehabServiceCreate, RehabServiceFields, ServiceSource
from tests.conftest import SYSTEM

FIELDS: dict[str, Any] = {
    "name": "Hjerterehabilitering – Fonna",
    "description": "Trening og undervisning i gruppe.",
    "level": "specialist",
    "forms": ["outpatient", "day"],
    "patient_groups": ["cardiac", "stroke"],
    "age_groups": ["adults", "elderly"],
    "capacity_number": 12,
    "capacity_unit": "day_places",
    "waiting_time_days": 30,
    "waiting_time_reported_on": "2026-03-16",
    "referrers": ["gp", "hospital"],
    "referral_criteria": "Henvisning fra lege.",
    "contact_phone": "+47 53 00 00 00",
    "status": "active",
    "valid_from": "2026-01-04",
}
# What differs between two services of the same fields: who they are and when and how they were written.
_OWN = {"id", "external_id", "source", "source_batch_id", "created_at", "updated_at", "doc"}
_OWN |= {"import_digest", "import_digest_version"}


def _bulk_create(provider: int, external_id: str, batch_id: int, **changes: Any) -> int:
    fields = RehabServiceFields.model_validate({**FIELDS, **changes})
    with transaction() as session:
        writer = catalogue.BulkUpsert(session, SYSTEM, source=ServiceSource.import_batch, batch_id=batch_id)
        assert writer.write([catalogue.BulkRow(provider, external_id, fields, "d" * 32)]) == ["created"]
        sid = session.execute(
            select(services.c.id).where(services.c.provider_id == provider, services.c.external_id == external_id)
        ).scalar_one()
    return int(sid)


def _row(service_id: int) -> dict[str, Any]:
    with transaction() as session:
        row = session.execute(select(services).where(services.c.id == service_id)).mappings().one()
    return dict(row)


def test_a_bulk_create_stores_the_row_and_document_a_single_create_stores(fonna: int) -> None:
    with transaction() as session:
        data = RehabServiceCreate.model_validate({"provider_id": fonna, **FIELDS})
        single = catalogue.create_service(session, SYSTEM, data)["id"]
    bulk = _bulk_create(fonna, "B-row", batch_id=301)
    one, other = _row(single), _row(bulk)
    assert {k: v for k, v in one.items() if k not in _OWN} == {k: v for k, v in other.items() if k not in _OWN}
    assert (other["version"], other["import_digest"], other["import_digest_version"]) == (1, "d" * 32, 1)
    assert other["source_batch_id"] == 301
    assert other["created_at"] == other["updated_at"]
    bookkeeping = {"id", "external_id", "source", "source_batch_id", "created_at", "updated_at"}
    first, second = loads(one["doc"]), loads(other["doc"])
    assert list(first) == list(second)  # the same fields in the same order
    assert {k: v for k, v in first.items() if k not in bookkeeping} == {
        k: v for k, v in second.items() if k not in bookkeeping
    }
    assert second["waiting_time_reported_on"] == "2026-03-16"  # dates written as the API writes them
    assert second["id"] == bulk


def test_a_bulk_created_service_is_audited_compactly_and_read_back_as_before(fonna: int) -> None:
    sid = _bulk_create(fonna, "B-audit", batch_id=302)
    with transaction() as session:
        stored = session.execute(
            text("SELECT changes FROM audit_event WHERE entity_type = 'rehab_service' AND entity_id = :id"),
            {"id": str(sid)},
        ).scalar_one()
        doc = loads(session.execute(select(services.c.doc).where(services.c.id == sid)).scalar_one())
        events, _ = audit.list_events(session, SYSTEM, entity_type="rehab_service", entity_id=str(sid))
    compact = stored if isinstance(stored, dict) else loads(stored)
    assert list(compact) == ["@created"]  # no [null, …] pairs, no empty fields, no bookkeeping
    assert None not in compact["@created"].values()
    assert not {"version", "created_at", "updated_at"} & set(compact["@created"])
    # Read back, the event is what the full record was: every filled-in field as [None, value], in order.
    (event,) = events
    assert (event["action"], event["entity_version"], event["batch_id"]) == ("create", 1, 302)
    assert event["changes"] == audit.diff_documents(None, doc)
    assert list(event["changes"]) == [k for k, v in doc.items() if v is not None and k not in audit._IGNORED]
    assert event["changes"]["forms"] == [None, ["day", "outpatient"]]
    assert event["changes"]["waiting_time_reported_on"] == [None, "2026-03-16"]
    assert "valid_to" not in event["changes"]


def test_changes_since_a_compact_create_merge_as_before(fonna: int) -> None:
    sid = _bulk_create(fonna, "B-since", batch_id=303)
    fields = RehabServiceFields.model_validate({**FIELDS, "name": "Nytt navn", "forms": ["day"]})
    with transaction() as session:
        writer = catalogue.BulkUpsert(session, SYSTEM, source=ServiceSource.import_batch, batch_id=304)
        assert writer.write([catalogue.BulkRow(fonna, "B-since", fields)]) == ["updated"]
    with transaction() as session:
        since_create = audit.changes_since(session, "rehab_service", sid, 0)
        since_one = audit.changes_since(session, "rehab_service", sid, 1)
    assert since_create["name"] == [None, "Nytt navn"]
    assert since_create["forms"] == [None, ["day"]]
    assert since_one == {
        "name": ["Hjerterehabilitering – Fonna", "Nytt navn"],
        "forms": [["day", "outpatient"], ["day"]],
        "source_batch_id": [303, 304],
    }


def test_the_audit_api_answers_a_bulk_created_service_in_full(client: Any, fonna: int) -> None:
    sid = _bulk_create(fonna, "B-api", batch_id=305)
    response = client.get("/api/v1/audit-events", params={"entity_type": "rehab_service", "entity_id": str(sid)})
    assert response.status_code == 200
    (event,) = response.json()["items"]
    assert event["changes"]["name"] == [None, "Hjerterehabilitering – Fonna"]
    assert event["changes"]["id"] == [None, sid]
    assert "@created" not in event["changes"]


def test_bind_values_are_processed_once_per_distinct_value_with_types_kept_apart() -> None:
    calls: list[Any] = []

    def shown(value: Any) -> str:
        return f"{type(value).__name__}:{value!r}"

    def process(value: Any) -> str:
        calls.append(value)
        return shown(value)

    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    same_instant = now.astimezone(timezone(timedelta(hours=1)))
    values = [now, now, same_instant, now.replace(tzinfo=None), date(2026, 11, 28), date(2026, 11, 28), True, 1]
    values += [1.0, None, None, ["a", "b"], ["a", "b"], ["a"], [1], [1], {"k": 1}, {"k": 1}, "x", "x"]
    rows = [[0, value] for value in values]
    _process_column(rows, 1, process)
    assert [row[1] for row in rows] == [shown(value) for value in values]  # each as if processed alone
    assert [row[0] for row in rows] == [0] * len(values)  # the other columns untouched
    # Processed once: now, the same instant in +01:00, the naive time, the date, True, 1, None, ["a", "b"],
    # ["a"], "x"; every time: floats, lists of anything but strings, dicts.
    expected = [now, same_instant, now.replace(tzinfo=None), date(2026, 11, 28), True, 1, 1.0, None]
    expected += [["a", "b"], ["a"], [1], [1], {"k": 1}, {"k": 1}, "x"]
    assert [shown(c) for c in calls] == [shown(e) for e in expected]


def test_link_tables_are_without_rowid_on_sqlite(database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL tables have no rowid")
    with transaction() as session:
        rows = session.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name LIKE 'rehab_service_%'")
        ).all()
    kept = {name: "WITHOUT ROWID" in sql.upper() for name, sql in rows}
    assert kept == {
        "rehab_service_form": True,
        "rehab_service_patient_group": True,
        "rehab_service_catchment": True,
    }
