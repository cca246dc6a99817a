"""The bulk import page: upload → dry-run preview with every problem on its row and column → confirm.

The upload is read (with a size cap) before the request's write transaction begins, so a slow upload
never holds the write lock. A clean dry run keeps the file server-side as a pending upload; the confirm
form carries only its opaque token, and confirming runs the import again, for real, on those bytes.
"""

from dataclasses import dataclass, replace
from gettext import gettext as _
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile
from starlette.types import Message

from app.domain.actor import Actor
from app.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, StaleVersion
from app.domain.imports import pending as pending_imports
from app.domain.imports import profiles as import_profiles
from app.domain.imports import runner
from app.domain.imports.headers import field_labels
from app.http.body_limit import UPLOAD_FORM_OVERHEAD
from app.http.deps import PageActor, PageWriter, ReadSessionDep, SessionDep
from app.http.params import IdPath
from app.kit.personal_data import mask
from app.models.imports import IGNORE, MAX_MAPPED_COLUMNS, ImportKind
from app.settings import get_settings
from app.web import labels
from app.web.forms import masked
from app.web.render import done, login_redirect, render, url_for

router = APIRouter(include_in_schema=False)

RECENT_BATCHES = 20
SHOWN_PROBLEMS = 500  # a file with an error on every row still gives a page a browser can show


class _TooLarge(Exception):
    pass


@dataclass(frozen=True)
class Upload:
    """What the upload form sent: the kind as typed, and the file (None when missing or too large)."""

    kind: str
    file_name: str | None
    data: bytes | None
    too_large: bool = False
    sheet: str = ""  # the workbook's sheet to read (blank: the default choice)
    profile: str = ""  # an import profile's id (blank: none)


async def _drain(request: Request) -> None:
    """Read and discard what is left of the body, so the browser gets the answer instead of a reset."""
    while True:
        message = await request.receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _read_upload(request: Request) -> Upload:
    """The posted form, with the body capped at the import size limit (nothing over it is kept)."""
    limit = get_settings().import_max_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + UPLOAD_FORM_OVERHEAD:
        await _drain(request)
        return Upload("", None, None, too_large=True)
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > limit + UPLOAD_FORM_OVERHEAD:
            raise _TooLarge
        return message

    capped = Request(request.scope, counted)
    try:
        form = await capped.form(max_files=1, max_fields=10)
    except _TooLarge:
        await _drain(request)
        return Upload("", None, None, too_large=True)
    try:
        kind = str(form.get("kind", ""))[:40]
        sheet, profile = str(form.get("sheet", "")).strip()[:200], str(form.get("profile", ""))[:20]
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return Upload(kind, None, None, sheet=sheet, profile=profile)
        data = await upload.read(limit + 1)
        # Browsers send the bare name; some older ones a whole Windows path. It is cut to length and any
        # national identity number in it masked where it is kept (imports.batches.stored_file_name).
        name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1] or "upload"
        if len(data) > limit:
            return Upload(kind, name, None, too_large=True, sheet=sheet, profile=profile)
        return Upload(kind, name, data, sheet=sheet, profile=profile)
    finally:
        await form.close()


# Declared before the session: FastAPI resolves dependencies in order, so the body is read first.
UploadDep = Annotated[Upload, Depends(_read_upload)]


def _kind(value: str) -> ImportKind | None:
    return ImportKind(value) if value in {k.value for k in ImportKind} else None


def _page(
    request: Request,
    session: Any,
    actor: Actor,
    *,
    kind: str = ImportKind.rehab_services.value,
    errors: dict[str, str] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    sheet: str = "",
    profile: str = "",
) -> HTMLResponse:
    """The upload form (or, for read-only users, why there is none) with the recent batches. The errors may
    quote the file (a column's name): any national identity number in them is masked."""
    context = {
        "actor": actor,
        "kind": kind,
        "sheet": mask(sheet),
        "profile": profile,
        "profiles": import_profiles.choices(session, actor) if actor.can_write else [],
        "managed_profiles": import_profiles.managed(session, actor) if actor.can_write else [],
        "errors": masked(errors or {}),
        "notice": notice,
        "batches": runner.list_batches(session, limit=RECENT_BATCHES),
        "max_mb": get_settings().import_max_bytes / 1_000_000,
        "labels": labels.ALL,
    }
    return render(request, "imports/index.html", context, status_code)


