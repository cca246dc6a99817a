"""A service's document: the service as the API shows it, stored in `rehab_service.doc` by every write.

`build_document` is the one place a document is put together: from the tables (`hydrate`, which reads,
single writes and `refresh_docs` use) and from a bulk write's resolved values (`bulk`), so both write
paths store the same document for the same service.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from app.domain import taxonomy
from app.domain.catalogue.tables import (
    organisations,
    service_catchment,
    service_columns,
    service_forms,
    service_groups,
    services,
)
from app.domain.errors import NotFound
from app.kit.serialization import dumps
from app.models.rehab_service import RehabServiceRead, ServiceForm

ServiceDict = dict[str, Any]
_FORM_ORDER = {f.value: i for i, f in enumerate(ServiceForm)}
_KEYS = tuple(RehabServiceRead.model_fields)  # as `shaped` has them, looked up once: bulk writes build many


def build_document(
    values: Mapping[str, Any], forms: Iterable[str], patient_groups: Iterable[str], catchment: Iterable[str]
) -> ServiceDict:
    """The service's document: RehabServiceRead's fields, in its order (stable, readable JSON).

    `values` holds the service's column values and its provider's name (`provider_name`); the links are
    its form values, patient-group codes and municipality numbers, in any order.
    """
    item = {
        **values,
        "forms": sorted(forms, key=_FORM_ORDER.__getitem__),
        "patient_groups": sorted(patient_groups),
        "catchment": sorted(catchment),
    }
    return {key: item[key] for key in _KEYS}


def hydrate(session: Session, ids: Sequence[int]) -> list[ServiceDict]:
    """Live services assembled from their tables, in id order, with Python values."""
    if not ids:
        return []
    stmt = (
        select(*service_columns, organisations.c.name.label("provider_name"))
        .join(organisations, organisations.c.id == services.c.provider_id)
        .where(services.c.id.in_(list(ids)), services.c.deleted_at.is_(None))
        .order_by(services.c.id)
    )
    rows = [dict(r) for r in session.execute(stmt).mappings()]
    links = _links(session, [row["id"] for row in rows])
    return [build_document(row, *links[row["id"]]) for row in rows]


def _links(session: Session, ids: list[int]) -> dict[int, tuple[list[str], list[str], list[str]]]:
    """(forms, patient-group codes, catchment) of a page of services, with three queries."""
    links: dict[int, tuple[list[str], list[str], list[str]]] = {sid: ([], [], []) for sid in ids}
    if not ids:
        return links
    for sid, form in session.execute(
        select(service_forms.c.service_id, service_forms.c.form).where(service_forms.c.service_id.in_(ids))
    ):
        links[sid][0].append(form)
    codes = taxonomy.get_taxonomy(session).by_id
    for sid, gid in session.execute(
        select(service_groups.c.service_id, service_groups.c.patient_group_id).where(
            service_groups.c.service_id.in_(ids)
        )
    ):
        links[sid][1].append(codes[gid].code if gid in codes else str(gid))
    for sid, number in session.execute(
        select(service_catchment.c.service_id, service_catchment.c.municipality_number).where(
            service_catchment.c.service_id.in_(ids)
        )
    ):
        links[sid][2].append(number)
    return links


def get_service(session: Session, service_id: int) -> ServiceDict:
    """One live service with Python values (dates as dates)."""
    items = hydrate(session, [service_id])
    if not items:
        raise NotFound(f"No rehabilitation service with id {service_id}")
    return items[0]


def store_docs(session: Session, ids: Sequence[int]) -> None:
    """Rewrite the stored JSON documents of these services (after any write that changes them)."""
    for start in range(0, len(ids), 500):
        items = hydrate(session, ids[start : start + 500])
        if items:
            session.execute(
                update(services).where(services.c.id == bindparam("sid")).values(doc=bindparam("new_doc")),
                [{"sid": item["id"], "new_doc": dumps(item).decode()} for item in items],
            )


def refresh_docs(session: Session, *, provider_id: int | None = None, only_missing: bool = False) -> int:
    """Rebuild stored documents (all, one provider's, or those missing); returns how many."""
    stmt = select(services.c.id).where(services.c.deleted_at.is_(None)).order_by(services.c.id)
    if provider_id is not None:
        stmt = stmt.where(services.c.provider_id == provider_id)
    if only_missing:
        stmt = stmt.where(services.c.doc.is_(None))
    ids = list(session.execute(stmt).scalars())
    store_docs(session, ids)
    return len(ids)
