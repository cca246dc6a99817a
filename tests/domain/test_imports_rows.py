"""app.domain.imports.rows: one row's cells parsed against the reference data of the migrated database."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlmodel import Session

from app.db import transaction
from app.domain.errors import RowError
from app.domain.imports.headers import profile_columns, service_columns
from app.domain.imports.readers import read_tables
from app.domain.imports.rows import Lookups, ProfileRow, ServiceParser, ServiceRow, cell, find_provider, parse_profile

FONNA_ORGNR = "983974694"  # Helse Fonna HF, in the reference data


@pytest.fixture
def lookups(database_url: str) -> Iterator[Lookups]:
    with transaction() as session:
        yield Lookups(session)


def parse_services(lookups: Lookups, csv: str) -> list[ServiceRow | list[RowError]]:
    """Each row of a CSV text parsed as a service."""
    table = read_tables(csv.encode(), "services.csv")[0]
    parse = ServiceParser(service_columns(table), table.headers, lookups)
    return [parse(number, cells) for number, cells in table.rows]


def test_lookups_hold_the_reference_organisations(lookups: Lookups) -> None:
    assert isinstance(lookups.session, Session)
    fonna = lookups.by_orgnr[FONNA_ORGNR]
    assert fonna in lookups.org_ids
    assert lookups.by_municipality["0301"] in lookups.org_ids  # Oslo, the municipality, provides services
    assert "0301" in lookups.municipalities


def test_a_good_row_becomes_a_service_with_codes_for_what_people_type(lookups: Lookups) -> None:
    csv = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Pasientgrupper;Ventetid dager;Status\n"
    csv += f"{FONNA_ORGNR};R1; Kurs på Stord ;Spesialist;dag, Poliklinisk;KOLS;12,0;\n"
    [row] = parse_services(lookups, csv)
    assert isinstance(row, ServiceRow)
    assert (row.row, row.provider_id, row.external_id) == (2, lookups.by_orgnr[FONNA_ORGNR], "R1")
    assert row.fields.name == "Kurs på Stord"
    assert row.fields.level == "specialist"
    assert row.fields.forms == ["day", "outpatient"]
    assert row.fields.patient_groups == ["copd"]
    assert row.fields.waiting_time_days == 12
    assert row.fields.status == "active"  # blank: the default


def test_a_bad_cell_is_a_row_error_on_its_column_every_time_it_comes(lookups: Lookups) -> None:
    csv = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form;Ventetid dager\n"
    csv += f"{FONNA_ORGNR};R1;Navn;spesialist;spa;12,5\n{FONNA_ORGNR};R2;Navn;spesialist;spa;3\n"
    first, second = parse_services(lookups, csv)
    spa = "ukjent form «spa»; bruk en av: døgn, dag, poliklinisk, ambulant, hverdagsrehabilitering, LMS, digital"
    assert first == [
        RowError(2, spa, "Form", code="unknown_code"),
        RowError(2, "«12,5» er ikke et helt tall", "Ventetid dager", code="not_a_number"),
    ]
    assert second == [RowError(3, spa, "Form", code="unknown_code")]  # a remembered value is refused again


def test_a_row_without_its_key_names_every_problem(lookups: Lookups) -> None:
    csv = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n" + "123;;;kommunal;dag\n"
    assert parse_services(lookups, csv) == [
        [
            RowError(2, "verdien mangler", "Navn", code="missing_value"),
            RowError(
                2,
                "ingen organisasjon i Rehabkart har organisasjonsnummer «123»",
                "Tilbyder orgnr",
                code="unknown_provider",
            ),
            RowError(
                2,
                "ekstern ID mangler (hver rad trenger tilbyderens egen nøkkel for tilbudet)",
                "Ekstern ID",
                code="missing_value",
            ),
        ]
    ]


def test_a_row_separated_unlike_its_header_is_one_whole_row_error(lookups: Lookups) -> None:
    csv = "Tilbyder orgnr;Ekstern ID;Navn;Nivå;Form\n" + f"{FONNA_ORGNR},R1,Navn,spesialist,dag\n"
    message = "raden har 1 celle, men overskriftsraden har 5: er den skilt med samme tegn som overskriftene?"
    assert parse_services(lookups, csv) == [[RowError(2, message, None, code="wrong_separator")]]


def test_the_provider_by_organisation_number_id_or_municipality(lookups: Lookups) -> None:
    fonna, oslo = lookups.by_orgnr[FONNA_ORGNR], lookups.by_municipality["0301"]
    errors: list[RowError] = []
    assert find_provider(["983 974 694"], {"provider_orgnr": 0}, ["Tilbyder orgnr"], lookups, 2, errors) == fonna
    assert find_provider([str(fonna)], {"provider_id": 0}, ["Tilbyder ID"], lookups, 2, errors) == fonna
    assert find_provider([301], {"provider_municipality": 0}, ["Kommunenr"], lookups, 2, errors) == oslo  # 0301
    assert errors == []


@pytest.mark.parametrize(
    ("field", "header", "value", "code", "message"),
    [
        (
            "provider_orgnr",
            "Tilbyder orgnr",
            "123",
            "unknown_provider",
            "ingen organisasjon i Rehabkart har organisasjonsnummer «123»",
        ),
        ("provider_id", "Tilbyder ID", "abc", "unknown_provider", "ingen organisasjon i Rehabkart har id «abc»"),
        ("provider_municipality", "Kommunenr", "9999", "unknown_municipality", "ukjent kommunenummer «9999»"),
    ],
)
def test_an_unknown_provider_is_an_error_on_its_column(
    lookups: Lookups, field: str, header: str, value: str, code: str, message: str
) -> None:
    errors: list[RowError] = []
    assert find_provider([value], {field: 0}, [header], lookups, 7, errors) is None
    assert errors == [RowError(7, message, header, code=code)]


def test_a_row_without_any_provider_column_value(lookups: Lookups) -> None:
    errors: list[RowError] = []
    assert find_provider(["R1"], {"external_id": 0}, ["Ekstern ID"], lookups, 4, errors) is None
    message = "tilbyderen mangler: fyll inn organisasjonsnummer, tilbyder-ID eller kommunenummer"
    assert errors == [RowError(4, message, None, code="missing_value")]


def test_a_short_row_has_blank_cells() -> None:
    cells: list[Any] = ["a"]
    assert cell(cells, {"name": 0, "level": 3}, "name") == "a"
    assert cell(cells, {"name": 0, "level": 3}, "level") is None
    assert cell(cells, {"name": 0}, "level") is None


def test_profile_rows(lookups: Lookups) -> None:
    csv = "Kommunenr;År;Kreftkoordinator;Rehabiliteringsplasser;Oversikt over ventetid\n"
    csv += "301;2026;ja;12,0;\n4614;1999;kanskje;-1;x\n"
    table = read_tables(csv.encode(), "survey.csv")[0]
    columns = profile_columns(table)
    good, bad = (parse_profile(number, cells, columns, table.headers, lookups) for number, cells in table.rows)
    assert good == ProfileRow(
        2,
        {
            "municipality_number": "0301",
            "year": 2026,
            "has_cancer_coordinator": True,
            "rehab_places": 12,
            "overview_of_waiting_times": None,
        },
    )
    assert bad == [
        RowError(3, "«kanskje» er ikke ja eller nei", "Kreftkoordinator", code="not_yes_no"),
        RowError(3, "kartleggingsåret må være mellom 2000 og 2100", "År", code="out_of_range"),
        RowError(3, "antall plasser må være mellom 0 og 100000", "Rehabiliteringsplasser", code="out_of_range"),
    ]