def _preview(
    request: Request,
    actor: Actor,
    report: runner.Report,
    pending: pending_imports.Pending | None,
    *,
    status_code: int,
    changed_since_preview: bool = False,
) -> HTMLResponse:
    # A message may quote the cell it is about ("'…' is not a date"), and a column or sheet is named as in the
    # file: every national identity number in them is masked, so the page never repeats one.
    problems, notes = (
        [
            replace(e, message=mask(e.message), column=e.column and mask(e.column), sheet=e.sheet and mask(e.sheet))
            for e in items[:SHOWN_PROBLEMS]
        ]
        for items in (report.row_errors, report.notices)
    )
    context = {
        "actor": actor,
        "report": report,
        "problems": problems,
        "notes": notes,
        "sheets": any(e.sheet for e in (*report.row_errors, *report.notices)),
        "pending": pending,
        "changed_since_preview": changed_since_preview,
        "labels": labels.ALL,
    }
    return render(request, "imports/preview.html", context, status_code)


@router.get("/imports", response_class=HTMLResponse, name="import_form")
async def import_form(request: Request, session: ReadSessionDep, actor: PageActor) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    return _page(request, session, actor)


@router.post("/imports", response_model=None, name="import_preview")
def import_preview(request: Request, upload: UploadDep, session: SessionDep, actor: PageWriter) -> Response:
    """Check the file with a dry run and show what applying it would do."""
    if not actor.authenticated:
        return login_redirect(request)
    if not actor.can_write:
        return _page(request, session, actor, status_code=403)
    kind = _kind(upload.kind)
    errors: dict[str, str] = {}
    if upload.too_large:
        limit = f"{get_settings().import_max_bytes / 1_000_000:g}"
        errors["file"] = _("Filen er for stor. Den største filen som kan importeres, er %(mb)s MB.") % {"mb": limit}
        return _page(request, session, actor, kind=upload.kind, errors=errors, status_code=413)
    if kind is None:
        errors["kind"] = _("Velg hva filen inneholder.")
    if upload.data is None:
        errors["file"] = _("Velg en fil (CSV eller Excel).")
    again = {"sheet": upload.sheet, "profile": upload.profile}
    if kind is None or upload.data is None or upload.file_name is None:
        return _page(request, session, actor, kind=upload.kind, errors=errors, status_code=422, **again)
    mapping = None
    if upload.profile:
        try:
            mapping = import_profiles.resolve(session, actor, upload.profile, kind)
        except InvalidInput as exc:
            errors["profile"] = exc.detail
            return _page(request, session, actor, kind=kind.value, errors=errors, status_code=422, **again)
    sheet = upload.sheet or None
    try:
        report = runner.run_import(
            session, actor, upload.data, upload.file_name, kind, dry_run=True, sheet=sheet, mapping=mapping
        )
    except runner.ImportFileError as exc:
        layout = _layout_to_map(upload.data, upload.file_name, kind, sheet, mapping)
        if layout is not None:
            # Columns we do not know, and required ones missing: let the user say which is which.
            kept = pending_imports.keep(
                session, actor, kind, upload.file_name, upload.data, sheet=sheet, mapping=mapping
            )
            return _mapping_page(request, session, actor, kind, upload.file_name, kept.token, layout, mapping)
        errors["file"] = _("Filen kan ikke importeres: %(why)s") % {"why": exc.detail}
        return _page(request, session, actor, kind=kind.value, errors=errors, status_code=422, **again)
    except Forbidden as exc:
        errors["file"] = _("Du har ikke tilgang til å importere denne filen: %(why)s") % {"why": exc.detail}
        return _page(request, session, actor, kind=kind.value, errors=errors, status_code=422, **again)
    if report.row_errors:
        return _preview(request, actor, report, None, status_code=422)
    kept = pending_imports.keep(session, actor, kind, upload.file_name, upload.data, sheet=sheet, mapping=mapping)
    return _preview(request, actor, report, kept, status_code=200)


def _layout_to_map(
    data: bytes, file_name: str, kind: ImportKind, sheet: str | None, mapping: dict[str, str] | None
) -> runner.Layout | None:
    """The file's layout when mapping columns could make it importable (required columns missing, unknown
    columns present); None when the file cannot be read or mapping would not help."""
    try:
        layout = runner.inspect(data, file_name, kind, sheet=sheet, mapping=mapping)
    except runner.ImportFileError:
        return None
    return layout if layout.missing and layout.unknown else None


