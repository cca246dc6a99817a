"""Every request body is capped while it streams, before anything parses it or asks who sent it."""

from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

UPLOAD_FORM_OVERHEAD = 64_000  # multipart boundaries and the small form fields around an uploaded file


class _BodyTooLarge(BaseException):
    """Raised from `receive`; a BaseException so that form parsing (which turns any Exception into a 400)
    lets it through to the middleware."""


Refuse = Callable[[Scope, int], ASGIApp]


class BodyLimitMiddleware:
    """413 for a body over the limit for its route: at once for a declared Content-Length over it, and
    as soon as a chunked body passes it. Runs outside authentication, so an anonymous body is capped too."""

    def __init__(self, app: ASGIApp, limit: Callable[[Scope], int], refuse: Refuse) -> None:
        self.app, self.limit, self.refuse = app, limit, refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        declared = next((v for k, v in scope["headers"] if k == b"content-length"), b"")
        if declared.isdigit() and int(declared) > limit:
            await self.refuse(scope, limit)(scope, receive, send)
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
            await self.refuse(scope, limit)(scope, receive, send)
