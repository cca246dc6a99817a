"""Who am I, API tokens and user administration."""

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from app.api.openapi import problems, with_etag
from app.api.responses import Json, page, resource
from app.domain import auth
from app.http.deps import Reader, ReadSessionDep, SessionDep, Writer
from app.http.params import IdPath, IfMatch
from app.models.auth import Me, TokenCreate, TokenCreated, TokenRead, UserCreate, UserRead, UserUpdate

router = APIRouter(tags=["auth"])


class TokenPage(BaseModel):
    items: list[TokenRead]
    next_cursor: str | None


class UserPage(BaseModel):
    items: list[UserRead]
    next_cursor: str | None


@router.get("/me", response_model=Me, responses=problems(401))
async def get_me(session: ReadSessionDep, actor: Reader) -> Json:
    """Who the credentials belong to, with role and organisations."""
    return Json(auth.describe(session, actor))


@router.get("/tokens", response_model=TokenPage, responses=problems(401, 403))
async def list_tokens(
    session: ReadSessionDep,
    actor: Reader,
    user_id: Annotated[int | None, Query(ge=1, le=2_147_483_647, description="Admins: another user's")] = None,
) -> Json:
    """List your API tokens (never their secrets)."""
    return page(auth.list_tokens(session, actor, user_id), None)


@router.post("/tokens", response_model=TokenCreated, status_code=201, responses=problems(401, 403, 404, 409))
def create_token(session: SessionDep, actor: Writer, body: TokenCreate) -> Json:
    """Create an API token; the secret is in this response only."""
    return Json(auth.create_token(session, actor, body), status_code=201)


@router.delete(
    "/tokens/{token_id}", response_model=TokenRead, responses={**with_etag(), **problems(401, 403, 404, 412, 428)}
)
def revoke_token(session: SessionDep, actor: Writer, token_id: IdPath, if_match: IfMatch = None) -> Json:
    """Revoke a token at once; send If-Match with its version (from the token list)."""
    return resource(auth.revoke_token(session, actor, token_id, if_match))


@router.get("/users", response_model=UserPage, responses=problems(401, 403))
async def list_users(session: ReadSessionDep, actor: Reader) -> Json:
    """List users (admins)."""
    return page(auth.list_users(session, actor), None)


@router.post("/users", response_model=UserRead, status_code=201, responses=problems(401, 403, 409))
def create_user(session: SessionDep, actor: Writer, body: UserCreate) -> Json:
    """Create a user or an integration client (admins)."""
    return Json(auth.create_user(session, actor, body), status_code=201)


@router.patch(
    "/users/{user_id}", response_model=UserRead, responses={**with_etag(), **problems(401, 403, 404, 412, 428)}
)
def update_user(
    session: SessionDep, actor: Writer, user_id: IdPath, body: UserUpdate, if_match: IfMatch = None
) -> Json:
    """Change a user's name, role, organisations or active flag (admins; If-Match); deactivating ends sessions."""
    return resource(auth.update_user(session, actor, user_id, body, if_match))
