"""Bulk statements for imports: executemany on the driver, and ids handed out before inserting.

SQLAlchemy's executemany processes every parameter of every row in Python (several µs a row); an import
writes hundreds of thousands of link rows. Here each column's bind processor is looked up once and the
rows go to the driver's own executemany, which is what SQLAlchemy would call in the end anyway.
"""

from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, Table, func, select
from sqlmodel import Session

Processor = Callable[[Any], Any] | None


@lru_cache(maxsize=64)
def _statement(
    dialect: Dialect, table: Table, columns: tuple[str, ...]
) -> tuple[str, tuple[tuple[int, Processor], ...]]:
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    # Names come from our own table metadata, quoted by the dialect; values go as parameters.
    names, markers = ", ".join(quote(c) for c in columns), ", ".join([marker] * len(columns))
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({markers})"  # noqa: S608
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    return sql, tuple((i, p) for i, p in enumerate(processors) if p is not None)


def insert_many(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT `rows` (values in the order of `columns`, as Python values) with one driver executemany."""
    if not rows:
        return
    connection = session.connection()
    sql, processors = _statement(connection.dialect, table, tuple(columns))
    params: list[Any] = rows if isinstance(rows, list) else list(rows)
    if processors:
        params = []
        for row in rows:
            values = list(row)
            for index, process in processors:
                assert process is not None
                values[index] = process(values[index])
            params.append(tuple(values))
    connection.exec_driver_sql(sql, params)


def select_by_pairs(
    session: Session, table: Table, key: tuple[str, str], pairs: Sequence[tuple[Any, Any]], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Rows of `key` + `columns` (driver values) whose two key columns match one of `pairs`.

    Written as one condition per first value, `(a = ? AND b IN (…)) OR …`, so a two-column index serves
    each; SQLite scans the whole table for a row-value IN. Built as text: SQLAlchemy takes longer to
    construct a thousand such conditions than the database takes to answer them.
    """
    grouped: dict[Any, list[Any]] = {}
    for first, second in pairs:
        grouped.setdefault(first, []).append(second)
    if not grouped:
        return []
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    a, b = quote(key[0]), quote(key[1])
    conditions, params = [], []
    for first, seconds in grouped.items():
        conditions.append(f"({a} = {marker} AND {b} IN ({', '.join([marker] * len(seconds))}))")
        params += [first, *seconds]
    names = ", ".join(quote(c) for c in (*key, *columns))
    sql = f"SELECT {names} FROM {quote(table.name)} WHERE {' OR '.join(conditions)}"  # noqa: S608
    return [tuple(row) for row in connection.exec_driver_sql(sql, tuple(params)).all()]


def reserve_ids(session: Session, table: Table, count: int) -> list[int]:
    """`count` new primary keys for `table`, so rows can be written with their final documents at once.

    Only for writers holding the write lock (app.db.transaction): no one else inserts meanwhile.
    """
    if count <= 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        numbers = select(func.nextval(sequence)).select_from(func.generate_series(1, count))
        return [int(i) for i in session.execute(numbers).scalars()]
    start = int(session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1
    return list(range(start, start + count))
