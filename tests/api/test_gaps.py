"""Gap registrations through the API: ETags, the workflow, measures, comments, who may read and write, CSV,
validation with field paths, audit and the change feed."""

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models.auth import Role, TokenScope
from app.settings import get_settings
from tests.conftest import TokenFactory
from tests.factories import (
    find_org_id,
    fingerprint,
    gap_body,
    make_gap,
    make_measure,
    make_pathways,
    make_service,
    measure_body,
)

API = "/api/v1/gaps"


def _create(client: TestClient, owner: int, **overrides: Any) -> dict[str, Any]:
    response = client.post(API, json=gap_body(owner, **overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _if(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def _move(client: TestClient, gap: dict[str, Any], to: str, reason: str | None = None, **headers: str) -> Any:
    body = {"to": to} if reason is None else {"to": to, "reason": reason}
    return client.post(f"{API}/{gap['id']}/transitions", json=body, headers={**_if(gap["version"]), **headers})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
def public_gaps(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("REHABKART_PUBLIC_GAPS", "true")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("REHABKART_PUBLIC_GAPS")
    get_settings.cache_clear()


def test_create_read_change_and_delete_with_etags(client: TestClient, owner_org: int) -> None:
    created = client.post(API, json=gap_body(owner_org))
    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    gap = created.json()
    assert created.headers["location"] == f"{API}/{gap['id']}"
    assert (gap["status"], gap["status_reason"], gap["owner_name"]) == ("registered", None, "Forløpseier AS")
    assert (gap["municipalities"], gap["region"], gap["patient_group"]) == (["4614"], None, "copd")
    assert (gap["measures_open"], gap["measures_overdue"], gap["pathway_step"]) == (0, 0, None)
    assert client.get(f"{API}/{gap['id']}").json() == gap
    url = f"{API}/{gap['id']}"
    _problem(client.patch(url, json={"severity": "low"}), 428)
    changed = client.patch(url, json={"severity": "low", "municipalities": ["4614", "4613"]}, headers=_if(1))
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["municipalities"] == ["4613", "4614"]
    stale = client.patch(url, json={"severity": "medium"}, headers=_if(1))
    _problem(stale, 412)
    assert stale.headers["etag"] == '"2"'
    _problem(client.delete(url), 428)
    _problem(client.delete(url, headers=_if(1)), 412)
    assert client.delete(url, headers=_if(2)).status_code == 204
    _problem(client.get(url), 404)
    _problem(client.patch(url, json={"severity": "low"}, headers=_if(3)), 404)
    assert client.get(API).json()["items"] == []


def test_the_status_is_not_a_field(client: TestClient, owner_org: int) -> None:
    gap = _create(client, owner_org)
    before = fingerprint()
    patched = _problem(client.patch(f"{API}/{gap['id']}", json={"status": "resolved"}, headers=_if(1)), 422)
    assert [e["pointer"] for e in patched["errors"]] == ["/status"]
    _problem(client.post(API, json=gap_body(owner_org, status="assessed")), 422)
    assert fingerprint() == before


def test_the_workflow_through_the_api(client: TestClient, owner_org: int) -> None:
    gap = _create(client, owner_org)
    _problem(client.post(f"{API}/{gap['id']}/transitions", json={"to": "assessed"}), 428)
    refused = _problem(_move(client, gap, "resolved"), 409)
    assert "«registrert» kan ikke gå til «løst»" in refused["detail"]
    assessed = _move(client, gap, "assessed")
    assert assessed.status_code == 200
    assert (assessed.headers["etag"], assessed.json()["status"]) == ('"2"', "assessed")
    gap = assessed.json()
    assert "tiltak" in _problem(_move(client, gap, "measure_planned"), 409)["detail"]
    assert client.post(f"{API}/{gap['id']}/measures", json=measure_body(owner_org)).status_code == 201
    gap = _move(client, gap, "measure_planned").json()
    assert gap["status"] == "measure_planned"
    _problem(_move(client, gap, "resolved"), 409)  # its measure is still planned
    _problem(_move(client, gap, "rejected"), 409)
    no_reason = _problem(_move(client, _create(client, owner_org), "rejected"), 422)
    assert [e["pointer"] for e in no_reason["errors"]] == ["/reason"]
    _problem(client.post(f"{API}/{gap['id']}/transitions", json={"to": "done"}, headers=_if(3)), 422)
    _problem(_move(client, {**gap, "version": 1}, "assessed", "Ny vurdering"), 409)


def test_measures_have_their_own_versions(client: TestClient, owner_org: int) -> None:
    gap = _create(client, owner_org)
    url = f"{API}/{gap['id']}/measures"
    created = client.post(url, json=measure_body(owner_org, due_on="2020-01-31", note="Registrert i etterkant"))
    assert created.status_code == 201
    assert created.headers["etag"] == '"1"'
    measure = created.json()
    assert (measure["gap_id"], measure["status"], measure["overdue"]) == (gap["id"], "planned", True)
    assert measure["responsible_name"] == "Forløpseier AS"
    one = f"{url}/{measure['id']}"
    _problem(client.patch(one, json={"status": "in_progress"}), 428)
    changed = client.patch(one, json={"status": "done"}, headers=_if(1))
    assert changed.status_code == 200
    assert changed.headers["etag"] == '"2"'
    assert changed.json()["done_on"] is not None
    assert changed.json()["overdue"] is False
    _problem(client.patch(one, json={"note": "x"}, headers=_if(1)), 412)
    _problem(client.patch(one, json={"status": "planned", "done_on": "2026-01-01"}, headers=_if(2)), 422)
    listed = client.get(url).json()
    assert [m["id"] for m in listed["items"]] == [measure["id"]]
    assert listed["next_cursor"] is None
    assert client.get(f"{API}/{gap['id']}").json()["version"] == 1
    _problem(client.delete(one, headers=_if(1)), 412)
    assert client.delete(one, headers=_if(2)).status_code == 204
    assert client.get(url).json()["items"] == []
    _problem(client.patch(one, json={"note": "x"}, headers=_if(3)), 404)
    assert client.get(f"{API}/{gap['id']}").headers["etag"] == '"1"'


def test_anyone_logged_in_may_comment_but_not_with_a_read_only_token(
    client: TestClient, anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    gap = _create(client, owner_org)
    url = f"{API}/{gap['id']}/comments"
    viewer = _bearer(make_token(Role.viewer))
    commented = anon.post(url, json={"text": "Dette gjelder også Bømlo"}, headers=viewer)
    assert commented.status_code == 201, commented.text
    assert "@test.example" in commented.json()["author"]
    _problem(anon.post(url, json={"text": "Anonym"}), 401)
    read_only = _bearer(make_token(Role.admin, scope=TokenScope.read))
    _problem(anon.post(url, json={"text": "Lesenøkkel"}, headers=read_only), 403)
    _problem(anon.post(url, json={"text": "   "}, headers=viewer), 422)
    assert [c["text"] for c in anon.get(url, headers=viewer).json()["items"]] == ["Dette gjelder også Bømlo"]
    history = anon.get(f"{API}/{gap['id']}/history", headers=viewer).json()
    assert [(i["kind"], i["action"]) for i in history["items"]] == [("event", "create"), ("comment", "comment")]
    assert client.get(f"{API}/{gap['id']}").json()["version"] == 1


def test_gaps_are_private_unless_the_setting_says_so(
    client: TestClient, anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    gap = _create(client, owner_org)
    reads = [API, f"{API}/{gap['id']}", f"{API}/summary", f"{API}/{gap['id']}/measures"]
    for url in reads:
        assert _problem(anon.get(url), 401)
    assert anon.get(f"{API}?format=csv").status_code == 401
    viewer = _bearer(make_token(Role.viewer, scope=TokenScope.read))
    assert all(anon.get(url, headers=viewer).status_code == 200 for url in reads)


@pytest.mark.usefixtures("public_gaps")
def test_public_gaps_can_be_read_anonymously_but_not_their_comments(
    client: TestClient, anon: TestClient, owner_org: int
) -> None:
    gap = _create(client, owner_org)
    for url in (API, f"{API}/{gap['id']}", f"{API}/summary", f"{API}/{gap['id']}/measures"):
        assert anon.get(url).status_code == 200, url
    for url in (f"{API}/{gap['id']}/comments", f"{API}/{gap['id']}/history"):
        _problem(anon.get(url), 401)
    _problem(anon.post(f"{API}/{gap['id']}/comments", json={"text": "Hei"}), 401)


def test_an_editor_of_a_municipality_writes_the_gaps_that_name_it(
    anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    stord, bergen = find_org_id("Stord", "municipality"), find_org_id("Bergen", "municipality")
    gap = make_gap(owner_org)  # names Stord
    whole_region = make_gap(owner_org, municipalities=[], region="HV")
    stord_editor = _bearer(make_token(Role.editor, [stord]))
    url = f"{API}/{gap['id']}"
    assert anon.patch(url, json={"severity": "critical"}, headers={**stord_editor, **_if(1)}).status_code == 200
    assert _move(anon, {**gap, "version": 2}, "assessed", **stord_editor).status_code == 200
    assert anon.post(f"{url}/measures", json=measure_body(stord), headers=stord_editor).status_code == 201
    _problem(anon.delete(url, headers={**stord_editor, **_if(3)}), 403)  # deleting is the owner's
    _problem(anon.patch(url, json={"municipalities": ["4601"]}, headers={**stord_editor, **_if(3)}), 403)
    bergen_editor = _bearer(make_token(Role.editor, [bergen]))
    _problem(anon.patch(url, json={"severity": "low"}, headers={**bergen_editor, **_if(3)}), 403)
    _problem(
        anon.patch(f"{API}/{whole_region['id']}", json={"severity": "low"}, headers={**stord_editor, **_if(1)}), 403
    )
    assert anon.post(API, json=gap_body(owner_org), headers=stord_editor).status_code == 201
    _problem(anon.post(API, json=gap_body(owner_org, municipalities=["4601"]), headers=stord_editor), 403)


def test_tokens_restricted_to_an_organisation_write_only_its_gaps(
    anon: TestClient, owner_org: int, make_token: TokenFactory
) -> None:
    stord = find_org_id("Stord", "municipality")
    gap = make_gap(owner_org)  # names Stord, owned by owner_org
    stord_token = _bearer(make_token(Role.editor, [stord], organisation_id=stord))
    _problem(anon.patch(f"{API}/{gap['id']}", json={"severity": "low"}, headers={**stord_token, **_if(1)}), 403)
    _problem(anon.post(f"{API}/{gap['id']}/comments", json={"text": "Hei"}, headers=stord_token), 403)
    owner_token = _bearer(make_token(Role.editor, [owner_org], organisation_id=owner_org))
    assert (
        anon.patch(f"{API}/{gap['id']}", json={"severity": "low"}, headers={**owner_token, **_if(1)}).status_code == 200
    )


def test_writes_are_audited_and_gaps_are_in_the_change_feed(client: TestClient, owner_org: int) -> None:
    gap = _create(client, owner_org)
    measure = client.post(f"{API}/{gap['id']}/measures", json=measure_body(owner_org)).json()
    client.post(f"{API}/{gap['id']}/comments", json={"text": "Notert"})
    client.delete(f"{API}/{gap['id']}", headers=_if(1))
    feed = [c for c in client.get("/api/v1/changes").json()["items"] if c["entity_type"].startswith("gap")]
    assert [(c["entity_type"], c["action"], c["version"]) for c in feed] == [("gap", "create", 1), ("gap", "delete", 2)]
    assert feed[0]["url"] == f"{API}/{gap['id']}"
    for entity_type, entity_id in (("gap", gap["id"]), ("gap_measure", measure["id"])):
        events = client.get("/api/v1/audit-events", params={"entity_type": entity_type}).json()["items"]
        assert {e["entity_id"] for e in events} == {str(entity_id)}
    comments = client.get("/api/v1/audit-events", params={"entity_type": "gap_comment"}).json()["items"]
    assert comments[0]["changes"]["text"] == [None, "Notert"]


def test_csv_for_excel(client: TestClient, owner_org: int) -> None:
    gap = _create(client, owner_org, title="=SUM(A1:A9)", municipalities=["4614", "4613"])
    make_measure(gap["id"], owner_org, due_on="2020-01-01")
    response = client.get(API, params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "udekkede-behov.csv" in response.headers["content-disposition"]
    raw = response.content
    assert raw.startswith("\ufeff".encode())
    assert b"\r\n" in raw
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(rows) == 1
    assert rows[0]["title"] == "'=SUM(A1:A9)"
    assert (rows[0]["municipalities"], rows[0]["measures_overdue"]) == ("4613; 4614", "1")
    accepted = client.get(API, headers={"Accept": "text/csv"})
    assert accepted.content == raw


def test_lists_filter_and_summarise(client: TestClient, owner_org: int) -> None:
    copd = _create(client, owner_org)
    stroke = _create(client, owner_org, patient_group="stroke", municipalities=["0301"], severity="low")
    make_measure(stroke["id"], owner_org, due_on="2020-01-01")
    assert _move(client, copd, "rejected", "Dekket av nytt tilbud").status_code == 200

    def ids(**params: Any) -> list[int]:
        response = client.get(API, params=params)
        assert response.status_code == 200, response.text
        return [g["id"] for g in response.json()["items"]]

    assert ids(status=["registered", "rejected"]) == [copd["id"], stroke["id"]]
    assert ids(status="rejected") == [copd["id"]]
    assert ids(overdue="true") == [stroke["id"]]
    assert ids(patient_group="neuro", region="HSO", severity="low") == [stroke["id"]]
    assert ids(municipality="4614") == [copd["id"]]
    summary = client.get(f"{API}/summary", params={"by": "patient_group,region"}).json()
    assert summary == {
        "by": ["patient_group", "region"],
        "rows": [{"patient_group": "stroke", "region": "HSO", "open": 1}],
        "total": 1,
    }
    _problem(client.get(f"{API}/summary", params={"by": "colour"}), 422)
    _problem(client.get(API, params={"patient_group": "kols"}), 422)


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"patient_group": "kols"}, "/patient_group"),
        ({"municipalities": ["9999"]}, "/municipalities/0"),
        ({"municipalities": ["Stord"]}, "/municipalities/0"),
        ({"municipalities": [], "region": "XX"}, "/region"),
        ({"municipalities": []}, "/municipalities"),
        ({"service_id": 999_999}, "/service_id"),
        ({"owner_id": 999_999}, "/owner_id"),
        ({"pathway_step": {"series": "finnes-ikke", "series_version": 1, "key": "a"}}, "/pathway_step"),
        ({"pathway_step": {"series": "matrise-publisert", "series_version": 1, "key": "x"}}, "/pathway_step/key"),
        ({"pathway_step": {"series": "matrise-utkast", "series_version": 1, "key": "utredning"}}, "/pathway_step"),
        ({"category": "weather"}, "/category"),
        ({"title": ""}, "/title"),
    ],
)
def test_invalid_gaps_are_refused_with_field_paths(
    client: TestClient, owner_org: int, change: dict[str, Any], pointer: str
) -> None:
    make_pathways(owner_org)
    before = fingerprint()
    response = _problem(client.post(API, json={**gap_body(owner_org), **change}), 422)
    assert pointer in [e["pointer"] for e in response["errors"]]
    assert fingerprint() == before


def test_links_to_a_pathway_step_and_a_service(client: TestClient, owner_org: int) -> None:
    make_pathways(owner_org)
    service = make_service(owner_org)
    step = {"series": "matrise-publisert", "series_version": 1, "key": "rehabilitering"}
    gap = _create(client, owner_org, pathway_step=step, service_id=service["id"])
    assert (gap["pathway_step"], gap["service_id"]) == (step, service["id"])
    assert client.delete(f"/api/v1/rehab-services/{service['id']}", headers=_if(1)).status_code == 204
    # The link stays, and the gap stays editable; a new link to the deleted service is refused.
    assert client.patch(f"{API}/{gap['id']}", json={"severity": "low"}, headers=_if(1)).status_code == 200
    other = _create(client, owner_org)
    _problem(client.patch(f"{API}/{other['id']}", json={"service_id": service["id"]}, headers=_if(1)), 422)


def test_texts_that_carry_a_national_identity_number_are_refused(client: TestClient, owner_org: int) -> None:
    """The shared text types guard every gap text (deviation reports are where such numbers come from)."""
    gap = _create(client, owner_org)
    before = fingerprint()
    pasted = "Avvik for pasient 15108695088 ved utskriving"
    refused = [
        client.post(API, json=gap_body(owner_org, description=pasted)),
        client.post(f"{API}/{gap['id']}/measures", json=measure_body(owner_org, note=pasted)),
        client.post(f"{API}/{gap['id']}/comments", json={"text": pasted}),
        client.post(f"{API}/{gap['id']}/transitions", json={"to": "rejected", "reason": pasted}, headers=_if(1)),
    ]
    for response, pointer in zip(refused, ["/description", "/note", "/text", "/reason"], strict=True):
        assert pointer in [e["pointer"] for e in _problem(response, 422)["errors"]]
        assert "15108695088" not in response.text
    assert fingerprint() == before
