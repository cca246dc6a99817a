"""Documents at the JSON paths: `Accept: application/pdf` or the DOCX media type, the `.pdf` / `.docx` paths,
the same 401/404/409 as the JSON routes, and a clear 503 when WeasyPrint is missing."""

import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.documents.helpers import API, DOCX, PDF, aggregate_url, make_plan, plan_url, report_url
from tests.factories import make_network


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    data: dict[str, Any] = response.json()
    return data


@pytest.fixture
def urls(client: TestClient, owner_org: int) -> dict[str, str]:
    """The plan (2027), the report (2027) and the committee's aggregate (2027) of one network."""
    committee = make_network(owner_org, name="Samhandlingsutvalget", kind="collaboration_committee")
    plan = make_plan(client, owner_org, measures=1, parent_id=committee["id"])
    return {
        "plan": plan_url(plan["network_id"]),
        "report": report_url(plan["network_id"], 2027),
        "aggregate": aggregate_url(committee["id"], 2027),
    }


@pytest.mark.parametrize("kind", ["plan", "report", "aggregate"])
def test_accept_chooses_the_document(client: TestClient, urls: dict[str, str], kind: str) -> None:
    url = urls[kind]
    as_json = client.get(url)
    assert as_json.status_code == 200
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.headers["vary"] == "Accept"
    stem = {"plan": "handlingsplan-", "report": "arsrapport-", "aggregate": "samlet-rapport-"}[kind]

    pdf = client.get(url, headers={"Accept": PDF})
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == PDF
    assert pdf.content.startswith(b"%PDF-")
    assert pdf.headers["vary"] == "Accept"
    disposition = pdf.headers["content-disposition"]
    assert disposition.startswith(f'attachment; filename="{stem}')
    assert disposition.endswith('-2027-rev1.pdf"' if kind == "plan" else '-2027.pdf"')

    document = client.get(url, headers={"Accept": DOCX})
    assert document.status_code == 200, document.text
    assert document.headers["content-type"] == DOCX
    assert document.content.startswith(b"PK")
    assert document.headers["content-disposition"].endswith('.docx"')

    for suffix, media in (("pdf", PDF), ("docx", DOCX)):
        by_path = client.get(f"{url}.{suffix}")
        assert by_path.status_code == 200, by_path.text
        assert by_path.headers["content-type"] == media

    _problem(client.get(f"{url}.txt"), 422)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", "application/json"),
        ("*/*", "application/json"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/json"),
        ("application/pdf", PDF),
        ("application/pdf;q=0.5, application/json", "application/json"),
        ("application/json;q=0.2, application/pdf", PDF),
        (f"{DOCX}, application/pdf", DOCX),
        ("application/pdf;q=0, application/json", "application/json"),
        ("APPLICATION/PDF", PDF),
    ],
)
def test_accept_weights(client: TestClient, urls: dict[str, str], accept: str, expected: str) -> None:
    response = client.get(urls["plan"], headers={"Accept": accept})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == expected


def test_documents_answer_as_the_json_routes(anon: TestClient, client: TestClient, urls: dict[str, str]) -> None:
    for url in urls.values():
        _problem(anon.get(url, headers={"Accept": PDF}), 401)
        _problem(anon.get(f"{url}.pdf"), 401)
        _problem(anon.get(f"{url}.docx"), 401)
    network_id = urls["plan"].split("/")[4]
    for missing in (
        f"{API}/999999/action-plans/2027",
        f"{API}/{network_id}/action-plans/2031",  # no plan for 2031 yet
        f"{API}/999999/reports/2027",
        f"{API}/999999/aggregate/2027",
    ):
        _problem(client.get(missing, headers={"Accept": PDF}), 404)
        _problem(client.get(f"{missing}.pdf"), 404)
        _problem(client.get(f"{missing}.docx"), 404)
    not_committee = f"{API}/{network_id}/aggregate/2027"
    _problem(client.get(not_committee, headers={"Accept": PDF}), 409)
    _problem(client.get(f"{not_committee}.docx"), 409)
    _problem(client.get(f"{API}/{network_id}/action-plans/1999.pdf"), 422)  # the same year range


def test_a_logged_in_browser_downloads_the_documents(editor: TestClient, urls: dict[str, str]) -> None:
    """The pages link the `.pdf` / `.docx` paths: the session cookie is enough."""
    for url in urls.values():
        for suffix, media in (("pdf", PDF), ("docx", DOCX)):
            response = editor.get(f"{url}.{suffix}")
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == media
            assert response.headers["content-disposition"].startswith("attachment; ")


def test_without_weasyprint_a_pdf_is_a_norwegian_503(
    client: TestClient, urls: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as if it (or Pango) were not installed
    problem = _problem(client.get(f"{urls['plan']}.pdf"), 503)
    assert "WeasyPrint" in problem["detail"]
    assert "DOCX" in problem["detail"]
    _problem(client.get(urls["report"], headers={"Accept": PDF}), 503)
    assert client.get(f"{urls['plan']}.docx").status_code == 200  # DOCX needs no WeasyPrint


def test_the_documents_are_in_the_openapi_schema(client: TestClient) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/networks/{network_id}/action-plans/{year}",
        "/api/v1/networks/{network_id}/reports/{year}",
        "/api/v1/networks/{committee_id}/aggregate/{year}",
    ):
        assert set(paths[path]["get"]["responses"]["200"]["content"]) >= {"application/json", PDF, DOCX}
        assert set(paths[f"{path}.{{suffix}}"]["get"]["responses"]["200"]["content"]) == {PDF, DOCX}
