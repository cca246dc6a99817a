"""The catalogue's domain modules on the migrated test database, written through the domain functions."""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlmodel import select

from app.db import transaction
from app.domain import audit, catalogue
from app.domain.catalogue import verification
from app.domain.errors import InvalidInput, StaleVersion
from app.kit.serialization import dumps
from app.models import Organisation
from app.models.rehab_service import RehabServiceCreate, RehabServiceFields, ServiceSource
from tests.conftest import SYSTEM

FONNA_ORGNR = "983974694"  # Helse Fonna HF, reference data: a health trust serving its whole opptaksområde


def _fonna() -> int:
    with transaction() as session:
        org_id = session.exec(select(Organisation.id).where(Organisation.orgnr == FONNA_ORGNR)).one()
    assert org_id is not None
    return org_id


def _fields(**values: Any) -> RehabServiceFields:
    return RehabServiceFields.model_validate({"name": "Tilbud", "level": "specialist", "forms": ["day"], **values})


def _docs(provider: int) -> list[dict[str, Any]]:
    """The provider's services as the API lists them (stored documents), by external id."""
    with transaction() as session:
        items, _ = catalogue.list_services(session, catalogue.ServiceFilter(provider=provider), limit=500)
    return sorted(items, key=lambda s: s["external_id"] or "")


def _bulk(rows: Sequence[catalogue.BulkRow], batch_id: int) -> list[Any]:
    with transaction() as session:
        writer = catalogue.BulkUpsert(session, SYSTEM, source=ServiceSource.import_batch, batch_id=batch_id)
        return writer.write(rows)


def _create(provider: int, **values: Any) -> dict[str, Any]:
    data = RehabServiceCreate.model_validate({"provider_id": provider, **_fields(**values).model_dump()})
    with transaction() as session:
        return catalogue.create_service(session, SYSTEM, data)


# --- documents: the single and the bulk path store the same document ------------------------------


def test_bulk_written_documents_equal_documents_built_from_the_tables(database_url: str) -> None:
    # Was an upload test in tests/imports/test_imports.py: the same rows and assertions, through BulkUpsert.
    fonna = _fonna()
    rows = [
        catalogue.BulkRow(
            fonna,
            "B1",
            _fields(
                name="Slag dag",
                description="Etter hjerneslag",
                forms=["outpatient", "day"],
                patient_groups=["stroke"],
                waiting_time_reported_on="2026-02-01",
                status="active",
            ),
        ),
        catalogue.BulkRow(
            fonna,
            "B2",
            _fields(name="Kreft", forms=["inpatient"], patient_groups=["stroke", "cancer"], catchment=["4611", "1106"]),
        ),
    ]
    assert _bulk(rows, batch_id=101) == ["created", "created"]
    imported = _docs(fonna)
    with transaction() as session:
        catalogue.refresh_docs(session, provider_id=fonna)  # the single path's documents, from the tables
    assert _docs(fonna) == imported
    assert imported[0]["forms"] == ["day", "outpatient"]
    assert imported[0]["catchment_inherited"] is True
    assert len(imported[0]["catchment"]) > 5
    assert imported[1]["catchment"] == ["1106", "4611"]
    assert imported[1]["patient_groups"] == ["cancer", "stroke"]

    # An update through the bulk path: new version, links replaced, audit before/after, batch id on the row.
    rows[1] = catalogue.BulkRow(
        fonna, "B2", _fields(name="Kreft", forms=["day"], patient_groups=["cancer"], catchment=["1106"])
    )
    outcomes = _bulk(rows, batch_id=102)
    assert (outcomes.count("updated"), outcomes.count("unchanged")) == (1, 1)
    changed = _docs(fonna)[1]
    assert (changed["version"], changed["forms"], changed["catchment"]) == (2, ["day"], ["1106"])
    assert changed["source_batch_id"] == 102
    assert changed["created_at"] == imported[1]["created_at"]
    with transaction() as session:
        events, _ = audit.list_events(session, SYSTEM, entity_type="rehab_service", entity_id=str(changed["id"]))
        feed, _ = audit.list_changes(session, since=None, limit=1000)
    assert [e["action"] for e in events] == ["update", "create"]
    assert events[0]["batch_id"] == 102
    assert events[0]["changes"]["forms"] == [["inpatient"], ["day"]]
    assert events[0]["changes"]["catchment"] == [["1106", "4611"], ["1106"]]
    assert (feed[-1]["entity_id"], feed[-1]["version"]) == (str(changed["id"]), 2)

    # A deleted service comes back with the next import of its row.
    with transaction() as session:
        catalogue.delete_service(session, SYSTEM, changed["id"], f'"{changed["version"]}"')
    again = _bulk(rows, batch_id=103)
    assert (again.count("created"), again.count("unchanged")) == (1, 1)
    with transaction() as session:
        assert catalogue.get_service(session, changed["id"])["version"] == 4


