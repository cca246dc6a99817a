"""Shared helpers for the standard-export tests."""

from typing import Any

from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import demo
from app.domain.demo import DemoReport
from tests.factories import SYSTEM

FHIR_JSON = "application/fhir+json"


def load_demo() -> DemoReport:
    with transaction() as session:
        return demo.load_demo(session, SYSTEM)


def fhir_get(client: TestClient, path: str, **kwargs: Any) -> dict[str, Any]:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FHIR_JSON)
    body: dict[str, Any] = response.json()
    return body


def all_pages(client: TestClient, url: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Every Bundle of a search, following `next` links to the end."""
    bundles = [fhir_get(client, url, params=params)]
    while True:
        nxt = [link["url"] for link in bundles[-1].get("link", []) if link["relation"] == "next"]
        if not nxt:
            return bundles
        bundles.append(fhir_get(client, nxt[0]))


def entries(bundles: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e["resource"] for b in bundles for e in b.get("entry", [])]


def ids(bundles: list[dict[str, Any]]) -> list[str]:
    return [r["id"] for r in entries(bundles)]
