"""CSRF protection for requests that carry the browser's cookies.

Two independent checks, both on every unsafe request (POST, PUT, PATCH, DELETE) that a browser could be
tricked into sending — every page form (login included) and every API call made with the session cookie:

1. Where it comes from. `Sec-Fetch-Site` must be `same-origin` (or `none`: typed by the user), and an
   `Origin` header must be this site's own origin. Another port or a sibling subdomain is another origin.
2. The token. It is an HMAC of the session id (before login: of a random value in its own cookie), sent as
   the `csrftoken` form field (before any file in a multipart form) or the `X-CSRFToken` header. A token
   made for another session — say one planted with a cookie by a page on another port — does not verify.

Requests with `Authorization: Bearer` are exempt (a browser never adds that header on its own), and so are
API requests without the session cookie (they carry no ambient authority).

asgi-csrf (used before) only compares a cookie with a field, so any validly signed pair planted by another
page on the same host passed; binding the token to our own session needs our own middleware.
"""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.http import cookies
from app.kit.secrets import mint

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
FIELD = "csrftoken"
HEADER = b"x-csrftoken"

Refuse = Callable[[Scope, str], ASGIApp]


def make_token(secret: bytes, binding: str) -> str:
    digest = hmac.new(secret, b"csrf\x00" + binding.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def own_origins(scope: Scope) -> set[str]:
    """This site's origin as the browser sees it (https too, when TLS ends at a proxy that hides it)."""
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
    scheme = scope.get("scheme", "http")
    return {f"{scheme}://{host}", f"https://{host}"} if host else set()


def origin_problem(scope: Scope) -> str | None:
    """Why the request does not come from our own pages, or None when it may."""
    headers = dict(scope["headers"])
    site = headers.get(b"sec-fetch-site", b"").decode("latin-1")
    if site and site not in ("same-origin", "none"):
        return f"the request came from another site (Sec-Fetch-Site: {site})"
    origin = headers.get(b"origin")
    if origin is not None:
        value = origin.decode("latin-1")
        parts = urlsplit(value)
        if f"{parts.scheme}://{parts.netloc}" not in own_origins(scope):
            return f"the request came from another origin ({value[:100]})"
    return None


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, *, secret: str, refuse: Refuse) -> None:
        self.app = app
        self.secret = secret.encode("utf-8")
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = cookies.jar(scope)
        session = cookies.read(scope, cookies.SESSION, sent)
        nonce = cookies.read(scope, cookies.CSRF, sent)
        minted: list[str] = []

        def token() -> str:
            binding = session or nonce
            if binding is None:
                if not minted:
                    minted.append(mint()[0])
                binding = minted[0]
            return make_token(self.secret, binding)

        scope["csrftoken"] = token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and minted:
                message["headers"] = [
                    *message.get("headers", []),
                    cookies.set_cookie_header(scope, cookies.CSRF, minted[0]),
                ]
            await send(message)

        if not self._checked(scope, session):
            await self.app(scope, receive, send_with_cookie)
            return
        problem = origin_problem(scope)
        if problem is not None:
            await self.refuse(scope, problem)(scope, receive, send)
            return
        binding = session or nonce
        found, replay = await _sent_token(scope, receive)
        if binding is None or found is None or not secrets.compare_digest(found, make_token(self.secret, binding)):
            reason = "the form was made for another session" if found else "the request carried no CSRF token"
            await self.refuse(scope, reason)(scope, replay, send)
            return
        await self.app(scope, replay, send_with_cookie)

    @staticmethod
    def _checked(scope: Scope, session: str | None) -> bool:
        if scope["method"] in SAFE_METHODS:
            return False
        headers = dict(scope["headers"])
        if headers.get(b"authorization", b"")[:7].lower() == b"bearer ":
            return False
        # Pages are always checked (login included); the API only when the session cookie comes along.
        return not scope["path"].startswith("/api/") or session is not None


async def _sent_token(scope: Scope, receive: Receive) -> tuple[str | None, Receive]:
    """The token from the header or the form body, and a `receive` that replays what was read."""
    headers = dict(scope["headers"])
    if HEADER in headers:
        return headers[HEADER].decode("latin-1"), receive
    content_type, options = parse_options_header(headers.get(b"content-type", b""))
    if content_type == b"multipart/form-data":
        return await _multipart_token(options.get(b"boundary") or b"-", receive)
    if content_type == b"application/x-www-form-urlencoded":
        return await _urlencoded_token(receive)
    return None, receive


async def _urlencoded_token(receive: Receive) -> tuple[str | None, Receive]:
    # The body limit (outside this middleware) bounds what is read here.
    messages: list[Message] = []
    body = bytearray()
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            break
        body += message.get("body", b"")
        if not message.get("more_body", False):
            break
    fields = dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))

    async def replay() -> Message:
        return messages.pop(0) if messages else await receive()

    return fields.get(FIELD), replay


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
