"""Bulk imports of services and municipal surveys (CSV or XLSX), and their templates."""

from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Request, Response, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.api.openapi import problems
from app.api.responses import Json, page
from app.domain.imports import runner, templates
from app.http.deps import Reader, ReadSessionDep, SessionDep, Writer
from app.http.errors import problem
from app.models.imports import ImportBatchRead, ImportKind, ImportReport
from app.settings import get_settings

router = APIRouter(prefix="/imports", tags=["imports"])


class ImportBatchPage(BaseModel):
    items: list[ImportBatchRead]
    next_cursor: str | None


def _too_large(request: Request) -> Response:
    limit = get_settings().import_max_bytes // 1_000_000
    return problem(request, 413, "file-too-large", "File too large", f"The largest file accepted is {limit} MB")


@router.post(
    "",
    response_model=ImportReport,
    responses={
        201: {"model": ImportReport, "description": "Applied"},
        413: {"model": ImportReport, "description": "The file is over the size limit"},
        **problems(401, 403),
    },
)
async def create_import(
    request: Request,
    session: SessionDep,
    actor: Writer,
    file: Annotated[UploadFile, File(description="CSV (UTF-8 or Windows-1252, ; or ,) or XLSX")],
    kind: Annotated[ImportKind, Form()] = ImportKind.rehab_services,
    dry_run: Annotated[bool, Form(description="Check and report only; write nothing")] = False,
) -> Response:
    """Import a file: all rows or none. A dry run reports exactly what applying would do."""
    data = await file.read(get_settings().import_max_bytes + 1)  # the body's size is capped by the middleware
    if len(data) > get_settings().import_max_bytes:
        return _too_large(request)
    name = file.filename or "upload"  # cut and masked where it is kept (imports.batches.stored_file_name)
    try:
        # In a worker thread: a long file must not stop the event loop serving everyone else.
        report = await run_in_threadpool(runner.run_import, session, actor, data, name, kind, dry_run=dry_run)
    except runner.ImportFileError as exc:
        return problem(request, 422, "unreadable-file", "The file cannot be imported", exc.detail)
    body = report.as_dict()
    if report.row_errors:
        detail = f"{len(report.row_errors)} problem(s) in {report.rejected} row(s); nothing was written"
        return problem(request, 422, "rows-rejected", "Rows rejected", detail, **body)
    return Json(body, status_code=201 if report.applied else 200)


@router.get("", response_model=ImportBatchPage, responses=problems(401))
async def list_imports(session: ReadSessionDep, _reader: Reader) -> Json:
    """List applied import batches, newest first."""
    return page(runner.list_batches(session), None)


@router.get(
    "/templates/{kind}.{extension}",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}}},
        **problems(),
    },
)
async def get_import_template(
    kind: Annotated[ImportKind, Path()], extension: Annotated[Literal["csv", "xlsx"], Path()]
) -> Response:
    """Download a template: the headers, one example row and (XLSX) a sheet explaining each column."""
    filename = f"rehabkart-{kind.value}.{extension}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if extension == "csv":
        return Response(templates.template_csv(kind), media_type="text/csv; charset=utf-8", headers=disposition)
    return Response(
        templates.template_xlsx(kind),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=disposition,
    )
