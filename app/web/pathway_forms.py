"""The pathway pages' helpers: form data ↔ template and step values, domain errors → Norwegian messages per
field (and per step), the layout of the flow drawing, and version diffs as people read them."""

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData

from app.domain import taxonomy
from app.domain.errors import FieldError
from app.domain.merging import merge_untouched
from app.models.types import PERSONAL_DATA_MESSAGE
from app.web import labels

LANES = ("municipal", "specialist")  # top to bottom in the drawing

# --- the template's own fields ----------------------------------------------------------------------------

TEMPLATE_TEXT = ("series", "title", "description", "owner_id", "source_title", "source_url", "source_date")


def _int(raw: str) -> int | str | None:
    """A typed whole number (signed) as an int; anything else as typed, for the schema to say what is wrong
    (it takes only real ints, so "-1" must arrive as -1 to be told it is below 0); blank is None."""
    raw = raw.strip()
    if re.fullmatch(r"-?[0-9]{1,9}", raw):
        return int(raw)
    return raw or None


def template_values(form: FormData) -> dict[str, Any]:
    """The template form as typed (strings, and the ticked patient groups)."""
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in TEMPLATE_TEXT}
    values["patient_groups"] = [str(v) for v in form.getlist("patient_groups")]
    return values


def template_to_values(template: Mapping[str, Any]) -> dict[str, Any]:
    """A stored template as the form shows it."""
    source = template.get("source") or {}
    return {
        "series": template.get("series") or "",
        "title": template.get("title") or "",
        "description": template.get("description") or "",
        "owner_id": str(template.get("owner_id") or ""),
        "source_title": source.get("title") or "",
        "source_url": source.get("url") or "",
        "source_date": str(source.get("date") or ""),
        "patient_groups": list(template.get("patient_groups") or []),
    }


def template_changes(values: Mapping[str, Any]) -> dict[str, Any]:
    """The form's values as the domain takes them (a blank source is no source)."""
    title, url, day = (str(values[k]).strip() for k in ("source_title", "source_url", "source_date"))
    return {
        "title": values["title"],
        "description": str(values["description"]).strip() or None,
        "owner_id": _int(str(values["owner_id"])),
        "patient_groups": list(values["patient_groups"]),
        "source": {"title": title, "url": url or None, "date": day or None} if (title or url or day) else None,
    }


def kept_after_conflict(
    values: dict[str, Any], current: Mapping[str, Any], theirs: Mapping[str, list[Any]]
) -> dict[str, Any]:
    """What the form shows after someone else saved first: a field this user left as it was takes the other
    user's value; what they typed stays theirs."""
    old = template_to_values({**current, **{name: pair[0] for name, pair in theirs.items()}})
    return merge_untouched(values, old, template_to_values(current), skip={"series"})


# --- steps ------------------------------------------------------------------------------------------------

STEP_TEXT = (
    "key",
    "title",
    "description",
    "responsible_role",
    "start_day",
    "duration_days",
    "handover_to_level",
    "handover_note",
    "checklist_text",
)
STEP_LISTS = ("levels", "forms", "handover_items", "checklist_codes")


def empty_step_values() -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(STEP_TEXT, "")
    values.update({name: [] for name in STEP_LISTS})
    values["general_services_count"] = False
    return values


def step_values(form: FormData) -> dict[str, Any]:
    """The step form as typed."""
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in STEP_TEXT}
    values.update({name: [str(v) for v in form.getlist(name)] for name in STEP_LISTS})
    values["general_services_count"] = bool(form.get("general_services_count"))
    return values


