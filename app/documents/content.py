"""What a document of a plan, a report or a committee's aggregate says: one builder of the wording, which the
PDF (Jinja + WeasyPrint) and the DOCX (python-docx) renderers both lay out.

The inputs are the plain dicts of app.domain.networks (`plan_document`, `report_document`,
`aggregate_document`); every text here is Norwegian bokmål, ready to print.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from app.models.types import as_utc
from app.web.labels import (
    GAP_STATUSES,
    MEASURE_STATUSES,
    MEETING_KINDS,
    NETWORK_KINDS,
    PLAN_STATUSES,
    REPORT_STATUSES,
)

OSLO = ZoneInfo("Europe/Oslo")
NOTHING = "–"


class Kind(StrEnum):
    plan = "plan"
    report = "report"
    aggregate = "aggregate"


@dataclass(frozen=True)
class Table:
    """A full-width table: its caption, column headings, rows of cell texts, and relative column widths."""

    caption: str
    columns: list[str]
    rows: list[list[str]]
    widths: list[int]
    empty: str = "Ingen."
    # Column (index) whose cell may hold a second, smaller line (e.g. a measure's note): {row: text}.
    notes: dict[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Block:
    """One heading and what follows it: paragraphs (each a list of lines), facts, tables, sub-blocks."""

    title: str
    paragraphs: list[list[str]] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    blocks: list["Block"] = field(default_factory=list)
    empty: str = ""


@dataclass(frozen=True)
class Document:
    kind: Kind
    title: str  # "Handlingsplan 2027"
    network_name: str
    year: int
    revision: int | None
    status: str  # Norwegian, e.g. "Utkast"
    state_line: str  # revision and status: "Revisjon 2 · Utkast"
    filename_stem: str  # "handlingsplan-lungenettverket-2027-rev2"
    subject: str
    facts: list[tuple[str, str]]
    blocks: list[Block]
    made_on: str

    @property
    def running(self) -> str:
        """The line on top of every page: network, title (with the year), revision and status."""
        return f"{self.network_name} · {self.title} · {self.state_line}"

    @property
    def pdf_title(self) -> str:
        return f"{self.title} – {self.network_name}"


# --- small formatters --------------------------------------------------------------------------------------


def day(value: date | datetime | str | None) -> str:
    """dd.mm.yyyy (a timestamp: its day in Norwegian time); '–' for nothing."""
    if not value:
        return NOTHING
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        value = as_utc(value).astimezone(OSLO).date()
    return value.strftime("%d.%m.%Y")


def text_or_dash(value: Any) -> str:
    return str(value).strip() if value not in (None, "") and str(value).strip() else NOTHING


def paragraphs(text: str | None) -> list[list[str]]:
    """A free text as paragraphs (split at blank lines), each a list of its lines."""
    if not text or not text.strip():
        return []
    chunks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip())
    return [[line.rstrip() for line in chunk.strip("\n").split("\n")] for chunk in chunks if chunk.strip()]


def percent(share: Any) -> str:
    if not isinstance(share, int | float):
        return NOTHING
    return f"{share * 100:.1f} %".replace(".", ",")


def change(value: Any) -> str:
    if not isinstance(value, int | float):
        return NOTHING
    points = value * 100
    sign = "+" if points > 0 else "−" if points < 0 else "±"
    return f"{sign}{abs(points):.1f} prosentpoeng".replace(".", ",")


_ASCII = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def slug(name: str) -> str:
    """A file-name part: lowercase ASCII words joined by hyphens (æ→ae, ø→o, å→a)."""
    plain = unicodedata.normalize("NFKD", name.translate(_ASCII)).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", plain.lower())
    return "-".join(words)[:60].strip("-") or "nettverk"


def _label(labels: dict[str, str], code: Any) -> str:
    return labels.get(str(code), str(code)) if code not in (None, "") else NOTHING


def _network_facts(network: dict[str, Any]) -> list[tuple[str, str]]:
    facts = [
        ("Nettverk", network["name"]),
        ("Type", _label(NETWORK_KINDS, network["kind"])),
        ("Eier / sekretariat", text_or_dash(network.get("owner_name"))),
    ]
    if network.get("region"):
        facts.append(("Region", str(network["region"])))
    elif network.get("municipalities"):
        facts.append(("Kommuner", ", ".join(network["municipalities"])))
    return facts


def _made_on(today: date | None) -> str:
    return day(today or datetime.now(OSLO).date())


# --- the action plan ---------------------------------------------------------------------------------------


def plan_measures_table(measures: list[dict[str, Any]], caption: str) -> Table:
    rows = []
    notes = {}
    for number, m in enumerate(measures, start=1):
        when = day(m.get("due_on")) if m.get("due_on") else text_or_dash(m.get("time_frame"))
        if m.get("due_on") and m.get("time_frame"):
            when = f"{m['time_frame']} (frist {day(m['due_on'])})"
        origin = f"Behov {m['gap_id']}" if m.get("gap_id") else "Planens eget"
        rows.append(
            [
                str(number),
                str(m["what"]),
                text_or_dash(m.get("area")),
                text_or_dash(m.get("responsible_name")) + (f"\nKontakt: {m['contact']}" if m.get("contact") else ""),
                when,
                _label(MEASURE_STATUSES, m.get("status")),
                origin,
            ]
        )
        if m.get("note"):
            notes[number - 1] = str(m["note"])
    return Table(
        caption=caption,
        columns=["Nr.", "Tiltak", "Område", "Ansvarlig", "Tidsramme / frist", "Status", "Kilde"],
        rows=rows,
        widths=[5, 31, 14, 16, 13, 10, 11],
        empty="Planen har ingen tiltak ennå.",
        notes=notes,
    )


def plan(data: dict[str, Any], today: date | None = None) -> Document:
    network, p = data["network"], data["plan"]
    status = _label(PLAN_STATUSES, p["status"])
    year, revision = int(p["year"]), int(p["revision"])
    facts = [
        *_network_facts(network),
        ("Året planen gjelder", str(year)),
        ("Revisjon", str(revision)),
        ("Status", status),
        ("Frist", day(p.get("due_on"))),
    ]
    if p.get("submitted_at"):
        facts.append(("Sendt inn", day(p["submitted_at"])))
    if p.get("approved_at"):
        facts.append(("Godkjent", day(p["approved_at"]) + (f" av {p['approved_by']}" if p.get("approved_by") else "")))
    blocks = [
        Block(title=str(s["title"]), paragraphs=paragraphs(s.get("text")), empty="(Ikke skrevet ennå.)")
        for s in p["sections"]
    ]
    blocks.append(
        Block(
            title="Tiltak",
            tables=[plan_measures_table(p["measures"], f"Tiltak i handlingsplanen for {year}, revisjon {revision}")],
        )
    )
    title = str(data.get("title") or f"Handlingsplan {year}")
    return Document(
        kind=Kind.plan,
        title=title,
        network_name=network["name"],
        year=year,
        revision=revision,
        status=status,
        state_line=f"Revisjon {revision} · {status}",
        filename_stem=f"handlingsplan-{slug(network['name'])}-{year}-rev{revision}",
        subject=f"Handlingsplan for {network['name']} for {year}",
        facts=facts,
        blocks=blocks,
        made_on=_made_on(today),
    )


# --- the annual report -------------------------------------------------------------------------------------


def report_measures_table(measures: dict[str, Any], year: int) -> Table:
    rows = []
    for number, m in enumerate(measures.get("items", []), start=1):
        status = str(m.get("status_text") or _label(MEASURE_STATUSES, m.get("status")))
        if m.get("done_on"):
            status += f" {day(m['done_on'])}"
        rows.append(
            [
                str(number),
                str(m["what"]),
                text_or_dash(m.get("area")),
                text_or_dash(m.get("responsible_name")),
                day(m.get("due_on")),
                status.capitalize(),
                text_or_dash(m.get("reason")) if m.get("status") != "done" else NOTHING,
            ]
        )
    revision = measures.get("plan_revision")
    caption = f"Tiltak i handlingsplanen for {year}" + (f" (revisjon {revision})" if revision else "")
    return Table(
        caption=caption,
        columns=["Nr.", "Tiltak", "Område", "Ansvarlig", "Frist", "Status", "Begrunnelse når ikke fullført"],
        rows=rows,
        widths=[5, 28, 14, 15, 11, 10, 17],
        empty=f"Nettverket har ingen handlingsplan for {year}.",
    )


def _report_blocks(figures: dict[str, Any], year: int, text: str | None) -> list[Block]:
    meetings = Table(
        caption=f"Møter i {year}",
        columns=["Dato", "Type", "Tittel"],
        rows=[[day(m["held_on"]), _label(MEETING_KINDS, m["kind"]), str(m["title"])] for m in figures["meetings"]],
        widths=[15, 20, 65],
        empty=f"Ingen møter registrert i {year}.",
    )
    measures = figures["measures"]
    by_status = measures.get("by_status", {})
    gaps = figures["gaps"]
    counts = gaps["counts"]
    gap_rows = [
        [what, str(g["id"]), str(g["title"]), _label(GAP_STATUSES, g["status"])]
        for what, key in (("Registrert", "registered"), ("Løst", "resolved"), ("Åpent", "open"))
        for g in gaps[key]
    ]
    coverage_rows = [
        [
            str(c.get("title") or c["series"])
            + (f" (versjon {c['series_version']})" if c.get("series_version") else ""),
            str(c.get("municipalities", 0)),
            percent(c.get("share")),
            percent(c.get("previous_share")),
            change(c.get("change")),
        ]
        for c in figures.get("coverage", [])
    ]
    return [
        Block(title="Nettverkets rapport", paragraphs=paragraphs(text), empty="(Ingen fritekst skrevet.)"),
        Block(title="Møter", tables=[meetings]),
        Block(
            title="Tiltak",
            facts=[(_label(MEASURE_STATUSES, status), str(n)) for status, n in by_status.items()],
            tables=[report_measures_table(measures, year)],
        ),
        Block(
            title="Udekkede behov",
            facts=[
                (f"Registrert i {year}", str(counts["registered"])),
                (f"Løst i {year}", str(counts["resolved"])),
                ("Fortsatt åpne", str(counts["open"])),
            ],
            tables=[
                Table(
                    caption="Behovene",
                    columns=["Hva", "Nr.", "Behov", "Status"],
                    rows=gap_rows,
                    widths=[14, 8, 60, 18],
                    empty="Ingen udekkede behov registrert av nettverket.",
                )
            ],
        ),
        Block(
            title="Dekning av pasientforløpene nettverket følger",
            tables=[
                Table(
                    caption="Andel dekkede forløpssteg",
                    columns=["Forløp", "Kommuner", "Dekket", "I fjor", "Endring"],
                    rows=coverage_rows,
                    widths=[44, 12, 12, 12, 20],
                    empty="Nettverket følger ingen forløpsserier.",
                )
            ],
        ),
    ]


def report(data: dict[str, Any], today: date | None = None) -> Document:
    network, r = data["network"], data["report"]
    year = int(r["year"])
    status = _label(REPORT_STATUSES, r["status"])
    if r.get("id") is None:
        status += " (ikke lagret)"
    facts = [
        *_network_facts(network),
        ("Året rapporten gjelder", str(year)),
        ("Status", status),
        ("Frist", day(r.get("due_on"))),
    ]
    if r.get("submitted_at"):
        facts.append(("Sendt inn", day(r["submitted_at"])))
    title = str(data.get("title") or f"Årsrapport {year}")
    return Document(
        kind=Kind.report,
        title=title,
        network_name=network["name"],
        year=year,
        revision=None,
        status=status,
        state_line=status,
        filename_stem=f"arsrapport-{slug(network['name'])}-{year}",
        subject=f"Årsrapport for {network['name']} for {year}",
        facts=facts,
        blocks=_report_blocks(r["figures"], year, r.get("text")),
        made_on=_made_on(today),
    )


# --- the committee's aggregate -----------------------------------------------------------------------------


# A deadline's state after its date: nothing while it is simply ahead.
_STATE_AFTER = {"done": " (levert)", "soon": " (frist snart)", "overdue": " (forfalt)"}


def _status_cell(item: dict[str, Any], labels: dict[str, str]) -> str:
    status = _label(labels, item.get("status")) if item.get("status") else "Ikke påbegynt"
    revision = f", revisjon {item['revision']}" if item.get("revision") else ""
    return f"{status}{revision}\nFrist {day(item.get('due_on'))}{_STATE_AFTER.get(str(item.get('state')), '')}"


def aggregate(data: dict[str, Any], today: date | None = None) -> Document:
    network, agg = data["network"], data["aggregate"]
    year = int(agg["year"])
    totals = agg["combined"]["totals"]
    own = agg["aggregate"]
    status = f"{totals['reports_submitted']} av {totals['networks']} årsrapporter sendt inn"
    facts = [
        ("Samhandlingsutvalg", network["name"]),
        ("Året rapportene gjelder", str(year)),
        ("Frist for samlet rapport", day(own.get("due_on"))),
        ("Status", status + _STATE_AFTER.get(str(own.get("state")), "")),
    ]
    overview = Table(
        caption=f"Handlingsplaner for {year + 1} og årsrapporter for {year}",
        columns=["Nettverk", f"Handlingsplan {year + 1}", f"Årsrapport {year}"],
        rows=[
            [
                str(row["network_name"]),
                _status_cell(row["plan"], PLAN_STATUSES),
                _status_cell(row["report"], REPORT_STATUSES),
            ]
            for row in agg["networks"]
        ],
        widths=[40, 30, 30],
        empty="Ingen nettverk rapporterer til utvalget.",
    )
    total_facts = [
        ("Nettverk", str(totals["networks"])),
        (f"Årsrapporter for {year} sendt inn", str(totals["reports_submitted"])),
        (f"Handlingsplaner for {year + 1} sendt inn", str(totals["plans_submitted"])),
        (f"Møter i {year}", str(totals["meetings"])),
        *((f"Tiltak: {_label(MEASURE_STATUSES, s).lower()}", str(n)) for s, n in totals["measures"].items()),
        (f"Udekkede behov registrert i {year}", str(totals["gaps"]["registered"])),
        (f"Udekkede behov løst i {year}", str(totals["gaps"]["resolved"])),
        ("Udekkede behov fortsatt åpne", str(totals["gaps"]["open"])),
    ]
    per_network = []
    for item in agg["combined"]["reports"]:
        figures = item["figures"]
        counts = figures["gaps"]["counts"]
        per_network.append(
            Block(
                title=str(item["network_name"]),
                facts=[
                    ("Årsrapport", _label(REPORT_STATUSES, item.get("status"))),
                    (f"Møter i {year}", str(len(figures["meetings"]))),
                    (
                        "Udekkede behov",
                        f"{counts['registered']} registrert, {counts['resolved']} løst, {counts['open']} åpne",
                    ),
                ],
                paragraphs=paragraphs(item.get("text")),
                tables=[report_measures_table(figures["measures"], year)],
            )
        )
    title = str(data.get("title") or f"Samlet rapport {year}")
    return Document(
        kind=Kind.aggregate,
        title=title,
        network_name=network["name"],
        year=year,
        revision=None,
        status=status,
        state_line=status,
        filename_stem=f"samlet-rapport-{slug(network['name'])}-{year}",
        subject=f"Samlet rapport for {year} til {network['name']}",
        facts=facts,
        blocks=[
            Block(title="Status per nettverk", tables=[overview]),
            Block(title="Samlet", facts=total_facts),
            Block(title="Rapportene fra nettverkene", blocks=per_network, empty="Ingen nettverk rapporterer ennå."),
        ],
        made_on=_made_on(today),
    )


BUILDERS = {Kind.plan: plan, Kind.report: report, Kind.aggregate: aggregate}


def build(kind: Kind, data: dict[str, Any], today: date | None = None) -> Document:
    return BUILDERS[kind](data, today)