def test_the_builder_makes_the_document_a_single_write_stores(database_url: str) -> None:
    fields = _fields(forms=["inpatient", "day"], patient_groups=["stroke"], waiting_time_reported_on="2026-02-01")
    created = _create(_fonna(), **fields.model_dump(mode="json"))
    with transaction() as session:
        _, stored = catalogue.get_service_doc(session, created["id"])
        values = catalogue.resolve(session, fields, lambda: created["catchment"])
    bookkeeping = ("id", "provider_id", "provider_name", "external_id", "source", "source_batch_id", "version")
    columns = {**values.scalars, **{k: created[k] for k in (*bookkeeping, "created_at", "updated_at")}}
    built = catalogue.build_document(columns, values.forms, ["stroke"], reversed(values.catchment))
    assert built == created
    assert dumps(built) == stored
    assert (built["forms"], list(built)[:3]) == (["inpatient", "day"], ["id", "provider_id", "provider_name"])


# --- values.resolve --------------------------------------------------------------------------------


def test_resolve_inherits_or_checks_the_catchment_and_stores_plain_values(database_url: str) -> None:
    asked: list[int] = []

    def provider_catchment() -> list[str]:
        asked.append(1)
        return ["4611", "4612"]

    with transaction() as session:
        inherited = catalogue.resolve(
            session,
            _fields(
                name="Ålesund Rehab", forms=["outpatient", "day"], patient_groups=["stroke"], age_groups=["adults"]
            ),
            provider_catchment,
        )
        own = catalogue.resolve(session, _fields(catchment=["4611", "1106"]), provider_catchment)
    assert asked == [1]  # only a service without a catchment of its own asks for its provider's
    assert (inherited.catchment, inherited.inherited, inherited.scalars["catchment_inherited"]) == (
        ["4611", "4612"],
        True,
        True,
    )
    assert (own.catchment, own.inherited, own.scalars["catchment_inherited"]) == (["1106", "4611"], False, False)
    assert inherited.forms == {"outpatient", "day"}
    assert len(inherited.group_ids) == 1
    assert inherited.scalars["level"] == "specialist"  # enum values as stored, not enums
    assert inherited.scalars["age_groups"] == ["adults"]
    assert inherited.scalars["search_text"] == "ålesund rehab"
    assert set(inherited.scalars) == {*catalogue.SCALAR_FIELDS, "catchment_inherited", "search_text"}


@pytest.mark.parametrize(
    ("values", "message", "loc"),
    [
        ({"helsehjelpsomrade_8655": "H99"}, "Unknown national code", ("body", "helsehjelpsomrade_8655")),
        ({"patient_groups": ["stroke", "nope"]}, None, ("body", "patient_groups", 1)),
        ({"catchment": ["4611", "9999"]}, "Unknown municipality number", ("body", "catchment", 1)),
    ],
)
def test_resolve_refuses_unknown_references(
    database_url: str, values: dict[str, Any], message: str | None, loc: tuple[Any, ...]
) -> None:
    with transaction() as session, pytest.raises(InvalidInput) as refused:
        catalogue.resolve(session, _fields(**values), list)
    if message is not None:
        assert refused.value.detail == message
    assert [e.loc for e in refused.value.errors] == [loc]


def test_single_and_bulk_writes_resolve_the_same_inherited_catchment(database_url: str) -> None:
    fonna = _fonna()
    single = _create(fonna)
    assert _bulk([catalogue.BulkRow(fonna, "X1", _fields())], batch_id=201) == ["created"]
    bulk = next(s for s in _docs(fonna) if s["external_id"] == "X1")
    with transaction() as session:
        org = session.get(Organisation, fonna)
        assert org is not None
        default = catalogue.default_catchment(session, org)
        assert catalogue.default_catchments(session)[fonna] == (org.name, default)
    assert single["catchment"] == bulk["catchment"] == default
    assert single["catchment_inherited"] is bulk["catchment_inherited"] is True


# --- verification: "not verified for 12 months", in Norway's date --------------------------------


