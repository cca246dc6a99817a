"""The wording both renderers lay out (app.documents.content), on hand-made figures."""

from datetime import UTC, date, datetime
from typing import Any

from app.documents import content, docx, pdf
from tests.documents.helpers import docx_texts, pdf_pages

NETWORK = {
    "name": "Fagråd for rehabilitering i Møre og Romsdal",
    "kind": "advisory_council",
    "owner_name": "Helse Møre og Romsdal HF",
    "region": "HMR",
    "municipalities": [],
}


def _report(**overrides: Any) -> dict[str, Any]:
    figures = {
        "meetings": [{"id": 1, "held_on": "2026-03-12", "kind": "dialogue_meeting", "title": "Dialogmøte i Molde"}],
        "measures": {
            "plan_revision": 2,
            "plan_status": "approved",
            "by_status": {"planned": 0, "in_progress": 1, "done": 1, "cancelled": 0},
            "items": [
                {
                    "id": 7,
                    "gap_id": None,
                    "what": "Felles kurs for kommunene",
                    "responsible_name": "Molde kommune",
                    "area": "Kompetanse",
                    "due_on": "2026-06-01",
                    "status": "done",
                    "status_text": "fullført",
                    "done_on": "2026-05-20",
                    "reason": None,
                },
                {
                    "id": 8,
                    "gap_id": 3,
                    "what": "Dagtilbud i Ålesund",
                    "responsible_name": "Ålesund kommune",
                    "area": None,
                    "due_on": None,
                    "status": "in_progress",
                    "status_text": "pågår",
                    "done_on": None,
                    "reason": "Venter på lokaler",
                },
            ],
        },
        "gaps": {
            "registered": [{"id": 3, "title": "Mangler dagtilbud", "status": "measure_planned"}],
            "resolved": [],
            "open": [{"id": 3, "title": "Mangler dagtilbud", "status": "measure_planned"}],
            "counts": {"registered": 1, "resolved": 0, "open": 1},
        },
        "coverage": [
            {
                "series": "kols",
                "title": "Forløp for KOLS",
                "series_version": 2,
                "municipalities": 26,
                "share": 0.6154,
                "previous_share": 0.5,
                "change": 0.1154,
            },
            {"series": "slag", "title": None, "series_version": None, "municipalities": 0, "share": None},
        ],
    }
    report = {
        "id": 4,
        "year": 2026,
        "status": "submitted",
        "due_on": date(2027, 1, 31),
        "text": "Et godt år.",
        "submitted_at": datetime(2027, 1, 20, 23, 30, tzinfo=UTC),
        "figures": figures,
        **overrides,
    }
    return {"network": NETWORK, "report": report, "title": "Årsrapport 2026"}


def test_the_report_says_what_the_figures_say() -> None:
    doc = content.report(_report(), today=date(2027, 1, 21))
    assert doc.running == "Fagråd for rehabilitering i Møre og Romsdal · Årsrapport 2026 · Sendt inn"
    assert doc.filename_stem == "arsrapport-fagrad-for-rehabilitering-i-more-og-romsdal-2026"
    assert ("Sendt inn", "21.01.2027") in doc.facts  # 23:30 UTC is the next day in Oslo
    assert ("Region", "HMR") in doc.facts
    tables = {t.caption: t for block in doc.blocks for t in block.tables}
    measures = tables["Tiltak i handlingsplanen for 2026 (revisjon 2)"]
    assert measures.rows[0][1:] == [
        "Felles kurs for kommunene",
        "Kompetanse",
        "Molde kommune",
        "01.06.2026",
        "Fullført 20.05.2026",
        "–",
    ]
    assert measures.rows[1][5:] == ["Pågår", "Venter på lokaler"]
    coverage = tables["Andel dekkede forløpssteg"]
    assert coverage.rows == [
        ["Forløp for KOLS (versjon 2)", "26", "61,5 %", "50,0 %", "+11,5 prosentpoeng"],
        ["slag", "0", "–", "–", "–"],
    ]
    assert tables["Møter i 2026"].rows == [["12.03.2026", "Dialogmøte", "Dialogmøte i Molde"]]
    assert tables["Behovene"].rows[0] == ["Registrert", "3", "Mangler dagtilbud", "Tiltak planlagt"]

    whole = " ".join(pdf_pages(pdf.render(doc)))
    assert "Forløp for KOLS (versjon 2)" in whole
    assert "Venter på lokaler" in whole
    header, paragraphs, cells = docx_texts(docx.render(doc))
    assert header == doc.running
    assert "Et godt år." in paragraphs
    assert "+11,5 prosentpoeng" in cells


def test_a_report_never_saved_says_so() -> None:
    doc = content.report(_report(id=None, status="draft", submitted_at=None, text=None))
    assert doc.state_line == "Utkast (ikke lagret)"
    (own_text,) = [b for b in doc.blocks if b.title == "Nettverkets rapport"]
    assert own_text.paragraphs == []
    assert own_text.empty


def test_the_html_escapes_what_people_wrote() -> None:
    data = _report(text="<script>alert(1)</script> & «sitat»")
    html = pdf.html(content.report(data))
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; «sitat»" in html
    assert '<html lang="nb">' in html


def test_file_names_and_numbers() -> None:
    assert content.slug("Fagråd for rehabilitering i Møre og Romsdal – Ærlig!") == (
        "fagrad-for-rehabilitering-i-more-og-romsdal-aerlig"
    )
    assert content.slug("«»") == "nettverk"
    assert content.paragraphs("a\r\nb\n\n\nc") == [["a", "b"], ["c"]]
    assert content.percent(0.4567) == "45,7 %"
    assert content.change(-0.012) == "−1,2 prosentpoeng"
    assert content.change(0) == "±0,0 prosentpoeng"
