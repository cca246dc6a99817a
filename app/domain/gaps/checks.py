"""The rules of a gap's fields that need the database: known codes, places, owner, service and pathway step.

Every problem is collected, each at its field path (`loc` is the prefix: ("body",) for the API, a row for
the import sheet later), so one answer names them all.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain import geography, taxonomy
from app.domain.errors import FieldError, InvalidInput
from app.models import Network, NetworkMeeting, Organisation, PathwayTemplate, Region, RehabService
from app.models.gap import GapFields, PathwayStepRef
from app.models.pathway import PathwayStatus


@dataclass(frozen=True)
class Previous:
    """A stored gap's links, which are not checked again while they stay the same."""

    service_id: int | None
    pathway_step: dict[str, Any] | None


@dataclass(frozen=True)
class Resolved:
    """What is stored for a gap's references."""

    patient_group_id: int | None
    region_id: int | None
    municipalities: list[str]


def _place(session: Session, fields: GapFields, loc: tuple[str | int, ...]) -> tuple[int | None, list[FieldError]]:
    errors: list[FieldError] = []
    if fields.municipalities and fields.region:
        errors.append(FieldError((*loc, "region"), "oppgi enten kommuner eller en hel region, ikke begge"))
    elif not fields.municipalities and not fields.region:
        errors.append(FieldError((*loc, "municipalities"), "oppgi minst én kommune, eller en hel region i «region»"))
    known = geography.municipality_numbers(session)
    errors += [
        FieldError((*loc, "municipalities", i), f"ukjent kommunenummer «{number}»")
        for i, number in enumerate(fields.municipalities)
        if number not in known
    ]
    if not fields.region:
        return None, errors
    region_id = session.execute(select(col(Region.id)).where(col(Region.code) == fields.region)).scalar_one_or_none()
    if region_id is None:
        codes = ", ".join(session.execute(select(col(Region.code)).order_by(col(Region.code))).scalars())
        errors.append(FieldError((*loc, "region"), f"ukjent region «{fields.region}»; en av {codes}"))
    return region_id, errors


def patient_group_id(session: Session, code: str, loc: tuple[str | int, ...]) -> int:
    """The id of a patient-group code, or InvalidInput at `loc` with a suggestion."""
    tax = taxonomy.get_taxonomy(session)
    group = tax.by_code.get(code)
    if group is None or group.id is None:
        hint = tax.suggest(code)
        message = f"ukjent pasientgruppe «{code}»" + (f"; mente du «{hint}»?" if hint else "")
        raise InvalidInput("Ukjent pasientgruppe", [FieldError(loc, message)])
    return group.id


def _pathway_step(session: Session, ref: PathwayStepRef, loc: tuple[str | int, ...]) -> list[FieldError]:
    template = session.execute(
        select(PathwayTemplate).where(
            col(PathwayTemplate.series) == ref.series, col(PathwayTemplate.series_version) == ref.series_version
        )
    ).scalar_one_or_none()
    if template is None:
        return [FieldError(loc, f"forløpsmalen «{ref.series}» har ingen versjon {ref.series_version}")]
    # Drafts change and can be deleted; a gap points at a frozen version.
    if template.status == PathwayStatus.draft:
        return [FieldError(loc, f"versjon {ref.series_version} av «{ref.series}» er et utkast: velg en publisert")]
    if ref.key not in {step["key"] for step in template.steps}:
        return [
            FieldError((*loc, "key"), f"versjon {ref.series_version} av «{ref.series}» har ikke steget «{ref.key}»")
        ]
    return []


def _network(session: Session, fields: GapFields, loc: tuple[str | int, ...]) -> list[FieldError]:
    """A meeting belongs to a network: the gap's, which it implies when not given."""
    if fields.network_id is not None:
        network = session.get(Network, fields.network_id)
        if network is None or network.deleted_at is not None:
            return [FieldError((*loc, "network_id"), f"fant ikke noe nettverk med id {fields.network_id}")]
    if fields.meeting_id is None:
        return []
    meeting = session.get(NetworkMeeting, fields.meeting_id)
    if meeting is None or meeting.deleted_at is not None:
        return [FieldError((*loc, "meeting_id"), f"fant ikke noe møte med id {fields.meeting_id}")]
    if fields.network_id is None:
        return [FieldError((*loc, "network_id"), "oppgi nettverket møtet hører til")]
    if meeting.network_id != fields.network_id:
        return [
            FieldError((*loc, "meeting_id"), f"møte {fields.meeting_id} hører ikke til nettverk {fields.network_id}")
        ]
    return []


def resolve(
    session: Session, fields: GapFields, previous: Previous | None = None, loc: tuple[str | int, ...] = ("body",)
) -> Resolved:
    """Check `fields` against the database. Links unchanged from `previous` are not checked again: a gap
    stays editable after its service is deleted."""
    region_id, errors = _place(session, fields, loc)
    group_id = None
    if fields.patient_group is not None:
        try:
            group_id = patient_group_id(session, fields.patient_group, (*loc, "patient_group"))
        except InvalidInput as exc:
            errors += exc.errors
    if session.get(Organisation, fields.owner_id) is None:
        errors.append(FieldError((*loc, "owner_id"), f"fant ingen organisasjon med id {fields.owner_id}"))
    if fields.service_id is not None and (previous is None or previous.service_id != fields.service_id):
        service = session.get(RehabService, fields.service_id)
        if service is None or service.deleted_at is not None:
            errors.append(FieldError((*loc, "service_id"), f"fant ingen tjeneste med id {fields.service_id}"))
    errors += _network(session, fields, loc)
    step = fields.pathway_step
    if step is not None and (previous is None or previous.pathway_step != step.model_dump()):
        errors += _pathway_step(session, step, (*loc, "pathway_step"))
    if errors:
        raise InvalidInput("Det udekkede behovet er ikke gyldig", errors)
    return Resolved(group_id, region_id, sorted(set(fields.municipalities)))


def organisation_exists(session: Session, organisation_id: int, loc: tuple[str | int, ...]) -> None:
    if session.get(Organisation, organisation_id) is None:
        raise InvalidInput(
            "Ukjent organisasjon", [FieldError(loc, f"fant ingen organisasjon med id {organisation_id}")]
        )
