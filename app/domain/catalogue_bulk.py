"""Many services upserted by (provider, external id) at once: the write path of bulk imports.

Upserting row by row (`catalogue.upsert_service`) costs a dozen statements per service. Here a chunk of
rows costs a handful: one query for the stored documents of the rows that already exist, then
executemany inserts and updates of services, their links, their documents and their audit events.
Whether a row changes anything is decided by comparing its document with the stored one (the document
the API serves), so re-applying a file reports every row unchanged and writes nothing.

The caller holds the write lock for the whole transaction (app.db.transaction), so the versions read
here cannot change before they are written.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlmodel import Session

from app.db.bulk import insert_many, reserve_ids, select_by_pairs
from app.domain import audit, catalogue, geography, organisations, taxonomy
from app.domain.actor import Actor
from app.domain.catalogue import Outcome
from app.domain.errors import FieldError, InvalidInput
from app.kit.serialization import dumps, loads
from app.models import AuditEvent
from app.models.rehab_service import RehabServiceFields, RehabServiceRead, ServiceForm, ServiceSource
from app.models.types import utcnow

_S = catalogue._S
_F = catalogue._F
_G = catalogue._G
_C = catalogue._C
_A = AuditEvent.__table__  # type: ignore[attr-defined]

# What a row's file can change; the rest of a document is bookkeeping.
_CONTENT = (*RehabServiceFields.model_fields, "catchment_inherited")
_FORM_ORDER = {f.value: i for i, f in enumerate(ServiceForm)}
_SCALARS = (*catalogue.SCALAR_FIELDS, "catchment_inherited", "search_text")
_DOC_KEYS = tuple(RehabServiceRead.model_fields)
_AUDIT_COLUMNS = (
    "at",
    "actor_kind",
    "actor_user_id",
    "actor_token_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "entity_version",
    "changes",
    "request_id",
    "batch_id",
)


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
    values: catalogue._Resolved
    doc: dict[str, Any]  # JSON-shaped, without id, version and timestamps
    existing: _Existing | None


class BulkUpsert:
    """Upserts chunks of rows for one actor and one import batch, in the caller's transaction."""

    def __init__(self, session: Session, actor: Actor, *, source: ServiceSource, batch_id: int | None) -> None:
        self.session = session
        self.actor = actor
        self.source = source.value
        self.batch_id = batch_id
        self.taxonomy = taxonomy.get_taxonomy(session)
        self._providers = organisations.default_catchments(session)

    def _provider(self, provider_id: int) -> tuple[str, list[str]]:
        """(name, default catchment) of a provider."""
        if provider_id not in self._providers:
            raise InvalidInput("Unknown provider", [FieldError(("provider_id",), f"no organisation {provider_id}")])
        return self._providers[provider_id]

    def _resolve(self, row: BulkRow) -> catalogue._Resolved:
        fields = row.fields
        if errors := catalogue.code_errors(fields):
            raise InvalidInput("Unknown national code", errors)
        group_ids = self.taxonomy.require(fields.patient_groups, ("body", "patient_groups"))
        if fields.catchment is None:
            return catalogue.stored_values(fields, group_ids, self._provider(row.provider_id)[1], True)
        geography.require_municipalities(self.session, fields.catchment, ("body", "catchment"))
        return catalogue.stored_values(fields, group_ids, sorted(fields.catchment), False)

    def _document(self, row: BulkRow, values: catalogue._Resolved) -> dict[str, Any]:
        content = {
            **values.scalars,
            "provider_id": row.provider_id,
            "provider_name": self._provider(row.provider_id)[0],
            "external_id": row.external_id,
            "forms": sorted(values.forms, key=_FORM_ORDER.__getitem__),
            "patient_groups": sorted(self.taxonomy.by_id[g].code for g in values.group_ids),
            "catchment": values.catchment,
        }
        del content["search_text"]
        plain: dict[str, Any] = loads(dumps(content))  # dates and enums as the stored JSON has them
        return plain

    def _rows_for(self, keys: Sequence[Key], *columns: str) -> list[tuple[Any, ...]]:
        """(provider_id, external_id, *columns) of the services with these keys (driver values)."""
        return select_by_pairs(self.session, _S, ("provider_id", "external_id"), keys, columns)

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
            if old is None:
                creates.append(_Write(row, values, doc, None))
                outcomes.append("created")
            elif not old.deleted and old.doc is not None and all(old.doc.get(k) == doc[k] for k in _CONTENT):
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
                update(_S)
                .where(_S.c.id == bindparam("sid"))
                .values(import_digest=bindparam("digest"), import_digest_version=_S.c.version),
                confirmed,
            )
        return outcomes

    def _insert(self, writes: list[_Write], now: Any) -> None:
        if not writes:
            return
        ids = reserve_ids(self.session, _S, len(writes))
        for write, service_id in zip(writes, ids, strict=True):
            write.existing = _Existing(service_id, 0, True, None)
        docs, events = self._documents(writes, now, created_at=now)
        base = {
            "source": self.source,
            "source_batch_id": self.batch_id,
            "version": 1,
            "import_digest_version": 1,
            "created_at": now,
            "updated_at": now,
        }
        fixed = (*_SCALARS, *base)
        columns = (*fixed, "provider_id", "external_id", "id", "doc", "import_digest")
        rows = []
        for w, doc in zip(writes, docs, strict=True):
            assert w.existing is not None
            values = {**w.values.scalars, **base}
            row = w.row
            rows.append((*(values[c] for c in fixed), row.provider_id, row.external_id, w.existing.id, doc, row.digest))
        insert_many(self.session, _S, columns, rows)
        self._links(writes)
        insert_many(self.session, _A, _AUDIT_COLUMNS, events)

    def _update(self, writes: list[_Write], now: Any) -> None:
        if not writes:
            return
        columns: dict[str, Any] = {name: bindparam(f"v_{name}") for name in (*_SCALARS, "source", "source_batch_id")}
        stmt = (
            update(_S)
            .where(_S.c.id == bindparam("sid"))
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
        created = dict(self.session.execute(select(_S.c.id, _S.c.created_at).where(_S.c.id.in_(ids))).all())
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
        for table in (_F, _G, _C):
            for start in range(0, len(ids), 500):
                self.session.execute(delete(table).where(table.c.service_id.in_(ids[start : start + 500])))
        self._links(writes)
        insert_many(self.session, _A, _AUDIT_COLUMNS, events)

    def _links(self, writes: list[_Write]) -> None:
        forms: list[tuple[int, str]] = []
        groups: list[tuple[int, int]] = []
        catchment: list[tuple[int, str]] = []
        for w in writes:
            assert w.existing is not None
            sid = w.existing.id
            forms += [(sid, f) for f in w.values.forms]
            groups += [(sid, g) for g in w.values.group_ids]
            catchment += [(sid, n) for n in w.values.catchment]
        insert_many(self.session, _F, ("service_id", "form"), forms)
        insert_many(self.session, _G, ("service_id", "patient_group_id"), groups)
        insert_many(self.session, _C, ("service_id", "municipality_number"), catchment)

    def _documents(self, writes: list[_Write], now: Any, *, created_at: Any) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Each written service's new stored document, and its audit event (as _AUDIT_COLUMNS values)."""
        docs, events = [], []
        stamp = loads(dumps(now))
        actor = self.actor
        label = actor.label[:300]
        for w in writes:
            assert w.existing is not None
            old = w.existing
            version = old.version + 1
            born = stamp if not isinstance(created_at, dict) else loads(dumps(created_at[old.id]))
            after = {
                **w.doc,
                "id": old.id,
                "source": self.source,
                "source_batch_id": self.batch_id,
                "created_at": born,
                "updated_at": stamp,
                "version": version,
            }
            docs.append(dumps({key: after[key] for key in _DOC_KEYS}).decode())
            before = None if old.deleted else old.doc
            events.append(
                (
                    now,
                    actor.kind,
                    actor.user_id,
                    actor.token_id,
                    label,
                    "create" if before is None else "update",
                    "rehab_service",
                    str(old.id),
                    version,
                    audit.diff_documents(before, after),
                    actor.request_id,
                    self.batch_id,
                )
            )
        return docs, events
