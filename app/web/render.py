"""Rendering: one template serves the full page and, on HX-Request, just its content block."""

from collections import OrderedDict
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from jinja2_fragments import render_block
from markupsafe import Markup

from app.kit.serialization import loads
from app.models.types import as_utc
from app.settings import get_settings

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
    trim_blocks=True,
    lstrip_blocks=True,
)
# Strings are marked with _() / {% trans %}; bokmål is the source language until catalogues exist.
env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


OSLO = ZoneInfo("Europe/Oslo")


def _date(value: date | datetime | str | None) -> str:
    """dd.mm.yyyy (timestamps with the time, in Norwegian time); accepts ISO strings from stored documents."""
    if not value:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        return as_utc(value).astimezone(OSLO).strftime("%d.%m.%Y %H:%M")
    return value.strftime("%d.%m.%Y")


_CODED = {
    "level": "levels",
    "forms": "forms",
    "status": "statuses",
    "age_groups": "age_groups",
    "capacity_unit": "capacity_units",
    "referrers": "referrers",
    "source": "sources",
}


def _shown(field: str, value: Any, labels: dict[str, dict[str, str]]) -> str:
    """A stored value as people read it: labels for codes, dd.mm.yyyy for dates, '–' for nothing."""
    if value is None or value == [] or value == "":
        return "–"
    mapping = labels.get(_CODED.get(field, ""), {})
    if isinstance(value, list):
        return ", ".join(mapping.get(str(v), str(v)) for v in value)
    if isinstance(value, bool):
        return "ja" if value else "nei"
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        try:
            return _date(text)
        except ValueError:
            return text
    return mapping.get(text, text)


env.filters["dato"] = _date
env.filters["label"] = lambda value, mapping: mapping.get(value, value)
env.filters["shown"] = _shown
# 12 345: a no-break space between thousands, as Norwegian writes numbers.
env.filters["tall"] = lambda n: "–" if n is None else f"{n:,}".replace(",", "\u00a0")


_URL_TEMPLATES: dict[tuple[str, tuple[str, ...]], str] = {}


def url_for(request: Request, name: str, **params: Any) -> str:
    """The path of a named route. Route lookup walks every router, so each name's path is looked up once,
    with placeholders, and filled in afterwards (it was two thirds of a list fragment's time)."""
    key = (name, tuple(sorted(params)))
    template = _URL_TEMPLATES.get(key)
    if template is None:
        template = str(request.app.url_path_for(name, **{k: f"__rk_{k}__" for k in params}))
        _URL_TEMPLATES[key] = template
    for k, v in params.items():
        template = template.replace(f"__rk_{k}__", quote(str(v), safe="/" if k == "path" else ""))
    return template


_ROW_CACHE: OrderedDict[tuple[Any, ...], Markup] = OrderedDict()
_ROW_CACHE_SIZE = 20_000
_ROW_KEY = ("id", "version", "provider_name", "created_at", "updated_at")


def table_row(request: Request, service: dict[str, Any] | bytes) -> Markup:
    """A service's row in the service tables. A row changes only with the service's version (or its
    provider's name), so it is rendered once and reused: most of a list fragment was rendering rows.
    created_at is in the key too, so a database where an id was used again cannot show an old row."""
    # A stored JSON document is its own key (it holds version, timestamps and provider name).
    key: Any = service if isinstance(service, bytes) else tuple(service[k] for k in _ROW_KEY)
    row = _ROW_CACHE.get(key)
    if row is None:
        if isinstance(service, bytes):
            service = loads(service)
        from app.web.labels import ALL

        values = {"s": service, "labels": ALL, "url_for": lambda name, **p: url_for(request, name, **p)}
        row = Markup(env.get_template("rehab_services/_row.html").render(values))  # noqa: S704 (autoescaped)
        _ROW_CACHE[key] = row
        if len(_ROW_CACHE) > _ROW_CACHE_SIZE:
            _ROW_CACHE.popitem(last=False)
    return row


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200, *, block: str = "content"
) -> HTMLResponse:
    """The full page, or only one block of it (`content` unless told) when htmx asks."""
    csrf = request.scope.get("csrftoken")
    values = {
        "request": request,
        "csrf_token": csrf() if callable(csrf) else "",
        "settings": get_settings(),
        "url_for": lambda name, **params: url_for(request, name, **params),
        "table_row": lambda service: table_row(request, service),
        **context,
    }
    if request.headers.get("HX-Request") == "true" and not request.headers.get("HX-Boosted"):
        html = render_block(env, template, block, values)
    else:
        html = env.get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers={"Vary": "HX-Request"})


def login_redirect(request: Request) -> RedirectResponse:
    """To the login page, coming back here afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?{urlencode({'next': target})}", status_code=303)


def done(request: Request, url: str) -> Response:
    """Success after a form post: 303 for plain forms, HX-Redirect for htmx."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=200, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)
