"""Who may read and write gap registrations.

- Reading gaps and their measures needs a login unless REHABKART_PUBLIC_GAPS is true; comments and the
  history always need one (they carry the names of the people who wrote them).
- Writing a gap (and its measures, and moving it through the workflow): editors of the owner organisation,
  administrators, and an editor of a municipality for gaps that name that municipality. A token restricted
  to an organisation writes only the gaps that organisation owns. A write must be allowed both for the gap
  as it is and as it will be, so nobody can hand a gap over to where they could not have put it.
- Deleting a gap (soft): only the owner's editors and administrators.
- Commenting: anyone logged in who may write at all (a viewer too), not a read-only token; a restricted
  token only on gaps its organisation owns.
"""

from collections.abc import Iterable

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.errors import Forbidden, Unauthenticated
from app.models import Organisation
from app.models.auth import Role, TokenScope
from app.models.organisation import OrganisationKind
from app.settings import get_settings


def may_read(actor: Actor) -> bool:
    """Whether `actor` may read gaps: `require_reader` without raising."""
    return actor.authenticated or get_settings().public_gaps


def require_reader(actor: Actor) -> None:
    """Gaps and measures: anyone when REHABKART_PUBLIC_GAPS is true, else a user or token."""
    if not may_read(actor):
        raise Unauthenticated("Logg inn eller send en API-nøkkel for å lese udekkede behov")


def require_member(actor: Actor) -> None:
    """Comments and history: always a user or token."""
    if not actor.authenticated:
        raise Unauthenticated("Logg inn eller send en API-nøkkel for å lese kommentarer og historikk")


def _read_only() -> Forbidden:
    return Forbidden("Kontoen eller API-nøkkelen din kan bare lese")


def _municipalities_of(session: Session, organisation_ids: Iterable[int]) -> set[str]:
    """The municipality numbers of those of `organisation_ids` that are municipalities."""
    ids = list(organisation_ids)
    if not ids:
        return set()
    return set(
        session.execute(
            select(col(Organisation.municipality_number)).where(
                col(Organisation.id).in_(ids),
                col(Organisation.kind) == OrganisationKind.municipality.value,
                col(Organisation.municipality_number).is_not(None),
            )
        ).scalars()
    )


def may_write(session: Session, actor: Actor, owner_id: int, municipalities: Iterable[str]) -> bool:
    """Whether `actor` may write a gap owned by `owner_id` that names `municipalities`."""
    if actor.may_write_org(owner_id):
        return True
    if actor.restricted or actor.role != Role.editor or not actor.can_write:
        return False
    return bool(_municipalities_of(session, actor.organisation_ids) & set(municipalities))


def require_write(session: Session, actor: Actor, owner_id: int, municipalities: Iterable[str]) -> None:
    if not actor.can_write:
        raise _read_only()
    if not may_write(session, actor, owner_id, municipalities):
        raise Forbidden(
            f"Du kan ikke endre udekkede behov som eies av organisasjon {owner_id}"
            + ("" if actor.restricted else " og ikke gjelder en kommune du er redaktør for")
        )


def require_delete(actor: Actor, owner_id: int) -> None:
    if not actor.can_write:
        raise _read_only()
    if not actor.may_write_org(owner_id):
        raise Forbidden(f"Bare eierens redaktører og administratorer kan slette udekkede behov (eier: {owner_id})")


def require_comment(actor: Actor, owner_id: int) -> None:
    if not actor.authenticated:
        raise Unauthenticated("Logg inn eller send en API-nøkkel for å kommentere")
    if actor.scope == TokenScope.read:
        raise _read_only()
    # As Actor.writable_organisations: the token's organisation counts only if its user belongs to it.
    in_own_org = actor.role == Role.admin or actor.token_organisation_id in actor.organisation_ids
    if actor.restricted and (actor.token_organisation_id != owner_id or not in_own_org):
        raise Forbidden(
            f"Denne API-nøkkelen er begrenset til organisasjon {actor.token_organisation_id} og kan bare "
            "kommentere udekkede behov den eier"
        )
