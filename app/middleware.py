"""ASGI middleware: request ids and security headers (pure ASGI: no per-request task overhead)."""

import re
import uuid
from typing import Any

from asgi_csrf import asgi_csrf  # type: ignore[import-untyped]
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdMiddleware:
    """Give every request an id (or keep a sane incoming X-Request-ID) and echo it in the response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                headers.setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        await self.app(scope, receive, send_with_id)


class SecurityHeadersMiddleware:
    """A Content-Security-Policy that allows our own origin and exactly the pinned CDN assets."""

    def __init__(self, app: ASGIApp, script_sources: list[str], style_sources: list[str]) -> None:
        self.app = app
        scripts = " ".join(["'self'", *script_sources])
        styles = " ".join(["'self'", *style_sources])
        self.policy = (
            f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; "
            "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
            "base-uri 'self'; object-src 'none'"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/api/docs"):
            # Swagger UI loads its own CDN assets and inline script; it is documentation, not the product.
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", self.policy)
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Frame-Options", "DENY")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CsrfMiddleware:
    """Double-submit CSRF (asgi-csrf) for everything but safe API reads (GET/HEAD under /api/).

    Reads need no token, and making one costs a random secret and a signature on every request.
    """

    def __init__(self, app: ASGIApp, *args: Any, **options: Any) -> None:
        self.app = app
        self.protected = asgi_csrf(app, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
        else:
            await self.protected(scope, receive, send)
