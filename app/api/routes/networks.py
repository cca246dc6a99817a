"""Networks (fagnettverk, fagråd, læringsnettverk, samhandlingsutvalg), their members and meetings.

Reading needs a login. The owner's editors and administrators manage a network and its members; editors of
a member organisation also write its meetings (see app.domain.networks.access).
"""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from app.api.openapi import problems, with_etag
from app.api.responses import Json, page, resource, versioned
from app.domain import networks
from app.http.deps import Reader, ReadSessionDep, SessionDep, Writer
from app.http.params import Cursor, IdPath, IfMatch, Limit, SearchText
from app.models.network import (
    MeetingCreate,
    MeetingPage,
    MeetingRead,
    MeetingUpdate,
    MemberCreate,
    MemberPage,
    MemberRead,
    MemberUpdate,
    NetworkCreate,
    NetworkKind,
    NetworkPage,
    NetworkRead,
    NetworkUpdate,
)

router = APIRouter(prefix="/networks", tags=["networks"])
WRITE_PROBLEMS = problems(401, 403, 404, 409, 412, 428)


def _filter(
    kind: NetworkKind | None = None,
    organisation: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="Networks this organisation owns or is a member of")
    ] = None,
    parent: Annotated[
        int | None, Query(ge=1, le=2_147_483_647, description="Networks reporting to this committee")
    ] = None,
    region: Annotated[str | None, Query(pattern=r"^[A-Z]{2,8}$")] = None,
    q: SearchText = None,
) -> networks.NetworkFilter:
    return networks.NetworkFilter(kind=kind, organisation=organisation, parent=parent, region=region, q=q)


@router.get("", response_model=NetworkPage, responses=problems(401))
async def list_networks(
    session: ReadSessionDep,
    actor: Reader,
    flt: Annotated[networks.NetworkFilter, Depends(_filter)],
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Json:
    """Networks by id, filtered; follow next_cursor for the next page."""
    items, next_cursor = networks.list_networks(session, actor, flt, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post(
    "", response_model=NetworkRead, status_code=201, responses={**with_etag(201, "Created"), **problems(401, 403)}
)
def create_network(session: SessionDep, actor: Writer, body: NetworkCreate) -> Json:
    """Create a network owned (run) by an organisation the caller edits; deadlines default to 30 Nov, 31 Jan, 28 Feb."""
    created = networks.create(session, actor, body)
    return resource(created, created_at=f"/api/v1/networks/{created['id']}")


@router.get("/{network_id}", response_model=NetworkRead, responses={**with_etag(), **problems(401, 404)})
async def get_network(session: ReadSessionDep, actor: Reader, network_id: IdPath) -> Json:
    """Get one network; its ETag is the version to send back in If-Match."""
    return resource(networks.get(session, actor, network_id))


@router.patch("/{network_id}", response_model=NetworkRead, responses={**with_etag(), **WRITE_PROBLEMS})
def update_network(
    session: SessionDep, actor: Writer, network_id: IdPath, body: NetworkUpdate, if_match: IfMatch = None
) -> Json:
    """Change some fields (If-Match: the network's version); the owner's editors and administrators."""
    changes = body.model_dump(exclude_unset=True)
    return resource(networks.update(session, actor, network_id, changes, if_match))


@router.delete("/{network_id}", status_code=204, responses=WRITE_PROBLEMS)
def delete_network(session: SessionDep, actor: Writer, network_id: IdPath, if_match: IfMatch = None) -> Response:
    """Delete a network (a tombstone for the change feed); 409 while other networks report to it."""
    networks.delete_network(session, actor, network_id, if_match)
    return Response(status_code=204)


@router.get("/{network_id}/members", response_model=MemberPage, responses=problems(401, 404))
async def list_network_members(
    session: ReadSessionDep, actor: Reader, network_id: IdPath, limit: Limit = 100, cursor: Cursor = None
) -> Json:
    """The network's members by id, each with its own version."""
    items, next_cursor = networks.list_members(session, actor, network_id, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post(
    "/{network_id}/members",
    response_model=MemberRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 404, 409)},
)
def add_network_member(session: SessionDep, actor: Writer, network_id: IdPath, body: MemberCreate) -> Json:
    """Add an organisation in a role (409 when it already has that role), optionally with a representative."""
    return versioned(networks.add_member(session, actor, network_id, body), 201)


@router.patch(
    "/{network_id}/members/{member_id}", response_model=MemberRead, responses={**with_etag(), **WRITE_PROBLEMS}
)
def update_network_member(
    session: SessionDep,
    actor: Writer,
    network_id: IdPath,
    member_id: IdPath,
    body: MemberUpdate,
    if_match: IfMatch = None,
) -> Json:
    """Change a member's role or representative (If-Match: the member's version); 409 when the role is taken."""
    changes = body.model_dump(exclude_unset=True)
    return versioned(networks.update_member(session, actor, network_id, member_id, changes, if_match))


@router.delete("/{network_id}/members/{member_id}", status_code=204, responses=WRITE_PROBLEMS)
def remove_network_member(
    session: SessionDep, actor: Writer, network_id: IdPath, member_id: IdPath, if_match: IfMatch = None
) -> Response:
    """Remove a member (If-Match: the member's version)."""
    networks.remove_member(session, actor, network_id, member_id, if_match)
    return Response(status_code=204)


@router.get("/{network_id}/meetings", response_model=MeetingPage, responses=problems(401, 404))
async def list_network_meetings(
    session: ReadSessionDep, actor: Reader, network_id: IdPath, limit: Limit = 100, cursor: Cursor = None
) -> Json:
    """The network's meetings, newest first."""
    items, next_cursor = networks.list_meetings(session, actor, network_id, limit=limit, cursor=cursor)
    return page(items, next_cursor)


@router.post(
    "/{network_id}/meetings",
    response_model=MeetingRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 404)},
)
def create_network_meeting(session: SessionDep, actor: Writer, network_id: IdPath, body: MeetingCreate) -> Json:
    """Record a meeting: editors of the owner or of a member organisation, and administrators."""
    return versioned(networks.create_meeting(session, actor, network_id, body), 201)


@router.patch(
    "/{network_id}/meetings/{meeting_id}", response_model=MeetingRead, responses={**with_etag(), **WRITE_PROBLEMS}
)
def update_network_meeting(
    session: SessionDep,
    actor: Writer,
    network_id: IdPath,
    meeting_id: IdPath,
    body: MeetingUpdate,
    if_match: IfMatch = None,
) -> Json:
    """Change a meeting (If-Match: the meeting's version): editors of the owner or a member organisation."""
    changes = body.model_dump(exclude_unset=True)
    return versioned(networks.update_meeting(session, actor, network_id, meeting_id, changes, if_match))


@router.delete("/{network_id}/meetings/{meeting_id}", status_code=204, responses=WRITE_PROBLEMS)
def delete_network_meeting(
    session: SessionDep, actor: Writer, network_id: IdPath, meeting_id: IdPath, if_match: IfMatch = None
) -> Response:
    """Delete a meeting (If-Match: the meeting's version); gaps registered at it keep their link."""
    networks.delete_meeting(session, actor, network_id, meeting_id, if_match)
    return Response(status_code=204)
