"""app/kit: cursors, text folding and LIKE escaping, Norwegian identifiers, secrets and JSON."""

import base64
import hashlib
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

import pytest

from app.domain.errors import FieldError, InvalidInput
from app.kit.cursors import decode_cursor, encode_cursor
from app.kit.identifiers import national_id_is_valid, orgnr_is_valid
from app.kit.secrets import digest, mint
from app.kit.serialization import dumps, loads
from app.kit.text import fold, like_pattern, nfc


def _raw_cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


@pytest.mark.parametrize(("key", "kind"), [(0, int), (42, int), (2**31 - 1, int), ("0301", str), ("", str)])
def test_a_cursor_gives_back_its_key(key: int | str, kind: type[int] | type[str]) -> None:
    cursor = encode_cursor(key)
    assert "=" not in cursor  # URL-safe without padding
    assert decode_cursor(cursor, kind) == key


def test_a_cursor_is_base64url_json() -> None:
    assert encode_cursor(42) == "eyJrIjo0Mn0"
    assert base64.urlsafe_b64decode(encode_cursor("0301") + "==") == b'{"k":"0301"}'


@pytest.mark.parametrize(
    ("cursor", "kind"),
    [
        ("not-a-cursor", int),
        ("", int),
        ("ø", int),  # not ASCII
        ("!!!!", int),
        (encode_cursor("0301"), int),  # a key of the other kind
        (encode_cursor(42), str),
        (_raw_cursor('{"k":true}'), int),  # a bool is no id
        (_raw_cursor('{"k":-1}'), int),
        (_raw_cursor('{"k":2147483648}'), int),
        (_raw_cursor('{"key":1}'), int),
        (_raw_cursor("[1]"), int),
        (_raw_cursor("null"), int),
        (_raw_cursor("{not json"), int),
    ],
)
def test_a_cursor_we_did_not_issue_is_invalid_input_on_the_cursor_parameter(
    cursor: str, kind: type[int] | type[str]
) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor, kind)
    assert "pass next_cursor from a previous page unchanged" in raised.value.detail
    assert raised.value.errors == [FieldError(("query", "cursor"), "is not a cursor this API issued")]


def test_nfc_composes() -> None:
    assert nfc("A\u030alesund") == "\u00c5lesund"
    assert nfc("\u00c5lesund") == "\u00c5lesund"
    assert nfc("Tr\u00f8ndelag") == "Tr\u00f8ndelag"  # ø has no decomposition


def test_fold_joins_the_non_empty_parts_case_folded() -> None:
    assert fold("Helse Fonna HF", "", "983974694") == "helse fonna hf 983974694"
    assert fold("STRASSE", "Straße") == "strasse strasse"
    assert fold("\u00c6RE \u00d8Y") == "\u00e6re \u00f8y"
    assert fold() == ""


@pytest.mark.parametrize(
    ("query", "pattern"),
    [
        ("Kols", "%kols%"),
        ("100%", "%100\\%%"),
        ("a_b", "%a\\_b%"),
        ("back\\slash", "%back\\\\slash%"),
        ("%_\\", "%\\%\\_\\\\%"),
        ("A\u030alesund", "%\u00e5lesund%"),
    ],
)
def test_like_pattern_folds_and_escapes_the_wildcards(query: str, pattern: str) -> None:
    assert like_pattern(query) == pattern


@pytest.mark.parametrize("orgnr", ["974116804", "983974694", "974116820"])  # the last: check digit 11 → 0
def test_valid_organisation_numbers(orgnr: str) -> None:
    assert orgnr_is_valid(orgnr)


@pytest.mark.parametrize(
    "orgnr",
    [
        "974116805",  # wrong check digit
        "97411680",
        "9741168044",
        "",
        "97411680a",
        " 74116804",
        "\uff19\uff17\uff14\uff11\uff11\uff16\uff18\uff10\uff14",  # full-width digits: isdigit(), not ASCII
    ],
)
def test_invalid_organisation_numbers(orgnr: str) -> None:
    assert not orgnr_is_valid(orgnr)


def test_no_check_digit_completes_a_number_whose_check_would_be_ten() -> None:
    assert [orgnr_is_valid(f"97411688{d}") for d in range(10)] == [False] * 10
    assert [orgnr_is_valid(f"97411680{d}") for d in range(10)] == [d == 4 for d in range(10)]


@pytest.mark.parametrize(
    ("value", "valid"),
    [("15076500565", True), ("15076500566", False), ("1507650056", False), ("1507650056x", False), ("", False)],
)
def test_national_identity_numbers(value: str, valid: bool) -> None:
    assert national_id_is_valid(value) is valid


def test_digest_is_the_sha256_hex_of_the_secret() -> None:
    assert digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert digest("\u00e5") == hashlib.sha256("\u00e5".encode()).hexdigest()


def test_mint_gives_a_fresh_secret_and_its_digest() -> None:
    secret, secret_hash = mint("rk_")
    assert secret.startswith("rk_")
    assert len(secret) == 3 + 43  # 256 random bits, base64url without padding
    assert secret_hash == digest(secret)
    assert secret not in secret_hash
    plain, _ = mint()
    assert len(plain) == 43
    assert all(c.isalnum() or c in "-_" for c in plain)
    assert len({mint()[0] for _ in range(20)}) == 20


class _Colour(StrEnum):
    red = "red"


def test_dumps_writes_utc_times_with_z_and_any_keys() -> None:
    naive = datetime(2026, 1, 31, 12, 0, 0)  # naive datetimes are UTC
    assert dumps({"at": naive}) == b'{"at":"2026-01-31T12:00:00Z"}'
    assert dumps(datetime(2026, 1, 31, 12, tzinfo=UTC)) == b'"2026-01-31T12:00:00Z"'
    oslo = timezone(timedelta(hours=1))
    assert dumps(datetime(2026, 1, 31, 13, tzinfo=oslo)) == b'"2026-01-31T13:00:00+01:00"'
    assert dumps({1: "a", "b": date(2026, 1, 31), "c": _Colour.red}) == b'{"1":"a","b":"2026-01-31","c":"red"}'
    assert dumps("\u00c5 <script>") == '"\u00c5 <script>"'.encode()


def test_loads_reads_what_dumps_wrote() -> None:
    value = {"name": "\u00c5lesund", "n": [1, 2.5, None, True]}
    assert loads(dumps(value)) == value
    assert loads('{"a": 1}') == {"a": 1}
