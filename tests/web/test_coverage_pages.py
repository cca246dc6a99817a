"""The coverage pages through HTTP: the heat map with its map, a municipality's cells, the municipality page."""

import re
import xml.etree.ElementTree as ET

from fastapi.testclient import TestClient

from app.db import transaction
from app.domain import pathways
from app.models.auth import Role
from app.models.pathway import PathwayCreate
from tests.factories import (
    SYSTEM,
    browser_login,
    find_org_id,
    form_token,
    make_pathways,
    make_service,
    make_user,
    pathway_body,
)


def _published_fonna_template() -> int:
    """A published COPD template owned by Helse Fonna (region Helse Vest), as the heat map's subject."""
    body = pathway_body(find_org_id("Helse Fonna HF"), "kols-fonna")
    with transaction() as session:
        draft = pathways.create(session, SYSTEM, PathwayCreate.model_validate(body))
        return int(pathways.publish(session, SYSTEM, draft["id"], '"1"')["id"])


def _rows(html: str) -> list[str]:
    """Municipality names in table order."""
    return re.findall(r'<th scope="row" class="rk-heat-name"><a [^>]*>([^<]+)</a>', html)


def _svg(html: str) -> ET.Element:
    svg = re.search(r"<svg.*?</svg>", html, re.S)
    assert svg is not None
    return ET.fromstring(svg.group(0))  # noqa: S314 (our own markup)


def test_heat_map_opens_on_the_owners_region_with_a_cell_per_step(anon: TestClient) -> None:
    template_id = _published_fonna_template()
    make_service(name="KOLS-poliklinikk", level="specialist", forms=["outpatient"], patient_groups=["copd"])

    response = anon.get(f"/pathways/{template_id}/coverage")

    assert response.status_code == 200
    html = response.text
    assert "Helse Vest RHF" in html
    rows = _rows(html)
    assert len(rows) == 66  # Helse Vest's municipalities
    assert rows == sorted(rows, key=str.casefold)
    # Stord is in Helse Fonna's catchment: the outpatient step is covered by the one service.
    stord = re.search(r'id="cell-4614-utredning">\s*<a href="([^"]+)"[^>]*>(.*?)</a>', html, re.S)
    assert stord is not None
    assert stord.group(1) == f"/pathways/{template_id}/coverage/4614#step-utredning"
    assert "Dekket (1)" in stord.group(2)
    # Bergen is in the region but outside Fonna's catchment: the reason is in words, not only in colour.
    bergen = re.search(r'id="cell-4601-utredning">\s*<a [^>]*>(.*?)</a>', html, re.S)
    assert bergen is not None
    assert "Utenfor opptaksområdet" in bergen.group(1)
    assert "✗" in bergen.group(1)


def test_heat_map_sorts_by_population_and_share_and_covers_the_whole_country(anon: TestClient) -> None:
    template_id = _published_fonna_template()
    make_service(name="KOLS-poliklinikk", level="specialist", forms=["outpatient"], patient_groups=["copd"])

    by_population = anon.get(f"/pathways/{template_id}/coverage", params={"sort": "population", "order": "desc"})
    assert _rows(by_population.text)[:2] == ["Bergen", "Stavanger"]
    assert 'aria-sort="descending"' in by_population.text

    by_share = anon.get(f"/pathways/{template_id}/coverage", params={"sort": "share", "order": "desc"}).text
    covered_first = _rows(by_share)[:16]
    assert "Stord" in covered_first
    assert "Bergen" not in covered_first

    country = anon.get(f"/pathways/{template_id}/coverage", params={"region": "alle"})
    assert country.status_code == 200
    assert len(_rows(country.text)) == 357


def test_the_map_has_a_linked_titled_area_per_municipality_and_a_legend(anon: TestClient) -> None:
    template_id = _published_fonna_template()
    make_service(name="KOLS-poliklinikk", level="specialist", forms=["outpatient"], patient_groups=["copd"])

    html = anon.get(f"/pathways/{template_id}/coverage").text
    svg = _svg(html)
    ns = {"svg": "http://www.w3.org/2000/svg"}
    links = svg.findall(".//svg:a", ns)
    assert len(links) == 66
    stord = next(a for a in links if a.get("href", "").endswith("/coverage/4614"))
    title = stord.find("svg:title", ns)
    assert title is not None
    assert title.text == "Stord: 1 av 3 steg dekket (33 %)"
    legend = re.findall(r"%: (\d+) kommuner?<", html)
    assert sum(int(n) for n in legend) == 66
    assert "© Kartverket, CC BY 4.0" in html


def test_a_cell_opens_its_services_or_its_reason(anon: TestClient) -> None:
    template_id = _published_fonna_template()
    service = make_service(name="KOLS-poliklinikk", level="specialist", forms=["outpatient"], patient_groups=["copd"])

    page = anon.get(f"/pathways/{template_id}/coverage/4614")
    assert page.status_code == 200
    assert "<html" in page.text
    assert f'href="/rehab-services/{service["id"]}"' in page.text
    assert "1 av 3 steg dekket" in page.text

    panel = anon.get(
        f"/pathways/{template_id}/coverage/4614",
        params={"step": "rehabilitering"},
        headers={"HX-Request": "true", "HX-Target": "coverage-detail"},
    )
    assert panel.status_code == 200
    assert "<html" not in panel.text
    assert "autofocus" in panel.text
    assert 'class="rk-cov-step rk-cov-missing rk-cov-current"' in panel.text
    assert "men ikke i en form steget kan gis i" in panel.text  # wrong_form, explained
    assert 'href="#cell-4614-rehabilitering"' in panel.text


