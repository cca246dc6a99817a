"""Security headers on every response: a strict Content-Security-Policy and framing/referrer rules."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def content_security_policy(script_sources: list[str], style_sources: list[str]) -> str:
    """Our own origin plus exactly these asset URLs; no inline script or style anywhere."""
    scripts = " ".join(["'self'", *script_sources])
    styles = " ".join(["'self'", *style_sources])
    return (
        f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src 'self' data:; "
        "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
        "base-uri 'self'; object-src 'none'"
    )


class SecurityHeadersMiddleware:
    """A Content-Security-Policy that allows our own origin and exactly the pinned CDN assets (a response that
    sets its own, such as the API docs page with Swagger UI's assets, keeps it), and the other security headers."""

    def __init__(self, app: ASGIApp, script_sources: list[str], style_sources: list[str]) -> None:
        self.app = app
        self.policy = content_security_policy(script_sources, style_sources)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
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
