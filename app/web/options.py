"""Choices and names the gap and network pages share: organisations for selects, names for codes."""

from typing import Any

from sqlmodel import Session

from app.domain import catalogue, geography


def organisations(session: Session) -> list[tuple[int, str]]:
    """Every organisation as (id, name), by name: owners, members, responsible organisations."""
    return sorted(catalogue.organisation_options(session), key=lambda pair: pair[1])


def code_names(session: Session) -> dict[str, Any]:
    """Names for codes: patient groups, municipalities, regions."""
    options = catalogue.filter_options(session)
    return {
        "group_names": {code: name for code, name, _ in options.patient_groups},
        "municipality_names": dict(options.municipalities),
        "region_names": region_names(session),
    }


def region_names(session: Session) -> dict[str, str]:
    return {r["code"]: r["name"] for r in geography.list_regions(session)}
