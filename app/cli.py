"""The `rehabkart` command line: set-up, reference data, demo data, serving."""

import getpass
import json
import secrets
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.db import get_engine, is_sqlite, migrations, transaction
from app.domain import auth, catalogue, demo, geography, personal_data, reference, taxonomy
from app.domain.actor import Actor, system_actor
from app.domain.errors import DomainError
from app.domain.imports import runner
from app.kit.personal_data import mask
from app.models.auth import Role, TokenCreate, TokenScope, UserCreate, UserKind, UserUpdate
from app.models.imports import ImportKind
from app.settings import PROJECT_ROOT, get_settings

app = typer.Typer(
    help="Rehabkart: felles oversikt over rehabiliteringstilbud.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Databaseskjemaet (Alembic).", no_args_is_help=True)
users_app = typer.Typer(help="Brukere og integrasjonsklienter.", no_args_is_help=True)
tokens_app = typer.Typer(help="API-tokener.", no_args_is_help=True)
reference_app = typer.Typer(help="Referansedata som følger med i app/reference.", no_args_is_help=True)
demo_app = typer.Typer(help="Det oppdiktede demodatasettet.", no_args_is_help=True)
personal_data_app = typer.Typer(help="Personopplysninger: fødselsnumre og d-numre i databasen.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(reference_app, name="reference")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
app.add_typer(personal_data_app, name="personal-data")


T = TypeVar("T")


def _cli_actor() -> Actor:
    return system_actor(f"cli:{getpass.getuser()}")


def _fail(message: str) -> NoReturn:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(1)


def _invalid(exc: ValueError) -> str:
    """A validation error as field: message, without the values typed (one may be a fødselsnummer)."""
    if isinstance(exc, ValidationError):
        return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
    return mask(str(exc))


def _safe_url() -> str:
    return make_url(get_settings().database_url).render_as_string(hide_password=True)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Målrevisjon")] = "head") -> None:
    """Oppgrader databaseskjemaet (lager databasen om den mangler)."""
    migrations.upgrade(revision=revision)
    if revision == "head":
        with transaction() as session:
            built = catalogue.refresh_docs(session, only_missing=True)
        if built:
            typer.echo(f"Bygde de lagrede dokumentene for {built} tilbud.")
    typer.echo(f"Databasen {_safe_url()} er på revisjon {revision}.")


@db_app.command("downgrade")
def db_downgrade(revision: Annotated[str, typer.Argument(help="Målrevisjon, f.eks. -1")]) -> None:
    """Nedgrader databaseskjemaet."""
    migrations.downgrade(None, revision)
    typer.echo(f"Databasen er nedgradert til {revision}.")


@reference_app.command("load")
def reference_load() -> None:
    """Last inn kommuner, regioner, helseforetak, opptaksområder og pasientgrupper (kan kjøres flere ganger)."""
    with transaction() as session:
        report = reference.load_reference(session, _cli_actor())
    taxonomy.invalidate()
    geography.invalidate()
    for table, counts in report.tables.items():
        typer.echo(
            f"{table:<14} nye {counts.created:>4}  endret {counts.updated:>4}  "
            f"uendret {counts.unchanged:>4}  slettet {counts.deleted:>4}"
        )
    typer.echo("Referansedata er lastet inn." if report.changed else "Referansedataene var allerede oppdatert.")


@demo_app.command("load")
def demo_load() -> None:
    """Last inn de oppdiktede demotilbudene, forløpsmalene og udekkede behov (merket som eksempeldata)."""
    with transaction() as session:
        report = demo.load_demo(session, _cli_actor())
    typer.echo(
        f"Demodata: {report.created} nye, {report.updated} endret, {report.unchanged} uendret "
        "(oppdiktede eksempler, merket «eksempel»)."
    )
    typer.echo(
        f"Demoforløp: {report.pathways_created} nye, {report.pathways_unchanged} uendret "
        "(publiserte versjoner endres aldri ved ny innlasting)."
    )
    typer.echo(
        f"Demonettverk: {report.networks_created} nye, {report.networks_unchanged} uendret (med medlemmer og møter)."
    )
    typer.echo(f"Demobehov: {report.gaps_created} nye, {report.gaps_unchanged} uendret (udekkede behov med tiltak).")


@app.command()
def setup() -> None:
    """Oppgrader skjemaet og last inn referansedata (og demodata i en ny innebygd database)."""
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
        f"\nDemoadministrator opprettet. Logg inn på /login som {DEMO_ADMIN} med passordet: {password}\n"
        f"(Mistet det? `.venv/bin/rehabkart users reset-password {DEMO_ADMIN}`)\n",
        fg=typer.colors.GREEN,
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    password: str = typer.prompt("Passord (minst 12 tegn)", hide_input=True, confirmation_prompt=True)
    return password


def _user_id(session: object, email: str) -> int:
    from sqlmodel import Session

    assert isinstance(session, Session)
    user = auth.find_user_by_email(session, email)
    if user is None or user.id is None:
        _fail(f"Ingen bruker med e-post {email}")
    return user.id


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="E-post for innlogging")],
    name: Annotated[str, typer.Option(help="Fullt navn, eller klientens navn")],
    role: Annotated[Role, typer.Option(help="admin, editor eller viewer")] = Role.viewer,
    org: Annotated[list[int] | None, typer.Option(help="Organisasjons-id en redaktør kan endre (kan gjentas)")] = None,
    integration: Annotated[bool, typer.Option(help="En integrasjonsklient: bare tokener, uten passord")] = False,
    password_stdin: Annotated[bool, typer.Option(help="Les passordet fra standard input")] = False,
) -> None:
    """Opprett en bruker (spør om passord) eller en integrasjonsklient."""
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
        _fail(f"Ugyldig bruker: {_invalid(exc)}")
    with transaction() as session:
        user = _run(lambda: auth.create_user(session, _cli_actor(), data))
    typer.echo(f"Opprettet bruker {user['id']} {user['email']} ({user['role']}).")