def _mapping_page(
    request: Request,
    session: Any,
    actor: Actor,
    kind: ImportKind,
    file_name: str,
    token: str,
    layout: runner.Layout,
    mapping: dict[str, str] | None,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The column-mapping step: each unknown column with its first values and a select of our fields. The
    headers and values come from the file: any national identity number in them is masked."""
    columns = [
        replace(column, header=mask(column.header), samples=[mask(v) for v in column.samples])
        for column in layout.columns
    ]
    fields = field_labels(kind)
    organisations = import_profiles.organisations_for_saving(session, actor)
    context = {
        "actor": actor,
        "kind": kind,
        "file_name": mask(file_name),
        "token": token,
        "layout": layout,
        "sheet": layout.sheet and mask(layout.sheet),
        "unknown": [column for column in columns if column.field is None],
        "known": [column for column in columns if column.field is not None],
        "fields": fields,
        "ignore": IGNORE,
        "organisations": organisations,
        "errors": masked(errors or {}),
        "values": masked(values or {}),
        "labels": labels.ALL,
    }
    return render(request, "imports/mapping.html", context, status_code)


async def _read_mapping_form(request: Request) -> dict[str, str]:
    """The mapping form's fields (one select per unknown column, so their number follows the file)."""
    form = await request.form(max_files=0, max_fields=MAX_MAPPED_COLUMNS + 10)
    try:
        return {key: value[:300] for key, value in form.items() if isinstance(value, str)}
    finally:
        await form.close()


MappingForm = Annotated[dict[str, str], Depends(_read_mapping_form)]


@router.post("/imports/mapping", response_model=None, name="import_mapping")
def import_mapping(request: Request, form: MappingForm, session: SessionDep, actor: PageWriter) -> Response:
    """Read the waiting upload with the columns mapped as chosen (and save the mapping as a profile when
    named), then show the dry run's preview, as the upload form does."""
    if not actor.authenticated:
        return login_redirect(request)
    if not actor.can_write:
        return _page(request, session, actor, status_code=403)
    token = form.get("token", "")
    try:
        pending = pending_imports.waiting(session, actor, token)
    except NotFound:
        why = _("Fant ikke opplastingen: den er allerede brukt, eller den tilhører en annen bruker.")
        return _confirm_failed(request, session, actor, f"{why} {_('Last opp filen på nytt.')}", 404)
    except pending_imports.PendingExpired:
        minutes = int(pending_imports.LIFETIME.total_seconds() // 60)
        why = _("Opplastingen er utløpt (den gjelder i %(n)s minutter).") % {"n": minutes}
        return _confirm_failed(request, session, actor, f"{why} {_('Last opp filen på nytt.')}", 410)
    kind = ImportKind(pending.kind)
    fields = field_labels(kind)
    mapping = dict(pending.mapping or {})
    try:
        layout = runner.inspect(pending.data, pending.file_name, kind, sheet=pending.sheet, mapping=mapping)
    except runner.ImportFileError as exc:
        errors = {"file": _("Filen kan ikke importeres: %(why)s") % {"why": exc.detail}}
        return _page(request, session, actor, kind=kind.value, errors=errors, status_code=422)
    for column in layout.unknown:
        chosen = form.get(f"col-{column.index}", "")
        if chosen == IGNORE or chosen in fields:
            mapping[column.header] = chosen

    def again(errors: dict[str, str]) -> HTMLResponse:
        """The mapping page again, the columns mapped so far kept with the upload."""
        pending_imports.read_with(session, pending, token, sheet=pending.sheet, mapping=mapping or None)
        now = runner.inspect(pending.data, pending.file_name, kind, sheet=pending.sheet, mapping=mapping)
        return _mapping_page(
            request, session, actor, kind, pending.file_name, token, now, mapping,
            errors=errors, values=form, status_code=422,
        )  # fmt: skip

    profile_name = form.get("profile_name", "").strip()
    if profile_name:
        org = form.get("organisation_id", "")
        if not org.isdigit():
            return again({"organisation_id": _("Velg organisasjonen profilen skal lagres for.")})
        try:
            import_profiles.save_profile(session, actor, int(org), profile_name, kind, mapping)
        except ValidationError:
            return again({"profile_name": _("Skriv et navn på én linje, høyst 200 tegn.")})
        except (InvalidInput, Forbidden, Conflict) as exc:
            return again({"profile_name": exc.detail})
    try:
        report = runner.run_import(
            session, actor, pending.data, pending.file_name, kind, dry_run=True, sheet=pending.sheet, mapping=mapping
        )
    except runner.ImportFileError as exc:
        why = _("Filen kan fortsatt ikke leses: %(why)s") % {"why": exc.detail}
        return again({"mapping": why})
    except Forbidden as exc:
        errors = {"file": _("Du har ikke tilgang til å importere denne filen: %(why)s") % {"why": exc.detail}}
        return _page(request, session, actor, kind=kind.value, errors=errors, status_code=422)
    if report.row_errors:
        return _preview(request, actor, report, None, status_code=422)
    kept = pending_imports.read_with(session, pending, token, sheet=pending.sheet, mapping=mapping or None)
    return _preview(request, actor, report, kept, status_code=200)


@router.post("/imports/confirm", response_model=None, name="import_confirm")
def import_confirm(
    request: Request,
    session: SessionDep,
    actor: PageWriter,
    token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Apply a previewed upload (all rows or none), then show the batch (Post/Redirect/Get)."""
    if not actor.authenticated:
        return login_redirect(request)
    if not actor.can_write:
        return _page(request, session, actor, status_code=403)
    nothing = _("Ingenting er importert.")
    try:
        outcome = pending_imports.confirm(session, actor, token)
    except NotFound:
        why = _("Fant ikke opplastingen: den er allerede brukt, eller den tilhører en annen bruker.")
        return _confirm_failed(request, session, actor, f"{why} {nothing} {_('Last opp filen på nytt.')}", 404)
    except pending_imports.PendingExpired:
        minutes = int(pending_imports.LIFETIME.total_seconds() // 60)
        why = _("Forhåndsvisningen er utløpt (den gjelder i %(n)s minutter).") % {"n": minutes}
        return _confirm_failed(request, session, actor, f"{why} {nothing} {_('Last opp filen på nytt.')}", 410)
    except runner.ImportFileError as exc:
        why = _("Filen kan ikke importeres: %(why)s") % {"why": exc.detail}
        return _confirm_failed(request, session, actor, f"{why} {nothing}", 422)
    except Forbidden as exc:
        why = _("Du har ikke lenger tilgang til å importere denne filen: %(why)s") % {"why": exc.detail}
        return _confirm_failed(request, session, actor, f"{why} {nothing}", 403)
    if outcome.report is not None and not outcome.report.applied:
        # The catalogue changed since the dry run and some rows no longer pass: nothing was written.
        return _preview(request, actor, outcome.report, None, status_code=409, changed_since_preview=True)
    return done(request, url_for(request, "import_batch", batch_id=outcome.batch_id))


@router.post("/imports/profiles/{profile_id}/delete", response_model=None, name="import_profile_delete")
def import_profile_delete(
    request: Request,
    session: SessionDep,
    actor: PageWriter,
    profile_id: IdPath,
    version: Annotated[int, Form(ge=1, le=2_147_483_647)] = 1,
) -> Response:
    """Delete one of the organisation's import profiles (the version shown, so a changed one is not lost)."""
    if not actor.authenticated:
        return login_redirect(request)
    try:
        import_profiles.delete_profile(session, actor, profile_id, f'"{version}"')
    except NotFound:
        return _page(request, session, actor, errors={"profiles": _("Fant ikke importprofilen.")}, status_code=404)
    except Forbidden as exc:
        return _page(request, session, actor, errors={"profiles": exc.detail}, status_code=403)
    except StaleVersion:
        why = _("Profilen er endret siden siden ble vist. Se over den og prøv igjen.")
        return _page(request, session, actor, errors={"profiles": why}, status_code=409)
    return done(request, url_for(request, "import_form"))


def _confirm_failed(request: Request, session: Any, actor: Actor, message: str, status_code: int) -> HTMLResponse:
    return _page(request, session, actor, errors={"confirm": message}, status_code=status_code)


@router.get("/imports/batches/{batch_id}", response_class=HTMLResponse, name="import_batch")
async def import_batch(request: Request, session: ReadSessionDep, actor: PageActor, batch_id: IdPath) -> Response:
    if not actor.authenticated:
        return login_redirect(request)
    batch = runner.get_batch(session, batch_id)
    return render(request, "imports/batch.html", {"actor": actor, "batch": batch, "labels": labels.ALL})
