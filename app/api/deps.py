"""Dependencies shared by the API routes."""

from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Header, Path, Query
from sqlmodel import Session

from app.db import get_engine, transaction


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
ReadSessionDep = Annotated[Session, Depends(_read_session)]

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
