"""app.domain.imports.headers: which column is which field, and which tables of a file hold what."""

import pytest

from app.domain.imports import columns as c
from app.domain.imports.errors import ImportFileError
from app.domain.imports.headers import header_map, pick_tables, profile_columns, service_columns
from app.domain.imports.readers import Table
from app.models.imports import ImportKind


def table(*headers: str, name: str = "") -> Table:
    return Table(name=name, headers=list(headers), rows=iter([]))


@pytest.mark.parametrize(
    "headers",
    [
        ("Tilbyder orgnr", "Ekstern ID", "Navn", "Nivå", "Form"),  # the template's (Norwegian)
        ("provider_orgnr", "external_id", "name", "level", "forms"),  # the API's field names
        ("ORGANISASJONSNUMMER", "tilbudsid", "Navn på tilbud", "tjenestenivå", "Tilbudsform"),  # alternatives
        (" orgnr ", "Tilbud-ID", "tilbudsnavn", "NIVA", "former"),  # any case, spacing, punctuation, æøå
    ],
)
def test_norwegian_and_english_headers_map_to_the_same_fields(headers: tuple[str, ...]) -> None:
    assert header_map(table(*headers), c.SERVICE_COLUMNS) == {
        "provider_orgnr": 0,
        "external_id": 1,
        "name": 2,
        "level": 3,
        "forms": 4,
    }


def test_unknown_headers_are_left_out() -> None:
    assert header_map(table("Navn", "Merknad", "Nivå"), c.SERVICE_COLUMNS) == {"name": 0, "level": 2}


def test_two_headers_for_one_field_refuse_the_file() -> None:
    with pytest.raises(ImportFileError, match="To kolonner betyr det samme: «Nivå» og «level»") as refused:
        header_map(table("Navn", "Nivå", "level"), c.SERVICE_COLUMNS)
    assert refused.value.code == "duplicate_column"


@pytest.mark.parametrize(
    ("headers", "number", "name"),
    [
        (("Kommunenr", "Kommune"), 0, 1),
        (("Kommune", "Kommunenr"), 1, 0),  # in either order
        (("Kommune nr", "Kommunenavn"), 0, 1),
    ],
)
def test_a_name_column_beside_a_number_column_is_the_name(headers: tuple[str, str], number: int, name: int) -> None:
    assert header_map(table(*headers, "Navn"), c.SERVICE_COLUMNS) == {
        "provider_municipality": number,
        "provider_municipality_name": name,
        "name": 2,
    }
    facts = header_map(table(*headers, "År"), c.PROFILE_COLUMNS)
    assert facts == {"municipality_number": number, "municipality_name": name, "year": 2}
    # alone, "Kommune" is the number, as before
    assert header_map(table("Kommune", "Navn"), c.SERVICE_COLUMNS) == {"provider_municipality": 0, "name": 1}
    # a provider name beside the organisation number
    assert header_map(table("Tilbyder orgnr", "Tilbyder"), c.SERVICE_COLUMNS) == {
        "provider_orgnr": 0,
        "provider_name": 1,
    }


def test_required_service_columns() -> None:
    assert service_columns(table("Kommunenr", "Ekstern ID", "Navn", "Nivå", "Form"))["provider_municipality"] == 0
    with pytest.raises(ImportFileError) as missing:
        service_columns(table("Ekstern ID", "Navn"))
    assert str(missing.value) == "Filen mangler kolonnene Nivå, Form, Tilbyder orgnr (eller Tilbyder ID / Kommunenr)"
    assert missing.value.code == "missing_columns"


def test_required_profile_columns_name_the_sheet() -> None:
    assert profile_columns(table("Kommunenr", "År", "Kreftkoordinator")) == {
        "municipality_number": 0,
        "year": 1,
        "has_cancer_coordinator": 2,
    }
    with pytest.raises(ImportFileError, match="Arket «Kommune» mangler kolonnen År"):
        profile_columns(table("Kommunenr", name="Kommune"))
    with pytest.raises(ImportFileError, match="Filen mangler kolonnene Kommunenr, År"):
        profile_columns(table("Kreftkoordinator"))


def test_a_service_file_uses_its_service_sheet_else_the_first() -> None:
    notes, services = table("Merknad", name="Notater"), table("Navn", name="Tilbud")
    assert pick_tables([notes, services], ImportKind.rehab_services) == ([services], [])
    assert pick_tables([notes], ImportKind.rehab_services) == ([notes], [])


def test_a_survey_finds_its_facts_by_sheet_name_or_by_a_year_column() -> None:
    services, facts = table("Navn", name="Tilbud"), table("Kommunenr", "År", name="Kommune")
    assert pick_tables([services, facts], ImportKind.municipal_survey) == ([services], [facts])
    unnamed = table("Kommunenr", "year", name="Ark2")
    assert pick_tables([services, unnamed], ImportKind.municipal_survey) == ([services], [unnamed])
    with pytest.raises(ImportFileError, match="En kommuneundersøkelse trenger et ark med kommunefakta"):
        pick_tables([services], ImportKind.municipal_survey)
