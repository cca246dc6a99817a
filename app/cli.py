"""The `rehabkart` command line: set-up, reference data, demo data, serving."""

import getpass
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn, TypeVar

import typer
from sqlalchemy.engine import make_url

from app.db import is_sqlite, migrations, transaction
from app.domain import auth, catalogue, demo, geography, reference, taxonomy
from app.domain.actor import Actor, system_actor
from app.domain.errors import DomainError
from app.domain.imports import runner
from app.models.auth import Role, TokenCreate, TokenScope, UserCreate, UserKind, UserUpdate
from app.models.imports import ImportKind
from app.settings import PROJECT_ROOT, get_settings

app = typer.Typer(
    help="Rehabkart: the shared map of rehabilitation services.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Database schema (Alembic).", no_args_is_help=True)
users_app = typer.Typer(help="Users and integration clients.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
reference_app = typer.Typer(help="Reference data shipped in app/reference.", no_args_is_help=True)
demo_app = typer.Typer(help="The invented demo data set.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(reference_app, name="reference")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")


T = TypeVar("T")


def _cli_actor() -> Actor:
    return system_actor(f"cli:{getpass.getuser()}")


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _safe_url() -> str:
    return make_url(get_settings().database_url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision")] = "head") -> None:
    """Upgrade the database schema (creating the database if needed)."""
    migrations.upgrade(revision=revision)
    if revision == "head":
        with transaction() as session:
            built = catalogue.refresh_docs(session, only_missing=True)
        if built:
            typer.echo(f"Built the stored documents of {built} services.")
    typer.echo(f"Database at {_safe_url()} is at revision {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1")]) -> None:
    """Downgrade the database schema."""
    migrations.downgrade(None, revision)
    typer.echo(f"Database downgraded to {revision}.")


@reference_app.command("load")
def reference_load() -> None:
    """Load municipalities, regions, trusts, catchments and patient groups (idempotent)."""
    with transaction() as session:
        report = reference.load_reference(session, _cli_actor())
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
    """Load the invented demo services and pathway templates (marked as example data)."""
    with transaction() as session:
        report = demo.load_demo(session, _cli_actor())
    typer.echo(
        f"Demo data: created {report.created}, updated {report.updated}, unchanged {report.unchanged} "
        "(invented example data, marked 'eksempel')."
    )
    typer.echo(
        f"Demo pathway templates: created {report.pathways_created}, unchanged {report.pathways_unchanged} "
        "(published ones are never changed by a reload)."
    )


@app.command()
def setup() -> None:
    """Upgrade the schema, load reference data, and demo data for a new embedded database."""
    url = get_settings().database_url
    new_embedded = is_sqlite(url) and migrations.is_empty(url)
    db_upgrade("head")
    reference_load()
    if new_embedded:
        demo_load()
        _create_demo_admin()


DEMO_ADMIN = "admin@rehabkart.local"


def _create_demo_admin() -> None:
    password = secrets.token_urlsafe(12)
    with transaction() as session:
        auth.create_user(
            session,
            _cli_actor(),
            UserCreate(email=DEMO_ADMIN, name="Demo administrator", role=Role.admin, password=password),
        )
    typer.secho(
        f"\nDemo admin created. Log in at /login as {DEMO_ADMIN} with password: {password}\n"
        f"(Lost it? `.venv/bin/rehabkart users reset-password {DEMO_ADMIN}`)\n",
        fg=typer.colors.GREEN,
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Password (12+ characters)", hide_input=True, confirmation_prompt=True)
    return password


def _user_id(session: object, email: str) -> int:
    from sqlmodel import Session

    assert isinstance(session, Session)
    user = auth.find_user_by_email(session, email)
    if user is None or user.id is None:
        _fail(f"No user with email {email}")
    return user.id


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Login email")],
    name: Annotated[str, typer.Option(help="Full name, or the client's name")],
    role: Annotated[Role, typer.Option(help="admin, editor or viewer")] = Role.viewer,
    org: Annotated[list[int] | None, typer.Option(help="Organisation id an editor may change (repeatable)")] = None,
    integration: Annotated[bool, typer.Option(help="An integration client: tokens only, no password")] = False,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input")] = False,
) -> None:
    """Create a user (asks for a password) or an integration client."""
    password = None if integration else _read_password(password_stdin)
    try:
        data = UserCreate(
            email=email,
            name=name,
            role=role,
            kind=UserKind.integration if integration else UserKind.person,
            organisation_ids=org or [],
            password=password,
        )
    except ValueError as exc:
        _fail(f"Invalid user: {exc}")
    with transaction() as session:
        user = _run(lambda: auth.create_user(session, _cli_actor(), data))
    typer.echo(f"Created user {user['id']} {user['email']} ({user['role']}).")