def step_to_values(step: Mapping[str, Any]) -> dict[str, Any]:
    """A stored step as the form shows it."""
    handover = step.get("handover") or {}
    checklist = step.get("checklist") or []
    return {
        "key": step["key"],
        "title": step.get("title") or "",
        "description": step.get("description") or "",
        "levels": list(step.get("levels") or []),
        "forms": list(step.get("forms") or []),
        "responsible_role": step.get("responsible_role") or "",
        "general_services_count": bool(step.get("general_services_count")),
        "start_day": "" if step.get("start_day") is None else str(step["start_day"]),
        "duration_days": "" if step.get("duration_days") is None else str(step["duration_days"]),
        "handover_to_level": handover.get("to_level") or "",
        "handover_items": list(handover.get("items") or []),
        "handover_note": handover.get("note") or "",
        "checklist_codes": [item["code"] for item in checklist if item.get("code")],
        "checklist_text": "\n".join(item["text"] for item in checklist if not item.get("code") and item.get("text")),
    }


_FOLD = str.maketrans({"æ": "ae", "ø": "o", "å": "a", "Æ": "ae", "Ø": "o", "Å": "a"})


def slug(text: str, taken: Iterable[str] = ()) -> str:
    """A step key made from a title ("Utredning på sykehus" → "utredning-pa-sykehus"), unique among `taken`."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:55].strip("-") or "steg"
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def values_to_step(
    values: Mapping[str, Any], taken: Iterable[str], original: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The step form as the domain takes it. A blank key is made from the title; coded checklist items that
    were there before keep their place (and any text the API gave them)."""
    to_level, items, note = values["handover_to_level"], values["handover_items"], values["handover_note"].strip()
    handover = None
    if to_level or items or note:
        handover = {"to_level": to_level or None, "items": items, "note": note or None}
    before = [item for item in (original or {}).get("checklist", []) if item.get("code")]
    codes = list(values["checklist_codes"])
    checklist: list[dict[str, Any]] = [item for item in before if item["code"] in codes]
    checklist += [{"code": code} for code in codes if code not in {item["code"] for item in before}]
    checklist += [{"text": line.strip()} for line in values["checklist_text"].splitlines() if line.strip()]
    return {
        "key": values["key"].strip() or slug(values["title"], taken),
        "title": values["title"],
        "description": values["description"].strip() or None,
        "levels": list(values["levels"]),
        "forms": list(values["forms"]),
        "responsible_role": values["responsible_role"] or None,
        "general_services_count": bool(values["general_services_count"]),
        "start_day": _int(values["start_day"]),
        "duration_days": _int(values["duration_days"]),
        "handover": handover,
        "checklist": checklist,
    }


# --- errors → Norwegian messages, per field and per step --------------------------------------------------

_KEY_FORMAT = "Bruk små bokstaver (a–z), tall og bindestrek, for eksempel «utredning»."
_MESSAGES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), m)
    for p, m in (
        (r"^(Field required|may not be null|String should have at least 1 character)", "Må fylles ut."),
        (r"^String should have at most (\d+) character", "Teksten er for lang (maks {0} tegn)."),
        (r"^List should have at least 1 item", "Velg minst én."),
        (r"^List should have at most", "For mange valg."),
        (r"^Input should be a valid integer", "Må være et helt tall."),
        (r"^Input should be greater than or equal to (\d+)", "Må være minst {0}."),
        (r"^Input should be less than or equal to (\d+)", "Kan ikke være mer enn {0}."),
        (r"^String should match pattern", "Har feil format."),
        (r"^Input should be a (valid )?date|^Input should be a date", "Skriv en gyldig dato."),
        (r"must be between 1900-01-01 and 2200-12-31", "Datoen må være mellom 1900 og 2200."),
        (r"single line", "Må stå på én linje."),
        (r"control characters", "Inneholder tegn som ikke er tillatt."),
        (re.escape(PERSONAL_DATA_MESSAGE), PERSONAL_DATA_MESSAGE),
        (r"^Input should be '", "Velg et av alternativene."),
        (r"a checklist item needs a code or a text", "Et punkt i sjekklisten mangler tekst."),
        (r"^'(.+)' is already the key of step (\d+)$", "Nøkkelen «{0}» brukes allerede av steg {1}."),
        (r"^no organisation", "Ukjent organisasjon."),
        (r"^unknown patient group", "Ukjent pasientgruppe."),
        (r"^add at least one step", "Legg til minst ett steg før du publiserer."),
        (r"^Input should be a valid (string|list|boolean)", "Ugyldig verdi."),
    )
]
_BY_FIELD: dict[str, dict[str, str]] = {
    "key": {"Har feil format.": _KEY_FORMAT},
    "series": {"Har feil format.": _KEY_FORMAT},
    "source_url": {"Har feil format.": "Skriv en nettadresse som begynner med https:// eller http://."},
    "levels": {"Velg minst én.": "Velg kommune, spesialisthelsetjenesten eller begge."},
    "responsible_role": {"Velg et av alternativene.": "Velg hvem som har ansvaret."},
    "handover_to_level": {"Velg et av alternativene.": "Velg hvem steget overleveres til."},
}


