"""The words people use for patient groups: codes, names in bokmål, nynorsk and English, everyday terms and
ICD-10 codes, matched the way people write them.

The terms come from the reference data (patient_groups.csv and patient_group_terms.csv, loaded into the
patient_group table); this module only knows how to compare them. Matching ignores case, accents and
punctuation ("Parkinsons sykdom", "parkinsons-sykdom" and "PARKINSONS SYKDOM" are one term); a name with a
part in brackets is known with and without it ("Multippel sklerose (MS)", "Multippel sklerose", "MS").
An ICD-10 code ("J44", "J44.1", "j441", "J44,1") goes to the group whose range is the most specific: J44 is
COPD (J44), not lung disease (J40-J47). A term that several groups share is ambiguous, never guessed.
"""

import difflib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

_BRACKETS = re.compile(r"\(([^)]*)\)")
_ICD10 = re.compile(r"^([A-Z])(\d{2})(?:[.,]?(\d{1,2}))?$")
_RANGE = re.compile(r"^([A-Z]\d{2}(?:\.\d{1,2})?)(?:-([A-Z]\d{2}))?$")


def term_key(text: str) -> str:
    """`text` without case, accents, spaces or punctuation: the form terms are compared in."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))


def variants(term: str) -> set[str]:
    """A term, and for a term with a part in brackets also the term without it and the part alone."""
    out = {term}
    inner = _BRACKETS.findall(term)
    if inner:
        out.add(_BRACKETS.sub(" ", term))
        out.update(inner)
    return {key for key in (term_key(v) for v in out) if key}


def icd10_code(text: str) -> str | None:
    """`text` as an ICD-10 code in its dotted form ("J44", "J44.1"), or None when it is not one."""
    compact = re.sub(r"\s+", "", text).upper()
    found = _ICD10.match(compact)
    if found is None:
        return None
    letter, category, sub = found.groups()
    return f"{letter}{category}" + (f".{sub}" if sub else "")


@dataclass(frozen=True)
class _Span:
    """An ICD-10 range of a group: categories `first`…`last`, or one subcategory `prefix` (e.g. G93.3)."""

    code: str
    first: str
    last: str
    prefix: str | None
    width: int  # smaller is more specific

    def covers(self, icd: str) -> bool:
        if self.prefix is not None:
            return icd.startswith(self.prefix)
        category = icd[:3]
        return category[0] == self.first[0] and self.first <= category <= self.last


def _spans(code: str, ranges: str) -> list[_Span]:
    out = []
    for token in ranges.split():
        found = _RANGE.match(token)
        if found is None:
            raise ValueError(f"patient group {code}: bad ICD-10 range {token!r}")
        first, last = found.group(1), found.group(2) or found.group(1)
        if "." in first:
            out.append(_Span(code, first[:3], first[:3], first, 1))
        else:
            out.append(_Span(code, first, last, None, (int(last[1:]) - int(first[1:]) + 1) * 100))
    return out


@dataclass(frozen=True)
class Match:
    """What a term means: one group's `code`, or several `candidates` (ambiguous), or neither (unknown,
    with the closest known term as `suggestion` and its group as `suggestion_code`)."""

    code: str | None = None
    candidates: tuple[str, ...] = ()
    suggestion: str | None = None
    suggestion_code: str | None = None

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


@dataclass(frozen=True)
class GroupTerms:
    code: str
    names: tuple[str, ...]  # bokmål, nynorsk and English names
    aliases: tuple[str, ...]
    icd10: str | None


@dataclass
class Vocabulary:
    groups: list[GroupTerms]
    by_key: dict[str, set[str]] = field(init=False, default_factory=dict)
    shown: dict[str, tuple[str, str]] = field(init=False, default_factory=dict)  # key → (term, code)
    spans: list[_Span] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        for group in self.groups:
            for term in (*group.names, *group.aliases, group.code):
                for key in variants(term):
                    self.by_key.setdefault(key, set()).add(group.code)
                    self.shown.setdefault(key, (term, group.code))
            if group.icd10:
                self.spans.extend(_spans(group.code, group.icd10))

    def match(self, text: str) -> Match:
        icd = icd10_code(text)
        if icd is not None:
            return self._by_icd10(icd)
        codes = self.by_key.get(term_key(text), set())
        if len(codes) == 1:
            return Match(code=next(iter(codes)))
        if codes:
            return Match(candidates=tuple(sorted(codes)))
        return self._suggest(text)

    def _by_icd10(self, icd: str) -> Match:
        hits = [s for s in self.spans if s.covers(icd)]
        if not hits:
            return Match()
        narrowest = min(s.width for s in hits)
        codes = sorted({s.code for s in hits if s.width == narrowest})
        return Match(code=codes[0]) if len(codes) == 1 else Match(candidates=tuple(codes))

    def _suggest(self, text: str) -> Match:
        close = difflib.get_close_matches(term_key(text), list(self.shown), n=1, cutoff=0.6)
        if not close:
            return Match()
        term, code = self.shown[close[0]]
        return Match(suggestion=term, suggestion_code=code)


def vocabulary(groups: Iterable[GroupTerms]) -> Vocabulary:
    return Vocabulary(list(groups))
