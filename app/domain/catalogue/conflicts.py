"""An edit that lost the race: merging what the user typed with what someone saved meanwhile."""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session

from app.domain import audit
from app.domain.catalogue.documents import ServiceDict
from app.domain.merging import same_value


@dataclass
class MergedEdit:
    values: dict[str, Any]  # the user's form values, merged, based on the current version
    theirs: dict[str, list[Any]]  # what was saved since the user's version: {field: [then, now]}


def merge_edit(session: Session, current: ServiceDict, based_on: int, mine: dict[str, Any]) -> MergedEdit:
    """Three-way merge of an edit based on version `based_on` with the service as it is now (`current`).

    A field the user left as it was at `based_on` takes its current value; a field the user changed stays
    theirs, whatever was saved meanwhile. The merged values are based on the current version, so saving
    them again is no conflict.
    """
    theirs = audit.changes_since(session, "rehab_service", current["id"], based_on)
    merged = {**mine, "version": current["version"]}
    for name, (old, _new) in theirs.items():
        if name in merged and same_value(merged[name], old):
            merged[name] = None if name == "catchment" and current["catchment_inherited"] else current.get(name)
    return MergedEdit(merged, theirs)