def norwegian(name: str, message: str) -> str:
    """A domain or schema message (English) as a Norwegian sentence for the field `name`."""
    text = message.removeprefix("Value error, ")
    for pattern, template in _MESSAGES:
        match = pattern.search(text)
        if match:
            groups = list(match.groups())
            if template.startswith("Nøkkelen"):
                groups[1] = str(int(groups[1]) + 1)  # the domain counts steps from 0
            said = template.format(*groups)
            break
    else:
        said = "Ugyldig verdi."
    if name == "owner_id" and said != "Ukjent organisasjon.":
        return "Velg eier."
    return _BY_FIELD.get(name, {}).get(said, said)


def _template_field(loc: Sequence[str | int]) -> str:
    if not loc:
        return "__all__"
    if loc[0] == "source":
        return f"source_{loc[1]}" if len(loc) > 1 and loc[1] in ("title", "url", "date") else "source_title"
    return str(loc[0])


def _step_field(loc: Sequence[str | int]) -> str:
    if not loc:
        return "title"
    head = str(loc[0])
    if head == "handover":
        part = str(loc[1]) if len(loc) > 1 else "to_level"
        return f"handover_{part}" if part in ("to_level", "items", "note") else "handover_to_level"
    if head == "checklist":
        return "checklist_text"
    return head


@dataclass
class Problems:
    """Errors sorted by where the pages show them."""

    fields: dict[str, str] = field(default_factory=dict)  # the template's own fields (and "steps")
    step: dict[str, str] = field(default_factory=dict)  # the step being edited or added
    other_steps: list[str] = field(default_factory=list)  # "Steg 2: Tittel: Må fylles ut."


def sort_errors(errors: Sequence[FieldError], step_index: int | None = None) -> Problems:
    """Domain errors (locs like ("body", "steps", 2, "key")) by form field; `step_index` is the step on screen."""
    problems = Problems()
    for err in errors:
        loc = list(err.loc[1:] if err.loc and err.loc[0] == "body" else err.loc)
        if loc and loc[0] == "steps" and len(loc) > 1 and isinstance(loc[1], int):
            name = _step_field(loc[2:])
            message = norwegian(name, err.message)
            if loc[1] == step_index:
                problems.step.setdefault(name, message)
            else:
                label = labels.STEP_FIELDS.get(name, name)
                problems.other_steps.append(f"Steg {loc[1] + 1}: {label}: {message}")
        else:
            name = _template_field(loc)
            problems.fields.setdefault(name, norwegian(name, err.message))
    return problems


# --- reading: names, timing, the drawing ------------------------------------------------------------------


def group_options(session: Session) -> list[tuple[str, str, bool]]:
    """Patient groups as (code, Norwegian name, is a sub-group), each top group followed by its sub-groups."""
    tax = taxonomy.get_taxonomy(session)
    options: list[tuple[str, str, bool]] = []
    for group in tax.groups:
        if group.parent_id is None:
            options.append((group.code, group.name_nb, False))
            options += [(tax.by_id[c].code, tax.by_id[c].name_nb, True) for c in tax.children.get(group.id or 0, [])]
    return options


