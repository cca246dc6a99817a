"""The documents of a network's plan, its report and a committee's aggregate: the PDF opens, holds the text,
is tagged PDF/A-2a with embedded fonts and a header on every page; the DOCX opens and holds every measure."""

import time

from fastapi.testclient import TestClient

from tests.documents.helpers import (
    DOCX,
    LONG_WHAT,
    PDF,
    aggregate_url,
    docx_texts,
    if_match,
    make_plan,
    pdf_facts,
    pdf_pages,
    plan_url,
    report_url,
    words,
)
from tests.factories import make_network

NAME = "Fagnettverk for lungerehabilitering"


def test_the_plan_as_pdf_is_tagged_pdf_a_2a_with_its_header_on_every_page(client: TestClient, owner_org: int) -> None:
    plan = make_plan(client, owner_org, measures=12)
    response = client.get(f"{plan_url(plan['network_id'])}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == PDF
    assert response.headers["content-disposition"] == (
        'attachment; filename="handlingsplan-fagnettverk-for-lungerehabilitering-2027-rev1.pdf"'
    )
    facts = pdf_facts(response.content)
    assert (facts.part, facts.conformance) == ("2", "A")
    assert facts.marked
    assert facts.tagged
    assert facts.lang == "nb"
    assert facts.output_intent
    assert facts.unembedded_fonts == []
    assert "DejaVu-Sans" in facts.fonts
    assert facts.fonts <= {"DejaVu-Sans", "DejaVu-Sans-Bold", "DejaVu-Sans-Oblique"}
    assert facts.title == f"Handlingsplan 2027 – {NAME}"
    assert facts.roles >= {"Document", "H1", "H2", "P", "Table", "Caption", "THead", "TH", "TR", "TD"}

    pages = pdf_pages(response.content)
    assert len(pages) == facts.pages >= 2
    for text in pages:
        assert f"{NAME} · Handlingsplan 2027 · Revisjon 1 · Utkast" in text
        assert "Side " in text
    whole = " ".join(pages)
    for section in plan["sections"]:
        assert section["title"] in whole
        assert words(section["text"]) in whole
    assert len(plan["measures"]) == 13
    for measure in plan["measures"]:
        assert words(measure["what"]) in whole
    assert words(LONG_WHAT) in whole
    assert "Merknad: Avklares med kommunene i januar" in whole
    assert "Behov " in whole
    assert "Planens eget" in whole


def test_a_new_revision_and_its_status_are_named_in_the_document(client: TestClient, owner_org: int) -> None:
    plan = make_plan(client, owner_org, measures=1)
    url = plan_url(plan["network_id"])
    submitted = client.post(f"{url}/submit", headers=if_match(plan["version"])).json()
    approved = client.post(f"{url}/approve", headers=if_match(submitted["version"]))
    assert approved.status_code == 200, approved.text
    pages = pdf_pages(client.get(f"{url}.pdf").content)
    assert all("Revisjon 1 · Godkjent" in text for text in pages)
    revised = client.post(f"{url}/revise", headers=if_match(approved.json()["version"]))
    assert revised.status_code == 201
    response = client.get(f"{url}.pdf")
    assert response.headers["content-disposition"].endswith('-2027-rev2.pdf"')
    assert all("Revisjon 2 · Utkast" in text for text in pdf_pages(response.content))
    document = client.get(f"{url}.docx")
    assert document.headers["content-disposition"].endswith('-2027-rev2.docx"')
    header, _paragraphs, _cells = docx_texts(document.content)
    assert header == f"{NAME} · Handlingsplan 2027 · Revisjon 2 · Utkast"


def test_the_plan_as_docx_holds_every_measure_whole(client: TestClient, owner_org: int) -> None:
    plan = make_plan(client, owner_org, measures=5)
    response = client.get(f"{plan_url(plan['network_id'])}.docx")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == DOCX
    assert response.headers["content-disposition"] == (
        'attachment; filename="handlingsplan-fagnettverk-for-lungerehabilitering-2027-rev1.docx"'
    )
    header, paragraphs, cells = docx_texts(response.content)
    assert header == f"{NAME} · Handlingsplan 2027 · Revisjon 1 · Utkast"
    assert paragraphs[0] == "Handlingsplan 2027"
    for measure in plan["measures"]:
        assert any(cell.startswith(measure["what"]) for cell in cells), measure["what"]
    assert any(cell.startswith(LONG_WHAT) and "Avklares med kommunene i januar" in cell for cell in cells)
    text = "\n".join(paragraphs)
    assert "Bedre lungerehabilitering i Sunnhordland." in text
    assert "To årsverk fra helseforetaket" in text
    assert "Revisjon" in cells
    assert "Utkast" in cells


def test_the_report_as_pdf_and_docx(client: TestClient, owner_org: int) -> None:
    plan = make_plan(client, owner_org, measures=2)
    first = plan["measures"][0]
    url = report_url(plan["network_id"], 2027)
    saved = client.put(
        url,
        json={"text": "Året gikk godt.\n\nVi nådde de fleste målene.", "measure_notes": {str(first["id"]): "Utsatt"}},
    )
    assert saved.status_code == 200, saved.text
    response = client.get(f"{url}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        'attachment; filename="arsrapport-fagnettverk-for-lungerehabilitering-2027.pdf"'
    )
    facts = pdf_facts(response.content)
    assert (facts.part, facts.conformance, facts.marked, facts.tagged) == ("2", "A", True, True)
    pages = pdf_pages(response.content)
    assert all(f"{NAME} · Årsrapport 2027 · Utkast" in text for text in pages)
    whole = " ".join(pages)
    assert "Året gikk godt." in whole
    assert "Vi nådde de fleste målene." in whole
    for measure in plan["measures"]:
        assert words(measure["what"]) in whole
    assert "Utsatt" in whole

    submitted = client.post(f"{url}/submit", headers=if_match(saved.json()["version"]))
    assert submitted.status_code == 200, submitted.text
    header, paragraphs, cells = docx_texts(client.get(f"{url}.docx").content)
    assert header == f"{NAME} · Årsrapport 2027 · Sendt inn"
    assert "Året gikk godt." in paragraphs
    for measure in plan["measures"]:
        assert measure["what"] in cells
    assert "Utsatt" in cells


def test_the_committee_aggregate_as_pdf_and_docx(client: TestClient, owner_org: int) -> None:
    committee = make_network(owner_org, name="Samhandlingsutvalget i Fonna", kind="collaboration_committee")
    plan = make_plan(client, owner_org, measures=2, parent_id=committee["id"])
    make_network(owner_org, name="Læringsnettverket", parent_id=committee["id"])
    url = aggregate_url(committee["id"], 2027)
    response = client.get(f"{url}.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == (
        'attachment; filename="samlet-rapport-samhandlingsutvalget-i-fonna-2027.pdf"'
    )
    facts = pdf_facts(response.content)
    assert (facts.part, facts.conformance, facts.marked, facts.tagged) == ("2", "A", True, True)
    pages = pdf_pages(response.content)
    for text in pages:
        assert "Samhandlingsutvalget i Fonna · Samlet rapport 2027 · 0 av 2 årsrapporter sendt inn" in text
    whole = " ".join(pages)
    assert NAME in whole
    assert "Læringsnettverket" in whole
    for measure in plan["measures"]:
        assert words(measure["what"]) in whole

    document = client.get(f"{url}.docx")
    assert document.headers["content-disposition"].endswith('samlet-rapport-samhandlingsutvalget-i-fonna-2027.docx"')
    header, paragraphs, cells = docx_texts(document.content)
    assert header.startswith("Samhandlingsutvalget i Fonna · Samlet rapport 2027")
    assert NAME in paragraphs
    assert "Læringsnettverket" in paragraphs
    for measure in plan["measures"]:
        assert measure["what"] in cells


def test_a_plan_with_sixty_measures_renders(client: TestClient, owner_org: int) -> None:
    plan = make_plan(client, owner_org, measures=59)
    assert len(plan["measures"]) == 60
    started = time.monotonic()
    response = client.get(f"{plan_url(plan['network_id'])}.pdf")
    took = time.monotonic() - started
    assert response.status_code == 200
    assert took < 60, f"the PDF of 60 measures took {took:.1f} s"
    whole = " ".join(pdf_pages(response.content))
    for measure in plan["measures"]:
        assert words(measure["what"]) in whole
    _header, _paragraphs, cells = docx_texts(client.get(f"{plan_url(plan['network_id'])}.docx").content)
    for measure in plan["measures"]:
        assert any(cell.startswith(measure["what"]) for cell in cells)
