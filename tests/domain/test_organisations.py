"""Organisations (app/domain/organisations.py): create, change, find; their catchments and their services'."""

from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col

from app.db import transaction
from app.domain import catalogue, organisations
from app.domain.actor import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionRequired, StaleVersion
from app.kit.serialization import loads
from app.models.audit import AuditEvent
from app.models.auth import Role, TokenScope
from app.models.organisation import OrganisationCreate, OrganisationKind, OrganisationUpdate
from tests.factories import SYSTEM, find_org_id, fingerprint, make_organisation, make_service

VALID_ORGNR, OTHER_ORGNR = "974116804", "983974694"


def editor_of(*org_ids: int) -> Actor:
    return Actor(kind="user", label="redaktor", user_id=1, role=Role.editor, organisation_ids=frozenset(org_ids))


def update(org_id: int, if_match: str | None, actor: Actor = SYSTEM, **changes: Any) -> dict[str, Any]:
    with transaction() as session:
        return organisations.update_organisation(
            session, actor, org_id, OrganisationUpdate.model_validate(changes), if_match
        )


def read(org_id: int) -> dict[str, Any]:
    with transaction() as session:
        return organisations.read_organisation(session, org_id)


def test_create_reads_back_with_region_and_sorted_catchment(database_url: str) -> None:
    org = make_organisation(
        name="Eksempel rehabiliteringssenter", orgnr=VALID_ORGNR, region="HV", catchment=["4614", "1106"]
    )
    assert org["kind"] == OrganisationKind.private_institution
    assert (org["name"], org["orgnr"], org["region"], org["version"]) == (
        "Eksempel rehabiliteringssenter",
        VALID_ORGNR,
        "HV",
        1,
    )
    assert org["catchment"] == ["1106", "4614"]
    assert org["reference_data"] is False
    assert read(org["id"]) == org
    with transaction() as session:
        event = session.execute(
            select(AuditEvent).where(
                col(AuditEvent.entity_type) == "organisation", col(AuditEvent.entity_id) == str(org["id"])
            )
        ).scalar_one()
    assert (event.action, event.entity_version, event.actor_kind) == ("create", 1, "system")
    assert event.changes["catchment"] == [None, ["1106", "4614"]]


def test_reference_organisations_read_as_reference_data(database_url: str) -> None:
    fonna = read(find_org_id("Helse Fonna HF"))
    assert fonna["reference_data"] is True
    assert (fonna["kind"], fonna["orgnr"], fonna["region"]) == ("health_trust", "983974694", "HV")
    assert len(fonna["catchment"]) == 16
    assert "4614" in fonna["catchment"]


@pytest.mark.parametrize(
    ("body", "error", "message", "loc"),
    [
        ({"orgnr": OTHER_ORGNR}, Conflict, "already belongs to organisation", None),  # Helse Fonna's
        ({"catchment": ["0301", "9999"]}, InvalidInput, "Unknown municipality", ("body", "catchment", 1)),
        ({"catchment": ["0301", "0301"]}, InvalidInput, "Repeated municipality", ("body", "catchment")),
        ({"region": "XX"}, InvalidInput, "Unknown region", ("body", "region")),
        ({"parent_id": 2_000_000_000}, InvalidInput, "Unknown parent", ("body", "parent_id")),
        ({"municipality_number": "9999"}, InvalidInput, "Unknown municipality", ("body", "municipality_number")),
    ],
)
def test_create_refusals_write_nothing(
    database_url: str, body: dict[str, Any], error: type[Exception], message: str, loc: tuple[Any, ...] | None
) -> None:
    data = OrganisationCreate.model_validate({"kind": "other", "name": "X", **body})
    before = fingerprint()
    with pytest.raises(error, match=message) as raised, transaction() as session:
        organisations.create_organisation(session, SYSTEM, data)
    if loc is not None:
        assert isinstance(raised.value, InvalidInput)
        assert [e.loc for e in raised.value.errors] == [loc]
    assert fingerprint() == before


@pytest.mark.parametrize(
    "actor",
    [
        editor_of(1),
        Actor(kind="token", label="t", user_id=1, role=Role.admin, scope=TokenScope.read),
        Actor(
            kind="token", label="t", user_id=1, role=Role.admin, scope=TokenScope.read_write, token_organisation_id=1
        ),
    ],
    ids=["editor", "admin read token", "admin token restricted to an organisation"],
)
def test_only_administrators_create_organisations(database_url: str, actor: Actor) -> None:
    before = fingerprint()
    with pytest.raises(Forbidden), transaction() as session:
        organisations.create_organisation(
            session, actor, OrganisationCreate.model_validate({"kind": "other", "name": "Ny"})
        )
    assert fingerprint() == before


def test_update_needs_the_current_version_and_counts_only_real_changes(database_url: str) -> None:
    org = make_organisation()
    before = fingerprint()
    with pytest.raises(PreconditionRequired), transaction() as session:
        organisations.update_organisation(session, SYSTEM, org["id"], OrganisationUpdate(name="Nytt"), None)
    with pytest.raises(StaleVersion) as stale, transaction() as session:
        organisations.update_organisation(session, SYSTEM, org["id"], OrganisationUpdate(name="Nytt"), '"7"')
    assert stale.value.current_version == 1
    assert fingerprint() == before

    changed = update(org["id"], '"1"', name="Nytt navn", orgnr=VALID_ORGNR)
    assert (changed["name"], changed["orgnr"], changed["version"]) == ("Nytt navn", VALID_ORGNR, 2)
    after = fingerprint()
    assert update(org["id"], '"2"', name="Nytt navn")["version"] == 2  # the same change is no new version
    assert fingerprint() == after
    with transaction() as session:
        found, _ = organisations.list_organisations(session, q=VALID_ORGNR)  # the search text follows
    assert [o["id"] for o in found] == [org["id"]]


def test_update_checks_the_body_before_the_version(database_url: str) -> None:
    org = make_organisation()
    before = fingerprint()
    for changes, message in (({"name": None}, "Name is required"), ({"catchment": ["9999"]}, "Unknown municipality")):
        with pytest.raises(InvalidInput, match=message), transaction() as session:
            organisations.update_organisation(
                session, SYSTEM, org["id"], OrganisationUpdate.model_validate(changes), '"9"'
            )
    assert fingerprint() == before


def test_reference_data_is_read_only_but_if_match_comes_first(database_url: str) -> None:
    fonna = find_org_id("Helse Fonna HF")
    before = fingerprint()
    with pytest.raises(PreconditionRequired), transaction() as session:
        organisations.update_organisation(session, SYSTEM, fonna, OrganisationUpdate(name="X"), None)
    with pytest.raises(Conflict, match="reference load"), transaction() as session:
        organisations.update_organisation(session, SYSTEM, fonna, OrganisationUpdate(name="X"), '"1"')
    assert fingerprint() == before


def test_editors_change_only_their_own_organisations(database_url: str) -> None:
    mine, theirs = make_organisation(name="Min AS"), make_organisation(name="Deres AS")
    editor = editor_of(mine["id"])
    assert update(mine["id"], '"1"', editor, website="https://min.example")["website"] == "https://min.example"
    before = fingerprint()
    with pytest.raises(Forbidden, match=f"organisation {theirs['id']}"), transaction() as session:
        organisations.update_organisation(session, editor, theirs["id"], OrganisationUpdate(name="X"), '"1"')
    assert fingerprint() == before


def test_unknown_organisations_are_not_found(database_url: str) -> None:
    with transaction() as session:
        with pytest.raises(NotFound, match="No organisation with id 2000000000"):
            organisations.read_organisation(session, 2_000_000_000)
        with pytest.raises(NotFound):
            organisations.update_organisation(session, SYSTEM, 2_000_000_000, OrganisationUpdate(name="X"), '"1"')


