"""The patient-group taxonomy: lookups by code, sub-trees and friendly suggestions."""

import difflib
import time
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, select

from app.domain.errors import FieldError, InvalidInput
from app.kit.text import fold
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

    def suggest(self, text: str) -> str | None:
        """The closest code or Norwegian/English name to `text`, as a code."""
        names: dict[str, str] = {}
        for g in self.groups:
            for label in (g.code, g.name_nb, g.name_en):
                names[fold(label)] = g.code
        match = difflib.get_close_matches(fold(text), list(names), n=1, cutoff=0.5)
        return names[match[0]] if match else None

    def resolve(self, code_or_name: str) -> PatientGroup | None:
        """A group by code or by its Norwegian or English name, case-insensitively."""
        if code_or_name in self.by_code:
            return self.by_code[code_or_name]
        wanted = fold(code_or_name)
        for g in self.groups:
            if wanted in (fold(g.code), fold(g.name_nb), fold(g.name_en)):
                return g
        return None

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
            "icd10": g.icd10.split() if g.icd10 else [],
            "created_at": g.created_at,
            "updated_at": g.updated_at,
            "version": g.version,
        }
        for g in taxonomy.groups
    ]
