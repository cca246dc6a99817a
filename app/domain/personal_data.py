"""Looking for national identity numbers already stored: every text column of every table, JSON walked.

Writes refuse them (app.models.types); this finds what came in before the guard, or past it (SQL by hand, a
restored backup). Hits name the table, the row's primary key, the column (and the place inside a JSON value,
such as an audit event's before/after `changes.description[1]`) and the kind of number, never its digits.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, Column, String, Table, TypeDecorator, select
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, SQLModel

import app.models  # noqa: F401  (every table registered in the metadata)
from app.kit.personal_data import Kind, find_identity_numbers, mask


@dataclass(frozen=True)
class Hit:
    table: str
    key: str  # the row's primary key, "id=23" or "service_id=4, form=day"
    column: str  # with the place inside a JSON value: "changes.description[1]"
    kind: Kind


def _stored_as(kind: TypeEngine[Any]) -> TypeEngine[Any]:
    """The type a column is stored as (SQLModel's str columns are an AutoString decorating String)."""
    while isinstance(kind, TypeDecorator):
        kind = kind.impl_instance
    return kind


# Digests of secrets and files: random hex or base64, where 11 digits in a row that pass the checks turn up by
# chance (a few in a thousand) and mean nothing.
_DIGESTS = {"password_hash", "token_hash", "sha256", "import_digest"}
_DIGEST_COLUMNS = {("login_failure", "key")}  # "account:<sha256>" or "client:<address>"


def text_columns(table: Table) -> list[Column[Any]]:
    """The columns that can hold text: strings of every length, and JSON (not the digests)."""
    return [
        c
        for c in table.columns
        if isinstance(_stored_as(c.type), String | JSON)
        and c.name not in _DIGESTS
        and (table.name, c.name) not in _DIGEST_COLUMNS
    ]


def _walk(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(place, text) for every text in a JSON value (numbers too, as written), its keys included; the
    places are masked, as a key may itself be the number."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int | float):
        yield path, str(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            place = f"{path}.{mask(str(key))}"
            yield f"{place} (nøkkelen)", str(key)
            yield from _walk(item, place)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")


def scan_table(session: Session, table: Table) -> Iterator[Hit]:
    columns = text_columns(table)
    if not columns:
        return
    keys = list(table.primary_key.columns) or list(table.columns)[:1]
    statement = select(*keys, *columns).order_by(*keys).execution_options(yield_per=1000)
    for row in session.execute(statement):
        values = tuple(row)
        key = mask(", ".join(f"{k.name}={v}" for k, v in zip(keys, values, strict=False)))
        for column, value in zip(columns, values[len(keys) :], strict=True):
            for place, text in _walk(value, column.name):
                for match in find_identity_numbers(text):
                    yield Hit(table.name, key, place, match.kind)


def scan(session: Session) -> Iterator[Hit]:
    """Every identity number stored in the database, table by table (in the metadata's order)."""
    for table in SQLModel.metadata.sorted_tables:
        yield from scan_table(session, table)