def test_the_twelve_month_rule_counts_in_the_oslo_date() -> None:
    # 23:30 UTC on 30 June is already 1 July in Oslo: a year back from there is 1 July the year before.
    now = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)
    assert verification.today(now) == date(2026, 7, 1)
    assert catalogue.unverified_before(now=now) == date(2025, 7, 1)
    assert catalogue.is_unverified(date(2025, 6, 30), now=now)  # UTC's date would still call this verified
    assert not catalogue.is_unverified(date(2025, 7, 1), now=now)
    assert catalogue.is_unverified(None, now=now)
    assert catalogue.is_unverified(date(2026, 6, 1), 14, now=now)


def test_summary_and_detail_page_share_the_rule(database_url: str) -> None:
    fonna = _fonna()
    cutoff = catalogue.unverified_before()
    fresh = _create(fonna, name="Sjekket", last_verified_on=cutoff.isoformat())
    old = _create(fonna, name="Gammel", last_verified_on=(cutoff - timedelta(days=1)).isoformat())
    never = _create(fonna, name="Aldri")
    with transaction() as session:
        overview = catalogue.summary(session)
    assert overview.unverified_total == 2
    assert [s["id"] for s in overview.unverified] == [old["id"], never["id"]]
    assert [catalogue.is_unverified(s["last_verified_on"]) for s in (fresh, old, never)] == [False, True, True]


def test_verify_marks_the_service_checked_today_in_oslo(database_url: str) -> None:
    service = _create(_fonna())
    with transaction() as session:
        verified = catalogue.verify_service(session, SYSTEM, service["id"])
    assert verified["last_verified_on"] == verification.today()
    assert verified["version"] == 2
    assert not catalogue.is_unverified(verified["last_verified_on"])


# --- conflicts: the three-way merge after a lost race ------------------------------------------------


def _save(service_id: int, version: int, **changes: Any) -> dict[str, Any]:
    with transaction() as session:
        return catalogue.update_service(session, SYSTEM, service_id, changes, f'"{version}"')


def test_merge_keeps_my_typing_and_takes_their_changes(database_url: str) -> None:
    service = _create(_fonna(), name="Felles tilbud", waiting_time_days=10, description="Før")
    _save(service["id"], 1, waiting_time_days=30, contact_name="Kari")
    # My form, based on version 1: I changed the description and the name, not the waiting time.
    mine = {"name": "Mitt navn", "description": "Min tekst", "waiting_time_days": 10, "contact_name": None}
    with transaction() as session, pytest.raises(StaleVersion):
        catalogue.update_service(session, SYSTEM, service["id"], dict(mine), '"1"')
    with transaction() as session:
        current = catalogue.get_service(session, service["id"])
        merged = catalogue.merge_edit(session, current, 1, mine)
    assert merged.theirs == {"waiting_time_days": [10, 30], "contact_name": [None, "Kari"]}
    assert merged.values == {
        "name": "Mitt navn",
        "description": "Min tekst",
        "waiting_time_days": 30,  # left as it was: theirs
        "contact_name": "Kari",  # left blank, as it was: theirs
        "version": 2,
    }


def test_merge_keeps_a_field_both_changed_as_i_typed_it(database_url: str) -> None:
    service = _create(_fonna(), forms=["day"], waiting_time_days=10)
    _save(service["id"], 1, waiting_time_days=30, forms=["day", "inpatient"])
    with transaction() as session:
        current = catalogue.get_service(session, service["id"])
        merged = catalogue.merge_edit(session, current, 1, {"waiting_time_days": "20", "forms": ["day"]})
    # The waiting time is mine (I typed 20, a posted '20'), the forms theirs (I left them as they were).
    assert merged.values == {"waiting_time_days": "20", "forms": ["inpatient", "day"], "version": 2}


def test_merge_keeps_an_inherited_catchment_inherited(database_url: str) -> None:
    fonna = _fonna()
    service = _create(fonna, catchment=["4611"])
    _save(service["id"], 1, catchment=None)  # back to the provider's: an inherited catchment
    with transaction() as session:
        current = catalogue.get_service(session, service["id"])
        merged = catalogue.merge_edit(session, current, 1, {"catchment": ["4611"]})
        unchanged_since = catalogue.merge_edit(session, current, 2, {"catchment": ["4611"]})
    assert current["catchment_inherited"] is True
    assert merged.theirs["catchment"][0] == ["4611"]
    assert merged.values == {"catchment": None, "version": 2}  # the form's "inherit" choice, not the list
    assert unchanged_since == catalogue.MergedEdit({"catchment": ["4611"], "version": 2}, {})


def test_same_value_compares_as_the_form_shows_values() -> None:
    from app.domain.merging import same_value

    assert same_value("12", 12)
    assert same_value("", None)
    assert same_value([], None)
    assert same_value(["b", "a"], ("a", "b"))
    assert not same_value("12", 13)
