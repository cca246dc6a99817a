"""The catalogue's tables by name (SQLAlchemy Core), for the statements the catalogue writes itself."""

from typing import Any

from sqlalchemy import Column, Table

from app.models import (
    Organisation,
    RehabService,
    RehabServiceCatchment,
    RehabServiceForm,
    RehabServicePatientGroup,
)

services: Table = RehabService.__table__  # type: ignore[attr-defined]
organisations: Table = Organisation.__table__  # type: ignore[attr-defined]
service_forms: Table = RehabServiceForm.__table__  # type: ignore[attr-defined]
service_groups: Table = RehabServicePatientGroup.__table__  # type: ignore[attr-defined]
service_catchment: Table = RehabServiceCatchment.__table__  # type: ignore[attr-defined]

# A service's own columns as it is read and documented: without search text, tombstone, stored document
# and import bookkeeping.
_HIDDEN = {"search_text", "deleted_at", "doc", "import_digest", "import_digest_version"}
service_columns: list[Column[Any]] = [c for c in services.c if c.name not in _HIDDEN]
