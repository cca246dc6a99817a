"""A service's link rows: its forms, patient groups and catchment, each in its own table.

Single and bulk writes both turn stored values into rows with `link_rows` and write them with
`replace_links` (the driver's executemany; COPY on PostgreSQL).
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, delete
from sqlmodel import Session

from app.db.bulk import insert_many
from app.domain.catalogue.tables import service_catchment, service_forms, service_groups
from app.domain.catalogue.values import ServiceValues

LinkRows = dict[Table, list[tuple[Any, ...]]]
_COLUMNS = {
    service_forms: ("service_id", "form"),
    service_groups: ("service_id", "patient_group_id"),
    service_catchment: ("service_id", "municipality_number"),
}
_CHUNK = 500  # service ids per DELETE


def link_rows(items: Iterable[tuple[int, ServiceValues]]) -> LinkRows:
    """The rows of every link table for these (service id, stored values), in a stable order."""
    rows: LinkRows = {table: [] for table in _COLUMNS}
    forms, groups, catchment = rows[service_forms], rows[service_groups], rows[service_catchment]
    for sid, values in items:
        forms += [(sid, f) for f in sorted(values.forms)]
        groups += [(sid, g) for g in sorted(values.group_ids)]
        catchment += [(sid, n) for n in values.catchment]
    return rows


def catchment_rows(service_id: int, numbers: Iterable[str]) -> LinkRows:
    """The catchment table's rows alone, for a service whose catchment changes and nothing else."""
    return {service_catchment: [(service_id, n) for n in numbers]}


def replace_links(
    session: Session, service_ids: Sequence[int], rows: Mapping[Table, Sequence[tuple[Any, ...]]], *, new: bool = False
) -> None:
    """Make `rows` the link rows of these services in `rows`' tables (their old rows there are deleted,
    unless the services are `new`); the other link tables are left alone."""
    for table, table_rows in rows.items():
        if not new:
            for start in range(0, len(service_ids), _CHUNK):
                chunk = list(service_ids[start : start + _CHUNK])
                session.execute(delete(table).where(table.c.service_id.in_(chunk)))
        insert_many(session, table, _COLUMNS[table], table_rows)
