"""The board of gap registrations: a column per status, a card per gap, filtered like the list (/gaps).

A card moves with a small form on the card (a "Flytt til" menu with the statuses the workflow allows from
where the gap is, a reason field, the version it was shown at, and a "Flytt" button), so the board works
with the keyboard, with a screen reader and without JavaScript. board.js adds drag and drop (Sortable.js):
a card dropped in another column submits that same form through htmx. The rules are the domain's
(`gaps.transition`); a refused move shows the board again with the reason on the card.

Only people who may write a gap get its form (and may drag it); everyone else who may read gaps sees the board
read-only. Sortable.js is loaded on this page alone, so only this page's Content-Security-Policy allows it.
"""

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlmodel import Session

from app.domain import coverage, gaps
from app.domain.actor import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, PreconditionRequired, StaleVersion
from app.domain.gaps import access
from app.http.deps import PageActor, PageWriter, ReadSessionDep, SessionDep
from app.http.params import IdPath
from app.http.security_headers import content_security_policy
from app.kit.personal_data import mask
from app.models.gap import GapStatus, GapTransition
from app.settings import get_settings
from app.web import gap_forms, labels
from app.web.forms import field_messages, if_match
from app.web.pathway_forms import group_options
from app.web.render import login_redirect, render

router = APIRouter(include_in_schema=False)
BOARD = "/gaps/board"
BOARD_FILTERS = ("patient_group", "region", "owner", "category", "severity", "q")
_BATCH = 500  # gaps read per call; the board reads them all
_STALE = (
    "Noen andre har endret dette behovet mens du så på tavla. Tavla viser nå det som er lagret – se over og prøv igjen."
)
_NOT_YOURS = "Du kan ikke flytte dette behovet: bare eierens redaktører og administratorer kan endre det."
_REASON_LABEL = "Begrunnelse (påkrevd ved avvisning og gjenåpning)"


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _chosen(request: Request) -> tuple[gaps.GapFilter, dict[str, Any], list[str]]:
    """The list's filters from the address, without the status (the columns are the statuses)."""
    flt, chosen, problems = gap_forms.parse_filter(request.query_params)
    kept = {name: chosen.get(name, "") for name in BOARD_FILTERS}
    board_filter = gaps.GapFilter(
        category=flt.category,
        severity=flt.severity,
        patient_group=flt.patient_group,
        region=flt.region,
        owner=flt.owner,
        q=flt.q,
    )
    return board_filter, kept, [p for p in problems if p != "Ukjent status."]


def _query(chosen: dict[str, Any]) -> str:
    return urlencode([(name, chosen[name]) for name in BOARD_FILTERS if chosen.get(name)])


def _all_gaps(session: Session, actor: Actor, flt: gaps.GapFilter) -> list[dict[str, Any]]:
    items, cursor = gaps.list_gaps(session, actor, flt, limit=_BATCH)
    while cursor:
        more, cursor = gaps.list_gaps(session, actor, flt, limit=_BATCH, cursor=cursor)
        items += more
    return items


def _card(session: Session, actor: Actor, gap: dict[str, Any]) -> dict[str, Any]:
    """A gap as its card shows it: where it may go, and whether this person may move it."""
    source = GapStatus(gap["status"])
    writable = actor.can_write and access.may_write(session, actor, gap["owner_id"], gap["municipalities"])
    targets = [s for s in GapStatus if s in gaps.ALLOWED[source]]
    return {
        **gap,
        "writable": writable,
        "targets": [(s.value, gaps.STATUS_LABELS[s].capitalize(), gaps.needs_reason(source, s)) for s in targets],
    }


