"""The `rehabkart` command line: set-up, reference data, demo data, serving."""

import json
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from app import schema
from app.db import is_sqlite, transaction
from app.domain import demo, geography, reference, taxonomy
from app.settings import PROJECT_ROOT, get_settings

app = typer.Typer(
    help="Rehabkart: the shared map of rehabilitation services.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
reference_app = typer.Typer(help="Reference data shipped in app/reference.", no_args_is_help=True)
demo_app = typer.Typer(help="The invented demo data set.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(reference_app, name="reference")
app.add_typer(demo_app, name="demo")


def _safe_url() -> str:
    return make_url(get_settings().database_url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Upgrade the database schema (creating the database if needed)."""
    schema.upgrade(revision=revision)
    typer.echo(f"Database at {_safe_url()} is at revision {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1")]) -> None:
    """Downgrade the database schema."""
    schema.downgrade(None, revision)
    typer.echo(f"Database downgraded to {revision}.")


@reference_app.command("load")
def reference_load() -> None:
    """Load municipalities, regions, trusts, catchments and patient groups (idempotent)."""
    with transaction() as session:
        report = reference.load_reference(session)
    taxonomy.invalidate()
    geography.invalidate()
    for table, counts in report.tables.items():
        typer.echo(
            f"{table:<14} created {counts.created:>4}  updated {counts.updated:>4}  "
            f"unchanged {counts.unchanged:>4}  deleted {counts.deleted:>4}"
        )
    typer.echo("Reference data loaded." if report.changed else "Reference data was already up to date.")


@demo_app.command("load")
def demo_load() -> None:
    """Load the invented demo services (marked as example data)."""
    with transaction() as session:
        report = demo.load_demo(session)
    typer.echo(
        f"Demo data: created {report.created}, updated {report.updated}, unchanged {report.unchanged} "
        "(invented example data, marked 'eksempel')."
    )


@app.command()
def setup() -> None:
    """Upgrade the schema, load reference data, and demo data for a new embedded database."""
    url = get_settings().database_url
    new_embedded = is_sqlite(url) and schema.is_empty(url)
    db_upgrade("head")
    reference_load()
    if new_embedded:
        demo_load()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes")] = False,
) -> None:
    """Serve the API and pages with uvicorn."""
    import uvicorn

    typer.echo(f"Rehabkart on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    uvicorn.run("app.main:app", host=host, port=port, workers=workers, reload=reload, access_log=False)


@app.command()
def openapi(
    output: Annotated[Path, typer.Option(help="Where to write the document")] = PROJECT_ROOT
    / "openapi"
    / "openapi.json",
) -> None:
    """Write the OpenAPI document generated from the code."""
    from app.main import create_app

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"Wrote {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
