"""Who may read and write networks.

- Reading: anyone logged in (a network's minutes, plans and representatives are working material, not the
  public catalogue).
- Managing a network (its fields and members, deleting it): editors of the owner (secretariat)
  organisation and administrators.
- Working in a network (meetings, and later its action plan and report): also editors of a member
  organisation. A token restricted to an organisation works only in networks that organisation owns or is a
  member of.
"""

from sqlalchemy import select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.errors import Forbidden, Unauthenticated
from app.models import Network, NetworkMember


def require_reader(actor: Actor) -> None:
    if not actor.authenticated:
        raise Unauthenticated("Logg inn eller send en API-nøkkel for å lese nettverk")


def _read_only() -> Forbidden:
    return Forbidden("Kontoen eller API-nøkkelen din kan bare lese")


def may_manage(actor: Actor, network: Network) -> bool:
    return actor.can_write and actor.may_write_org(network.owner_id)


def require_manage(actor: Actor, owner_id: int) -> None:
    if not actor.can_write:
        raise _read_only()
    if not actor.may_write_org(owner_id):
        raise Forbidden(
            f"Bare redaktører i nettverkets eier (organisasjon {owner_id}) og administratorer kan endre nettverket"
        )


def member_organisations(session: Session, network_id: int) -> set[int]:
    return set(
        session.execute(
            select(col(NetworkMember.organisation_id)).where(col(NetworkMember.network_id) == network_id)
        ).scalars()
    )


def may_work(session: Session, actor: Actor, network: Network) -> bool:
    """Whether `actor` may write the network's meetings, plan and report."""
    if not actor.can_write:
        return False
    if actor.may_write_org(network.owner_id):
        return True
    allowed = actor.writable_organisations()
    assert network.id is not None
    members = member_organisations(session, network.id)
    return allowed is None or bool(allowed & members)


def require_work(session: Session, actor: Actor, network: Network) -> None:
    if not actor.can_write:
        raise _read_only()
    if not may_work(session, actor, network):
        raise Forbidden(
            f"Bare redaktører i medlemsorganisasjonene og administratorer kan skrive i nettverket «{network.name}»"
        )
