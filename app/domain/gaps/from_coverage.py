"""From the coverage heat map to a registration: a missing step in a municipality becomes a gap.

A gap's identity here is (series, step key, municipality): while one is open (neither resolved, rejected nor
deleted) the same step in the same municipality is not registered again. A gap that names the whole region
counts for each of its municipalities. Any open gap linked to the step counts, whatever its source, so the
heat map and the refusal agree.
"""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import coverage, geography, taxonomy
from app.domain.actor import Actor
from app.domain.errors import Conflict, FieldError, InvalidInput
from app.domain.gaps import access, records, writes
from app.models import Gap, GapMunicipality, Municipality, Organisation, PathwayTemplatePatientGroup
from app.models.coverage import MissReason
from app.models.gap import GapCategory, GapCreate, GapSeverity, GapSource, PathwayStepRef
from app.models.organisation import OrganisationKind

REASON_TEXTS = {
    MissReason.not_active: "tilbudet som passer, er ikke i drift nå",
    MissReason.wrong_form: "tilbudene som finnes, har ikke en form steget beskriver",
    MissReason.wrong_level: "tilbudene som finnes, er på et annet nivå enn steget beskriver",
    MissReason.outside_catchment: "kommunen er ikke (helt) i opptaksområdet til tilbudene som passer",
    MissReason.no_service: "ingen tilbud passer steget",
}
_TITLE_MAX = 200


class AlreadyRegistered(Conflict):
    """An open gap already stands for this step in this municipality."""

    def __init__(self, detail: str, existing_id: int) -> None:
        super().__init__(detail)
        self.existing_id = existing_id


def open_registrations(session: Session, actor: Actor, series: str) -> dict[tuple[str, str], int]:
    """(step key, municipality number) → id of an open gap linked to that step of `series`, for readers who
    may see gaps (else empty: the heat map marks nothing for them). The oldest gap wins where several do."""
    if not access.may_read(actor):
        return {}
    open_gap = (
        col(Gap.pathway_series) == series,
        col(Gap.deleted_at).is_(None),
        col(Gap.status).not_in(records.CLOSED_GAP),
    )
    named = session.execute(
        select(col(Gap.pathway_step_key), col(GapMunicipality.municipality_number), col(Gap.id))
        .join(GapMunicipality, col(GapMunicipality.gap_id) == col(Gap.id))
        .where(*open_gap)
    ).all()
    whole_region = session.execute(
        select(col(Gap.pathway_step_key), col(Municipality.number), col(Gap.id))
        .join(Municipality, col(Municipality.region_id) == col(Gap.region_id))
        .where(*open_gap)
    ).all()
    out: dict[tuple[str, str], int] = {}
    for key, number, gap_id in sorted([*named, *whole_region], key=lambda r: r[2], reverse=True):
        out[(str(key), str(number))] = int(gap_id)
    return out


def municipality_organisation(session: Session, number: str) -> int | None:
    """The organisation of the municipality `number`, which owns the gaps registered from its coverage."""
    org_id = session.execute(
        select(col(Organisation.id))
        .where(
            col(Organisation.kind) == OrganisationKind.municipality.value,
            col(Organisation.municipality_number) == number,
        )
        .order_by(col(Organisation.id))
        .limit(1)
    ).scalar_one_or_none()
    return int(org_id) if org_id is not None else None


def may_register(session: Session, actor: Actor, number: str) -> bool:
    """Whether `actor` may register a gap from the coverage of municipality `number`."""
    owner = municipality_organisation(session, number)
    return actor.can_write and owner is not None and access.may_write(session, actor, owner, [number])


def _owner(session: Session, number: str) -> int:
    org_id = municipality_organisation(session, number)
    if org_id is None:
        raise InvalidInput(
            "Kommunen har ingen organisasjon i Rehabkart som kan følge opp behovet",
            [FieldError(("body", "municipality"), f"ingen kommuneorganisasjon med kommunenummer {number}")],
        )
    return org_id