@users_app.command("reset-password")
def users_reset_password(
    email: str, password_stdin: Annotated[bool, typer.Option(help="Read it from standard input")] = False
) -> None:
    """Set a new password; the user's sessions end at once."""
    password = _read_password(password_stdin)
    if len(password) < 12:
        _fail("The password must have at least 12 characters")
    with transaction() as session:
        _run(lambda: auth.set_password(session, _cli_actor(), _user_id(session, email), password))
    typer.echo(f"Password changed for {email}; their sessions were ended.")


@users_app.command("deactivate")
def users_deactivate(email: str) -> None:
    """Deactivate a user: sessions and tokens stop working at once."""
    with transaction() as session:
        _run(lambda: auth.update_user(session, _cli_actor(), _user_id(session, email), UserUpdate(active=False), "*"))
    typer.echo(f"Deactivated {email}.")


@users_app.command("list")
def users_list() -> None:
    """List users."""
    with transaction() as session:
        for user in auth.list_users(session, _cli_actor()):
            state = "active" if user["active"] else "inactive"
            typer.echo(
                f"{user['id']:>5}  {user['email']:<40} {user['role']:<7} {state}  orgs={user['organisation_ids']}"
            )


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option(help="Email of the user or integration client it acts as")],
    name: Annotated[str, typer.Option(help="What the token is for")],
    scope: Annotated[TokenScope, typer.Option(help="read or read_write")] = TokenScope.read,
    org: Annotated[int | None, typer.Option(help="Restrict writes to this organisation id")] = None,
    expires_days: Annotated[int, typer.Option(min=0, max=730, help="Days until it expires, 1-730 (0: never)")] = 90,
) -> None:
    """Create an API token and print its secret (shown once)."""
    with transaction() as session:
        try:
            data = TokenCreate(
                name=name,
                scope=scope,
                user_id=_user_id(session, user),
                organisation_id=org,
                expires_in_days=expires_days or None,
            )
        except ValueError as exc:
            _fail(f"Ugyldig token: {exc}")
        token = _run(lambda: auth.create_token(session, _cli_actor(), data))
    typer.echo(f"Token {token['id']} ({token['scope']}) for {user}. Send it as `Authorization: Bearer <token>`:")
    typer.echo(token["token"])


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token at once."""
    with transaction() as session:
        _run(lambda: auth.revoke_token(session, _cli_actor(), token_id, "*"))
    typer.echo(f"Revoked token {token_id}.")


def _run(action: Callable[[], T]) -> T:
    """Run a domain call, turning its errors into a readable message and exit code 1."""
    try:
        return action()
    except DomainError as exc:
        _fail(exc.detail)


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="A CSV or XLSX file", exists=True, dir_okay=False, readable=True)],
    kind: Annotated[ImportKind, typer.Option(help="rehab-services or municipal-survey")] = ImportKind.rehab_services,
    dry_run: Annotated[bool, typer.Option(help="Check and report; write nothing")] = False,
) -> None:
    """Import services or a municipal survey: all rows or none. Exit code 0 only for a clean file."""
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    console = Console()
    data = path.read_bytes()
    with Progress(console=console, transient=True) as progress, transaction() as session:
        task = progress.add_task(f"Importing {path.name}", total=None)

        def step(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = _run(
            lambda: runner.run_import(session, _cli_actor(), data, path.name, kind, dry_run=dry_run, on_row=step)
        )
    summary = Table(title=f"{path.name} ({'dry run' if dry_run else 'applied' if report.applied else 'not applied'})")
    for column in ("rows", "created", "updated", "unchanged", "rejected"):
        summary.add_column(column, justify="right")
    summary.add_row(*(str(getattr(report, c)) for c in ("rows", "created", "updated", "unchanged", "rejected")))
    console.print(summary)
    if report.row_errors:
        errors = Table(title="Problems (nothing was written)")
        for column in ("row", "column", "problem"):
            errors.add_column(column)
        for error in report.row_errors[:200]:
            errors.add_row(str(error.index), error.column or "", error.message)
        console.print(errors)
        if len(report.row_errors) > 200:
            console.print(f"… and {len(report.row_errors) - 200} more")
        raise typer.Exit(1)
    if report.applied:
        console.print(f"Batch {report.batch_id} applied.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes")] = 1,
    reload: Annotated[bool, typer.Option(help="Reload on code changes")] = False,
    loop: Annotated[str, typer.Option(help="Event loop: asyncio or uvloop")] = "asyncio",
) -> None:
    """Serve the API and pages with uvicorn."""
    import uvicorn

    typer.echo(f"Rehabkart on http://{host}:{port}/  (API docs: http://{host}:{port}/api/docs)")
    # asyncio, not uvloop: under load uvloop let new connections wait many loop turns (p99 ~5x worse in
    # bench/README.md); throughput is the same.
    uvicorn.run(
        "app.main:app",
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        access_log=False,
        loop=loop,
    )


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
