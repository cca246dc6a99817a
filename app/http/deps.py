"""Dependencies of both faces: units of work, and who the caller is (token, session cookie or anonymous)."""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlmodel import Session

from app.db import get_engine, transaction
from app.domain import auth, last_use
from app.domain.actor import ANONYMOUS, Actor
from app.domain.errors import Unauthenticated
from app.http import cookies
from app.settings import get_settings


def _write_session() -> Iterator[Session]:
    """A read-write unit of work: committed when the handler returns, rolled back when it raises."""
    with transaction() as session:
        yield session


async def _read_session() -> AsyncIterator[Session]:
    """A read-only session used on the event loop.

    Read handlers are `async def` and query synchronously: the indexed queries take well under a
    millisecond, which is less than the thread-pool hop a sync handler would cost per request.
    """
    with Session(get_engine()) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is never reported as success.
SessionDep = Annotated[Session, Depends(_write_session, scope="function")]
# Closed when the handler returns, not after the response is sent: a slow client must not hold a pooled
# connection (with all of them held, the next request would wait for one on the event loop).
ReadSessionDep = Annotated[Session, Depends(_read_session, scope="function")]


def resolve_actor(session: Session, request: Request) -> Actor:
    """The caller: a bearer token, else a session cookie, else anonymous. A bad token is an error.

    Unsafe API requests were already resolved by AuthenticateFirstMiddleware, before their body was read.
    """
    known = getattr(request.state, "actor", None)
    if isinstance(known, Actor):
        return known
    header = request.headers.get("authorization")
    resolved: auth.Resolved | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Send an API token as `Authorization: Bearer <token>`")
        resolved = auth.resolve_token(session, value.strip())
        if resolved is None:
            raise Unauthenticated("The API token is unknown, revoked or expired")
    elif secret := cookies.read(request.scope, cookies.SESSION):
        resolved = auth.resolve_session(session, secret)
    if resolved is None:
        actor = ANONYMOUS.with_request(request.state.request_id)
    else:
        actor = resolved.actor.with_request(request.state.request_id)
        if resolved.stale_touch:  # written after the response, never waiting for the write lock
            last_use.note(token_id=actor.token_id, session_id=None if actor.token_id else actor.session_id)
    request.state.actor = actor
    return actor


async def _catalogue_reader(request: Request, session: ReadSessionDep) -> Actor:
    actor = resolve_actor(session, request)
    if not actor.authenticated and not get_settings().public_catalogue:
        raise Unauthenticated("Log in or send an API token to read the catalogue")
    return actor


async def _reader(request: Request, session: ReadSessionDep) -> Actor:
    actor = resolve_actor(session, request)
    if not actor.authenticated:
        raise Unauthenticated("Log in or send an API token")
    return actor


def require_writer(actor: Actor) -> Actor:
    if not actor.authenticated:
        raise Unauthenticated("Log in or send an API token to make changes")
    return actor


async def _writer(request: Request, session: ReadSessionDep) -> Actor:
    return require_writer(resolve_actor(session, request))


CatalogueReader = Annotated[Actor, Depends(_catalogue_reader)]
"""Anyone when the catalogue is public (the default), else a user or token."""
Reader = Annotated[Actor, Depends(_reader)]
"""A logged-in user or a valid token."""
Writer = Annotated[Actor, Depends(_writer)]
"""A logged-in user or a valid token; what it may change is decided in the domain."""


async def _page_actor(request: Request, session: ReadSessionDep) -> Actor:
    return resolve_actor(session, request)


PageActor = Annotated[Actor, Depends(_page_actor)]
"""Who is looking at a page (anonymous is fine)."""
PageWriter = Annotated[Actor, Depends(_page_actor)]
"""Who posts a form; the handler sends anonymous users to the login page."""
