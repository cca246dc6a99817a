"""Municipalities and regions (app/domain/geography.py): lookups, checks and listings of the reference data."""

from typing import Any

import pytest

from app.db import transaction
from app.domain import geography
from app.domain.errors import FieldError, InvalidInput
from tests.factories import find_org_id


def municipalities(**filters: Any) -> list[dict[str, Any]]:
    with transaction() as session:
        return geography.list_municipalities(session, **filters)[0]


def test_municipality_numbers_are_cached_until_invalidated(database_url: str) -> None:
    with transaction() as session:
        numbers = geography.municipality_numbers(session)
        assert len(numbers) == 357
        assert {"0301", "4614", "1508"} <= numbers
        assert all(len(n) == 4 and n.isdigit() for n in numbers)
        assert geography.municipality_numbers(session) is numbers
        geography.invalidate()
        again = geography.municipality_numbers(session)
    assert again is not numbers
    assert again == numbers


def test_municipality_names(database_url: str) -> None:
    with transaction() as session:
        names = geography.municipality_names(session)
    assert len(names) == 357
    assert (names["0301"], names["4614"], names["1508"]) == ("Oslo", "Stord", "\u00c5lesund")


def test_require_municipalities_names_each_unknown_one(database_url: str) -> None:
    with transaction() as session:
        geography.require_municipalities(session, ["0301", "4614"], ("body", "catchment"))
        geography.require_municipalities(session, [], ("body", "catchment"))
        with pytest.raises(InvalidInput, match="Unknown municipality number") as indexed:
            geography.require_municipalities(session, ["9999", "0301", "301"], ("body", "catchment"))
        with pytest.raises(InvalidInput) as single:
            geography.require_municipalities(session, ["9999"], ("body", "municipality_number"), indexed=False)
    assert indexed.value.errors == [
        FieldError(("body", "catchment", 0), "unknown municipality number '9999'"),
        FieldError(("body", "catchment", 2), "unknown municipality number '301'"),
    ]
    assert single.value.errors == [FieldError(("body", "municipality_number"), "unknown municipality number '9999'")]


def test_region_by_code_lists_the_codes_when_it_does_not_know_one(database_url: str) -> None:
    with transaction() as session:
        assert geography.region_by_code(session, "HV", ("query", "region")).code == "HV"
        with pytest.raises(InvalidInput, match="Unknown region") as raised:
            geography.region_by_code(session, "hv", ("query", "region"))
    assert raised.value.errors == [FieldError(("query", "region"), "unknown region 'hv'; one of HMN, HN, HSO, HV")]


def test_four_regions_each_with_its_authority(database_url: str) -> None:
    with transaction() as session:
        regions = geography.list_regions(session)
    assert [r["code"] for r in regions] == ["HMN", "HN", "HSO", "HV"]
    assert all(isinstance(r["organisation_id"], int) for r in regions)
    assert len({r["organisation_id"] for r in regions}) == 4


def test_list_municipalities_with_their_region_organisation_and_trusts(database_url: str) -> None:
    items = municipalities()
    assert len(items) == 357
    assert [m["number"] for m in items] == sorted(m["number"] for m in items)
    oslo = next(m for m in items if m["number"] == "0301")
    assert (oslo["name"], oslo["region"]) == ("Oslo", "HSO")
    assert len(oslo["catchment_organisation_ids"]) == 4  # served district by district by four hospitals
    stord = next(m for m in items if m["number"] == "4614")
    assert stord["organisation_id"] == find_org_id("Stord", kind="municipality")
    assert stord["catchment_organisation_ids"] == [find_org_id("Helse Fonna HF")]


@pytest.mark.parametrize(
    ("filters", "numbers"),
    [
        ({"q": "\u00e5lesund"}, ["1508"]),
        ({"q": "A\u030aLESUND"}, ["1508"]),  # decomposed and upper case
        ({"q": "4614"}, ["4614"]),  # a number is found as itself
        ({"q": "stord", "county": "46"}, ["4614"]),
        ({"q": "stord", "county": "03"}, []),
        ({"q": "oslo", "region": "HSO"}, ["0301"]),
        ({"q": "oslo", "region": "HV"}, []),
    ],
)
def test_list_municipalities_filters(database_url: str, filters: dict[str, Any], numbers: list[str]) -> None:
    assert [m["number"] for m in municipalities(**filters)] == numbers


def test_a_county_has_its_municipalities(database_url: str) -> None:
    assert len(municipalities(county="46")) == 43


def test_list_municipalities_pages_by_number(database_url: str) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    with transaction() as session:
        while True:
            page, cursor = geography.list_municipalities(session, limit=100, cursor=cursor)
            seen += [m["number"] for m in page]
            pages += 1
            if cursor is None:
                break
        with pytest.raises(InvalidInput):
            geography.list_municipalities(session, cursor="not-a-cursor")
        with pytest.raises(InvalidInput, match="Unknown region"):
            geography.list_municipalities(session, region="XX")
    assert pages == 4
    assert len(seen) == len(set(seen)) == 357
    assert seen == sorted(seen)
