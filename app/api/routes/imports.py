"""Bulk imports of services and municipal surveys (CSV or XLSX), and their templates."""

import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Form, Path, Query, Request, Response, UploadFile
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from app.api.openapi import problems, with_etag
from app.api.responses import Json, page, resource
from app.domain.imports import profiles, runner, templates
from app.http.deps import Reader, ReadSessionDep, SessionDep, Writer
from app.http.errors import problem
from app.http.params import IdPath, IfMatch
from app.models.imports import (
    MAX_MAPPED_COLUMNS,
    ImportBatchRead,
    ImportKind,
    ImportProfileCreate,
    ImportProfileRead,
    ImportProfileUpdate,
    ImportReport,
)
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
    sheet: Annotated[
        str | None,
        Form(
            max_length=200,
            description="Read only the workbook's sheet of this name. By default: the sheet named `Tilbud`, "
            "else the first sheet whose header row has the service columns",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        Form(
            max_length=200,
            description="An import profile (its id, or its name among your organisations' profiles, see "
            "`/api/v1/imports/profiles`) saying which column is which field",
        ),
    ] = None,
    mapping: Annotated[
        str | None,
        Form(
            max_length=50_000,
            description='A column mapping as JSON, `{"the file\'s header": "field code" or "ignore"}`, '
            "applied on top of the profile's",
            examples=['{"Tilbudets navn": "name", "Merknad": "ignore"}'],
        ),
    ] = None,
) -> Response:
    """Import a file: all rows or none. A dry run reports exactly what applying would do.
    \f
    The header row may be below title rows (it is the first of the first 20 rows with known headers, or the
    mapping's); row numbers are those the spreadsheet shows."""
    data = await file.read(get_settings().import_max_bytes + 1)  # the body's size is capped by the middleware
    if len(data) > get_settings().import_max_bytes:
        return _too_large(request)
    columns = _mapping(mapping)
    if isinstance(columns, str):
        return problem(request, 422, "invalid-mapping", "Ugyldig kolonnetilordning", columns)
    name = file.filename or "upload"  # cut and masked where it is kept (imports.batches.stored_file_name)
    try:
        # In a worker thread: a long file must not stop the event loop serving everyone else.
        report = await run_in_threadpool(
            runner.run_import,
            session,
            actor,
            data,
            name,
            kind,
            dry_run=dry_run,
            sheet=sheet,
            profile=profile,
            mapping=columns,
        )
    except runner.ImportFileError as exc:
        return problem(request, 422, "unreadable-file", "The file cannot be imported", exc.detail, code=exc.code)
    body = report.as_dict()
    if report.row_errors:
        return problem(request, 422, "rows-rejected", "Rows rejected", body["summary"]["text"], **body)
    return Json(body, status_code=201 if report.applied else 200)


def _mapping(value: str | None) -> dict[str, str] | str | None:
    """The `mapping` form field as a dict, or (a str) why it is not one."""
    if value is None or not value.strip():
        return None
    try:
        parsed = json.loads(value)
    except ValueError:
        return 'mapping må være et JSON-objekt, for eksempel {"Tilbudets navn": "name"}'
    if not isinstance(parsed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()):
        return 'mapping må være et JSON-objekt med tekst som verdier: {"overskrift": "felt" eller "ignore"}'
    if len(parsed) > MAX_MAPPED_COLUMNS:
        return f"mapping kan ha høyst {MAX_MAPPED_COLUMNS} kolonner"
    return parsed


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


# --- import profiles: an organisation's saved column mappings -----------------------------------------------


class ImportProfilePage(BaseModel):
    items: list[ImportProfileRead]
    next_cursor: str | None


def _profile(body: dict[str, Any], status_code: int = 200) -> Json:
    return resource(body, created_at=f"/api/v1/imports/profiles/{body['id']}" if status_code == 201 else None)


@router.get("/profiles", response_model=ImportProfilePage, responses=problems(401))
async def list_import_profiles(
    session: ReadSessionDep,
    actor: Reader,
    kind: Annotated[ImportKind | None, Query()] = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Json:
    """List the import profiles of your organisations (administrators: of every organisation)."""
    return page(profiles.list_profiles(session, actor, kind=kind, organisation_id=organisation_id), None)


@router.get("/profiles/{profile_id}", response_model=ImportProfileRead, responses={**with_etag(), **problems(401, 404)})
async def get_import_profile(session: ReadSessionDep, actor: Reader, profile_id: IdPath) -> Json:
    """Get one import profile of your organisations."""
    return _profile(profiles.get_profile(session, actor, profile_id))


@router.post(
    "/profiles",
    response_model=ImportProfileRead,
    status_code=201,
    responses={**with_etag(201, "Created"), **problems(401, 403, 409)},
)
def create_import_profile(session: SessionDep, actor: Writer, body: ImportProfileCreate) -> Json:
    """Save a column mapping as a named profile of an organisation (its editors and administrators)."""
    return _profile(profiles.create_profile(session, actor, body), 201)


@router.patch(
    "/profiles/{profile_id}",
    response_model=ImportProfileRead,
    responses={**with_etag(), **problems(401, 403, 404, 409, 412, 428)},
)
def update_import_profile(
    session: SessionDep, actor: Writer, profile_id: IdPath, body: ImportProfileUpdate, if_match: IfMatch = None
) -> Json:
    """Rename a profile or replace its mapping; send If-Match with its ETag."""
    return _profile(profiles.update_profile(session, actor, profile_id, body, if_match))


@router.delete("/profiles/{profile_id}", status_code=204, responses=problems(401, 403, 404, 412, 428))
def delete_import_profile(session: SessionDep, actor: Writer, profile_id: IdPath, if_match: IfMatch = None) -> Response:
    """Delete a profile; send If-Match with its ETag."""
    profiles.delete_profile(session, actor, profile_id, if_match)
    return Response(status_code=204)
