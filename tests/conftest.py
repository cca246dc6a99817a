"""Test database: migrated with Alembic, reference data loaded once; each test's rows removed after it.

SQLite (a temporary file) by default; PostgreSQL when TEST_DATABASE_URL is set (its public schema is
dropped and rebuilt, so point it at a throwaway database).
"""

import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from app.db import is_sqlite, migrations, reset_engines, transaction
from app.domain import auth, geography, reference, taxonomy
from app.models.auth import Role, TokenCreate, TokenScope, UserCreate
from app.settings import get_settings
from tests.factories import EDITOR_EMAIL, browser_login, find_org_id, make_user
from tests.factories import SYSTEM as SYSTEM  # the tests' actor, also importable from here

os.environ.setdefault("REHABKART_SECRET_KEY", secrets.token_urlsafe(48))

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
    migrations.upgrade(url)
    with transaction() as session:
        reference.load_reference(session, SYSTEM)
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


TokenFactory = Callable[..., str]


@pytest.fixture
def make_token(database_url: str) -> TokenFactory:
    """A bearer token for a new user with this role, organisations and token scope."""
    counter = iter(range(1, 10_000))

    def make(
        role: Role = Role.admin,
        organisation_ids: list[int] | None = None,
        scope: TokenScope = TokenScope.read_write,
        **token: Any,
    ) -> str:
        with transaction() as session:
            user = auth.create_user(
                session,
                SYSTEM,
                UserCreate(
                    email=f"user{next(counter)}-{secrets.token_hex(3)}@test.example",
                    name="Test User",
                    role=role,
                    organisation_ids=organisation_ids or [],
                ),
            )
            created = auth.create_token(
                session, SYSTEM, TokenCreate(name="test", scope=scope, user_id=user["id"], **token)
            )
        return str(created["token"])

    return make


def _client() -> TestClient:
    from app.main import create_app

    return TestClient(create_app())


@pytest.fixture
def anon(database_url: str) -> Iterator[TestClient]:
    """A client without credentials."""
    with _client() as test_client:
        yield test_client


@pytest.fixture
def client(database_url: str, make_token: TokenFactory) -> Iterator[TestClient]:
    """A client authenticated as an administrator with a read-write token."""
    with _client() as test_client:
        test_client.headers["Authorization"] = f"Bearer {make_token()}"
        yield test_client


@pytest.fixture
def project_root() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def fonna(database_url: str) -> int:
    """The id of the reference organisation Helse Fonna HF (organisation number 983974694)."""
    return find_org_id("Helse Fonna HF")


@pytest.fixture
def editor(anon: TestClient, fonna: int) -> TestClient:
    """A browser (the `anon` client) logged in as an editor of Helse Fonna, with the email EDITOR_EMAIL."""
    assert browser_login(anon, make_user(EDITOR_EMAIL, Role.editor, [fonna])).status_code == 303
    return anon


@pytest.fixture
def small_import_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """Imports larger than 1000 bytes are refused while the test runs."""
    monkeypatch.setenv("REHABKART_IMPORT_MAX_BYTES", "1000")
    get_settings.cache_clear()
    yield 1000
    monkeypatch.delenv("REHABKART_IMPORT_MAX_BYTES")
    get_settings.cache_clear()


@pytest.fixture
def owner_org(database_url: str) -> int:
    """A private institution of its own (not reference data) that owns what a test makes."""
    from tests.factories import make_organisation

    return int(make_organisation(name="Forløpseier AS")["id"])