def test_a_new_catchment_moves_the_services_that_inherit_it(database_url: str) -> None:
    org = make_organisation(catchment=["4614"])
    inheriting = make_service(org["id"], level="municipal", forms=["day"])
    own = make_service(org["id"], catchment=["1106"])
    assert (inheriting["catchment"], inheriting["catchment_inherited"]) == (["4614"], True)
    update(org["id"], '"1"', catchment=["4614", "4615"])
    with transaction() as session:
        moved = catalogue.get_service(session, inheriting["id"])
        kept = catalogue.get_service(session, own["id"])
        _, stored = catalogue.get_service_doc(session, inheriting["id"])
    assert (moved["catchment"], moved["version"]) == (["4614", "4615"], 2)
    assert loads(stored)["catchment"] == ["4614", "4615"]  # the stored document too
    assert (kept["catchment"], kept["version"]) == (["1106"], 1)


def test_a_private_institution_without_a_catchment_serves_its_region(database_url: str) -> None:
    org = make_organisation(region="HN")
    assert org["catchment"] == []  # none of its own
    assert len(make_service(org["id"])["catchment"]) == 80  # its services inherit the whole region


def test_a_new_name_reaches_the_stored_documents_of_its_services(database_url: str) -> None:
    org = make_organisation(name="Gammelt navn AS")
    service = make_service(org["id"])
    update(org["id"], '"1"', name="Nytt navn AS")
    with transaction() as session:
        version, stored = catalogue.get_service_doc(session, service["id"])
    assert loads(stored)["provider_name"] == "Nytt navn AS"
    assert version == 1  # the provider's name is not a change of the service


def test_list_filters_and_pages(database_url: str) -> None:
    created = [make_organisation(name=f"Sideinstitusjon {i}", region="HN") for i in range(5)]
    make_organisation(name="100% rehab_senter", kind="education")
    with transaction() as session:
        seen: list[int] = []
        cursor = None
        while True:
            page, cursor = organisations.list_organisations(session, q="sideinstitusjon", limit=2, cursor=cursor)
            seen += [o["id"] for o in page]
            if cursor is None:
                break
        assert seen == [o["id"] for o in created]
        by_kind, _ = organisations.list_organisations(session, kind=[OrganisationKind.education])
        assert [o["name"] for o in by_kind] == ["100% rehab_senter"]
        in_region, _ = organisations.list_organisations(session, region="HN", q="sideinstitusjon")
        assert [o["id"] for o in in_region] == seen
        assert organisations.list_organisations(session, region="HV", q="sideinstitusjon")[0] == []
        # LIKE wildcards are literal characters.
        assert [o["name"] for o in organisations.list_organisations(session, q="100%")[0]] == ["100% rehab_senter"]
        assert organisations.list_organisations(session, q="100%r")[0] == []  # "%" would match the space
        assert [o["name"] for o in organisations.list_organisations(session, q="b_s")[0]] == ["100% rehab_senter"]
        assert organisations.list_organisations(session, q="eha_")[0] == []  # "_" would match the "b"
        trusts, _ = organisations.list_organisations(session, kind=[OrganisationKind.health_trust], limit=500)
        assert "Helse Fonna HF" in {o["name"] for o in trusts}
        with pytest.raises(InvalidInput):
            organisations.list_organisations(session, region="XX")
        with pytest.raises(InvalidInput):
            organisations.list_organisations(session, cursor="not-a-cursor")


def test_if_match_star_changes_whatever_the_version(database_url: str) -> None:
    org = make_organisation()
    update(org["id"], '"1"', name="Andre")
    assert update(org["id"], "*", editor_of(org["id"]), name="Stjerne")["version"] == 3
    with transaction() as session:
        assert organisations.get_organisation(session, org["id"]).name == "Stjerne"