def timing(step: Mapping[str, Any]) -> str:
    """ "Dag 14, varighet 21 dager" (what is known of it)."""
    parts = []
    if step.get("start_day") is not None:
        parts.append(f"dag {step['start_day']}")
    if step.get("duration_days") is not None:
        n = step["duration_days"]
        parts.append(f"varighet {n} dag" if n == 1 else f"varighet {n} dager")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def lanes_text(levels: Sequence[str]) -> str:
    names = [labels.LANES[level] for level in LANES if level in levels]
    return " og ".join(names).capitalize() if len(names) > 1 else "".join(names)


def checklist_texts(step: Mapping[str, Any]) -> list[str]:
    out = []
    for item in step.get("checklist") or []:
        text = labels.CHECKLIST.get(item.get("code") or "", "") if item.get("code") else ""
        if item.get("text"):
            text = f"{text}: {item['text']}" if text else item["text"]
        out.append(text)
    return out


def handover_text(handover: Mapping[str, Any] | None) -> str:
    """ "Til kommune: epikrise, individuell plan. Merknad" """
    if not handover:
        return "Ingen"
    text = f"Til {labels.LANES[handover['to_level']].lower()}"
    items = [labels.HANDOVER_ITEMS.get(i, i) for i in handover.get("items") or []]
    if items:
        text += ": " + ", ".join(items)
    if handover.get("note"):
        text += f" ({handover['note']})"
    return text


@dataclass(frozen=True)
class FlowCell:
    """One column of the drawing: a step box, the arrow to the next step, or where the pathway goes after."""

    kind: str  # "step", "arrow" or "end"
    place: str = ""  # a step's lanes or the end's lane: "municipal", "specialist", "both"
    step: Mapping[str, Any] | None = None
    number: int = 0
    direction: str = ""  # an arrow: "municipal", "specialist", "mid" (straight in that lane), "down", "up"
    items: tuple[str, ...] = ()
    note: str = ""
    handover_to: str = ""


_VOWELS = frozenset("aeiouyæøåéèêóòôàüAEIOUYÆØÅÉÈÊÓÒÔÀÜ")


def _syllables(word: str) -> str:
    """Soft hyphens between the syllables of a long word, by a rough Norwegian rule: a run of consonants between
    two vowels goes with the next syllable by its last consonant (or its last two before a j: "helse-tjenesten")."""
    cuts = []
    k = 1
    while k < len(word):
        if word[k] in _VOWELS or word[k - 1] not in _VOWELS:
            k += 1
            continue
        end = k
        while end < len(word) and word[end] not in _VOWELS:
            end += 1
        if end < len(word):
            cut = end - 1
            if word[cut] in "jJ" and cut - 1 >= k:
                cut -= 1
            if 2 <= cut <= len(word) - 3:
                cuts.append(cut)
        k = end
    return "\u00ad".join(word[a:b] for a, b in zip([0, *cuts], [*cuts, len(word)], strict=True))


def hyphenate(text: str) -> str:
    """`text` with soft hyphens in its long words, for the drawing's narrow boxes (browsers rarely hyphenate
    Norwegian themselves); the text list under the drawing has the words whole."""
    return re.sub(r"[^\W\d_]{10,}", lambda m: _syllables(m.group()), text)


