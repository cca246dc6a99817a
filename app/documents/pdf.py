"""A document as PDF/A-2a: the Jinja template rendered to HTML, then WeasyPrint (tagged, fonts embedded).

WeasyPrint (and the Pango it needs) is imported only here, when a PDF is made.
"""

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from app.documents import DocumentsUnavailable
from app.documents.content import Document

TEMPLATES = Path(__file__).resolve().parent / "templates"
MEDIA_TYPE = "application/pdf"
VARIANT = "pdf/a-2a"

env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


@cache
def _css() -> str:
    return (TEMPLATES / "print.css").read_text(encoding="utf-8")


def html(doc: Document) -> str:
    """The document as the HTML WeasyPrint prints (language `nb`, its title in <title>)."""
    return env.get_template("document.html").render(doc=doc, css=_css())


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as exc:
        raise DocumentsUnavailable(
            "PDF kan ikke lages på denne serveren fordi WeasyPrint eller systembiblioteket Pango mangler. "
            "Last ned dokumentet som DOCX i stedet, eller be driftsansvarlig installere det."
        ) from exc
    return weasyprint


def render(doc: Document) -> bytes:
    """PDF/A-2a bytes: tagged (structure tree, MarkInfo), language nb, fonts embedded, title in the XMP."""
    weasyprint = _weasyprint()
    document = weasyprint.HTML(string=html(doc), base_url=str(TEMPLATES))
    pdf = document.write_pdf(pdf_variant=VARIANT, pdf_tags=True)
    assert isinstance(pdf, bytes)
    return pdf
