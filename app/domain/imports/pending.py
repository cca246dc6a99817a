"""Uploads waiting for confirmation: the web page's dry run keeps the file until its owner applies it.

The page hands out an opaque token; only its SHA-256 is stored, with the owner, the bytes and an expiry.
Applying drops the bytes and remembers the batch until expiry, so confirming twice (a double click, the
back button) leads to the same batch instead of a second import.
"""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlmodel import Session, col

from app.domain.actor import Actor
from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.imports import runner
from app.domain.imports.batches import stored_file_name
from app.kit.secrets import digest, mint
from app.models.imports import ImportKind, PendingImport
from app.models.types import as_utc, utcnow

LIFETIME = timedelta(minutes=30)
KEEP_PER_USER = 5  # a user's newest pending uploads (several tabs); older ones are dropped


class PendingExpired(DomainError):
    """The upload waited longer than LIFETIME; upload the file again."""


@dataclass(frozen=True)
class Pending:
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What confirming did: the report of the import, or the batch an earlier confirmation made."""

    report: runner.Report | None
    batch_id: int | None


def purge_expired(session: Session) -> None:
    """Delete every pending upload past its expiry (called on each upload, so the table stays small)."""
    session.execute(delete(PendingImport).where(col(PendingImport.expires_at) < utcnow()))


def keep(
    session: Session,
    actor: Actor,
    kind: ImportKind,
    file_name: str,
    data: bytes,
    *,
    sheet: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Pending:
    """Store an upload whose dry run was clean (or that waits for its columns to be mapped), with the sheet and
    column mapping it is read with; the token is what the confirm (or mapping) form carries."""
    if actor.user_id is None:
        raise NotFound("Only a signed-in user can keep an upload")
    purge_expired(session)
    older = (
        session.execute(
            select(col(PendingImport.id))
            .where(col(PendingImport.user_id) == actor.user_id)
            .order_by(col(PendingImport.id).desc())
            .offset(KEEP_PER_USER - 1)
        )
        .scalars()
        .all()
    )
    if older:
        session.execute(delete(PendingImport).where(col(PendingImport.id).in_(older)))
    token, token_hash = mint()
    now = utcnow()
    session.add(
        PendingImport(
            token_hash=token_hash,
            user_id=actor.user_id,
            kind=kind.value,
            file_name=stored_file_name(file_name),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            created_at=now,
            expires_at=now + LIFETIME,
            sheet=sheet,
            mapping=mapping,
        )
    )
    session.flush()
    return Pending(token, now + LIFETIME)


def waiting(session: Session, actor: Actor, token: str) -> PendingImport:
    """The actor's upload behind `token` that is not yet applied (for the column-mapping step): NotFound for an
    unknown token, another user's or one already used; PendingExpired past its expiry."""
    pending: PendingImport | None = session.execute(
        select(PendingImport).where(col(PendingImport.token_hash) == digest(token))
    ).scalar_one_or_none()
    if pending is None or actor.user_id is None or pending.user_id != actor.user_id or pending.batch_id is not None:
        raise NotFound("This upload is unknown or has already been removed")
    if as_utc(pending.expires_at) < utcnow():
        session.delete(pending)
        raise PendingExpired("The upload expired before it was confirmed")
    return pending


def read_with(
    session: Session, pending: PendingImport, token: str, *, sheet: str | None, mapping: dict[str, str] | None
) -> Pending:
    """Read the waiting upload with this sheet and mapping from now on (its dry run was clean with them)."""
    pending.sheet = sheet
    pending.mapping = mapping
    session.flush()
    return Pending(token, as_utc(pending.expires_at))


def confirm(session: Session, actor: Actor, token: str) -> Outcome:
    """Apply the upload behind `token` (all rows or none) in the caller's transaction.

    Unknown tokens and other users' tokens are both NotFound (a token says nothing about others' uploads).
    The upload is used once: after an import with errors (the database changed since the dry run) it is
    deleted, after a successful one its bytes are.
    """
    pending = session.execute(
        select(PendingImport).where(col(PendingImport.token_hash) == digest(token))
    ).scalar_one_or_none()
    if pending is None or actor.user_id is None or pending.user_id != actor.user_id:
        raise NotFound("This upload is unknown or has already been removed")
    if pending.batch_id is not None:
        return Outcome(None, pending.batch_id)
    if as_utc(pending.expires_at) < utcnow():
        session.delete(pending)
        raise PendingExpired("The upload expired before it was confirmed")
    kind = ImportKind(pending.kind)
    try:
        report = runner.run_import(
            session,
            actor,
            pending.data,
            pending.file_name,
            kind,
            dry_run=False,
            sheet=pending.sheet,
            mapping=pending.mapping,
        )
    except (runner.ImportFileError, Forbidden):
        # Refused as a whole (rights taken away since the dry run …): nothing was written; the upload goes.
        session.delete(pending)
        session.flush()
        raise
    if report.applied:
        pending.data = b""
        pending.batch_id = report.batch_id
    else:
        session.delete(pending)
    session.flush()
    return Outcome(report, report.batch_id)