def _single_group(session: Session, template_id: int) -> str | None:
    """The template's patient group when it has exactly one (a gap names one group)."""
    ids = list(
        session.execute(
            select(col(PathwayTemplatePatientGroup.patient_group_id)).where(
                col(PathwayTemplatePatientGroup.template_id) == template_id
            )
        ).scalars()
    )
    if len(ids) != 1:
        return None
    node = taxonomy.get_taxonomy(session).by_id.get(ids[0])
    return node.code if node is not None else None


def register_from_coverage(
    session: Session, actor: Actor, template_id: int, municipality: str, step_key: str, *, today: date | None = None
) -> dict[str, Any]:
    """Register the step `step_key` of the published template as missing in `municipality`.

    Category `missing_service` (`capacity` when a fitting service exists but is not active), severity
    `medium`, owner the municipality's organisation, source `coverage` with the reason code as reference.
    A covered step is refused (409), as is a step that already has an open gap (AlreadyRegistered).
    """
    plan = coverage.plan(session, actor, template_id)
    step = next((s for s in plan.steps if s.key == step_key), None)
    if step is None:
        raise InvalidInput(
            "Forløpsmalen har ikke dette steget",
            [FieldError(("body", "step_key"), f"ukjent steg «{step_key}» i «{plan.series}»")],
        )
    if municipality not in geography.municipality_numbers(session):
        raise InvalidInput(
            "Ukjent kommune", [FieldError(("body", "municipality"), f"ukjent kommunenummer «{municipality}»")]
        )
    place = geography.get_municipality(session, municipality)
    answer = coverage.for_municipality(session, actor, template_id, municipality, today=today)
    cell = next(s for s in answer["steps"] if s["key"] == step_key)
    if cell["covered"]:
        raise Conflict(f"Steget «{step.title}» er dekket i {place['name']}; det er ikke noe udekket behov å registrere")
    existing = _open_gap(session, plan.series, step_key, municipality)
    if existing is not None:
        raise AlreadyRegistered(
            f"Steget «{step.title}» i {place['name']} er allerede registrert som udekket behov (id {existing})",
            existing,
        )
    reason = MissReason(cell["reason"])
    title = f"{step.title} mangler i {place['name']} ({plan.title})"
    body = GapCreate(
        title=title if len(title) <= _TITLE_MAX else title[: _TITLE_MAX - 1] + "…",
        description=f"Registrert fra dekningskartet for «{plan.title}»: {REASON_TEXTS[reason]}.",
        category=GapCategory.capacity if reason == MissReason.not_active else GapCategory.missing_service,
        severity=GapSeverity.medium,
        patient_group=_single_group(session, plan.id),
        municipalities=[municipality],
        source=GapSource.coverage,
        source_reference=reason.value,
        owner_id=_owner(session, municipality),
        pathway_step=PathwayStepRef(series=plan.series, series_version=plan.series_version, key=step_key),
    )
    return writes.create(session, actor, body)


def _open_gap(session: Session, series: str, step_key: str, municipality: str) -> int | None:
    region_id = session.execute(
        select(col(Municipality.region_id)).where(col(Municipality.number) == municipality)
    ).scalar_one_or_none()
    named = select(col(GapMunicipality.gap_id)).where(col(GapMunicipality.municipality_number) == municipality)
    affected = col(Gap.id).in_(named)
    if region_id is not None:
        affected = affected | (col(Gap.region_id) == region_id)
    found = session.execute(
        select(col(Gap.id))
        .where(
            col(Gap.pathway_series) == series,
            col(Gap.pathway_step_key) == step_key,
            col(Gap.deleted_at).is_(None),
            col(Gap.status).not_in(records.CLOSED_GAP),
            affected,
        )
        .order_by(col(Gap.id))
        .limit(1)
    ).scalar_one_or_none()
    return int(found) if found is not None else None
