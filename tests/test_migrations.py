"""Alembic: upgrade from empty, no drift between models and revisions, newest revision reversible."""

import os
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from app.db import migrations


@pytest.fixture
def scratch_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An empty database of the kind under test."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path_factory.mktemp('migrations') / 'scratch.db'}"
        return
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS rehabkart_migrations"))
        conn.execute(text("CREATE DATABASE rehabkart_migrations"))
    yield make_url(base).set(database="rehabkart_migrations").render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS rehabkart_migrations WITH (FORCE)"))
    admin.dispose()


def test_upgrade_check_downgrade_upgrade(scratch_url: str) -> None:
    config = migrations.alembic_config(scratch_url)
    migrations.upgrade(scratch_url)
    engine = create_engine(scratch_url)
    assert {"rehab_service", "organisation", "municipality", "patient_group", "catchment", "region"} <= set(
        inspect(engine).get_table_names()
    )
    try:
        command.check(config)  # raises when the models have changes without a revision
    except CommandError as exc:  # pragma: no cover - the failure message is the point
        pytest.fail(f"Models and migrations disagree; run `make revision`: {exc}")
    script = ScriptDirectory.from_config(config)
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    migrations.downgrade(scratch_url, str(previous) if previous else "base")
    migrations.upgrade(scratch_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head
    engine.dispose()