@users_app.command("reset-password")
def users_reset_password(
    email: str, password_stdin: Annotated[bool, typer.Option(help="Les det fra standard input")] = False
) -> None:
    """Sett et nytt passord; brukerens økter avsluttes straks."""
    password = _read_password(password_stdin)
    if len(password) < 12:
        _fail("Passordet må ha minst 12 tegn")
    with transaction() as session:
        _run(lambda: auth.set_password(session, _cli_actor(), _user_id(session, email), password))
    typer.echo(f"Passordet er endret for {email}; øktene er avsluttet.")


@users_app.command("deactivate")
def users_deactivate(email: str) -> None:
    """Deaktiver en bruker: økter og tokener slutter å virke straks."""
    with transaction() as session:
        _run(lambda: auth.update_user(session, _cli_actor(), _user_id(session, email), UserUpdate(active=False), "*"))
    typer.echo(f"Deaktiverte {email}.")


@users_app.command("list")
def users_list() -> None:
    """List brukerne."""
    with transaction() as session:
        for user in auth.list_users(session, _cli_actor()):
            state = "aktiv" if user["active"] else "inaktiv"
            typer.echo(
                f"{user['id']:>5}  {user['email']:<40} {user['role']:<7} {state}  orgs={user['organisation_ids']}"
            )


