"""Small builders for test data, through the public API."""

import hashlib
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import SQLModel

from app.db import transaction


def org_id(client: TestClient, name: str, kind: str | None = None) -> int:
    """The id of the reference organisation whose name is exactly `name`."""
    params: dict[str, Any] = {"q": name, "limit": 50}
    if kind:
        params["kind"] = kind
    items = client.get("/api/v1/organisations", params=params).json()["items"]
    matches = [o["id"] for o in items if o["name"] == name]
    assert len(matches) == 1, f"{name!r}: {[o['name'] for o in items]}"
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


PASSWORD = "correct horse battery staple"


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
