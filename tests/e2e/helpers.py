"""Helpers for the browser tests: paths, screenshots, accessibility checks and logging in."""

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from playwright.sync_api import BrowserContext, Page, expect

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = PROJECT_ROOT / "node_modules"
CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
OUTPUT_DIR = PROJECT_ROOT / "test-output" / "e2e"

# The files served in place of the CDN URLs: byte-identical to the published packages, so SRI holds.
HTMX_FILE = NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"
DS_CSS_FILE = NODE_MODULES / "@digdir" / "designsystemet-css" / "dist" / "src" / "index.css"
DS_THEME_FILE = NODE_MODULES / "@digdir" / "designsystemet-css" / "dist" / "theme" / "designsystemet.css"
SWAGGER_UI_JS_FILE = NODE_MODULES / "swagger-ui-dist" / "swagger-ui-bundle.js"
SWAGGER_UI_CSS_FILE = NODE_MODULES / "swagger-ui-dist" / "swagger-ui.css"
SORTABLE_FILE = NODE_MODULES / "sortablejs" / "Sortable.min.js"
REQUIRED_FILES = (
    HTMX_FILE,
    DS_CSS_FILE,
    DS_THEME_FILE,
    SWAGGER_UI_JS_FILE,
    SWAGGER_UI_CSS_FILE,
    SORTABLE_FILE,
    AXE_SCRIPT,
)

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"serious", "critical"}


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    name: str
    role: str


@dataclass(frozen=True)
class E2EServer:
    base_url: str
    admin: Account
    editor: Account
    editor_organisation_id: int
    database: Path
    log: Path


@dataclass
class BrowserWatch:
    """What a context's pages did that should fail the test, and which CDN assets they fetched.

    Console errors can be expected with allow_console_error; CSP violations and page errors cannot.
    """

    blocked_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)
    cdn_requests: list[str] = field(default_factory=list)
    allowed_console_errors: list[re.Pattern[str]] = field(default_factory=list)

    def allow_console_error(self, pattern: str) -> None:
        """Expect console errors matching this regex (e.g. Chromium's "Failed to load resource" for a 422 page)."""
        self.allowed_console_errors.append(re.compile(pattern))

    def problems(self) -> list[str]:
        console = [e for e in self.console_errors if not any(p.search(e) for p in self.allowed_console_errors)]
        sections = [
            ("Requests outside the app (aborted)", self.blocked_requests),
            ("Content-Security-Policy violations", self.csp_violations),
            ("Console errors", console),
            ("Uncaught page errors", self.page_errors),
        ]
        return [f"{title}:\n" + "\n".join(f"  - {item}" for item in items) for title, items in sections if items]


class ContextFactory(Protocol):
    """Makes a checked browser context (its own cookie jar: one per user); without JavaScript if told."""

    def __call__(self, *, java_script_enabled: bool = True) -> BrowserContext: ...


_AXE_RUN = """
async (tags) => {
  const results = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return results.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target, html: n.html, summary: n.failureSummary})),
  }));
}
"""


def _file_name(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-") or "page"


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-output/e2e/<name>.png.

    The text caret is left alone: hiding it (Playwright's default) leaves an empty style attribute on the
    page's text fields, which htmx later copies (settling a swap) or restores (history), and the CSP then
    reports it as an inline style.
    """
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUTPUT_DIR / f"{_file_name(name)}.png"
    page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


def _describe(violation: dict[str, Any]) -> str:
    lines = [f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"]
    for node in violation["nodes"]:
        target = " ".join(str(part) for part in node["target"])
        lines.append(f"    at {target}: {node['html']}")
    return "\n".join(lines)


def check_accessibility(page: Page, name: str) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.1 A/AA) on the page; fail on serious or critical violations.

    axe is injected with page.evaluate, which the page's Content-Security-Policy does not govern
    (an inline <script> would be refused). Every violation found, of any impact, is written to
    test-output/e2e/<name>.axe.json; the minor and moderate ones are returned for the caller.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8"))
    violations: list[dict[str, Any]] = page.evaluate(_AXE_RUN, WCAG_TAGS)
    OUTPUT_DIR.mkdir(parents=True, exist_ok=True)
    report = OUTPUT_DIR / f"{_file_name(name)}.axe.json"
    report.write_text(json.dumps({"url": page.url, "violations": violations}, indent=2), encoding="utf-8")
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
    assert not blocking, f"axe found serious/critical WCAG violations on {name} ({page.url}):\n" + "\n".join(
        _describe(v) for v in blocking
    )
    return violations


def login(page: Page, base_url: str, email: str, password: str) -> None:
    """Log in through the form and wait for the front page."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-post").fill(email)
    page.get_by_label("Passord").fill(password)
    page.get_by_role("button", name="Logg inn").click()
    page.wait_for_url(f"{base_url}/")
    expect(page.get_by_role("button", name="Logg ut")).to_be_visible()
