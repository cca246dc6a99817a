"""Schema management through Alembic (the only way the schema changes outside test scratch DBs)."""

from typing import TYPE_CHECKING

from sqlalchemy import inspect

from app.db import build_engine
from app.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic is imported when used: it adds a third of a second to every `rehabkart` command otherwise.


def alembic_config(url: str | None = None) -> "Config":
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = url or get_settings().database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def is_empty(url: str | None = None) -> bool:
    """True for a database without any Rehabkart tables (a fresh install)."""
    engine = build_engine(url or get_settings().database_url)
    try:
        return not inspect(engine).has_table("alembic_version")
    finally:
        engine.dispose()
