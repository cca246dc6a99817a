"""The interactive API docs (Swagger UI), served under the same security headers as every page.

FastAPI's own docs page has an inline script and floating CDN URLs; this one loads the pinned Swagger UI
with Subresource Integrity and starts it from a static script, so the Content-Security-Policy needs
neither 'unsafe-inline' nor an exemption.
"""

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from app.http.security_headers import content_security_policy
from app.settings import get_settings

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{title}</title>
  <link rel="stylesheet" href="{css_url}" integrity="{css_integrity}" crossorigin="anonymous">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
  <script src="{js_url}" integrity="{js_integrity}" crossorigin="anonymous"></script>
  <script src="{init_url}"></script>
</body>
</html>
"""


@router.get("/api/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> HTMLResponse:
    settings = get_settings()
    root_path = request.scope.get("root_path", "").rstrip("/")
    page = _PAGE.format(
        title=escape(request.app.title),
        css_url=escape(settings.swagger_ui_css_url),
        css_integrity=escape(settings.swagger_ui_css_integrity),
        openapi_url=escape(root_path + request.app.openapi_url),
        js_url=escape(settings.swagger_ui_js_url),
        js_integrity=escape(settings.swagger_ui_js_integrity),
        init_url=escape(str(request.url_for("static", path="swagger-init.js"))),
    )
    policy = content_security_policy([settings.swagger_ui_js_url], [settings.swagger_ui_css_url])
    return HTMLResponse(page, headers={"Content-Security-Policy": policy})
