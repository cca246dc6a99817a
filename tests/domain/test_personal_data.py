"""The personal-data guard: national identity numbers found (every kind, every writing), look-alikes left
alone, masking, the shared text types refusing them, and the scan of what is already stored (CLI too)."""

import re
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select, text, update
from sqlmodel import col
from typer.testing import CliRunner

from app.cli import app as cli
from app.db import transaction
from app.domain import personal_data
from app.kit.identifiers import national_id_is_valid
from app.kit.personal_data import classify, contains_identity_number, find_identity_numbers, mask
from app.models.audit import AuditEvent
from app.models.types import PERSONAL_DATA_MESSAGE, Email, ExternalId, LongText, Name, Phone, ShortText, Url
from tests.factories import make_service

K1 = (3, 7, 6, 1, 8, 9, 4, 5, 2)
K2 = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2)


def with_check_digits(first_nine: str, remainder: int = 0) -> str | None:
    """The 11-digit number whose first check digit leaves `remainder` (0 today, 0-3 from 2032), or None when
    a check digit would be 10 (such numbers are never issued)."""
    digits = [int(d) for d in first_nine]
    k1 = (remainder - sum(d * w for d, w in zip(digits, K1, strict=True))) % 11
    if k1 == 10:
        return None
    digits.append(k1)
    k2 = -sum(d * w for d, w in zip(digits, K2, strict=True)) % 11
    if k2 == 10:
        return None
    return first_nine + str(k1) + str(k2)


def number_for(birth: str, remainder: int = 0) -> str:
    """The first valid number for the six digits `birth` (ddmmyy, offsets included)."""
    for individual in range(1000):
        number = with_check_digits(f"{birth}{individual:03d}", remainder)
        if number:
            return number
    raise AssertionError(birth)


ORDINARY = number_for("010185")
assert national_id_is_valid(ORDINARY)  # the house's own 1964-rule checker agrees

# (number, kind): computed here, and the public examples of the research notes (gaps.md 1.3, 1.4).
NUMBERS = [
    (ORDINARY, "fnr"),
    ("15076500565", "fnr"),
    ("31129956715", "fnr"),  # fnrinfo's worked example
    (number_for("410185"), "d"),  # D-number: day + 40
    (number_for("710199"), "d"),  # 31 January + 40 on the day
    (number_for("014185"), "h"),  # H-number: month + 40
    ("15507600333", "h"),  # NAV Dolly (+40 on the month, the H-number format)
    ("29422059278", "h"),  # NAV Dolly
    ("17912099997", "synthetic"),  # Skatteetaten Tenor (+80 on the month)
    ("12829499914", "synthetic"),  # Tenor
    (number_for("019124"), "synthetic"),  # "born" 01.11.2024 in Tenor
    ("41814061033", "synthetic"),  # a synthetic D-number: day + 40 and month + 80
    ("02013299997", "fnr"),  # Skatteetaten's 2032 examples with remainder 0 are valid today too
    ("30108299920", "fnr"),
    ("30108299939", "2032"),  # remainder 1: fails today's check, valid from 2032
    ("02013299903", "2032"),
    (number_for("150790", remainder=3), "2032"),
]
WRITINGS = ["{}{}", "{} {}", "{}.{}", "{}-{}"]


def written(number: str, writing: str) -> str:
    return writing.format(number[:6], number[6:])


def without_the_number(output: str, number: str) -> bool:
    """Neither the number nor either of its parts (6 and 5 digits) is in `output`."""
    return number[:6] not in output and number[6:] not in output


def test_the_computed_numbers_fail_todays_rule_only_when_meant_to() -> None:
    for number, kind in NUMBERS:
        assert national_id_is_valid(number) is (kind != "2032"), number


@pytest.mark.parametrize("writing", WRITINGS)
@pytest.mark.parametrize(("number", "kind"), NUMBERS)
def test_identity_numbers_are_found_in_every_writing(number: str, kind: str, writing: str) -> None:
    sentence = f"Pasienten ({written(number, writing)}) ble henvist i går."
    found = find_identity_numbers(sentence)
    assert [(sentence[m.start : m.end], m.kind) for m in found] == [(written(number, writing), kind)]
    assert contains_identity_number(sentence)
    masked = mask(sentence)
    assert without_the_number(masked, number)
    assert masked == sentence.replace(written(number, writing), written("•" * 11, writing))


