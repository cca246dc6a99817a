"""Many services upserted by (provider, external id) at once: the write path of bulk imports.

Upserting row by row (`writes.upsert_service`) costs a dozen statements per service. Here a chunk of
rows costs a handful: one query for the stored documents of the rows that already exist, then
executemany inserts and updates of services, their links, their documents and their audit events.
Whether a row changes anything is decided by comparing its document with the stored one (the document
the API serves), so re-applying a file reports every row unchanged and writes nothing.

Rows are resolved (`values.resolve`), documented (`documents.build_document`), linked
(`links.replace_links`) and audited (`audit.event_values`) as single writes are.

The caller holds the write lock for the whole transaction (app.db.transaction), so the versions read
here cannot change before they are written.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlmodel import Session

from app.db.bulk import insert_many, reserve_ids, select_by_pairs
from app.domain import audit, taxonomy
from app.domain.actor import Actor
from app.domain.catalogue.catchments import default_catchments
from app.domain.catalogue.documents import build_document
from app.domain.catalogue.links import LinkRows, link_rows, replace_links
from app.domain.catalogue.tables import services
from app.domain.catalogue.values import STORED_SCALARS, ServiceValues, resolve
from app.domain.catalogue.writes import Outcome
from app.domain.errors import FieldError, InvalidInput
from app.kit.serialization import dumps, loads
from app.models.rehab_service import RehabServiceFields, ServiceSource
from app.models.types import utcnow

# What a row's file can change; the rest of a document is bookkeeping.
_CONTENT = (*RehabServiceFields.model_fields, "catchment_inherited")
_NEW_COLUMNS = (*STORED_SCALARS, "provider_id", "external_id", "source", "source_batch_id", "version")
_NEW_COLUMNS += ("created_at", "updated_at", "import_digest_version", "id", "doc", "import_digest")
_stored_scalars = itemgetter(*STORED_SCALARS)


@dataclass
class BulkRow:
    provider_id: int
    external_id: str
    fields: RehabServiceFields
    digest: str | None = None  # of the source row, stored so the same row next time can be skipped


Key = tuple[int, str]


@dataclass
class _Existing:
    id: int
    version: int
    deleted: bool
    doc: dict[str, Any] | None
    digest: str | None = None


@dataclass
class _Write:
    row: BulkRow
    values: ServiceValues
    # id, version and timestamps are filled in when it is written; JSON values when there is a stored
    # document (compared, and diffed for the audit event), Python values for a new service
    doc: dict[str, Any]
    existing: _Existing | None


class BulkUpsert:
    """Upserts chunks of rows for one actor and one import batch, in the caller's transaction."""

    def __init__(self, session: Session, actor: Actor, *, source: ServiceSource, batch_id: int | None) -> None:
        self.session = session
        self.actor = actor
        self.source = source.value
        self.batch_id = batch_id
        self.taxonomy = taxonomy.get_taxonomy(session)
        self._providers = default_catchments(session)
        # A document's bookkeeping as far as it is known before writing: the rest is set by _documents.
        self._bookkeeping = {
            "source": self.source,
            "source_batch_id": batch_id,
            "id": None,
            "created_at": None,
            "updated_at": None,
            "version": None,
        }

    def _provider(self, provider_id: int) -> tuple[str, list[str]]:
        """(name, default catchment) of a provider."""
        if provider_id not in self._providers:
            raise InvalidInput("Unknown provider", [FieldError(("provider_id",), f"no organisation {provider_id}")])
        return self._providers[provider_id]

    def _resolve(self, row: BulkRow) -> ServiceValues:
        return resolve(self.session, row.fields, lambda: self._provider(row.provider_id)[1], self.taxonomy)

    def _document(self, row: BulkRow, values: ServiceValues) -> dict[str, Any]:
        """The row's document with what is known before it is written (Python values: dates are dates)."""
        columns = {
            **values.scalars,
            **self._bookkeeping,
            "provider_id": row.provider_id,
            "provider_name": self._provider(row.provider_id)[0],
            "external_id": row.external_id,
        }
        codes = [self.taxonomy.by_id[g].code for g in values.group_ids]
        return build_document(columns, values.forms, codes, values.catchment)

    def _rows_for(self, keys: Sequence[Key], *columns: str) -> list[tuple[Any, ...]]:
        """(provider_id, external_id, *columns) of the services with these keys (driver values)."""
        return select_by_pairs(self.session, services, ("provider_id", "external_id"), keys, columns)

    def confirmed(self, rows: Sequence[tuple[int, str, str]]) -> set[Key]:
        """Keys of (provider, external id, row digest) whose service that very row left, unchanged since."""
        digests = {(provider, external): digest for provider, external, digest in rows}
        found = self._rows_for(list(digests), "import_digest", "import_digest_version", "version", "deleted_at")
        return {
            (p, e)
            for p, e, digest, digest_version, version, deleted_at in found
            if digest == digests[(p, e)] and digest_version == version and deleted_at is None
        }

    def _existing(self, rows: Sequence[BulkRow]) -> dict[Key, _Existing]:
        found = self._rows_for(
            [(r.provider_id, r.external_id) for r in rows],
            "id",
            "version",
            "deleted_at",
            "doc",
            "import_digest",
        )
        return {
            (p, e): _Existing(sid, version, deleted_at is not None, loads(doc) if doc else None, digest)
            for p, e, sid, version, deleted_at, doc, digest in found
        }

    def write(self, rows: Sequence[BulkRow]) -> list[Outcome | list[FieldError]]:
        """Upsert `rows` (distinct keys); per row its outcome or why it was refused (nothing written for it)."""
        existing = self._existing(rows)
        outcomes: list[Outcome | list[FieldError]] = []
        creates: list[_Write] = []
        updates: list[_Write] = []
        confirmed: list[dict[str, Any]] = []
        for row in rows:
            try:
                values = self._resolve(row)
                doc = self._document(row, values)
            except InvalidInput as exc:
                outcomes.append(exc.errors)
                continue
            old = existing.get((row.provider_id, row.external_id))
            if old is None:  # its document is only written: JSON turns its dates into text then
                creates.append(_Write(row, values, doc, None))
                outcomes.append("created")
                continue
            doc = loads(dumps(doc))  # JSON values, to compare with the stored document
            if not old.deleted and old.doc is not None and all(old.doc.get(k) == doc[k] for k in _CONTENT):
                outcomes.append("unchanged")
                if row.digest is not None and row.digest != old.digest:
                    confirmed.append({"sid": old.id, "digest": row.digest})
            else:
                updates.append(_Write(row, values, doc, old))
                outcomes.append("updated" if not old.deleted else "created")
        now = utcnow()
        self._insert(creates, now)
        self._update(updates, now)
        if confirmed:  # bookkeeping only: no new version, nothing to audit
            self.session.execute(
                update(services)
                .where(services.c.id == bindparam("sid"))
                .values(import_digest=bindparam("digest"), import_digest_version=services.c.version),
                confirmed,
            )
        return outcomes

    def _insert(self, writes: list[_Write], now: datetime) -> None:
        if not writes:
            return
        ids = reserve_ids(self.session, services, len(writes))
        for write, service_id in zip(writes, ids, strict=True):
            write.existing = _Existing(service_id, 0, True, None)
        docs, events = self._documents(writes, now, created_at=now)
        rows = []
        for w, doc in zip(writes, docs, strict=True):
            assert w.existing is not None
            row = w.row
            # As new_service_row (version 1), in _NEW_COLUMNS' order, without a dict per row.
            rows.append(
                (
                    *_stored_scalars(w.values.scalars),
                    *(row.provider_id, row.external_id, self.source, self.batch_id, 1, now, now),
                    *(1, w.existing.id, doc, row.digest),
                )
            )
        insert_many(self.session, services, _NEW_COLUMNS, rows)
        replace_links(self.session, ids, self._link_rows(writes), new=True)
        audit.record_many(self.session, events)

    def _update(self, writes: list[_Write], now: datetime) -> None:
        if not writes:
            return
        columns: dict[str, Any] = {
            name: bindparam(f"v_{name}") for name in (*STORED_SCALARS, "source", "source_batch_id")
        }
        stmt = (
            update(services)
            .where(services.c.id == bindparam("sid"))
            .values(
                **columns,
                version=bindparam("v_version"),
                updated_at=now,
                deleted_at=None,
                doc=bindparam("v_doc"),
                import_digest=bindparam("v_digest"),
                import_digest_version=bindparam("v_version"),
            )
        )
        ids = [w.existing.id for w in writes if w.existing is not None]
        created = dict(
            self.session.execute(select(services.c.id, services.c.created_at).where(services.c.id.in_(ids))).all()
        )
        docs, events = self._documents(writes, now, created_at=created)
        params = []
        for w, doc in zip(writes, docs, strict=True):
            assert w.existing is not None
            values = {**w.values.scalars, "source": self.source, "source_batch_id": self.batch_id}
            params.append(
                {
                    "sid": w.existing.id,
                    "v_version": w.existing.version + 1,
                    "v_doc": doc,
                    "v_digest": w.row.digest,
                    **{f"v_{k}": values[k] for k in columns},
                }
            )
        self.session.execute(stmt, params)
        replace_links(self.session, ids, self._link_rows(writes))
        audit.record_many(self.session, events)

    @staticmethod
    def _link_rows(writes: list[_Write]) -> LinkRows:
        return link_rows((w.existing.id, w.values) for w in writes if w.existing is not None)

    def _documents(
        self, writes: list[_Write], now: datetime, *, created_at: Any
    ) -> tuple[list[str], list[dict[str, Any]]]:
        """Each written service's new stored document, and its audit event's values."""
        docs, events = [], []
        stamp = loads(dumps(now))
        for w in writes:
            assert w.existing is not None
            old = w.existing
            version = old.version + 1
            born = stamp if not isinstance(created_at, dict) else loads(dumps(created_at[old.id]))
            after = {**w.doc, "id": old.id, "created_at": born, "updated_at": stamp, "version": version}
            docs.append(dumps(after).decode())
            before = None if old.deleted else old.doc
            changes: dict[str, Any] | str
            if before is None:  # a compact audit record: read back as diff_documents(None, after)
                action, changes = "create", audit.created_changes(after)
            else:
                action, changes = "update", audit.diff_documents(before, after)
            events.append(
                audit.event_values(self.actor, action, "rehab_service", old.id, version, changes, self.batch_id, at=now)
            )
        return docs, events
