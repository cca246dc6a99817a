"""Unsafe API requests are authenticated before their body is read: FastAPI parses a body before it
resolves dependencies, so without this an anonymous caller could make the server parse a megabyte of JSON
just to be told 401."""

from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from app.db import get_engine
from app.domain.errors import Unauthenticated
from app.http.deps import require_writer, resolve_actor
from app.http.errors import domain_problem

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _resolve(request: Request) -> None:
    with Session(get_engine()) as session:
        require_writer(resolve_actor(session, request))  # kept on request.state for the route's dependency


class AuthenticateFirstMiddleware:
    def __init__(self, app: ASGIApp, prefix: str = "/api/") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            await run_in_threadpool(_resolve, request)
        except Unauthenticated as exc:
            response = await domain_problem(request, exc)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