def _board(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status_code: int = 200,
    errors: dict[int, str] | None = None,
    typed: dict[int, dict[str, str]] | None = None,
    message: str = "",
    focus: str = "",
) -> HTMLResponse:
    """The board (on htmx: just its region, the status message out of band), with this page's own CSP."""
    flt, chosen, problems = _chosen(request)
    try:
        items = _all_gaps(session, actor, flt)
    except InvalidInput:  # a patient group or region that does not exist
        items = []
        problems = [*problems, "Ukjent pasientgruppe eller region."]
    cards = [_card(session, actor, gap) for gap in items]
    columns = [
        {
            "status": s.value,
            "label": gaps.STATUS_LABELS[s].capitalize(),
            "cards": [c for c in cards if c["status"] == s],
        }
        for s in GapStatus
    ]
    groups = group_options(session)
    context = {
        "actor": actor,
        "columns": columns,
        "total": len(cards),
        "writable": any(c["writable"] for c in cards),
        "chosen": chosen,
        "query": _query(chosen),
        "problems": problems,
        "groups": groups,
        "group_names": {code: name for code, name, _ in groups},
        "regions": _regions(session),
        "owners": [] if _htmx(request) else _owners(session, actor),  # the filters are not part of the board region
        "categories": labels.GAP_CATEGORIES,
        "severities": labels.GAP_SEVERITIES,
        "errors": errors or {},
        "typed": typed or {},
        "message": message,
        "focus": focus,
        "oob": _htmx(request),
        "reason_label": _REASON_LABEL,
    }
    response = render(request, "gaps/board.html", context, status_code, block="board")
    settings = get_settings()
    response.headers["Content-Security-Policy"] = content_security_policy(
        [settings.htmx_url, settings.sortable_url],
        [settings.designsystemet_css_url, settings.designsystemet_theme_url],
    )
    return response


def _regions(session: Session) -> list[tuple[str, str]]:
    return list(coverage.region_codes(session))


def _owners(session: Session, actor: Actor) -> list[tuple[int, str]]:
    """The organisations that own a gap, for the owner filter."""
    owners = {g["owner_id"]: g["owner_name"] for g in _all_gaps(session, actor, gaps.GapFilter())}
    return sorted(owners.items(), key=lambda kv: kv[1].casefold())


@router.get("/gaps/board", response_class=HTMLResponse, name="gap_board")
async def gap_board(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not access.may_read(actor):
        return login_redirect(request)
    return _board(request, session, actor)


@router.post("/gaps/board/{gap_id}/move", response_model=None, name="gap_board_move")
async def gap_board_move(request: Request, session: SessionDep, actor: PageWriter, gap_id: IdPath) -> Response:
    """Move a card: 303 back to its place on the board, or (htmx) the board again with the focus on it."""
    if not actor.authenticated:
        if _htmx(request):
            return Response(status_code=200, headers={"HX-Refresh": "true"})
        return login_redirect(request)
    form = await request.form()
    to, reason = str(form.get("to", "")), str(form.get("reason", ""))
    typed = {gap_id: {"to": to, "reason": mask(reason)}}
    try:
        move = GapTransition.model_validate({"to": to, "reason": reason.strip() or None})
        moved = gaps.transition(session, actor, gap_id, move.to, move.reason, if_match(str(form.get("version", ""))))
    except ValidationError as exc:
        messages = field_messages(exc)
        if "to" in messages:
            return _refused(request, session, actor, gap_id, 422, "Velg hvor behovet skal flyttes.", typed, "to")
        return _refused(request, session, actor, gap_id, 422, messages.get("reason", "Ugyldig verdi."), typed, "reason")
    except InvalidInput as exc:
        return _refused(request, session, actor, gap_id, 422, exc.detail, typed, "reason")
    except Conflict as exc:
        return _refused(request, session, actor, gap_id, 409, exc.detail, typed, "to")
    except (StaleVersion, PreconditionRequired):
        return _refused(request, session, actor, gap_id, 412, _STALE, {}, "to")
    except Forbidden:
        return _refused(request, session, actor, gap_id, 403, _NOT_YOURS, {}, "")
    if _htmx(request):
        message = f"«{moved['title']}» er flyttet til «{gaps.STATUS_LABELS[move.to]}»."
        return _board(request, session, actor, message=message, focus=f"move-{gap_id}")
    _, chosen, _ = _chosen(request)
    query = _query(chosen)
    return RedirectResponse(f"{BOARD}{'?' + query if query else ''}#gap-{gap_id}", status_code=303)


def _refused(
    request: Request,
    session: Session,
    actor: Actor,
    gap_id: int,
    status: int,
    message: str,
    typed: dict[int, dict[str, str]],
    field: str,
) -> HTMLResponse:
    """The board as it is now, the reason on the card (masked: it may quote what was typed)."""
    session.rollback()
    focus = f"move-{field}-{gap_id}" if field else ""
    return _board(request, session, actor, status_code=status, errors={gap_id: mask(message)}, typed=typed, focus=focus)
