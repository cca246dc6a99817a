"""Bulk statements for imports: executemany (COPY on PostgreSQL) on the driver, ids handed out before inserting.

SQLAlchemy's executemany processes every parameter of every row in Python (several µs a row); an import
writes hundreds of thousands of link rows. Here each column's bind processor is looked up once and the
rows go to the driver's own executemany, which is what SQLAlchemy would call in the end anyway.
"""

from collections.abc import Callable, Collection, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Dialect, Table, func, select
from sqlmodel import Session

from app.kit.serialization import dumps

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


def insert_many(
    session: Session,
    table: Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ready: Collection[str] = (),
) -> None:
    """INSERT `rows` (values in the order of `columns`, as Python values) with one driver executemany.

    The columns in `ready` hold driver values already (e.g. JSON as its text): their bind processors are skipped.
    """
    if not rows:
        return
    connection = session.connection()
    sql, processors = _statement(connection.dialect, table, tuple(columns))
    if ready:
        skip = {columns.index(c) for c in ready}
        processors = tuple((i, p) for i, p in processors if i not in skip)
    params: Sequence[Any] = rows
    if processors:
        lists = [list(row) for row in rows]
        for index, process in processors:
            assert process is not None
            _process_column(lists, index, process)
        params = [tuple(values) for values in lists]  # SQLAlchemy takes a list of tuples
    if connection.dialect.name == "postgresql":
        _copy(connection.connection.driver_connection, table, columns, params)
    else:
        connection.exec_driver_sql(sql, params)


def _process_column(rows: list[list[Any]], index: int, process: Callable[[Any], Any]) -> None:
    """Turn column `index` of `rows` into driver values, each distinct value once.

    A bulk write repeats few values in the processed columns (the same timestamp in every row, a handful of
    dates and lists of codes), and SQLAlchemy's processors (datetimes to text, JSON through the serializer)
    cost microseconds each. Values equal only across types stay apart (1 and True, a date and a datetime,
    the same instant in two time zones); other lists than of strings, and dicts, are processed every time.
    """
    memo: dict[Any, Any] = {}
    for values in rows:
        value = values[index]
        kind = value.__class__
        if kind is list:
            if not all(item.__class__ is str for item in value):
                values[index] = process(value)
                continue
            key: Any = (kind, *value)
        elif kind is datetime:
            key = (kind, value, value.tzinfo)
        elif kind in _MEMO:
            key = (kind, value)
        else:
            values[index] = process(value)
            continue
        try:
            values[index] = memo[key]
        except KeyError:
            values[index] = memo[key] = process(value)


_MEMO = frozenset({type(None), bool, int, str, date})


def _copy(driver: Any, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """PostgreSQL: COPY … FROM STDIN in the session's own transaction, several times faster than INSERTs."""
    names = ", ".join(f'"{c}"' for c in columns)
    with driver.cursor() as cursor, cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)


def select_by_pairs(
    session: Session, table: Table, key: tuple[str, str], pairs: Sequence[tuple[Any, Any]], columns: Sequence[str]
) -> list[tuple[Any, ...]]:
    """Rows of `key` + `columns` (driver values) whose two key columns match one of `pairs`.

    The pairs go as one parameter (a JSON array on SQLite, two arrays on PostgreSQL) joined to the table,
    so the two-column index answers each pair and the statement's text never changes: SQLite scans the
    whole table for a row-value IN, and its statement cache would keep every distinct IN list alive.
    """
    if not pairs:
        return []
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    a, b = quote(key[0]), quote(key[1])
    names = ", ".join(f"t.{quote(c)}" for c in (*key, *columns))
    source: str
    params: tuple[Any, ...]
    if dialect.name == "postgresql":
        types = [table.c[k].type.compile(dialect) for k in key]
        source = f"unnest(CAST(%s AS {types[0]}[]), CAST(%s AS {types[1]}[])) AS k(a, b)"
        params = ([p[0] for p in pairs], [p[1] for p in pairs])
        match = f"t.{a} = k.a AND t.{b} = k.b"
    else:
        source = "json_each(?) AS k"
        params = (dumps([list(p) for p in pairs]).decode(),)
        match = f"t.{a} = json_extract(k.value, '$[0]') AND t.{b} = json_extract(k.value, '$[1]')"
    sql = f"SELECT {names} FROM {source} JOIN {quote(table.name)} AS t ON {match}"  # noqa: S608
    return [tuple(row) for row in connection.exec_driver_sql(sql, params).all()]


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
