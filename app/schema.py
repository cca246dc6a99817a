"""Schema management through Alembic (the only way the schema changes outside test scratch DBs)."""

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from app.db import build_engine
from app.settings import PROJECT_ROOT, get_settings


def alembic_config(url: str | None = None) -> Config:
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url or get_settings().database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def is_empty(url: str | None = None) -> bool:
    """True for a database without any Rehabkart tables (a fresh install)."""
    engine = build_engine(url or get_settings().database_url)
    try:
        return not inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()
