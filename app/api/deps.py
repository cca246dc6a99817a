"""Dependencies shared by the API routes."""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Query, Request
from sqlmodel import Session

from app.db import get_engine, transaction
from app.domain import auth
from app.domain.auth import ANONYMOUS, Actor
from app.domain.errors import Unauthenticated
from app.settings import get_settings

SESSION_COOKIE = "rehabkart_session"


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

IfMatch = Annotated[
    str | None,
    Header(
        max_length=200,
        description="The ETag from your last GET; the write is refused with 412 if it is no longer current",
    ),
]
Limit = Annotated[int, Query(ge=1, le=500, description="Page size (1-500)")]
Cursor = Annotated[
    str | None,
    Query(max_length=200, description="next_cursor from the previous page; omit for the first page"),
]
IdPath = Annotated[int, Path(ge=1, le=2_147_483_647)]
SearchText = Annotated[
    str | None, Query(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$", description="Free-text search")
]


def resolve_actor(session: Session, request: Request, *, separate_touch: bool) -> Actor:
    """The caller: a bearer token, else a session cookie, else anonymous. A bad token is an error."""
    header = request.headers.get("authorization")
    resolved: auth.Resolved | None = None
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("Send an API token as `Authorization: Bearer <token>`")
        resolved = auth.resolve_token(session, value.strip())
        if resolved is None:
            raise Unauthenticated("The API token is unknown, revoked or expired")
    elif cookie := request.cookies.get(SESSION_COOKIE):
        resolved = auth.resolve_session(session, cookie)
    if resolved is None:
        return ANONYMOUS.with_request(request.state.request_id)
    actor = resolved.actor.with_request(request.state.request_id)
    if resolved.stale_touch:
        if separate_touch:
            with transaction() as touch_session:
                _touch(touch_session, actor)
        else:
            _touch(session, actor)
    return actor


def _touch(session: Session, actor: Actor) -> None:
    if actor.token_id is not None:
        auth.touch_token(session, actor.token_id)
    elif actor.session_id is not None:
        auth.touch_session(session, actor.session_id)


async def _catalogue_reader(request: Request, session: ReadSessionDep) -> Actor:
    actor = resolve_actor(session, request, separate_touch=True)
    if not actor.authenticated and not get_settings().public_catalogue:
        raise Unauthenticated("Log in or send an API token to read the catalogue")
    return actor


async def _reader(request: Request, session: ReadSessionDep) -> Actor:
    actor = resolve_actor(session, request, separate_touch=True)
    if not actor.authenticated:
        raise Unauthenticated("Log in or send an API token")
    return actor


def _writer(request: Request, session: SessionDep) -> Actor:
    actor = resolve_actor(session, request, separate_touch=False)
    if not actor.authenticated:
        raise Unauthenticated("Log in or send an API token to make changes")
    return actor


CatalogueReader = Annotated[Actor, Depends(_catalogue_reader)]
"""Anyone when the catalogue is public (the default), else a user or token."""
Reader = Annotated[Actor, Depends(_reader)]
"""A logged-in user or a valid token."""
Writer = Annotated[Actor, Depends(_writer)]
"""A logged-in user or a valid token; what it may change is decided in the domain."""
