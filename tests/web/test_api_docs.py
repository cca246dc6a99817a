"""The interactive API docs: pinned Swagger UI with SRI, under the same security headers as every page."""

import base64
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path

from fastapi.testclient import TestClient

from app.settings import get_settings


class _Tags(HTMLParser):
    """The attributes of every <script> and <link>, and the text inside <script> elements."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
            self._in_script = True
        elif tag == "link":
            self.links.append(dict(attrs))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data


def _parse(html: str) -> _Tags:
    tags = _Tags()
    tags.feed(html)
    return tags


def test_api_docs_load_pinned_swagger_ui_under_the_csp(anon: TestClient) -> None:
    settings = get_settings()
    response = anon.get("/api/docs")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")

    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp
    assert "'unsafe-eval'" not in csp
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert settings.swagger_ui_js_url in directives["script-src"]
    assert settings.swagger_ui_css_url in directives["style-src"]
    assert "'none'" in directives["frame-ancestors"]
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "same-origin"
    assert response.headers["x-content-type-options"] == "nosniff"

    tags = _parse(response.text)
    swagger = next(s for s in tags.scripts if s.get("src") == settings.swagger_ui_js_url)
    assert swagger["integrity"] == settings.swagger_ui_js_integrity
    assert swagger["crossorigin"] == "anonymous"
    stylesheet = next(link for link in tags.links if link.get("href") == settings.swagger_ui_css_url)
    assert stylesheet["integrity"] == settings.swagger_ui_css_integrity
    assert stylesheet["crossorigin"] == "anonymous"
    # Every script is external (no inline code for the CSP to refuse), and the starter is our own file.
    assert all(s.get("src") for s in tags.scripts)
    assert tags.script_text.strip() == ""
    assert any(str(s["src"]).endswith("/static/swagger-init.js") for s in tags.scripts)
    assert 'data-openapi-url="/api/v1/openapi.json"' in response.text
    assert re.search(r"<title>Rehabkart API</title>", response.text)


def test_the_pinned_swagger_ui_is_the_version_in_package_json(project_root: Path) -> None:
    """The browser tests serve node_modules/swagger-ui-dist in place of the CDN: the versions must agree."""
    settings = get_settings()
    package = json.loads((project_root / "package.json").read_text(encoding="utf-8"))
    version = package["devDependencies"]["swagger-ui-dist"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", version), "pin an exact version"
    for url in (settings.swagger_ui_js_url, settings.swagger_ui_css_url):
        assert url.startswith(f"https://cdn.jsdelivr.net/npm/swagger-ui-dist@{version}/"), url
    dist = project_root / "node_modules" / "swagger-ui-dist"
    for name, integrity in (
        ("swagger-ui-bundle.js", settings.swagger_ui_js_integrity),
        ("swagger-ui.css", settings.swagger_ui_css_integrity),
    ):
        assert integrity.startswith("sha384-")
        if (dist / name).is_file():  # after `npm ci`: the hash is the published file's
            digest = base64.b64encode(hashlib.sha384((dist / name).read_bytes()).digest()).decode()
            assert integrity == f"sha384-{digest}", name


def test_swagger_init_script_is_served_and_the_docs_stay_out_of_the_schema(anon: TestClient) -> None:
    script = anon.get("/static/swagger-init.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle(" in script.text
    schema = anon.get("/api/v1/openapi.json").json()
    assert "/api/docs" not in schema["paths"]
