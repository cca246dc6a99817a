"""The coverage pages: a template's heat map of municipalities × steps with its map, one municipality's
cells for a template, and a municipality's page (its coverage of every published template and its survey).

Every number comes from `app.domain.coverage`, the same functions the API answers with. A cell is a link to
the municipality's detail for the template; with htmx the detail opens in a panel beside the table instead.
"""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from app.domain import coverage, gaps, geography, profiles
from app.http.deps import PageActor, PageWriter, ReadSessionDep, SessionDep
from app.http.params import IdPath, MunicipalityPath
from app.web import labels
from app.web.coverage_map import MapArea, render_map, share_percent
from app.web.render import done, login_redirect, render, url_for

router = APIRouter(include_in_schema=False)
COUNTRY = "alle"
SortKey = Literal["name", "population", "share"]
SORT_LABELS = {"name": "kommunenavn", "population": "innbyggertall", "share": "andel dekket"}


def _sorted(rows: list[dict[str, Any]], key: SortKey, descending: bool) -> list[dict[str, Any]]:
    if key == "population":
        return sorted(rows, key=lambda r: (r["population"] or 0, r["name"]), reverse=descending)
    if key == "share":
        return sorted(rows, key=lambda r: (r["covered_steps"], r["partial_steps"], r["name"]), reverse=descending)
    return sorted(rows, key=lambda r: r["name"].casefold(), reverse=descending)


def _share_label(row: dict[str, Any], total: int) -> str:
    text = f"{row['name']}: {row['covered_steps']} av {total} steg dekket"
    if row["partial_steps"]:
        text += f", {row['partial_steps']} delvis"
    return text + (f" ({share_percent(row['covered_steps'] / total)} %)" if total else "")


@router.get("/pathways/{template_id}/coverage", response_class=HTMLResponse, name="pathway_coverage")
async def pathway_coverage(
    request: Request,
    session: ReadSessionDep,
    actor: PageActor,
    template_id: IdPath,
    region: Annotated[str | None, Query(pattern=r"^([A-Z]{2,4}|alle)$")] = None,
    sort: SortKey = "name",
    order: Literal["asc", "desc"] = "asc",
) -> Response:
    """The heat map: the template's steps for every municipality of a region (or the whole country)."""
    if region is None:
        region = coverage.owner_region(session, template_id) or COUNTRY
    grid = await run_in_threadpool(
        coverage.matrix, session, actor, template_id, region=None if region == COUNTRY else region
    )
    total = len(grid["steps"])
    rows = _sorted(grid["municipalities"], sort, order == "desc")
    areas = [
        MapArea(
            number=row["number"],
            label=_share_label(row, total),
            href=url_for(request, "coverage_cells", template_id=template_id, number=row["number"]),
            share=row["covered_steps"] / total if total else None,
        )
        for row in rows
    ]
    regions = coverage.region_codes(session)
    scope = dict(regions).get(region, "hele landet")
    context = {
        "actor": actor,
        "grid": grid,
        "rows": rows,
        "totals": dict(zip((s["key"] for s in grid["steps"]), grid["step_totals"], strict=True)),
        "regions": regions,
        "region": region,
        "scope": scope,
        "sort": sort,
        "order": order,
        "sort_labels": SORT_LABELS,
        "map": render_map(areas, caption=f"Andel av forløpets steg som er dekket i hver kommune, {scope}."),
        "labels": labels.ALL,
        # Cells with an open gap are marked, for readers who may see gaps.
        "registered": gaps.open_registrations(session, actor, grid["series"]),
    }
    return render(request, "coverage/matrix.html", context)


@router.get("/pathways/{template_id}/coverage/{number}", response_class=HTMLResponse, name="coverage_cells")
async def coverage_cells(
    request: Request,
    session: ReadSessionDep,
    actor: PageActor,
    template_id: IdPath,
    number: MunicipalityPath,
    step: Annotated[str, Query(max_length=60, pattern=r"^[a-z0-9-]*$")] = "",
) -> Response:
    """One municipality's steps of the template, each with its services or the reason it is missing."""
    answer = await run_in_threadpool(coverage.for_municipality, session, actor, template_id, number)
    registered = gaps.open_registrations(session, actor, answer["series"])
    context = {
        "actor": actor,
        "answer": answer,
        "municipality": geography.get_municipality(session, number),
        "labels": labels.ALL,
        "registered": {key: gap_id for (key, where), gap_id in registered.items() if where == number},
        "may_register": gaps.may_register(session, actor, number),
    }
    panel = request.headers.get("HX-Target") == "coverage-detail"
    context |= {"panel": panel, "step": step}
    return render(request, "coverage/cells.html", context, block="detail" if panel else "content")


@router.post("/pathways/{template_id}/coverage/{number}/gaps", response_model=None, name="coverage_register_gap")
def coverage_register_gap(
    request: Request,
    session: SessionDep,
    actor: PageWriter,
    template_id: IdPath,
    number: MunicipalityPath,
    step_key: Annotated[str, Form(max_length=60, pattern=r"^[a-z0-9-]+$")],
) -> Response:
    """ "Registrer som udekket behov": the missing step becomes a gap, and the user lands on it (or on the
    gap already open for it)."""
    if not actor.authenticated:
        return login_redirect(request)
    try:
        gap = gaps.register_from_coverage(session, actor, template_id, number, step_key)
    except gaps.AlreadyRegistered as exc:
        session.rollback()
        return done(request, f"/gaps/{exc.existing_id}")
    return done(request, f"/gaps/{gap['id']}")


@router.get("/municipalities/{number}", response_class=HTMLResponse, name="municipality_detail")
async def municipality_detail(
    request: Request, session: ReadSessionDep, actor: PageActor, number: MunicipalityPath
) -> Response:
    """A municipality: what its residents can get of every published pathway, and what it reported."""
    municipality = geography.get_municipality(session, number)
    overview = await run_in_threadpool(coverage.municipality_overview, session, number)
    context = {
        "actor": actor,
        "municipality": municipality,
        "overview": overview,
        "surveys": profiles.list_profiles(session, number),
        "regions": dict(coverage.region_codes(session)),
        "labels": labels.ALL,
    }
    return render(request, "coverage/municipality.html", context)
