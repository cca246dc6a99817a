"""The rehabilitation-service catalogue: find, read, create, change, upsert and delete services.

Every write stores the service's JSON document (`rehab_service.doc`), so reading a page is one indexed
query plus a join of stored documents: the list endpoint is the hottest path in the product.

- `tables`: the catalogue's tables by name.
- `query`: `ServiceFilter`, its SQL (compiled once per shape) and the list and document reads.
- `values`: what is stored for a service's fields, and `resolve`, which checks and computes it.
- `documents`: the one document builder, services assembled from their tables, stored documents.
- `links`: the rows of a service's forms, patient groups and catchment.
- `catchments`: the default catchment an organisation's services inherit.
- `writes`: single writes (create, update, upsert, delete, verify, inherited catchments).
- `bulk`: many upserts at once, for imports.
- `conflicts`: merging an edit that lost the race with what was saved meanwhile.
- `verification`: "today" in Norway and the "not verified for 12 months" rule.
- `summary`: the front page's overview, the filters' options and the form's providers.
"""

from app.domain.catalogue.bulk import BulkRow, BulkUpsert
from app.domain.catalogue.catchments import default_catchment, default_catchments
from app.domain.catalogue.conflicts import MergedEdit, merge_edit
from app.domain.catalogue.documents import (
    ServiceDict,
    build_document,
    get_service,
    hydrate,
    refresh_docs,
    store_docs,
)
from app.domain.catalogue.query import ServiceFilter, get_service_doc, list_service_docs, list_services
from app.domain.catalogue.summary import (
    CatalogueSummary,
    FilterOptions,
    filter_options,
    organisation_options,
    summary,
    writable_providers,
)
from app.domain.catalogue.values import (
    LINK_FIELDS,
    SCALAR_FIELDS,
    ServiceValues,
    code_errors,
    resolve,
    stored_values,
)
from app.domain.catalogue.verification import NORWAY, is_unverified, unverified_before
from app.domain.catalogue.writes import (
    Outcome,
    create_service,
    delete_service,
    refresh_inherited_catchments,
    update_service,
    upsert_service,
    verify_service,
)

__all__ = [
    "LINK_FIELDS",
    "NORWAY",
    "SCALAR_FIELDS",
    "BulkRow",
    "BulkUpsert",
    "CatalogueSummary",
    "FilterOptions",
    "MergedEdit",
    "Outcome",
    "ServiceDict",
    "ServiceFilter",
    "ServiceValues",
    "build_document",
    "code_errors",
    "create_service",
    "default_catchment",
    "default_catchments",
    "delete_service",
    "filter_options",
    "get_service",
    "get_service_doc",
    "hydrate",
    "is_unverified",
    "list_service_docs",
    "list_services",
    "merge_edit",
    "organisation_options",
    "refresh_docs",
    "refresh_inherited_catchments",
    "resolve",
    "store_docs",
    "stored_values",
    "summary",
    "unverified_before",
    "update_service",
    "upsert_service",
    "verify_service",
    "writable_providers",
]
