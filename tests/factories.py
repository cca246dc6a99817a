"""Small builders for test data and helpers shared by the test modules.

`make_*` write through the domain (as the actor SYSTEM), for tests that only need the data to exist;
`create_*` post through the public API, for tests whose subject is that API.
"""

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlmodel import SQLModel, col

from app.db import transaction
from app.domain import auth, catalogue, organisations
from app.domain.actor import Actor, system_actor
from app.models import Organisation
from app.models.auth import Role, UserCreate, UserSession
from app.models.organisation import OrganisationCreate
from app.models.rehab_service import RehabServiceCreate

# The actor of everything the tests write through the domain (re-exported by tests/conftest.py).
SYSTEM = system_actor("tests")


def org_id(client: TestClient, name: str, kind: str | None = None) -> int:
    """The id of the reference organisation whose name is exactly `name`."""
    params: dict[str, Any] = {"q": name, "limit": 50}
    if kind:
        params["kind"] = kind
    items = client.get("/api/v1/organisations", params=params).json()["items"]
    matches = [o["id"] for o in items if o["name"] == name]
    assert len(matches) == 1, f"{name!r}: {[o['name'] for o in items]}"
    return int(matches[0])


def find_org_id(name: str, kind: str | None = None) -> int:
    """`org_id` read from the database: for tests that have no API client to ask."""
    stmt = select(col(Organisation.id)).where(col(Organisation.name) == name)
    if kind:
        stmt = stmt.where(col(Organisation.kind) == kind)
    with transaction() as session:
        matches = list(session.execute(stmt).scalars())
    assert len(matches) == 1, f"{name!r}: {matches}"
    return int(matches[0])


def service_body(provider_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "provider_id": provider_id,
        "name": "Lungerehabilitering",
        "description": "Tverrfaglig rehabilitering for lungesyke",
        "level": "specialist",
        "forms": ["inpatient"],
        "patient_groups": ["copd"],
    }
    body.update(overrides)
    return body


