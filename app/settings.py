"""Configuration from the environment (REHABKART_*) and an optional .env file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="REHABKART_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'rehabkart.db'}",
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user@host/db",
    )
    sql_echo: bool = False
    public_catalogue: bool = Field(
        default=True, description="Whether the published catalogue can be read without logging in."
    )
    max_page_size: int = Field(default=500, ge=1, le=5000)


@lru_cache
def get_settings() -> Settings:
    return Settings()