@tokens_app.command("create")
def tokens_create(
    user: Annotated[str, typer.Option(help="E-posten til brukeren eller integrasjonsklienten tokenet handler som")],
    name: Annotated[str, typer.Option(help="Hva tokenet skal brukes til")],
    scope: Annotated[TokenScope, typer.Option(help="read eller read_write")] = TokenScope.read,
    org: Annotated[int | None, typer.Option(help="Begrens skriving til denne organisasjons-id-en")] = None,
    expires_days: Annotated[int, typer.Option(min=0, max=730, help="Dager til det utløper, 1–730 (0: aldri)")] = 90,
) -> None:
    """Opprett et API-token og skriv ut hemmeligheten (vises bare én gang)."""
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
            _fail(f"Ugyldig token: {_invalid(exc)}")
        token = _run(lambda: auth.create_token(session, _cli_actor(), data))
    typer.echo(f"Token {token['id']} ({token['scope']}) for {user}. Send det som `Authorization: Bearer <token>`:")
    typer.echo(token["token"])


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Trekk tilbake et token med en gang."""
    with transaction() as session:
        _run(lambda: auth.revoke_token(session, _cli_actor(), token_id, "*"))
    typer.echo(f"Trakk tilbake token {token_id}.")


def _run(action: Callable[[], T]) -> T:
    """Run a domain call, turning its errors into a readable message and exit code 1."""
    try:
        return action()
    except DomainError as exc:
        _fail(mask(exc.detail))


def _column_mapping(items: list[str]) -> dict[str, str] | None:
    """`--map "Overskrift=felt"` options as a mapping; a malformed one stops the command."""
    mapping: dict[str, str] = {}
    for item in items:
        header, sep, field = item.rpartition("=")
        if not sep or not header.strip() or not field.strip():
            _fail(f'Ugyldig --map «{item}»: skriv «Overskrift=felt», for eksempel --map "Tilbudets navn=name"')
        mapping[header.strip()] = field.strip()
    return mapping or None


@app.command("import")
def import_file(
    path: Annotated[Path, typer.Argument(help="En CSV- eller XLSX-fil", exists=True, dir_okay=False, readable=True)],
    kind: Annotated[ImportKind, typer.Option(help="rehab-services eller municipal-survey")] = ImportKind.rehab_services,
    dry_run: Annotated[bool, typer.Option(help="Sjekk og rapporter; skriv ingenting")] = False,
    sheet: Annotated[
        str | None,
        typer.Option(help="Les bare arket med dette navnet (standard: «Tilbud», ellers første ark som passer)"),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="En importprofil (navn eller id) som sier hvilken kolonne som er hvilket felt")
    ] = None,
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Kolonnetilordning «Overskrift=felt» (eller «Overskrift=ignore»), kan gjentas; går foran profilen",
        ),
    ] = None,
) -> None:
    """Importer tilbud eller en kommuneundersøkelse: alle rader eller ingen (kode 0 bare for en feilfri fil)."""
    mapping = _column_mapping(map_ or [])
    from rich.console import Console
    from rich.progress import Progress

    console = Console()
    data = path.read_bytes()
    with Progress(console=console, transient=True) as progress, transaction() as session:
        task = progress.add_task(f"Importerer {path.name}", total=None)

        def step(done: int, total: int) -> None:
            # Redrawn 12 times a second anyway: updating it for every row cost a tenth of a re-import.
            if done % 256 == 0 or done == total:
                progress.update(task, completed=done, total=total)

        report = _run(
            lambda: runner.run_import(
                session,
                _cli_actor(),
                data,
                path.name,
                kind,
                dry_run=dry_run,
                on_row=step,
                sheet=sheet,
                profile=profile,
                mapping=mapping,
            )
        )
    _print_report(console, path.name, report, dry_run=dry_run)
    if report.row_errors:
        raise typer.Exit(1)


SHOWN_LINES = 200  # errors (and notes) printed; the rest are counted


def _print_report(console: Any, file_name: str, report: runner.Report, *, dry_run: bool) -> None:
    """The import's report in three levels: the counts and the summary, the errors (they block), the notes
    (a default applied, a column ignored); each error and note on one line with its sheet, row, column and
    code, so it can be searched for. Every identity number in a message or header is masked."""
    from rich.table import Table

    state = "prøvekjøring" if dry_run else "importert" if report.applied else "ikke importert"
    summary = Table(title=f"{mask(file_name)} ({state})")
    for column in ("rader", "nye", "endret", "uendret", "avvist", "feil", "merknader"):
        summary.add_column(column, justify="right")
    counts = [report.rows, report.created, report.updated, report.unchanged, report.rejected]
    summary.add_row(*map(str, [*counts, len(report.row_errors), len(report.notices)]))
    console.print(summary)
    console.print(mask(report.summary()["text"]), soft_wrap=True, markup=False, highlight=False)
    for title, items in (("Feil (ingenting ble skrevet)", report.row_errors), ("Merknader", report.notices)):
        if not items:
            continue
        console.print(f"{title}:", markup=False, highlight=False)
        for item in items[:SHOWN_LINES]:
            where = [f"ark {item.sheet}" if item.sheet else "", f"rad {item.index}" if item.index else "hele kolonnen"]
            if item.column:
                where.append(f"kolonne «{item.column}»")
            line = f"  {', '.join(w for w in where if w)} [{item.code}]: {item.message}"
            console.print(mask(line), soft_wrap=True, markup=False, highlight=False)
        if len(items) > SHOWN_LINES:
            console.print(f"  … og {len(items) - SHOWN_LINES} til", markup=False, highlight=False)
    if report.applied:
        console.print(f"Importbunke {report.batch_id} er importert.")


_KINDS = {
    "fnr": "fødselsnummer",
    "d": "d-nummer",
    "h": "h-nummer (eller syntetisk fra NAV Dolly)",
    "synthetic": "syntetisk testnummer (Tenor)",
    "2032": "fødselsnummer etter 2032-regelen",
}


@personal_data_app.command("scan")
def personal_data_scan() -> None:
    """Let etter fødselsnumre, d-, h- og syntetiske numre i alle tekstkolonner og i revisjonssporet.

    Skriver tabell, rad (primærnøkkel), kolonne og slag nummer for hvert funn, aldri sifrene. Kode 0 når
    ingenting er funnet, 1 når noe er funnet.
    """
    found = 0
    with Session(get_engine()) as session:
        for hit in personal_data.scan(session):
            if not found:
                typer.echo("tabell\trad\tkolonne\tslag")
            found += 1
            typer.echo(f"{hit.table}\t{hit.key}\t{hit.column}\t{_KINDS[hit.kind]}")
    if found:
        typer.secho(
            f"Fant {found} mulige fødselsnumre eller d-numre (sifrene vises ikke). Fjern dem: Rehabkart skal ikke"
            " ha personopplysninger om pasienter.",
            fg=typer.colors.RED,
            err=True,
        )
        raise typer.Exit(1)
    typer.echo("Fant ingen fødselsnumre eller d-numre i databasen.")


@app.command("deadlines")
def deadlines_command(
    network: Annotated[int | None, typer.Option(help="Bare dette nettverket (id)")] = None,
    json_: Annotated[bool, typer.Option("--json", help="Skriv JSON for skript")] = False,
    today: Annotated[
        str | None, typer.Option(help="Vurder fristene per denne datoen, ÅÅÅÅ-MM-DD (standard: i dag)")
    ] = None,
) -> None:
    """Fristene for handlingsplaner, årsrapporter og samlede rapporter: hva som forfaller, snart forfaller og
    har forfalt, per nettverk. Kode 0 uansett hva som forfaller."""
    from datetime import date

    from app.domain.networks import deadlines

    on_day = None
    if today is not None:
        try:
            on_day = date.fromisoformat(today)
        except ValueError:
            _fail(f"Ugyldig dato «{today}»: skriv ÅÅÅÅ-MM-DD, for eksempel 2026-11-30")
    with transaction() as session:
        items = _run(lambda: deadlines.for_actor(session, _cli_actor(), network_id=network, today=on_day))
    if json_:
        typer.echo(json.dumps(items, default=str, ensure_ascii=False, indent=2))
        return
    if not items:
        typer.echo("Ingen nettverk har frister.")
        return
    for item in items:
        state = deadlines.state_text(item["state"])
        typer.echo(f"{item['due_on'].isoformat()}  {state:<11}  {item['text']}")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Grensesnittet det lyttes på")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port")] = 8000,
    workers: Annotated[int, typer.Option(help="Arbeidsprosesser")] = 1,
    reload: Annotated[bool, typer.Option(help="Last inn på nytt når koden endres")] = False,
    loop: Annotated[str, typer.Option(help="Hendelsesløkke: asyncio eller uvloop")] = "asyncio",
) -> None:
    """Server API-et og sidene med uvicorn."""
    import uvicorn

    typer.echo(f"Rehabkart på http://{host}:{port}/  (API-dokumentasjon: http://{host}:{port}/api/docs)")
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
    output: Annotated[Path, typer.Option(help="Hvor dokumentet skal skrives")] = PROJECT_ROOT
    / "openapi"
    / "openapi.json",
) -> None:
    """Skriv OpenAPI-dokumentet som genereres fra koden."""
    from app.main import create_app

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"Skrev {output}")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
