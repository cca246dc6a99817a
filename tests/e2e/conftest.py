"""Browser tests: the real app under uvicorn, driven by Playwright through Debian's Chromium.

One server (on a fresh SQLite file with reference and demo data) and one browser serve the whole
session; every test gets its own browser context. The pages' CDN assets (htmx, Designsystemet,
Swagger UI, Sortable.js) are served from node_modules, and any other request leaving the app's origin is refused
and fails the test, as do console errors, uncaught page errors and Content-Security-Policy violations.

Without /usr/bin/chromium or the npm packages, these tests are skipped (with the reason in the summary).
"""

import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, Route, sync_playwright

from app.settings import Settings
from tests.e2e.helpers import (
    CHROMIUM,
    DS_CSS_FILE,
    DS_THEME_FILE,
    HTMX_FILE,
    PROJECT_ROOT,
    REQUIRED_FILES,
    SORTABLE_FILE,
    SWAGGER_UI_CSS_FILE,
    SWAGGER_UI_JS_FILE,
    Account,
    BrowserWatch,
    ContextFactory,
    E2EServer,
)

E2E_DIR = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STARTUP_SECONDS = 20.0
DEFAULT_TIMEOUT_MS = 10_000
ORGANISATION_FOR_EDITOR = "Helse Fonna HF"

# Reports the violation itself too, in case the browser's own console message changes wording.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`Content Security Policy violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
});
"""


# --- Skipping when the browser or the npm packages are missing ------------------------------------------


def _missing_prerequisite() -> str | None:
    if not CHROMIUM.is_file():
        return f"e2e tests skipped: Chromium not found at {CHROMIUM} (apt-get install chromium)"
    for path in REQUIRED_FILES:
        if not path.is_file():
            return f"e2e tests skipped: {path.relative_to(PROJECT_ROOT)} not found (npm ci)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing_prerequisite()
    for item in items:
        if not item.path.is_relative_to(E2E_DIR):
            continue
        item.add_marker(pytest.mark.e2e)
        if reason:
            item.add_marker(pytest.mark.skip(reason=reason))


# --- The server ------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _server_env(settings: Settings, database: Path) -> dict[str, str]:
    """The subprocess's own configuration: nothing inherited from REHABKART_* in this process.

    The CDN asset settings are passed on explicitly, so the server links exactly the URLs the tests route.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith("REHABKART_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    env.update(
        REHABKART_DATABASE_URL=f"sqlite:///{database}",
        REHABKART_SECRET_KEY=secrets.token_urlsafe(36),  # 48 characters
        REHABKART_HTMX_URL=settings.htmx_url,
        REHABKART_HTMX_INTEGRITY=settings.htmx_integrity,
        REHABKART_DESIGNSYSTEMET_CSS_URL=settings.designsystemet_css_url,
        REHABKART_DESIGNSYSTEMET_CSS_INTEGRITY=settings.designsystemet_css_integrity,
        REHABKART_DESIGNSYSTEMET_THEME_URL=settings.designsystemet_theme_url,
        REHABKART_DESIGNSYSTEMET_THEME_INTEGRITY=settings.designsystemet_theme_integrity,
        REHABKART_SWAGGER_UI_JS_URL=settings.swagger_ui_js_url,
        REHABKART_SWAGGER_UI_JS_INTEGRITY=settings.swagger_ui_js_integrity,
        REHABKART_SWAGGER_UI_CSS_URL=settings.swagger_ui_css_url,
        REHABKART_SWAGGER_UI_CSS_INTEGRITY=settings.swagger_ui_css_integrity,
        REHABKART_SORTABLE_URL=settings.sortable_url,
        REHABKART_SORTABLE_INTEGRITY=settings.sortable_integrity,
    )
    return env


# Runs several `rehabkart` commands in one interpreter (importing the app once costs ~2 s).
_CLI_SEQUENCE = """
import json, sys
from app.cli import app
for args in json.loads(sys.argv[1]):
    code = app(args, prog_name="rehabkart", standalone_mode=False)
    if code:
        sys.exit(f"`rehabkart {' '.join(args)}` failed with exit code {code}")
"""