def test_draft_templates_and_unknown_places_are_refused_in_norwegian(anon: TestClient, client: TestClient) -> None:
    draft_id, _ = make_pathways(find_org_id("Helse Fonna HF"))

    assert anon.get(f"/pathways/{draft_id}/coverage").status_code == 401
    refused = client.get(f"/pathways/{draft_id}/coverage", headers={"Accept": "text/html"})
    assert refused.status_code == 409
    assert "Dekning beregnes bare for publiserte forløpsmaler" in refused.text
    assert anon.get("/pathways/999999/coverage").status_code == 404
    assert anon.get("/municipalities/9999", headers={"Accept": "text/html"}).status_code == 404
    assert anon.get("/pathways/1/coverage", params={"region": "<script>"}).status_code == 422


def test_municipality_page_shows_every_published_template_beside_the_survey(anon: TestClient) -> None:
    template_id = _published_fonna_template()
    draft_id, _published = make_pathways(find_org_id("Helse Fonna HF"))
    make_service(name="KOLS-poliklinikk", level="specialist", forms=["outpatient"], patient_groups=["copd"])

    response = anon.get("/municipalities/4614")

    assert response.status_code == 200
    html = response.text
    assert "<h1" in html
    assert "Stord" in html
    assert f'href="/pathways/{template_id}"' in html
    assert f'href="/pathways/{draft_id}"' not in html
    assert html.count('class="rk-cov-template"') == 2  # the Fonna template and make_pathways' published one
    assert f'id="t{template_id}-step-utredning"' in html
    assert "Kommuneundersøkelsen" in html


# --- from a missing cell to a gap registration -------------------------------------------------------------


def _stord_editor(anon: TestClient) -> TestClient:
    email = make_user("stord@test.example", Role.editor, [find_org_id("Stord", "municipality")])
    assert browser_login(anon, email).status_code == 303
    return anon


def test_a_missing_step_is_registered_from_its_cell_and_then_marked(anon: TestClient) -> None:
    template_id = _published_fonna_template()
    browser = _stord_editor(anon)
    cells = f"/pathways/{template_id}/coverage/4614"
    page = browser.get(cells, params={"step": "utredning"})
    assert page.text.count("Registrer som udekket behov") == 3  # every step is missing in Stord
    token = form_token(browser, cells)

    posted = browser.post(f"{cells}/gaps", data={"csrftoken": token, "step_key": "utredning"}, follow_redirects=False)
    assert posted.status_code == 303
    gap_id = int(posted.headers["location"].rsplit("/", 1)[1])
    gap = browser.get(f"/api/v1/gaps/{gap_id}").json()
    assert (gap["source"], gap["municipalities"], gap["pathway_step"]["key"]) == ("coverage", ["4614"], "utredning")

    # The same step again leads to the gap already open; nothing new is written.
    again = browser.post(f"{cells}/gaps", data={"csrftoken": token, "step_key": "utredning"}, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, f"/gaps/{gap_id}")
    assert len(browser.get("/api/v1/gaps").json()["items"]) == 1

    after = browser.get(cells).text
    assert after.count("Registrer som udekket behov") == 2  # the other two steps keep their buttons
    assert f'href="/gaps/{gap_id}">Registrert som udekket behov' in after
    heat = browser.get(f"/pathways/{template_id}/coverage").text
    stord = re.search(r'id="cell-4614-utredning">\s*<a [^>]*>(.*?)</a>', heat, re.S)
    assert stord is not None
    assert "registrert" in stord.group(1)
    bergen = re.search(r'id="cell-4601-utredning">\s*<a [^>]*>(.*?)</a>', heat, re.S)
    assert bergen is not None
    assert "registrert" not in bergen.group(1)


def test_readers_see_no_register_button_and_anonymous_readers_no_marks(anon: TestClient, client: TestClient) -> None:
    template_id = _published_fonna_template()
    registered = client.post(
        "/api/v1/gaps/from-coverage", json={"template_id": template_id, "municipality": "4614", "step_key": "utredning"}
    )
    assert registered.status_code == 201, registered.text
    # Gaps are not public: an anonymous reader of the public heat map sees neither marks nor buttons.
    heat = anon.get(f"/pathways/{template_id}/coverage").text
    assert "registrert" not in heat.lower()
    assert "Registrer som udekket behov" not in anon.get(f"/pathways/{template_id}/coverage/4614").text
    # A viewer sees the mark but may not register.
    email = make_user("viewer@test.example", Role.viewer)
    assert browser_login(anon, email).status_code == 303
    cells = anon.get(f"/pathways/{template_id}/coverage/4614").text
    assert "Registrert som udekket behov" in cells
    assert "<button" not in cells.split('class="rk-cov-panel"')[1]
    token = form_token(anon, f"/pathways/{template_id}/coverage/4614")
    refused = anon.post(
        f"/pathways/{template_id}/coverage/4614/gaps", data={"csrftoken": token, "step_key": "rehabilitering"}
    )
    assert refused.status_code == 403
