"""Reading the documents back: PDF text per page (pypdf), PDF/A metadata and tags (pikepdf), DOCX text."""

import io
from dataclasses import dataclass
from typing import Any

import docx
import pikepdf
import pypdf
from fastapi.testclient import TestClient

from tests.factories import make_gap, make_measure, make_meeting, make_network, measure_body

API = "/api/v1/networks"
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PDFAID = "{http://www.aiim.org/pdfa/ns/id/}"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
LONG_WHAT = (  # 199 characters: nearly the longest a measure's text may be
    "Etablere et felles dagtilbud for lungerehabilitering i Sunnhordland med fysioterapeuter, sykepleiere og "
    "ergoterapeuter fra kommunene, med oppfølging etter utskriving og faste møter med helseforetaket"
)


def words(text: str) -> str:
    """`text` with every run of whitespace as one space: table cells wrap their lines anywhere."""
    return " ".join(text.split())


def pdf_pages(body: bytes) -> list[str]:
    return [words(page.extract_text()) for page in pypdf.PdfReader(io.BytesIO(body)).pages]


@dataclass(frozen=True)
class PdfFacts:
    part: str | None
    conformance: str | None
    title: str | None
    marked: bool
    tagged: bool
    lang: str | None
    output_intent: bool
    unembedded_fonts: list[str]
    fonts: set[str]  # base font names without the subset prefix
    pages: int
    roles: set[str]  # the structure types in the tag tree (Document, H1, Table, TH …)


def _font_embedded(font: Any) -> bool:
    descriptor = font.get("/FontDescriptor")
    if descriptor is None and "/DescendantFonts" in font:
        descriptor = font.DescendantFonts[0].get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def _roles(node: Any, out: set[str]) -> set[str]:
    if isinstance(node, pikepdf.Dictionary):
        if "/S" in node:
            out.add(str(node.S).lstrip("/"))
        children = node.get("/K")
        for child in children if isinstance(children, pikepdf.Array) else [children]:
            _roles(child, out)
    return out


def pdf_facts(body: bytes) -> PdfFacts:
    with pikepdf.open(io.BytesIO(body)) as pdf:
        meta = pdf.open_metadata()
        unembedded = []
        fonts = set()
        for page in pdf.pages:
            resources: Any = page.obj.get("/Resources", {})
            for name, font in resources.get("/Font", {}).items():
                fonts.add(str(font.get("/BaseFont", "")).lstrip("/").split("+")[-1])
                if not _font_embedded(font):
                    unembedded.append(f"{name}:{font.get('/BaseFont')}")
        mark_info = pdf.Root.get("/MarkInfo")
        return PdfFacts(
            part=meta.get(f"{PDFAID}part"),
            conformance=meta.get(f"{PDFAID}conformance"),
            title=meta.get(DC_TITLE),
            marked=bool(mark_info is not None and mark_info.get("/Marked")),
            tagged="/StructTreeRoot" in pdf.Root and len(pdf.Root.StructTreeRoot.get("/K", [])) > 0,
            lang=str(pdf.Root.Lang) if "/Lang" in pdf.Root else None,
            output_intent="/OutputIntents" in pdf.Root,
            unembedded_fonts=unembedded,
            fonts=fonts,
            pages=len(pdf.pages),
            roles=_roles(pdf.Root.StructTreeRoot, set()) if "/StructTreeRoot" in pdf.Root else set(),
        )


def docx_texts(body: bytes) -> tuple[str, list[str], list[str]]:
    """(the page header, every paragraph's text, every table cell's text) of a DOCX."""
    document = docx.Document(io.BytesIO(body))
    header = " ".join(p.text for p in document.sections[0].header.paragraphs)
    paragraphs = [p.text for p in document.paragraphs]
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return header, paragraphs, cells


def if_match(version: int) -> dict[str, str]:
    return {"If-Match": f'"{version}"'}


def plan_url(network_id: int, year: int = 2027) -> str:
    return f"{API}/{network_id}/action-plans/{year}"


def report_url(network_id: int, year: int = 2026) -> str:
    return f"{API}/{network_id}/reports/{year}"


def aggregate_url(committee_id: int, year: int = 2026) -> str:
    return f"{API}/{committee_id}/aggregate/{year}"


def make_plan(client: TestClient, owner_org: int, *, measures: int = 3, **network: Any) -> dict[str, Any]:
    """A network with a draft plan for 2027: its sections written, `measures` measures of its own (the first
    with a long text and a note) and one of its gaps' measures. Returns the plan as the API reads it."""
    made = make_network(owner_org, **network)
    url = plan_url(made["id"])
    assert client.put(url, json={}).status_code == 201
    sections = [
        {"key": "formal", "title": "Formål", "text": "Bedre lungerehabilitering i Sunnhordland.\n\nAndre avsnitt."},
        {"key": "ressurser", "title": "Ressurser", "text": "To årsverk fra helseforetaket"},
    ]
    assert client.put(url, json={"sections": sections}, headers=if_match(1)).status_code == 200
    for n in range(measures):
        body = measure_body(owner_org, what=LONG_WHAT if n == 0 else f"Tiltak nummer {n + 1} i planen")
        extra = {"area": "Kompetanse", "time_frame": "Vår 2027", "contact": "Fagutvikler"}
        if n == 0:
            body["note"] = "Avklares med kommunene i januar"
        created = client.post(f"{url}/measures", json={**body, **extra})
        assert created.status_code == 201, created.text
    gap = make_gap(owner_org, network_id=made["id"])
    from_gap = make_measure(gap["id"], owner_org, what="Dagtilbud i Stord fra behovet")
    assert client.post(f"{url}/measures", json={"measure_id": from_gap["id"]}).status_code == 201
    make_meeting(made["id"], held_on="2026-03-12", title="Dialogmøte om KOLS i Stord")
    plan: dict[str, Any] = client.get(url).json()
    return plan
