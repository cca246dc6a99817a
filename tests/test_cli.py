"""The command line: set-up of a new embedded database and idempotent reference loading."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from app.cli import app
from app.db import reset_engines

runner = CliRunner()


@pytest.fixture
def fresh_sqlite(tmp_path: Path) -> Iterator[str]:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    previous = os.environ.get("REHABKART_DATABASE_URL")
    os.environ["REHABKART_DATABASE_URL"] = url
    reset_engines()
    yield url
    if previous is None:
        os.environ.pop("REHABKART_DATABASE_URL")
    else:
        os.environ["REHABKART_DATABASE_URL"] = previous
    reset_engines()


def _count(url: str, sql: str) -> int:
    engine = create_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def test_setup_loads_reference_and_demo_data_once(fresh_sqlite: str) -> None:
    result = runner.invoke(app, ["setup"])
    assert result.exit_code == 0, result.output
    assert "Demodata: 31 nye" in result.output
    assert "Demoforløp: 6 nye" in result.output  # 5 published, 1 draft
    assert "Demobehov: 11 nye, 0 uendret" in result.output
    assert "Demonettverk: 8 nye, 0 uendret" in result.output
    assert _count(fresh_sqlite, "SELECT count(*) FROM municipality") == 357
    demo = "SELECT count(*) FROM rehab_service WHERE source = 'demo' AND name LIKE '%(eksempel)'"
    assert _count(fresh_sqlite, demo) == 31
    assert _count(fresh_sqlite, "SELECT count(*) FROM pathway_template WHERE status = 'published'") == 5
    # A second set-up is no longer a new database: no demo data is added or touched.
    again = runner.invoke(app, ["setup"])
    assert again.exit_code == 0, again.output
    assert "Demodata" not in again.output
    assert "allerede oppdatert" in again.output
    assert _count(fresh_sqlite, "SELECT max(version) FROM rehab_service") == 1


def test_reference_load_is_idempotent(fresh_sqlite: str) -> None:
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    first = runner.invoke(app, ["reference", "load"])
    assert "nye  357" in first.output
    before = _count(fresh_sqlite, "SELECT sum(version) FROM organisation")
    second = runner.invoke(app, ["reference", "load"])
    assert second.exit_code == 0
    assert "Referansedataene var allerede oppdatert." in second.output
    assert _count(fresh_sqlite, "SELECT sum(version) FROM organisation") == before


def test_a_bad_expiry_is_a_usage_error_not_a_traceback(database_url: str) -> None:
    result = runner.invoke(app, ["tokens", "create", "--user", "x@test.example", "--name", "n", "--expires-days", "-1"])
    assert result.exit_code == 2
    assert "--expires-days" in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
