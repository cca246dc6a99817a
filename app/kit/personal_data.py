"""Norwegian national identity numbers in free text: found, classified and masked.

Rehabkart describes services and groups, never persons, so free text must not carry a fødselsnummer,
D-number, H-number or a synthetic test number. A candidate is 11 digits written `ddmmyynnnnn` or
`ddmmyy nnnnn` (one space, dot or dash between the 6 and the 5), not part of a longer run of digits. It is
an identity number when

- the second check digit holds (weights 5 4 3 2 7 6 5 4 3 2 1, sum mod 11 == 0), and
- the first one holds by today's rule (weights 3 7 6 1 8 9 4 5 2 1, remainder 0) or by the rule for
  numbers issued from 2032 (remainder 0, 1, 2 or 3), and
- the first six digits are a date once the offsets are taken off: day +40 (D-number), month +40
  (H-number, and NAV Dolly's synthetic numbers), month +80 (Skatteetaten Tenor's synthetic numbers), in a
  year of the 1900s or 2000s.

Other groupings (`0101 85 12345`), bank account numbers as they are written (`1234.56.78903`), 8-digit phone
numbers, 9-digit organisation numbers and dates do not match. Unicode digits (full-width, say) count as
digits. Sources: Skatteetaten's "Nytt fødselsnummer fra 2032" and its test-data pages; see the research
notes (gaps.md section 1).
"""

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

Kind = Literal["fnr", "d", "h", "synthetic", "2032"]

# One space (also no-break and thin ones), dot or dash (also the typographic ones) between the two groups.
_SEPARATOR = "[ .\\-\u00a0\u2009\u202f\u2010\u2011\u2013]"
# (?<!\d)(\d{6}) written as a digit first, then the look-behind: the same matches, several times faster, as
# the engine only stops at digits.
_CANDIDATE = re.compile(rf"(\d(?<!\d\d)\d{{5}}){_SEPARATOR}?(\d{{5}})(?!\d)")
_DIGIT = re.compile(r"\d")

_K1_WEIGHTS = (3, 7, 6, 1, 8, 9, 4, 5, 2, 1)
_K2_WEIGHTS = (5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1)
# The remainders the first check digit may leave: 0 today, 0-3 for numbers issued from 2032.
_K1_TODAY = 0
_K1_FROM_2032 = frozenset({0, 1, 2, 3})

MASK = "•"


@dataclass(frozen=True)
class Match:
    """Where an identity number is (`text[start:end]`, separator included) and what kind it is.

    `kind`: "2032" when only the rule for numbers issued from 2032 accepts its first check digit;
    otherwise "synthetic" (month +80), "h" (month +40: an H-number or a NAV Dolly synthetic number),
    "d" (day +40) or "fnr" (an ordinary fødselsnummer).
    """

    start: int
    end: int
    kind: Kind


def _weighted(digits: list[int], weights: tuple[int, ...]) -> int:
    return sum(d * w for d, w in zip(digits, weights, strict=False)) % 11


def _is_a_day(day: int, month: int, year: int) -> bool:
    """A real calendar day in 19yy or 20yy (29 February needs a leap year in one of them)."""
    for century in (1900, 2000):
        try:
            date(century + year, month, day)
        except ValueError:
            continue
        return True
    return False


def classify(digits: str) -> Kind | None:
    """The kind of identity number the 11 digits are, or None when they are not one."""
    if len(digits) != 11:
        return None
    try:
        d = [int(ch) for ch in digits]
    except ValueError:
        return None
    if _weighted(d, _K2_WEIGHTS) != 0:
        return None
    k1 = _weighted(d, _K1_WEIGHTS)
    if k1 not in _K1_FROM_2032:
        return None
    day, month, year = d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]
    kind: Kind = "fnr"
    if day > 40:
        day, kind = day - 40, "d"
    if month > 80:
        month, kind = month - 80, "synthetic"
    elif month > 40:
        month, kind = month - 40, "h"
    if not (1 <= day <= 31 and 1 <= month <= 12 and _is_a_day(day, month, year)):
        return None
    return kind if k1 == _K1_TODAY else "2032"


def find_identity_numbers(text: str) -> list[Match]:
    """Every identity number in `text`, in order."""
    found = []
    for candidate in _CANDIDATE.finditer(text):
        kind = classify(candidate.group(1) + candidate.group(2))
        if kind is not None:
            found.append(Match(candidate.start(), candidate.end(), kind))
    return found


def contains_identity_number(text: str) -> bool:
    return any(classify(c.group(1) + c.group(2)) for c in _CANDIDATE.finditer(text))


def mask(text: str) -> str:
    """`text` with every digit of every identity number in it replaced by "•" (separators kept)."""
    found = find_identity_numbers(text)
    if not found:
        return text
    parts, last = [], 0
    for match in found:
        parts.append(text[last : match.start])
        parts.append(_DIGIT.sub(MASK, text[match.start : match.end]))
        last = match.end
    parts.append(text[last:])
    return "".join(parts)