def _shortened(text: str, limit: int = 80) -> str:
    """A long note cut at a word for the drawing (the list under it has the whole note)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0].rstrip(",.;:") + " …"


def _place(levels: Sequence[str]) -> str:
    return levels[0] if len(levels) == 1 else "both"


def _arrow(step: Mapping[str, Any], following: Sequence[str] | None) -> FlowCell | None:
    handover = step.get("handover") or None
    to = handover["to_level"] if handover else None
    targets = list(following) if following is not None else ([to] if to else [])
    if not targets:
        return None
    source = step["levels"][0] if len(step["levels"]) == 1 else None
    target = to if to in targets else (targets[0] if len(targets) == 1 else None)
    source = source or target
    target = target or source
    if source is None or source == target:
        direction = source or "mid"
    else:
        direction = "down" if LANES.index(source) < LANES.index(str(target)) else "up"
    return FlowCell(
        kind="arrow",
        direction=direction,
        items=tuple(hyphenate(labels.HANDOVER_ITEMS.get(i, i)) for i in (handover or {}).get("items") or []),
        note=hyphenate(_shortened((handover or {}).get("note") or "")),
        handover_to=labels.LANES[to] if to else "",
    )


def flow(steps: Sequence[Mapping[str, Any]]) -> list[FlowCell]:
    """The columns of the drawing, left to right: step, arrow, step, …; a last step that hands over ends in
    an arrow to where the patient goes next."""
    cells: list[FlowCell] = []
    for index, step in enumerate(steps):
        cells.append(FlowCell(kind="step", place=_place(step["levels"]), step=step, number=index + 1))
        following = steps[index + 1]["levels"] if index + 1 < len(steps) else None
        arrow = _arrow(step, following)
        if arrow is not None:
            cells.append(arrow)
            if following is None:
                handover = step.get("handover") or {}
                cells.append(FlowCell(kind="end", place=handover["to_level"], handover_to=arrow.handover_to))
    return cells


# --- comparing versions -----------------------------------------------------------------------------------


def template_value(name: str, value: Any, groups: Mapping[str, str], owners: Mapping[int, str]) -> str:
    """A template field's value as people read it."""
    if value is None or value == [] or value == "":
        return "–"
    if name == "patient_groups":
        return ", ".join(groups.get(code, code) for code in value)
    if name == "owner_id":
        return owners.get(int(value), str(value))
    if name == "source":
        text = str(value.get("title") or "")
        extra = [str(value["url"])] if value.get("url") else []
        if value.get("date"):
            day = str(value["date"])
            extra.append(f"{day[8:10]}.{day[5:7]}.{day[0:4]}" if len(day) == 10 else day)
        return f"{text} ({', '.join(extra)})" if extra else text
    if name == "status":
        return labels.PATHWAY_STATUSES.get(str(value), str(value))
    return str(value)


def step_value(name: str, value: Any) -> str:
    """A step field's value as people read it."""
    if name == "handover":
        return handover_text(value)
    if value is None or value == [] or value == "":
        return "–"
    if name == "levels":
        return lanes_text(value)
    if name == "forms":
        return ", ".join(labels.FORMS.get(f, f) for f in value)
    if name == "responsible_role":
        return labels.RESPONSIBLE_ROLES.get(str(value), str(value))
    if name == "general_services_count":
        return "ja" if value else "nei"
    if name == "checklist":
        return "; ".join(checklist_texts({"checklist": value}))
    if name == "position":
        return f"plass {value}"
    return str(value)


def diff_view(
    diff: Mapping[str, Any],
    before: Mapping[str, Any],
    after: Mapping[str, Any],
    groups: Mapping[str, str],
    owners: Mapping[int, str],
) -> dict[str, Any]:
    """`pathways.compare`'s answer with labels and readable values."""
    titles = {s["key"]: s["title"] for s in before["steps"]} | {s["key"]: s["title"] for s in after["steps"]}
    return {
        "fields": [
            (
                labels.PATHWAY_FIELDS.get(c["field"], c["field"]),
                template_value(c["field"], c["before"], groups, owners),
                template_value(c["field"], c["after"], groups, owners),
            )
            for c in diff["fields"]
        ],
        "steps": [
            {
                "key": s["key"],
                "title": titles.get(s["key"], s["key"]),
                "change": s["change"],
                "label": labels.STEP_CHANGES.get(s["change"], s["change"]),
                "rows": [
                    (
                        labels.STEP_FIELDS.get(c["field"], c["field"]),
                        step_value(c["field"], c["before"]),
                        step_value(c["field"], c["after"]),
                    )
                    for c in s["fields"]
                ],
            }
            for s in diff["steps"]
        ],
    }


def steps_summary(diff_steps: Sequence[Mapping[str, Any]], titles: Mapping[str, str]) -> str:
    """ "Lagt til «Oppfølging»; flyttet «Utredning»" for the conflict message."""
    parts = [
        f"{labels.STEP_CHANGES.get(s['change'], s['change']).lower()} «{titles.get(s['key'], s['key'])}»"
        for s in diff_steps
    ]
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] if text else "–"
