"""Optimistic concurrency (app/domain/versioning.py): ETags, If-Match checks and the guarded UPDATE."""

import pytest

from app.db import transaction
from app.domain.errors import PreconditionRequired, StaleVersion
from app.domain.versioning import check_version, etag, guarded_update, require_if_match
from app.models import Organisation
from app.models.types import as_utc
from tests.factories import fingerprint, make_organisation


def test_the_etag_is_the_quoted_version() -> None:
    assert etag(1) == '"1"'
    assert etag(42) == '"42"'


def test_require_if_match_names_what_is_being_changed() -> None:
    with pytest.raises(PreconditionRequired, match="the ETag of the token you are changing"):
        require_if_match(None, "token")
    require_if_match('"1"', "token")
    require_if_match("anything", "token")  # only its presence is checked here


@pytest.mark.parametrize("if_match", ['"3"', 'W/"3"', '  "3"  ', '"1", "3"', '"2",W/"3"', "*", " * ", '"03"'])
def test_if_match_naming_the_current_version_passes(if_match: str) -> None:
    check_version(3, if_match, required=True, what="service")


@pytest.mark.parametrize("if_match", ['"2"', '"4"', "3", '"three"', "", '"1", "2"', '"99999999999"'])
def test_any_other_if_match_is_stale_and_tells_the_current_version(if_match: str) -> None:
    with pytest.raises(StaleVersion) as raised:
        check_version(3, if_match, required=False, what="service")
    assert raised.value.current_version == 3
    assert "The service has changed since you read it: it is now at version 3" in raised.value.detail


def test_a_missing_if_match_fails_only_where_required() -> None:
    check_version(3, None, required=False, what="service")
    with pytest.raises(PreconditionRequired, match="the ETag of the service"):
        check_version(3, None, required=True, what="service")


def _row(org_id: int) -> Organisation:
    with transaction() as session:
        org = session.get(Organisation, org_id)
    assert org is not None
    return org


def test_guarded_update_bumps_the_version_of_the_expected_row(database_url: str) -> None:
    org = make_organisation(name="Før")
    before = _row(org["id"])
    with transaction() as session:
        new_version = guarded_update(session, Organisation, org["id"], 1, {"name": "Etter"}, "organisation")
    assert new_version == 2
    after = _row(org["id"])
    assert (after.name, after.version) == ("Etter", 2)
    assert as_utc(after.updated_at) >= as_utc(before.updated_at)
    assert after.created_at == before.created_at


def test_guarded_update_with_a_stale_version_writes_nothing(database_url: str) -> None:
    org = make_organisation()
    with transaction() as session:
        guarded_update(session, Organisation, org["id"], 1, {"name": "Først"}, "organisation")
    before = fingerprint()
    with pytest.raises(StaleVersion) as raised, transaction() as session:
        guarded_update(session, Organisation, org["id"], 1, {"name": "For sent"}, "organisation")
    assert raised.value.current_version == 2
    assert "organisation has changed" in raised.value.detail
    assert fingerprint() == before
    assert _row(org["id"]).name == "Først"
