"""What is stored for a service's fields: column values, form values, patient-group ids and catchment.

`resolve` checks every reference in the fields and computes these values, for single and bulk writes.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session

from app.domain import geography, taxonomy
from app.domain.catalogue.tables import service_catchment, service_forms, service_groups
from app.domain.codes import code_list
from app.domain.errors import FieldError, InvalidInput
from app.kit.text import fold
from app.models import RehabService
from app.models.rehab_service import RehabServiceFields

LINK_FIELDS = ("forms", "patient_groups", "catchment")
SCALAR_FIELDS = tuple(f for f in RehabServiceFields.model_fields if f not in LINK_FIELDS)
# The service columns its fields decide (with `catchment_inherited` and the search text they imply).
STORED_SCALARS = (*SCALAR_FIELDS, "catchment_inherited", "search_text")


@dataclass
class ServiceValues:
    """A service's fields as stored: column values (`scalars`, as STORED_SCALARS) and its links."""

    scalars: dict[str, Any]
    forms: set[str]
    group_ids: set[int]
    catchment: list[str]  # sorted
    inherited: bool


def code_errors(fields: RehabServiceFields) -> list[FieldError]:
    """The optional national codes in `fields` that are not in their code lists."""
    return [
        FieldError(("body", name), f"'{value}' is not a code in the {name.rsplit('_', 1)[-1]} code list")
        for name in ("helsehjelpsomrade_8655", "iplos_9151", "omsorgsniva_8406")
        if (value := getattr(fields, name)) is not None and value not in code_list(name)
    ]


def resolve(
    session: Session,
    fields: RehabServiceFields,
    provider_catchment: Callable[[], list[str]],
    tax: taxonomy.Taxonomy | None = None,
) -> ServiceValues:
    """Check every reference in `fields` against the database and compute the stored values.

    Without a catchment of its own the service inherits its provider's, which `provider_catchment`
    gives (called only then). `tax` saves looking the taxonomy up again when many rows are resolved.
    Unknown codes, patient groups and municipalities are an InvalidInput, in that order.
    """
    if errors := code_errors(fields):
        raise InvalidInput("Unknown national code", errors)
    group_ids = (tax or taxonomy.get_taxonomy(session)).require(fields.patient_groups, ("body", "patient_groups"))
    if fields.catchment is None:
        return stored_values(fields, group_ids, provider_catchment(), True)
    geography.require_municipalities(session, fields.catchment, ("body", "catchment"))
    return stored_values(fields, group_ids, sorted(fields.catchment), False)


def stored_values(
    fields: RehabServiceFields, group_ids: list[int], catchment: list[str], inherited: bool
) -> ServiceValues:
    """What is stored for `fields` whose references are already checked: column values and links."""
    scalars = {name: getattr(fields, name) for name in SCALAR_FIELDS}
    for enum_field in ("level", "status", "capacity_unit"):
        if scalars[enum_field] is not None:
            scalars[enum_field] = scalars[enum_field].value
    scalars["age_groups"] = [a.value for a in fields.age_groups]
    scalars["referrers"] = [r.value for r in fields.referrers]
    scalars["catchment_inherited"] = inherited
    scalars["search_text"] = fold(fields.name, fields.description)
    return ServiceValues(scalars, {f.value for f in fields.forms}, set(group_ids), catchment, inherited)


def current_values(session: Session, svc: RehabService) -> ServiceValues:
    """What is stored for `svc` now, to compare with newly resolved values."""
    assert svc.id is not None
    sid = svc.id
    return ServiceValues(
        scalars={name: getattr(svc, name) for name in STORED_SCALARS},
        forms=set(session.execute(select(service_forms.c.form).where(service_forms.c.service_id == sid)).scalars()),
        group_ids=set(
            session.execute(
                select(service_groups.c.patient_group_id).where(service_groups.c.service_id == sid)
            ).scalars()
        ),
        catchment=stored_catchment(session, sid),
        inherited=svc.catchment_inherited,
    )


def stored_catchment(session: Session, service_id: int) -> list[str]:
    """The municipality numbers of a service's catchment as stored, sorted."""
    return list(
        session.execute(
            select(service_catchment.c.municipality_number)
            .where(service_catchment.c.service_id == service_id)
            .order_by(service_catchment.c.municipality_number)
        ).scalars()
    )


def new_service_row(
    values: ServiceValues,
    provider_id: int,
    external_id: str | None,
    source: str,
    batch_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    """The column values of a new service (version 1), for the single and the bulk insert."""
    return {
        **values.scalars,
        "provider_id": provider_id,
        "external_id": external_id,
        "source": source,
        "source_batch_id": batch_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
    }
