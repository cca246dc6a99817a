"""A document as an editable DOCX (python-docx): the same wording as the PDF, the network, year, revision and
status in the page header of every page, page numbers in the footer, measures in full-width tables (their
rows kept on one page, the heading row repeated on every page).

python-docx is imported only here, when a DOCX is made.
"""

import io
from typing import Any

from app.documents import DocumentsUnavailable
from app.documents.content import Block, Document, Table

MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
LANGUAGE = "nb-NO"


def _library() -> Any:
    try:
        import docx
    except ImportError as exc:
        raise DocumentsUnavailable(
            "DOCX kan ikke lages på denne serveren fordi biblioteket python-docx mangler. "
            "Be driftsansvarlig installere det."
        ) from exc
    return docx


def _element(tag: str, **attrs: str) -> Any:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    element = OxmlElement(tag)
    for name, value in attrs.items():
        element.set(qn(name), value)
    return element


def _field(paragraph: Any, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) in `paragraph`; Word fills it in when the page is laid out."""
    run = paragraph.add_run()
    run._r.append(_element("w:fldChar", **{"w:fldCharType": "begin"}))
    code = _element("w:instrText", **{"xml:space": "preserve"})
    code.text = f" {instruction} "
    run._r.append(code)
    run._r.append(_element("w:fldChar", **{"w:fldCharType": "separate"}))
    paragraph.add_run("1")  # shown until Word updates the field
    paragraph.add_run()._r.append(_element("w:fldChar", **{"w:fldCharType": "end"}))


def _lines(paragraph: Any, lines: list[str]) -> None:
    """The lines as runs of `paragraph`, with line breaks between them."""
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        if i < len(lines) - 1:
            run.add_break()


def _setup(document: Any, doc: Document) -> None:
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    # The template's own (theme) font, which every Word and LibreOffice has; the text is Norwegian bokmål, so
    # spelling is checked as such.
    normal = document.styles["Normal"]
    normal.font.size = Pt(10)
    rpr = normal.element.get_or_add_rPr()
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    rpr.append(_element("w:lang", **{"w:val": LANGUAGE, "w:eastAsia": LANGUAGE, "w:bidi": LANGUAGE}))

    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(16)
    section.top_margin, section.bottom_margin = Mm(22), Mm(20)

    header = section.header.paragraphs[0]
    header.text = doc.running
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.add_run(f"Laget i Rehabkart {doc.made_on} · Side ").font.size = Pt(8)
    _field(footer, "PAGE")
    footer.add_run(" av ")
    _field(footer, "NUMPAGES")

    props = document.core_properties
    props.title = doc.pdf_title
    props.subject = doc.subject
    props.author = doc.network_name
    props.language = LANGUAGE
    props.keywords = f"{doc.title}, {doc.network_name}, {doc.year}"
    props.comments = doc.running


def _repeat_header(row: Any) -> None:
    row._tr.get_or_add_trPr().append(_element("w:tblHeader", **{"w:val": "true"}))


def _keep_row_together(row: Any) -> None:
    row._tr.get_or_add_trPr().append(_element("w:cantSplit", **{"w:val": "true"}))


def _table(document: Any, table: Table, width_mm: float) -> None:
    from docx.shared import Mm, Pt

    if not table.rows:
        document.add_paragraph(f"{table.caption}: {table.empty}").runs[0].italic = True
        return
    caption = document.add_paragraph()
    caption.add_run(table.caption).bold = True
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    grid.autofit = False
    total = sum(table.widths)
    widths = [Mm(width_mm * w / total) for w in table.widths]
    head = grid.rows[0]
    _repeat_header(head)
    for i, name in enumerate(table.columns):
        cell = head.cells[i]
        cell.width = widths[i]
        run = cell.paragraphs[0].add_run(name)
        run.bold = True
        run.font.size = Pt(8.5)
    for r, values in enumerate(table.rows):
        row = grid.add_row()
        _keep_row_together(row)
        for i, value in enumerate(values):
            cell = row.cells[i]
            cell.width = widths[i]
            _lines(cell.paragraphs[0], value.split("\n"))
            for run in cell.paragraphs[0].runs:
                run.font.size = Pt(8.5)
            if i == 1 and r in table.notes:
                note = cell.add_paragraph()
                note.add_run("Merknad: ").italic = True
                _lines(note, table.notes[r].split("\n"))
                for run in note.runs:
                    run.font.size = Pt(8)
    document.add_paragraph()


def _facts(document: Any, facts: list[tuple[str, str]], width_mm: float) -> None:
    from docx.shared import Mm

    grid = document.add_table(rows=0, cols=2)
    grid.style = "Table Grid"
    grid.autofit = False
    for name, value in facts:
        row = grid.add_row()
        row.cells[0].width, row.cells[1].width = Mm(width_mm * 0.32), Mm(width_mm * 0.68)
        row.cells[0].paragraphs[0].add_run(name).bold = True
        _lines(row.cells[1].paragraphs[0], value.split("\n"))
    document.add_paragraph()


def _block(document: Any, block: Block, level: int, width_mm: float) -> None:
    document.add_heading(block.title, level=min(level, 9))
    if block.facts:
        _facts(document, block.facts, width_mm)
    for lines in block.paragraphs:
        _lines(document.add_paragraph(), lines)
    for table in block.tables:
        _table(document, table, width_mm)
    for sub in block.blocks:
        _block(document, sub, level + 1, width_mm)
    if block.empty and not (block.facts or block.paragraphs or block.tables or block.blocks):
        document.add_paragraph(block.empty).runs[0].italic = True


def render(doc: Document) -> bytes:
    """DOCX bytes of the document."""
    library = _library()
    document = library.Document()
    _setup(document, doc)
    width_mm = 210 - 32
    document.add_heading(doc.title, level=0)
    document.add_paragraph(doc.network_name).runs[0].bold = True
    document.add_paragraph(doc.state_line)
    _facts(document, doc.facts, width_mm)
    for block in doc.blocks:
        _block(document, block, 1, width_mm)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
