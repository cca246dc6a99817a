"""ASGI middleware: request ids and security headers (pure ASGI: no per-request task overhead)."""

import re
import secrets
import uuid
from collections.abc import Callable
from http.cookies import CookieError, SimpleCookie
from typing import Any

from asgi_csrf import DEFAULT_SIGNING_NAMESPACE, Errors, asgi_csrf  # type: ignore[import-untyped]
from itsdangerous import BadSignature, URLSafeSerializer
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
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


class _BodyTooLarge(BaseException):
    """Raised from `receive`; a BaseException so FastAPI's form parsing (which turns any Exception
    into a 400) lets it through to UploadLimitMiddleware."""


class UploadLimitMiddleware:
    """Refuse an import upload over the size limit before anything reads it (413 problem+json).

    FastAPI spools a whole multipart body to disk before the handler can look at its size; here a
    declared Content-Length over the limit is refused at once, and a chunked body when it passes it.
    """

    def __init__(self, app: ASGIApp, path: str, limit: Callable[[], int], refuse: Callable[[Scope], ASGIApp]) -> None:
        self.app, self.path, self.limit, self.refuse = app, path, limit, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        limit = self.limit()
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self.refuse(scope)(scope, receive, send)
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise _BodyTooLarge
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except _BodyTooLarge:
            if started:
                raise
            await self.refuse(scope)(scope, receive, send)


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

    Multipart forms (file uploads) are checked here: asgi-csrf 0.11 still calls python-multipart's
    FormParser with `FileClass`, which python-multipart 0.0.26 removed (simonw/asgi-csrf#38), so every
    multipart post from a browser without JavaScript would fail with a 500. The check is the same as
    asgi-csrf's: the `csrftoken` field must come before any file and equal the signed cookie; the body
    read so far is replayed, and the token then goes on to asgi-csrf as the X-CSRFToken header.
    """

    def __init__(self, app: ASGIApp, *args: Any, **options: Any) -> None:
        self.app = app
        self.protected = asgi_csrf(app, **options)
        self.signer = URLSafeSerializer(options["signing_secret"])
        self.failed = options["send_csrf_failed"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        boundary = self._multipart_boundary(scope)
        if boundary is None:
            await self.protected(scope, receive, send)
            return
        expected = self._cookie_token(scope)
        found, replay = await _multipart_token(boundary, receive)
        if expected is None or found is None or not secrets.compare_digest(found, expected):
            await self.failed(scope, send, Errors.MULTIPART_MISMATCH)
            return
        headers = [(k, v) for k, v in scope["headers"] if k != b"x-csrftoken"]
        await self.protected({**scope, "headers": [*headers, (b"x-csrftoken", found.encode("latin-1"))]}, replay, send)

    @staticmethod
    def _multipart_boundary(scope: Scope) -> bytes | None:
        """The boundary of a multipart post that asgi-csrf would check in the body, else None."""
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "TRACE"):
            return None
        headers = dict(scope["headers"])
        content_type, options = parse_options_header(headers.get(b"content-type", b""))
        if content_type != b"multipart/form-data" or not headers.get(b"cookie"):
            return None
        if headers.get(b"authorization", b"").startswith(b"Bearer ") or headers.get(b"x-csrftoken"):
            return None  # exempt, or checked by asgi-csrf against the header
        return options.get(b"boundary") or b"-"

    def _cookie_token(self, scope: Scope) -> str | None:
        cookie = SimpleCookie()
        try:
            cookie.load(dict(scope["headers"]).get(b"cookie", b"").decode("latin-1"))
        except CookieError:
            return None
        morsel = cookie.get("csrftoken")
        if morsel is None:
            return None
        try:
            self.signer.loads(morsel.value, DEFAULT_SIGNING_NAMESPACE)
        except BadSignature:
            return None
        return morsel.value


class _TokenFound(Exception):
    pass


class _NoToken(Exception):
    pass


# The token comes first in the form; a body that has not shown it by here is refused, not buffered on.
_TOKEN_SEARCH_BYTES = 256_000


async def _multipart_token(boundary: bytes, receive: Receive) -> tuple[str | None, Receive]:
    """The `csrftoken` field of a multipart body if it comes before any file, and a replay of what was read."""
    messages: list[Message] = []
    headers: dict[bytes, bytes] = {}
    name: list[bytes] = []
    value: list[bytes] = []
    chunks: list[bytes] = []
    in_token = False

    def on_part_begin() -> None:
        headers.clear()

    def on_header_field(data: bytes, start: int, end: int) -> None:
        name.append(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        value.append(data[start:end])

    def on_header_end() -> None:
        headers[b"".join(name).lower()] = b"".join(value).strip()
        name.clear()
        value.clear()

    def on_headers_finished() -> None:
        nonlocal in_token
        _, options = parse_options_header(headers.get(b"content-disposition"))
        if b"filename" in options:
            raise _NoToken  # a file before the token: refused, as asgi-csrf does
        in_token = options.get(b"name") == b"csrftoken"

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if in_token:
            chunks.append(data[start:end])
            if sum(map(len, chunks)) > 1000:
                raise _NoToken

    def on_part_end() -> None:
        if in_token:
            raise _TokenFound

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    token: str | None = None
    read = 0
    try:
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body = message.get("body", b"")
            read += len(body)
            parser.write(body)
            if not message.get("more_body", False) or read > _TOKEN_SEARCH_BYTES:
                break
    except _TokenFound:
        token = b"".join(chunks).decode("latin-1")
    except (_NoToken, MultipartParseError):
        token = None
    return token, replay
