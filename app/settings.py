"""Configuration from the environment (REHABKART_*) and an optional .env file."""

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
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
    public_gaps: bool = Field(
        default=False, description="Whether gap registrations and their measures can be read without logging in."
    )
    public_base_url: str | None = Field(
        default=None,
        description="The public address of this installation (e.g. https://rehabkart.example.no): absolute "
        "URLs in the FHIR and HSDS exports start with it; by default the request's own base URL.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs CSRF tokens. Required unless the database is the embedded SQLite default, "
        "where a random key is generated once into var/secret_key.",
    )
    session_idle_minutes: int = Field(default=120, ge=5, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 14)
    login_max_failures_per_account: int = Field(default=5, ge=1, le=100)
    login_max_failures_per_client: int = Field(default=20, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    cookie_secure: bool | None = Field(
        default=None, description="Force the Secure cookie flag; by default it follows the request scheme (https)"
    )

    db_lock_timeout_seconds: float = Field(
        default=10, ge=0.05, le=600, description="How long a write waits for another writer; then 503"
    )
    max_body_bytes: int = Field(
        default=1_000_000, ge=1_000, le=100_000_000, description="Largest request body (JSON, forms) but uploads"
    )
    import_max_bytes: int = Field(default=20_000_000, ge=1_000, le=1_000_000_000, description="Largest upload")
    import_max_rows: int = Field(default=200_000, ge=1, le=5_000_000)
    # Front-end assets: pinned CDN URLs with Subresource Integrity. Point them at your own copies (and
    # their hashes) to self-host on a closed network; the Content-Security-Policy follows these URLs.
    htmx_url: str = "https://cdn.jsdelivr.net/npm/htmx.org@2.0.11/dist/htmx.min.js"
    htmx_integrity: str = "sha384-2OatzQy1H+Zd/IIrjr1TcuDGqLXeHhbooAyJY1KdQMKnr4LZ22k31GBLdYKHmVjg"
    # Sortable.js, for dragging cards on the gap board (only that page loads it).
    sortable_url: str = "https://cdn.jsdelivr.net/npm/sortablejs@1.15.6/Sortable.min.js"
    sortable_integrity: str = "sha384-HZZ/fukV+9G8gwTNjN7zQDG0Sp7MsZy5DDN6VfY3Be7V9dvQpEpR2jF2HlyFUUjU"
    designsystemet_css_url: str = "https://cdn.jsdelivr.net/npm/@digdir/designsystemet-css@1.22.0/dist/src/index.css"
    designsystemet_css_integrity: str = "sha384-7iq02ihAnIZp7H7oXTVFQBQtfZm8rBhw61Xx651TMC9ZVwWjqnbwUb8bNQzWp7b9"
    designsystemet_theme_url: str = (
        "https://cdn.jsdelivr.net/npm/@digdir/designsystemet-css@1.22.0/dist/theme/designsystemet.css"
    )
    designsystemet_theme_integrity: str = "sha384-qGKGmkKpeNY0Nq9ftimHtJ9TfQI3/Ea0If5czbqlzc+aauSG4ZYcrPU6Ac/kC5ZY"
    # Swagger UI for the interactive API docs at /api/docs.
    swagger_ui_js_url: str = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui-bundle.js"
    swagger_ui_js_integrity: str = "sha384-gjRm0bEPMeTmMh5jT2cHccIwCUZSTd8YC+j0d0sXw0MdGEfScduGpSyF3ZSSLkX9"
    swagger_ui_css_url: str = "https://cdn.jsdelivr.net/npm/swagger-ui-dist@5.35.0/swagger-ui.css"
    swagger_ui_css_integrity: str = "sha384-WlYgdmXYOOBWL5apwjDEZwN+U3HmXSSu5R6V5aGxEcf7z+KuRNwBhoxKVN1i3D5I"

    @field_validator("secret_key")
    @classmethod
    def _no_placeholder(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            secret = value.get_secret_value()
            if len(secret) < 32 or secret.lower() in {"changethis", "secret", "changeme"}:
                raise ValueError("REHABKART_SECRET_KEY must be a random string of at least 32 characters")
        return value

    def signing_secret(self) -> str:
        """The CSRF signing key: the configured one, or a generated one kept beside the embedded database."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        if not self.database_url.startswith("sqlite"):
            raise RuntimeError("Set REHABKART_SECRET_KEY (a random string of 32+ characters) for this database")
        path = PROJECT_ROOT / "var" / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
