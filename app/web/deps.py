"""Dependencies for the pages: the logged-in user (from the session cookie) or anonymous."""

from typing import Annotated

from fastapi import Depends, Request

from app.api.deps import ReadSessionDep, resolve_actor
from app.domain.actor import Actor


async def _page_actor(request: Request, session: ReadSessionDep) -> Actor:
    return resolve_actor(session, request)


PageActor = Annotated[Actor, Depends(_page_actor)]
"""Who is looking at a page (anonymous is fine)."""
PageWriter = Annotated[Actor, Depends(_page_actor)]
"""Who posts a form; the handler sends anonymous users to the login page."""
