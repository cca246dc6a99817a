"""Who may do what (app/domain/actor.py): every kind of actor against every right, without a database."""

import pytest

from app.domain.actor import (
    ANONYMOUS,
    Actor,
    no_admin_reason,
    require_admin,
    require_admin_reader,
    require_org_write,
    system_actor,
)
from app.domain.errors import Forbidden
from app.models.auth import Role, TokenScope

MINE, OTHER, THIRD = 11, 22, 33  # organisation ids; an editor's own are MINE and OTHER


def user(role: Role, orgs: frozenset[int] = frozenset()) -> Actor:
    """A person logged in with a browser session: the role's full rights."""
    return Actor(kind="user", label="u@test.example", user_id=1, role=role, organisation_ids=orgs, session_id=5)


def token(role: Role, scope: TokenScope, orgs: frozenset[int] = frozenset(), restricted_to: int | None = None) -> Actor:
    return Actor(
        kind="token",
        label="u@test.example (token 7)",
        user_id=1,
        token_id=7,
        role=role,
        organisation_ids=orgs,
        scope=scope,
        token_organisation_id=restricted_to,
    )


EDITORS_ORGS = frozenset({MINE, OTHER})
RW, READ = TokenScope.read_write, TokenScope.read

# (actor, is_admin, reads_as_admin, can_write, writable_organisations)
CASES: list[tuple[str, Actor, bool, bool, bool, frozenset[int] | None]] = [
    ("admin", user(Role.admin), True, True, True, None),
    ("admin token", token(Role.admin, RW), True, True, True, None),
    ("admin read token", token(Role.admin, READ), False, True, False, frozenset()),
    ("admin token restricted", token(Role.admin, RW, restricted_to=MINE), False, False, True, frozenset({MINE})),
    ("admin read token restricted", token(Role.admin, READ, restricted_to=MINE), False, False, False, frozenset()),
    ("editor", user(Role.editor, EDITORS_ORGS), False, False, True, EDITORS_ORGS),
    ("editor without organisations", user(Role.editor), False, False, True, frozenset()),
    ("editor token", token(Role.editor, RW, EDITORS_ORGS), False, False, True, EDITORS_ORGS),
    ("editor read token", token(Role.editor, READ, EDITORS_ORGS), False, False, False, frozenset()),
    (
        "editor token restricted to one of theirs",
        token(Role.editor, RW, EDITORS_ORGS, restricted_to=MINE),
        False,
        False,
        True,
        frozenset({MINE}),
    ),
    (
        "editor token restricted to another's",
        token(Role.editor, RW, EDITORS_ORGS, restricted_to=THIRD),
        False,
        False,
        True,
        frozenset(),
    ),
    ("viewer", user(Role.viewer, EDITORS_ORGS), False, False, False, frozenset()),
    ("viewer token", token(Role.viewer, RW, EDITORS_ORGS), False, False, False, frozenset()),
    ("system", system_actor("cli"), True, True, True, None),
    ("anonymous", ANONYMOUS, False, False, False, frozenset()),
]


@pytest.mark.parametrize(
    ("actor", "is_admin", "reads_as_admin", "can_write", "writable"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_rights(
    actor: Actor, is_admin: bool, reads_as_admin: bool, can_write: bool, writable: frozenset[int] | None
) -> None:
    assert actor.is_admin is is_admin
    assert actor.reads_as_admin is reads_as_admin
    assert actor.can_write is can_write
    assert actor.writable_organisations() == writable
    for org in (MINE, OTHER, THIRD):
        assert actor.may_write_org(org) is (writable is None or org in writable), org


@pytest.mark.parametrize(
    ("actor", "restricted"),
    [(token(Role.admin, RW, restricted_to=MINE), True), (token(Role.admin, RW), False), (user(Role.admin), False)],
)
def test_a_token_restricted_to_an_organisation_never_administers(actor: Actor, restricted: bool) -> None:
    assert actor.restricted is restricted
    if restricted:
        with pytest.raises(Forbidden, match=f"restricted to organisation {MINE}"):
            require_admin(actor)
        with pytest.raises(Forbidden, match="nor read the audit trail"):
            require_admin_reader(actor)
    else:
        require_admin(actor)
        require_admin_reader(actor)


def test_only_anonymous_is_unauthenticated() -> None:
    assert ANONYMOUS.authenticated is False
    assert all(case[1].authenticated for case in CASES if case[1] is not ANONYMOUS)
    assert system_actor("cli") == Actor(kind="system", label="cli")


def test_require_admin_and_admin_reader_refuse_with_a_reason() -> None:
    for actor in (user(Role.editor, EDITORS_ORGS), token(Role.admin, READ), ANONYMOUS):
        with pytest.raises(Forbidden, match="Only an administrator may do this"):
            require_admin(actor)
    require_admin_reader(token(Role.admin, READ))  # an admin reads also with a read-only token
    with pytest.raises(Forbidden, match="Only an administrator"):
        require_admin_reader(user(Role.editor, EDITORS_ORGS))
    assert no_admin_reason(user(Role.viewer)) == "Only an administrator may do this"


def test_require_org_write_says_why() -> None:
    require_org_write(user(Role.editor, EDITORS_ORGS), MINE)
    require_org_write(system_actor("cli"), THIRD)
    with pytest.raises(Forbidden, match="may only read"):
        require_org_write(token(Role.admin, READ), MINE)
    with pytest.raises(Forbidden, match="may only read"):
        require_org_write(user(Role.viewer, EDITORS_ORGS), MINE)
    with pytest.raises(Forbidden, match=f"You may not change data of organisation {THIRD}"):
        require_org_write(user(Role.editor, EDITORS_ORGS), THIRD)
    with pytest.raises(Forbidden, match=f"organisation {OTHER}"):
        require_org_write(token(Role.admin, RW, restricted_to=MINE), OTHER)


def test_with_request_is_a_copy_carrying_the_request_id() -> None:
    actor = user(Role.editor, EDITORS_ORGS)
    traced = actor.with_request("req-1")
    assert traced.request_id == "req-1"
    assert actor.request_id is None
    assert traced == Actor(**{**actor.__dict__, "request_id": "req-1"})
