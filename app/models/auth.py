"""Users, their organisation scopes, web sessions, API tokens and login throttling."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import Index
from sqlmodel import Field as DbField
from sqlmodel import SQLModel

from app.models.base import Tracked
from app.models.types import Email, Name, UtcDatetime


class Role(StrEnum):
    admin = "admin"
    editor = "editor"
    viewer = "viewer"


class UserKind(StrEnum):
    person = "person"
    integration = "integration"  # an integration client: no password, acts only through tokens


class TokenScope(StrEnum):
    read = "read"
    read_write = "read_write"


class User(Tracked, table=True):
    __tablename__ = "app_user"

    id: int | None = DbField(default=None, primary_key=True)
    email: str = DbField(max_length=254, unique=True)
    name: str = DbField(max_length=200)
    kind: str = DbField(default=UserKind.person.value, max_length=16)
    role: str = DbField(default=Role.viewer.value, max_length=16)
    active: bool = True
    password_hash: str | None = DbField(default=None, max_length=200)


class UserOrganisation(SQLModel, table=True):
    """An organisation whose data an editor may change."""

    __tablename__ = "user_organisation"

    user_id: int = DbField(foreign_key="app_user.id", primary_key=True, ondelete="CASCADE")
    organisation_id: int = DbField(foreign_key="organisation.id", primary_key=True)


class UserSession(SQLModel, table=True):
    """A logged-in browser. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "user_session"

    id: int | None = DbField(default=None, primary_key=True)
    token_hash: str = DbField(max_length=64, unique=True)
    user_id: int = DbField(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = DbField(default=None, primary_key=True)
    user_id: int = DbField(foreign_key="app_user.id", index=True, ondelete="CASCADE")
    name: str = DbField(max_length=200)
    prefix: str = DbField(max_length=16)
    token_hash: str = DbField(max_length=64, unique=True)
    scope: str = DbField(max_length=16)
    organisation_id: int | None = DbField(default=None, foreign_key="organisation.id")
    created_by_id: int | None = DbField(default=None, foreign_key="app_user.id")
    created_at: datetime
    expires_at: datetime | None = None
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
    version: int = DbField(default=1, sa_column_kwargs={"server_default": "1"})


class LoginFailure(SQLModel, table=True):
    """One failed login, kept for throttling across workers and machines."""

    __tablename__ = "login_failure"
    __table_args__ = (Index("ix_login_failure_key_at", "key", "at"),)

    id: int | None = DbField(default=None, primary_key=True)
    key: str = DbField(max_length=80)  # "account:<sha256 of email>" or "client:<address>"
    at: datetime


Password = Annotated[str, StringConstraints(min_length=12, max_length=200)]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Email
    name: Name
    role: Role = Role.viewer
    kind: UserKind = UserKind.person
    organisation_ids: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(default_factory=list, max_length=50)
    password: Password | None = Field(default=None, description="At least 12 characters; people only")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    role: Role | None = None
    active: bool | None = None
    organisation_ids: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] | None = Field(default=None, max_length=50)


class UserRead(BaseModel):
    id: int
    email: str
    name: str
    kind: UserKind
    role: Role
    active: bool
    organisation_ids: list[int]
    created_at: UtcDatetime
    updated_at: UtcDatetime
    version: int


class TokenCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scope: TokenScope = TokenScope.read
    user_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description="Admins: the user it acts as")
    organisation_id: int | None = Field(default=None, ge=1, le=2_147_483_647, description="Restrict writes to one")
    expires_in_days: int | None = Field(default=90, ge=1, le=730, description="null: never expires")


class TokenRead(BaseModel):
    id: int
    user_id: int
    name: str
    prefix: str
    scope: TokenScope
    organisation_id: int | None
    created_at: UtcDatetime
    expires_at: UtcDatetime | None
    last_used_at: UtcDatetime | None
    revoked_at: UtcDatetime | None
    version: int = Field(description="Send it back as If-Match to revoke the token")


class TokenCreated(TokenRead):
    token: str = Field(description="The secret: shown once, never stored; send it as `Authorization: Bearer …`")


class Me(BaseModel):
    kind: str
    user: UserRead | None
    token_id: int | None
    scope: TokenScope | None
