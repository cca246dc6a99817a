"""Writes the noted last uses of tokens and sessions once the response has been sent."""

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from app.domain import last_use


class LastUseMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
        if scope["type"] == "http" and last_use.due():
            await run_in_threadpool(last_use.flush)