@pytest.mark.parametrize(
    "around",
    ["x{}y", "fnr:{}", "{}", "({})", "«{}»", "tlf {}.", "\n{}\n", "ABC{}DEF"],
)
def test_letters_and_punctuation_around_a_number_do_not_hide_it(around: str) -> None:
    assert contains_identity_number(around.format(ORDINARY))


def test_other_spaces_and_dashes_and_unicode_digits_count() -> None:
    for separator in ("\u00a0", "\u202f", "\u2013", "\u2011"):  # no-break/narrow spaces, en dash, no-break hyphen
        assert contains_identity_number(f"{ORDINARY[:6]}{separator}{ORDINARY[6:]}"), repr(separator)
    full_width = ORDINARY.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert contains_identity_number(f"nr {full_width}")
    assert mask(full_width) == "•" * 11


def _failing_check_digit(number: str) -> str:
    return number[:10] + str((int(number[10]) + 1) % 10)


@pytest.mark.parametrize(
    "text",
    [
        "Ring 91234567 eller 55 97 50 00",  # phone numbers
        "+47 91234567",
        "Helse Fonna HF, org.nr. 983974694",  # an organisation number
        "983 974 694",
        "Konto 1234.56.78903",  # bank accounts in their own grouping
        "Konto 1234 56 78903",
        f"Konto {ORDINARY[:4]}.{ORDINARY[4:6]}.{ORDINARY[6:]}",  # even one whose digits would pass
        "Fra 01.01.1985 til 31.12.2026",  # dates
        "1985-01-01",
        "010185",
        _failing_check_digit(ORDINARY),  # 11 digits whose check digits fail
        _failing_check_digit("30108299939"),
        "12345678901",
        "12345678901234",  # a longer run of digits
        f"9{ORDINARY}",
        f"{ORDINARY}0",
        f"{ORDINARY[:6]}  {ORDINARY[6:]}",  # two separators
        f"{ORDINARY[:6]} - {ORDINARY[6:]}",
        f"{ORDINARY[:4]} {ORDINARY[4:6]} {ORDINARY[6:]}",  # another grouping
        f"{ORDINARY[:6]}/{ORDINARY[6:]}",
        "",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert find_identity_numbers(text) == []
    assert mask(text) == text


@pytest.mark.parametrize(
    "birth",
    [
        "310285",  # 31 February
        "310400",  # 31 April
        "290201",  # 29 February 1901/2001: no leap year in either century
        "000185",  # day 0
        "011385",  # month 13
        "720185",  # D-number day 32
        "015385",  # H-number month 13
        "019385",  # synthetic month 13
        "016085",  # month 60 is no offset at all
    ],
)
def test_numbers_on_no_calendar_day_are_left_alone(birth: str) -> None:
    for remainder in range(4):
        number = number_for(birth, remainder)
        assert classify(number) is None, number
        assert not contains_identity_number(number)


def test_29_february_counts_when_either_century_has_it() -> None:
    assert classify(number_for("290200")) == "fnr"  # 2000 was a leap year (1900 was not)
    assert classify(number_for("290296")) == "fnr"
    assert classify(number_for("690296")) == "d"


def test_only_remainders_0_to_3_pass_the_first_check_digit() -> None:
    for remainder in range(11):
        number = with_check_digits("150790123", remainder)
        if number is not None:
            assert (classify(number) is not None) is (remainder <= 3), (remainder, number)


def test_masking_keeps_the_rest_of_the_text() -> None:
    text = f"Tlf 91234567. Pasient {ORDINARY[:6]} {ORDINARY[6:]} og {number_for('410185')}; orgnr 983974694."
    masked = mask(text)
    assert masked == "Tlf 91234567. Pasient •••••• ••••• og •••••••••••; orgnr 983974694."
    assert mask(masked) == masked


# --- the shared text types ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Name, ShortText, LongText, ExternalId])
def test_free_text_types_refuse_a_number(kind: Any) -> None:
    adapter = TypeAdapter(kind)
    for number, _ in NUMBERS[:4]:
        with pytest.raises(ValidationError) as caught:
            adapter.validate_python(f"Pasient {number[:6]} {number[6:]}")
        [error] = caught.value.errors()
        assert error["type"] == "personal_data"
        assert error["msg"] == PERSONAL_DATA_MESSAGE
        assert without_the_number(error["msg"], number)
    assert adapter.validate_python("Ring 91234567, org.nr. 983974694") == "Ring 91234567, org.nr. 983974694"


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Phone, f"+47 {ORDINARY[:6]} {ORDINARY[6:]}"),
        (Email, f"{ORDINARY}@example.no"),
        (Url, f"https://example.no/pasient?fnr={ORDINARY}"),
        (LongText, f"Linje én\nPasient {ORDINARY}"),
    ],
)
def test_phone_email_and_url_refuse_a_number_too(kind: Any, value: str) -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(kind).validate_python(value)
    assert [e["type"] for e in caught.value.errors()] == ["personal_data"]