class _Cli:
    """`rehabkart` commands run in the background, in the server's environment; passwords go on stdin."""

    def __init__(self, workdir: Path, env: dict[str, str], commands: list[list[str]], stdin: str = "") -> None:
        self.commands = commands
        self.stdin = stdin
        self.process = subprocess.Popen(
            [sys.executable, "-c", _CLI_SEQUENCE, json.dumps(commands)],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def finish(self) -> None:
        try:
            output, _ = self.process.communicate(self.stdin, timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _ = self.process.communicate()
        if self.process.returncode != 0:
            commands = "; ".join("rehabkart " + " ".join(args) for args in self.commands)
            pytest.fail(f"{commands} failed ({self.process.returncode}):\n{output}", pytrace=False)


def _create_user(account: Account, *extra: str) -> list[str]:
    return ["users", "create", "--email", account.email, "--name", account.name, "--role", account.role, *extra]


def _organisation_id(database: Path, name: str) -> int:
    with sqlite3.connect(database) as conn:
        row = conn.execute("SELECT id FROM organisation WHERE name = ?", (name,)).fetchone()
    if row is None:
        pytest.fail(f"The reference data has no organisation named {name!r}")
    return int(row[0])


def _wait_until_up(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(trust_env=False, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            try:
                if client.get(f"{base_url}/login").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    state = f"exited with {process.returncode}" if process.poll() is not None else "did not answer"
    tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])
    pytest.fail(f"The e2e server {state} (GET {base_url}/login within {STARTUP_SECONDS:.0f}s). Log {log}:\n{tail}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def app_settings() -> Settings:
    """The settings naming the CDN assets (the server is given the same ones)."""
    return Settings()


@pytest.fixture(scope="session")
def e2e_server(tmp_path_factory: pytest.TempPathFactory, app_settings: Settings) -> Iterator[E2EServer]:
    """The real app under uvicorn on a free port, with a fresh database, demo data and two known users."""
    workdir = tmp_path_factory.mktemp("e2e")
    database = workdir / "e2e.db"
    env = _server_env(app_settings, database)
    admin = Account("admin@e2e.test", "admin-passord-" + secrets.token_hex(8), "Admin", "admin")
    editor = Account("editor@e2e.test", "editor-passord-" + secrets.token_hex(8), "Redaktør Fonna", "editor")

    setup = [["db", "upgrade"], ["reference", "load"], ["demo", "load"], [*_create_user(admin), "--password-stdin"]]
    _Cli(workdir, env, setup, stdin=admin.password + "\n").finish()
    organisation_id = _organisation_id(database, ORGANISATION_FOR_EDITOR)
    # The editor is created while the server starts.
    editor_cli = _Cli(
        workdir,
        env,
        [[*_create_user(editor, "--org", str(organisation_id)), "--password-stdin"]],
        stdin=editor.password + "\n",
    )

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = workdir / "server.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port)],
            cwd=workdir,  # away from the project's .env: the server sees only the environment above
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        editor_cli.finish()
        _wait_until_up(process, base_url, log)
        yield E2EServer(base_url, admin, editor, organisation_id, database, log)
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def base_url(e2e_server: E2EServer) -> str:
    return e2e_server.base_url


# --- The browser ------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            launched.close()


@dataclass(frozen=True)
class CdnAsset:
    path: Path
    content_type: str


@pytest.fixture(scope="session")
def cdn_assets(app_settings: Settings) -> dict[str, CdnAsset]:
    """The pinned CDN URLs and the node_modules files served in their place."""
    return {
        app_settings.htmx_url: CdnAsset(HTMX_FILE, "text/javascript; charset=utf-8"),
        app_settings.designsystemet_css_url: CdnAsset(DS_CSS_FILE, "text/css; charset=utf-8"),
        app_settings.designsystemet_theme_url: CdnAsset(DS_THEME_FILE, "text/css; charset=utf-8"),
        app_settings.swagger_ui_js_url: CdnAsset(SWAGGER_UI_JS_FILE, "text/javascript; charset=utf-8"),
        app_settings.swagger_ui_css_url: CdnAsset(SWAGGER_UI_CSS_FILE, "text/css; charset=utf-8"),
        app_settings.sortable_url: CdnAsset(SORTABLE_FILE, "text/javascript; charset=utf-8"),
    }


@pytest.fixture
def watches() -> dict[int, BrowserWatch]:
    """The BrowserWatch of every context created in this test, by id(context)."""
    return {}


@pytest.fixture
def new_context(
    browser: Browser, base_url: str, cdn_assets: dict[str, CdnAsset], watches: dict[int, BrowserWatch]
) -> Iterator[ContextFactory]:
    """Make browser contexts (separate cookie jars: one per user); all are checked and closed after the test."""
    contexts: list[BrowserContext] = []

    def make(*, java_script_enabled: bool = True) -> BrowserContext:
        context = browser.new_context(
            base_url=base_url,
            locale="nb-NO",
            viewport={"width": 1280, "height": 800},
            java_script_enabled=java_script_enabled,
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        watch = BrowserWatch()

        def route(route: Route) -> None:
            url = route.request.url
            if url == base_url or url.startswith(base_url + "/"):
                route.continue_()
            elif url in cdn_assets:
                asset = cdn_assets[url]
                watch.cdn_requests.append(url)
                route.fulfill(
                    status=200,
                    path=asset.path,
                    headers={"Content-Type": asset.content_type, "Access-Control-Allow-Origin": "*"},
                )
            else:
                watch.blocked_requests.append(f"{route.request.method} {url}")
                route.abort("blockedbyclient")

        def on_console(message: ConsoleMessage) -> None:
            text = f"{message.text} (at {message.page.url if message.page else '?'})"
            if "Content Security Policy" in message.text:
                watch.csp_violations.append(text)
            elif message.type == "error":
                watch.console_errors.append(text)

        def on_page(page: Page) -> None:
            page.on("console", on_console)
            page.on("pageerror", lambda error: watch.page_errors.append(f"{error} (at {page.url})"))

        context.route("**/*", route)
        context.add_init_script(CSP_LISTENER)
        context.on("page", on_page)
        contexts.append(context)
        watches[id(context)] = watch
        return context

    yield make

    problems: list[str] = []
    for context in contexts:
        context.close()
        problems.extend(watches[id(context)].problems())
    if problems:
        pytest.fail("The browser reported problems:\n" + "\n".join(problems), pytrace=False)


@pytest.fixture
def context(new_context: ContextFactory) -> BrowserContext:
    return new_context()


@pytest.fixture
def watch(context: BrowserContext, watches: dict[int, BrowserWatch]) -> BrowserWatch:
    """The BrowserWatch of the `context` fixture's context."""
    return watches[id(context)]


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()
