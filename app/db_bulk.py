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
def _statement(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> tuple[str, tuple[Processor, ...]]:
    quote = dialect.identifier_preparer.quote
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    # Names come from our own table metadata, quoted by the dialect; values go as parameters.
    names, markers = ", ".join(quote(c) for c in columns), ", ".join([marker] * len(columns))
    sql = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({markers})"  # noqa: S608
    processors = tuple(table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns)
    return sql, processors


def insert_many(session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """INSERT `rows` (values in the order of `columns`, as Python values) with one driver executemany."""
    if not rows:
        return
    connection = session.connection()
    sql, processors = _statement(connection.dialect, table, tuple(columns))
    if any(processors):
        rows = [tuple(v if p is None else p(v) for p, v in zip(processors, row, strict=True)) for row in rows]
    connection.exec_driver_sql(sql, rows if isinstance(rows, list) else list(rows))


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
