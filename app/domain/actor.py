"""Who is acting (a user, a token, the command line, anonymous) and what they may do."""

from dataclasses import dataclass, field, replace
from typing import Literal

from app.domain.errors import Forbidden
from app.models.auth import (
    Role,
    TokenScope,
)


@dataclass(frozen=True)
class Actor:
    """Whoever is making a request or running a command, and what they may do."""

    kind: Literal["anonymous", "user", "token", "system"]
    label: str
    user_id: int | None = None
    token_id: int | None = None
    role: Role | None = None
    organisation_ids: frozenset[int] = field(default_factory=frozenset)
    scope: TokenScope | None = None  # None: a browser session or the CLI, with the role's full rights
    token_organisation_id: int | None = None
    session_id: int | None = None
    request_id: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.kind != "anonymous"

    @property
    def restricted(self) -> bool:
        """A token restricted to one organisation carries no administration rights, whatever its user's role."""
        return self.token_organisation_id is not None

    @property
    def is_admin(self) -> bool:
        """May administer users, tokens, organisations and read the audit trail with write rights."""
        return self.kind == "system" or (
            self.role == Role.admin and self.scope != TokenScope.read and not self.restricted
        )

    @property
    def reads_as_admin(self) -> bool:
        """Admins may read everything (the audit trail, every token), also through a read-only token."""
        return self.kind == "system" or (self.role == Role.admin and not self.restricted)

    @property
    def can_write(self) -> bool:
        return self.kind == "system" or (self.role in (Role.admin, Role.editor) and self.scope != TokenScope.read)

    def writable_organisations(self) -> frozenset[int] | None:
        """The organisations whose data the actor may change; None means every organisation."""
        if not self.can_write:
            return frozenset()
        if self.restricted:
            assert self.token_organisation_id is not None
            mine = (
                self.kind == "system" or self.role == Role.admin or self.token_organisation_id in self.organisation_ids
            )
            return frozenset({self.token_organisation_id}) if mine else frozenset()
        return None if self.is_admin else self.organisation_ids

    def may_write_org(self, organisation_id: int) -> bool:
        allowed = self.writable_organisations()
        return allowed is None or organisation_id in allowed

    def with_request(self, request_id: str | None) -> "Actor":
        return replace(self, request_id=request_id)


ANONYMOUS = Actor(kind="anonymous", label="anonymous")


def system_actor(label: str) -> Actor:
    return Actor(kind="system", label=label)


def require_admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise Forbidden(no_admin_reason(actor))


def require_admin_reader(actor: Actor) -> None:
    if not actor.reads_as_admin:
        raise Forbidden(no_admin_reason(actor))


def no_admin_reason(actor: Actor) -> str:
    if actor.restricted:
        return (
            f"This token is restricted to organisation {actor.token_organisation_id}: it cannot administer users, "
            "tokens or organisations, nor read the audit trail"
        )
    return "Only an administrator may do this"


def require_org_write(actor: Actor, organisation_id: int) -> None:
    if not actor.may_write_org(organisation_id):
        if not actor.can_write:
            raise Forbidden("Your account or token may only read")
        raise Forbidden(f"You may not change data of organisation {organisation_id}")