def test_control_characters_are_still_reported_first() -> None:
    with pytest.raises(ValidationError) as caught:
        TypeAdapter(Name).validate_python(f"{ORDINARY}\x00")
    assert caught.value.errors()[0]["type"] == "value_error"


def test_decomposed_text_is_checked_after_nfc() -> None:
    assert TypeAdapter(Name).validate_python("A\u030as 91234567") == "\u00c5s 91234567"
    with pytest.raises(ValidationError):
        TypeAdapter(Name).validate_python(f"A\u030as {ORDINARY}")


# --- the scan of what is stored -----------------------------------------------------------------------------

runner = CliRunner()


def _plant(number: str) -> tuple[int, int]:
    """A service whose description, and the audit event of its creation, carry `number`, written past the
    guard with SQL; (service id, event id)."""
    service = make_service(description="Tverrfaglig rehabilitering")
    with transaction() as session:
        session.execute(
            text("UPDATE rehab_service SET description = :d WHERE id = :id"),
            {"d": f"Henvist: {number[:6]} {number[6:]}", "id": service["id"]},
        )
        event_id = session.execute(
            select(col(AuditEvent.id)).where(
                col(AuditEvent.entity_type) == "rehab_service", col(AuditEvent.entity_id) == str(service["id"])
            )
        ).scalar_one()
        changes = {"description": ["Tverrfaglig rehabilitering", f"Pasient {number}"]}
        session.execute(update(AuditEvent).where(col(AuditEvent.id) == event_id).values(changes=changes))
    return int(service["id"]), int(event_id)


def test_the_scan_finds_planted_numbers_and_never_shows_them(database_url: str) -> None:
    with transaction() as session:
        assert list(personal_data.scan(session)) == []  # reference data and a fresh service: nothing
    number = number_for("410185")
    service_id, event_id = _plant(number)
    with transaction() as session:
        hits = list(personal_data.scan(session))
    assert set(hits) == {
        personal_data.Hit("rehab_service", f"id={service_id}", "description", "d"),
        personal_data.Hit("audit_event", f"id={event_id}", "changes.description[1]", "d"),
    }
    assert without_the_number(repr(hits), number)


def test_the_scan_command_exits_0_when_clean_and_1_with_hits(database_url: str) -> None:
    clean = runner.invoke(cli, ["personal-data", "scan"])
    assert clean.exit_code == 0, clean.output
    assert "Fant ingen fødselsnumre" in clean.output
    number = "30108299939"  # a 2032-rule number
    service_id, event_id = _plant(number)
    found = runner.invoke(cli, ["personal-data", "scan"])
    assert found.exit_code == 1, found.output
    lines = found.stdout.splitlines()
    assert f"rehab_service\tid={service_id}\tdescription\tfødselsnummer etter 2032-regelen" in lines
    assert f"audit_event\tid={event_id}\tchanges.description[1]\tfødselsnummer etter 2032-regelen" in lines
    assert "Fant 2 mulige fødselsnumre" in found.output
    assert without_the_number(found.output, number)


def test_the_scan_command_says_what_its_exit_codes_mean() -> None:
    help_text = runner.invoke(cli, ["personal-data", "scan", "--help"]).output
    assert re.search(r"Kode 0.*1 når noe er funnet", " ".join(help_text.split()))


def test_the_cli_does_not_repeat_a_refused_name(database_url: str) -> None:
    number = ORDINARY
    result = runner.invoke(
        cli, ["users", "create", "--email", "a@test.example", "--name", f"Ola {number}", "--integration"]
    )
    assert result.exit_code == 1
    assert "Ugyldig bruker: name: Teksten ser ut til å inneholde et fødselsnummer" in result.output
    assert without_the_number(result.output, number)