def create_service(client: TestClient, provider_id: int, **overrides: Any) -> dict[str, Any]:
    response = client.post("/api/v1/rehab-services", json=service_body(provider_id, **overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def create_organisation(client: TestClient, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "private_institution", "name": "Testinstitusjonen AS"}
    body.update(overrides)
    response = client.post("/api/v1/organisations", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def make_service(provider_id: int | None = None, *, actor: Actor = SYSTEM, **overrides: Any) -> dict[str, Any]:
    """`create_service` through the domain (the provider defaults to Helse Fonna HF); the service as stored."""
    provider = provider_id if provider_id is not None else find_org_id("Helse Fonna HF")
    data = RehabServiceCreate.model_validate(service_body(provider, **overrides))
    with transaction() as session:
        return catalogue.create_service(session, actor, data)


def make_organisation(*, actor: Actor = SYSTEM, **overrides: Any) -> dict[str, Any]:
    """`create_organisation` through the domain."""
    body: dict[str, Any] = {"kind": "private_institution", "name": "Testinstitusjonen AS", **overrides}
    data = OrganisationCreate.model_validate(body)
    with transaction() as session:
        return organisations.create_organisation(session, actor, data)


PASSWORD = "correct horse battery staple"
EDITOR_EMAIL = "redaktor@test.example"  # the `editor` fixture's account


def make_user(
    email: str, role: Role = Role.admin, orgs: Sequence[int] = (), *, name: str | None = None, password: str = PASSWORD
) -> str:
    """A person with this role and organisations who logs in with `password`; their email."""
    with transaction() as session:
        auth.create_user(
            session,
            SYSTEM,
            UserCreate(email=email, name=name or email, role=role, organisation_ids=list(orgs), password=password),
        )
    return email


def session_count() -> int:
    """How many web sessions there are."""
    with transaction() as session:
        return int(session.execute(select(func.count()).select_from(UserSession)).scalar_one())


def form_token(client: TestClient, path: str = "/login") -> str:
    """The CSRF token in the form on `path` (which also sets the CSRF cookie)."""
    import re

    page = client.get(path)
    assert page.status_code == 200, page.text
    match = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def browser_login(client: TestClient, email: str, password: str = PASSWORD) -> Any:
    """Log in through the login form, as a browser would."""
    token = form_token(client)
    return client.post(
        "/login",
        data={"csrftoken": token, "email": email, "password": password, "next": "/"},
        follow_redirects=False,
    )


# Bookkeeping that a refused request may touch (a token's last use); everything else must stay the same.
VOLATILE = {("api_token", "last_used_at"), ("user_session", "last_seen_at")}


def fingerprint(ignore: tuple[str, ...] = ()) -> str:
    """A digest of every row in every table (but those in `ignore`): equal digests mean nothing was written."""
    digest = hashlib.sha256()
    with transaction() as session:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in ignore:
                continue
            columns = [c.name for c in table.columns if (table.name, c.name) not in VOLATILE]
            quoted = ", ".join(f'"{c}"' for c in columns)
            for values in session.execute(text(f'SELECT {quoted} FROM "{table.name}" ORDER BY 1')):
                digest.update(repr((table.name, tuple(values))).encode())
    return digest.hexdigest()


@contextmanager
def write_lock_held(
    statement: str = "UPDATE region SET name = name WHERE id = -1", **params: Any
) -> Iterator[threading.Event]:
    """Another writer (a long import, say) holds the database's write lock until the block ends.

    On SQLite any write takes the lock; on PostgreSQL writers queue on an advisory lock and `statement`
    also locks the rows it updates (name a row to block writes to it that skip the advisory lock).
    """
    taken, release = threading.Event(), threading.Event()

    def writer() -> None:
        with transaction() as session:
            session.execute(text(statement), params)  # takes the write lock
            taken.set()
            release.wait(30)

    thread = threading.Thread(target=writer)
    thread.start()
    assert taken.wait(10)
    try:
        yield release
    finally:
        release.set()
        thread.join()


def pathway_body(owner_id: int, series: str = "kols-lunge", **overrides: Any) -> dict[str, Any]:
    """A valid draft pathway template with three steps across both levels."""
    body: dict[str, Any] = {
        "series": series,
        "title": "KOLS: lungerehabilitering",
        "description": "Fra forverring til oppfølging hjemme",
        "patient_groups": ["copd"],
        "owner_id": owner_id,
        "source": {"title": "Nasjonal faglig retningslinje for KOLS", "url": "https://www.helsedirektoratet.no/"},
        "steps": [
            {
                "key": "utredning",
                "title": "Utredning i spesialisthelsetjenesten",
                "levels": ["specialist"],
                "forms": ["outpatient"],
                "responsible_role": "hospital_team",
                "start_day": 0,
                "duration_days": 14,
                "handover": {"to_level": "municipal", "items": ["discharge_summary", "individual_plan"]},
            },
            {
                "key": "rehabilitering",
                "title": "Lungerehabilitering",
                "levels": ["specialist", "municipal"],
                "forms": ["day", "inpatient"],
                "responsible_role": "rehabilitation_team",
                "checklist": [{"code": "what_matters_asked"}, {"text": "Røykeslutt tilbudt"}],
            },
            {
                "key": "oppfolging",
                "title": "Oppfølging hjemme",
                "levels": ["municipal"],
                "forms": ["home_based"],
                "responsible_role": "home_care_service",
                "general_services_count": True,
            },
        ],
    }
    body.update(overrides)
    return body


def step_body(
    key: str,
    levels: tuple[str, ...] = ("specialist",),
    forms: tuple[str, ...] = ("inpatient",),
    *,
    general: bool = False,
) -> dict[str, Any]:
    """A pathway step named after its key, on `levels` in one of `forms`."""
    return {
        "key": key,
        "title": key.capitalize(),
        "levels": list(levels),
        "forms": list(forms),
        "responsible_role": "rehabilitation_team",
        "general_services_count": general,
    }


def make_pathways(owner_id: int) -> tuple[int, int]:
    """Through the domain: a draft (series `matrise-utkast`) and a published version (`matrise-publisert`)."""
    from app.domain import pathways
    from app.models.pathway import PathwayCreate

    actor = SYSTEM
    with transaction() as session:
        draft = pathways.create(session, actor, PathwayCreate.model_validate(pathway_body(owner_id, "matrise-utkast")))
        other = pathways.create(
            session, actor, PathwayCreate.model_validate(pathway_body(owner_id, "matrise-publisert"))
        )
        published = pathways.publish(session, actor, other["id"], '"1"')
    return int(draft["id"]), int(published["id"])


def gap_body(owner_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid gap registration affecting Stord (4614), for COPD."""
    body: dict[str, Any] = {
        "title": "Ingen dagrehabilitering for KOLS",
        "description": "Pasienter fra Stord må reise til Bergen for lungerehabilitering",
        "category": "missing_service",
        "severity": "high",
        "patient_group": "copd",
        "municipalities": ["4614"],
        "source": "dialogue_meeting",
        "source_reference": "Dialogmøte Fonna mars",
        "owner_id": owner_id,
    }
    body.update(overrides)
    return body


def measure_body(responsible_id: int, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"what": "Utrede dagtilbud i Stord", "responsible_id": responsible_id, **overrides}
    return body


def make_gap(owner_id: int, *, actor: Actor = SYSTEM, **overrides: Any) -> dict[str, Any]:
    """A gap registration through the domain, as read (status `registered`, version 1)."""
    from app.domain import gaps
    from app.models.gap import GapCreate

    with transaction() as session:
        return gaps.create(session, actor, GapCreate.model_validate(gap_body(owner_id, **overrides)))


def make_measure(gap_id: int, responsible_id: int, *, actor: Actor = SYSTEM, **overrides: Any) -> dict[str, Any]:
    """A measure of a gap through the domain, as read."""
    from app.domain import gaps
    from app.models.gap import MeasureCreate

    with transaction() as session:
        return gaps.create_measure(
            session, actor, gap_id, MeasureCreate.model_validate(measure_body(responsible_id, **overrides))
        )


def network_body(owner_id: int, **overrides: Any) -> dict[str, Any]:
    """A valid network run by `owner_id`, for COPD in Stord and Fitjar."""
    body: dict[str, Any] = {
        "name": "Fagnettverk for lungerehabilitering",
        "kind": "professional_network",
        "owner_id": owner_id,
        "municipalities": ["4614", "4615"],
        "patient_groups": ["copd"],
        "mandate": "Samordne lungerehabilitering mellom kommunene og helseforetaket",
    }
    body.update(overrides)
    return body


def make_network(owner_id: int, *, actor: Actor = SYSTEM, **overrides: Any) -> dict[str, Any]:
    """A network through the domain, as read (version 1)."""
    from app.domain import networks
    from app.models.network import NetworkCreate

    with transaction() as session:
        return networks.create(session, actor, NetworkCreate.model_validate(network_body(owner_id, **overrides)))


def make_member(network_id: int, organisation_id: int, *, actor: Actor = SYSTEM, **overrides: Any) -> dict[str, Any]:
    from app.domain import networks
    from app.models.network import MemberCreate

    with transaction() as session:
        body = MemberCreate.model_validate({"organisation_id": organisation_id, **overrides})
        return networks.add_member(session, actor, network_id, body)


def meeting_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"held_on": "2026-03-12", "kind": "dialogue_meeting", "title": "Dialogmøte om KOLS"}
    body.update(overrides)
    return body


def make_meeting(network_id: int, *, actor: Actor = SYSTEM, **overrides: Any) -> dict[str, Any]:
    from app.domain import networks
    from app.models.network import MeetingCreate

    with transaction() as session:
        return networks.create_meeting(
            session, actor, network_id, MeetingCreate.model_validate(meeting_body(**overrides))
        )
