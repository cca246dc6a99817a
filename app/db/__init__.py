"""Engine and sessions. The caller (request, CLI command, import) owns the transaction."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.kit.serialization import dumps
from app.settings import get_settings


def _lock_timeout_ms() -> int:
    return int(get_settings().db_lock_timeout_seconds * 1000)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside one writer; NORMAL is durable in WAL mode except on power loss.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={_lock_timeout_ms()}")
    cursor.close()


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _json(value: Any) -> str:
    """JSON columns (audit changes, import errors) written by orjson: bulk imports write thousands."""
    return dumps(value).decode()


def build_engine(url: str, echo: bool = False, *, writer: bool = False) -> Engine:
    """An engine for `url`. On SQLite, `writer` engines take the write lock when a transaction begins.

    SQLite lets a deferred transaction read, then fails its first write if another writer committed
    meanwhile; BEGIN IMMEDIATE makes writers queue (busy_timeout) instead, so version checks hold.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        # No pre-ping (a round trip per checkout on the hot path); recycle instead, and fail fast when the
        # pool is exhausted (503) rather than wait on the event loop.
        # lock_timeout also bounds the wait for the writers' advisory lock: past it the request gets a 503.
        return create_engine(
            url,
            echo=echo,
            pool_size=8,
            max_overflow=8,
            pool_recycle=1800,
            pool_timeout=5,
            json_serializer=_json,
            connect_args={"options": f"-c lock_timeout={_lock_timeout_ms()}"},
        )
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False},
        pool_size=8,
        max_overflow=8,
        pool_timeout=5,
        json_serializer=_json,
    )
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"

    def on_connect(dbapi_connection: Any, record: Any) -> None:
        _sqlite_pragmas(dbapi_connection, record)
        if writer:  # bulk imports write hundreds of MB in one transaction: 16 MB of page cache, not 2
            dbapi_connection.execute("PRAGMA cache_size=-16384")
        dbapi_connection.isolation_level = None  # let SQLAlchemy's "begin" event own BEGIN

    def on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", on_begin)
    return engine


@lru_cache
def get_engine() -> Engine:
    """The engine for reads (and for everything on PostgreSQL)."""
    settings = get_settings()
    return build_engine(settings.database_url, settings.sql_echo)


@lru_cache
def get_write_engine() -> Engine:
    """The engine for read-write units of work."""
    settings = get_settings()
    if not is_sqlite(settings.database_url):
        return get_engine()
    return build_engine(settings.database_url, settings.sql_echo, writer=True)


def reset_engines() -> None:
    """Forget cached settings and engines (tests and CLI switch databases)."""
    for cached in (get_engine, get_write_engine):
        if cached.cache_info().currsize:
            cached().dispose()
        cached.cache_clear()
    get_settings.cache_clear()


# Serialises writers on PostgreSQL for the whole transaction (SQLite does it with BEGIN IMMEDIATE), so
# ids handed out during a write follow commit order: the change feed pages by them without gaps.
WRITE_LOCK_KEY = 7_311_2024


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit when the block succeeds, roll back when it raises."""
    with Session(engine or get_write_engine(), expire_on_commit=False) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def nonblocking_transaction() -> Iterator[Connection]:
    """A small write that gives up at once (DBAPIError) instead of waiting when another writer holds the lock.

    It does not take the writers' advisory lock on PostgreSQL: it is bookkeeping, not part of the change feed.
    """
    with get_write_engine().connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        # On the driver's connection: a statement through SQLAlchemy would begin the transaction early.
        raw = connection.connection.driver_connection
        if sqlite:
            raw.execute("PRAGMA busy_timeout=0")  # type: ignore[union-attr]
        try:
            with connection.begin():
                if not sqlite:
                    connection.execute(text("SET LOCAL lock_timeout = '50ms'"))
                yield connection
        finally:
            if sqlite:
                raw.execute(f"PRAGMA busy_timeout={_lock_timeout_ms()}")  # type: ignore[union-attr]


def is_lock_timeout(exc: BaseException) -> bool:
    """Whether a database error means "another writer held the lock too long" (answered 503, not 500)."""
    original = getattr(exc, "orig", None)
    if getattr(original, "sqlstate", None) == "55P03":  # PostgreSQL lock_not_available (lock_timeout)
        return True
    return "database is locked" in str(original or exc)
