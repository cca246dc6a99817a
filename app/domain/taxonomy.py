"""The patient-group taxonomy: lookups by code, sub-trees and friendly suggestions."""

import time
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from sqlmodel import Session, select

from app.domain import vocabulary
from app.domain.errors import FieldError, InvalidInput
from app.models import PatientGroup

# The taxonomy changes only through `rehabkart reference load`; a short cache keeps list queries lean.
_TTL_SECONDS = 30.0


@dataclass
class Taxonomy:
    groups: list[PatientGroup]
    by_code: dict[str, PatientGroup] = field(init=False)
    by_id: dict[int, PatientGroup] = field(init=False)
    children: dict[int, list[int]] = field(init=False)

    def __post_init__(self) -> None:
        self.by_code = {g.code: g for g in self.groups}
        self.by_id = {g.id: g for g in self.groups if g.id is not None}
        self.children = {}
        for g in self.groups:
            if g.parent_id is not None and g.id is not None:
                self.children.setdefault(g.parent_id, []).append(g.id)

    def subtree_ids(self, code: str) -> list[int]:
        root = self.by_code[code].id
        assert root is not None
        out, stack = [], [root]
        while stack:
            node = stack.pop()
            out.append(node)
            stack.extend(self.children.get(node, ()))
        return sorted(out)

    @cached_property
    def words(self) -> vocabulary.Vocabulary:
        return vocabulary.vocabulary(
            vocabulary.GroupTerms(
                code=g.code,
                names=tuple(n for n in (g.name_nb, g.name_nn, g.name_en) if n),
                aliases=tuple(aliases(g)),
                icd10=g.icd10,
            )
            for g in self.groups
        )

    def match(self, text: str) -> vocabulary.Match:
        """What `text` means: a code, a name (bokmål, nynorsk, English), an everyday term or an ICD-10 code."""
        if text in self.by_code:
            return vocabulary.Match(code=text)
        return self.words.match(text)

    def suggest(self, text: str) -> str | None:
        """The group (as a code) of the known term closest to `text`, from the whole vocabulary."""
        found = self.words.match(text)
        return found.code or found.suggestion_code

    def resolve(self, code_or_name: str) -> PatientGroup | None:
        """The one group `code_or_name` means (see `match`), or None when it is unknown or ambiguous."""
        code = self.match(code_or_name).code
        return self.by_code[code] if code is not None else None

    def code_for(self, text: str, loc: tuple[str | int, ...]) -> str:
        """The code `text` means (see `match`), or InvalidInput in Norwegian naming the candidates of an
        ambiguous term or the closest known one."""
        found = self.match(text)
        if found.code is not None:
            return found.code
        if found.ambiguous:
            names = ", ".join(f"«{self.by_code[c].name_nb}» ({c})" for c in found.candidates)
            message = f"«{text}» kan bety flere pasientgrupper: {names}"
        else:
            message = f"ukjent pasientgruppe «{text}»"
            if found.suggestion_code is not None:
                message += f"; mente du «{self.by_code[found.suggestion_code].name_nb}»?"
        raise InvalidInput("Ukjent pasientgruppe", [FieldError(loc, message)])

    def require(self, codes: list[str], loc: tuple[str | int, ...], *, indexed: bool = True) -> list[int]:
        """Ids for `codes`, or an InvalidInput naming each unknown one with a suggestion."""
        errors = []
        ids = []
        for i, code in enumerate(codes):
            group = self.by_code.get(code)
            if group is None or group.id is None:
                hint = self.suggest(code)
                msg = f"unknown patient group '{code}'" + (f"; did you mean '{hint}'?" if hint else "")
                errors.append(FieldError((*loc, i) if indexed else loc, msg))
            else:
                ids.append(group.id)
        if errors:
            raise InvalidInput("Unknown patient group", errors)
        return ids


def aliases(group: PatientGroup) -> list[str]:
    return [a for a in group.aliases.split("|") if a] if group.aliases else []


_cache: dict[str, tuple[float, Taxonomy]] = {}


def get_taxonomy(session: Session) -> Taxonomy:
    key = str(session.get_bind().engine.url)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit and now - hit[0] < _TTL_SECONDS:
        return hit[1]
    groups = list(session.exec(select(PatientGroup).order_by(PatientGroup.sort_order, PatientGroup.code)).all())  # type: ignore[arg-type]
    for g in groups:
        session.expunge(g)
    taxonomy = Taxonomy(groups)
    _cache[key] = (now, taxonomy)
    return taxonomy


def invalidate() -> None:
    _cache.clear()


def list_patient_groups(session: Session) -> list[dict[str, Any]]:
    taxonomy = get_taxonomy(session)
    return [
        {
            "id": g.id,
            "code": g.code,
            "parent": taxonomy.by_id[g.parent_id].code if g.parent_id in taxonomy.by_id else None,
            "name_nb": g.name_nb,
            "name_en": g.name_en,
            "name_nn": g.name_nn,
            "aliases": aliases(g),
            "icd10": g.icd10.split() if g.icd10 else [],
            "created_at": g.created_at,
            "updated_at": g.updated_at,
            "version": g.version,
        }
        for g in taxonomy.groups
    ]
