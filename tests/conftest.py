"""Test database: migrated with Alembic, reference data loaded once; each test's rows removed after it.

SQLite (a temporary file) by default; PostgreSQL when TEST_DATABASE_URL is set (its public schema is
dropped and rebuilt, so point it at a throwaway database).
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app import schema
from app.db import is_sqlite, reset_engines, transaction
from app.domain import geography, reference, taxonomy

# Tables whose rows the reference loader owns; everything else is test data and is wiped per test.
REFERENCE_TABLES = {"alembic_version", "region", "municipality", "patient_group"}


def _reset_postgres(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if not is_sqlite(url):
        _reset_postgres(url)
    os.environ["REHABKART_DATABASE_URL"] = url
    reset_engines()
    schema.upgrade(url)
    with transaction() as session:
        reference.load_reference(session)
    yield url
    reset_engines()


def _wipe(url: str) -> None:
    from sqlmodel import SQLModel

    import app.models  # noqa: F401

    with transaction() as session:
        for table in reversed(SQLModel.metadata.sorted_tables):
            if table.name in REFERENCE_TABLES:
                continue
            if table.name == "organisation":
                session.execute(table.delete().where(table.c.reference_key.is_(None)))
            elif table.name == "catchment":
                session.execute(
                    text(
                        "DELETE FROM catchment WHERE organisation_id IN "
                        "(SELECT id FROM organisation WHERE reference_key IS NULL)"
                    )
                )
            else:
                session.execute(table.delete())


@pytest.fixture(autouse=True)
def _clean_db(request: pytest.FixtureRequest) -> Iterator[None]:
    if "database_url" not in request.fixturenames:
        yield
        return
    yield
    _wipe(request.getfixturevalue("database_url"))
    taxonomy.invalidate()
    geography.invalidate()


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent
