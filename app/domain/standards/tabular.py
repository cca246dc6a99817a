"""HSDS 3.0's tabular form: a Frictionless Data Package (datapackage.json and one CSV per HSDS table).

Table and field names follow HSDS 3.0 (`schema/compiled/tabular.json`); each resource carries a Table
Schema with types, the primary key and the foreign keys between the tables, so `frictionless validate`
checks the whole package.
"""

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlmodel import Session

from app.domain.standards import hsds

UUID = {"type": "string", "format": "uuid"}
TEXT = {"type": "string"}

# table → (file name, [(field, type)], foreign keys as (field, table, field)).
TABLES: dict[str, tuple[str, list[tuple[str, dict[str, str]]], list[tuple[str, str, str]]]] = {
    "organization": (
        "organizations.csv",
        [
            ("id", UUID),
            ("name", TEXT),
            ("description", TEXT),
            ("website", {"type": "string", "format": "uri"}),
            ("parent_organization_id", UUID),
        ],
        [("parent_organization_id", "organization", "id")],
    ),
    "organization_identifier": (
        "organization_identifiers.csv",
        [
            ("id", UUID),
            ("organization_id", UUID),
            ("identifier_scheme", TEXT),
            ("identifier_type", TEXT),
            ("identifier", TEXT),
        ],
        [("organization_id", "organization", "id")],
    ),
    "service": (
        "services.csv",
        [
            ("id", UUID),
            ("organization_id", UUID),
            ("name", TEXT),
            ("description", TEXT),
            ("url", {"type": "string", "format": "uri"}),
            ("email", {"type": "string", "format": "email"}),
            ("status", TEXT),
            ("wait_time", TEXT),
            ("eligibility_description", TEXT),
            ("assured_date", {"type": "date"}),
            ("last_modified", {"type": "datetime"}),
        ],
        [("organization_id", "organization", "id")],
    ),
    "service_area": (
        "service_areas.csv",
        [
            ("id", UUID),
            ("service_id", UUID),
            ("name", TEXT),
            ("description", TEXT),
            ("extent_type", TEXT),
            ("uri", TEXT),
        ],
        [("service_id", "service", "id")],
    ),
    "phone": (
        "phones.csv",
        [("id", UUID), ("service_id", UUID), ("number", TEXT)],
        [("service_id", "service", "id")],
    ),
    "contact": (
        "contacts.csv",
        [("id", UUID), ("service_id", UUID), ("name", TEXT), ("email", {"type": "string", "format": "email"})],
        [("service_id", "service", "id")],
    ),
    "taxonomy": (
        "taxonomies.csv",
        [("id", UUID), ("name", TEXT), ("description", TEXT), ("version", TEXT)],
        [],
    ),
    "taxonomy_term": (
        "taxonomy_terms.csv",
        [
            ("id", UUID),
            ("code", TEXT),
            ("name", TEXT),
            ("description", TEXT),
            ("parent_id", UUID),
            ("taxonomy", TEXT),
            ("taxonomy_id", UUID),
            ("language", TEXT),
        ],
        [("parent_id", "taxonomy_term", "id"), ("taxonomy_id", "taxonomy", "id")],
    ),
    "attribute": (
        "attributes.csv",
        [
            ("id", UUID),
            ("link_id", UUID),
            ("taxonomy_term_id", UUID),
            ("link_type", TEXT),
            ("link_entity", TEXT),
            ("value", TEXT),
        ],
        [("link_id", "service", "id"), ("taxonomy_term_id", "taxonomy_term", "id")],
    ),
}
REQUIRED = {"id", "name", "status", "number", "identifier", "identifier_type"}


def descriptor() -> dict[str, Any]:
    """datapackage.json: one tabular resource per table, with its Table Schema."""
    resources = []
    for name, (path, fields, foreign) in TABLES.items():
        schema: dict[str, Any] = {
            "fields": [
                {"name": f, **kind, **({"constraints": {"required": True}} if f in REQUIRED else {})}
                for f, kind in fields
            ],
            "primaryKey": ["id"],
        }
        if foreign:
            schema["foreignKeys"] = [
                {"fields": [f], "reference": {"resource": "" if table == name else table, "fields": [ref]}}
                for f, table, ref in foreign
            ]
        resources.append(
            {
                "name": name,
                "path": path,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": schema,
            }
        )
    return {
        "profile": "tabular-data-package",
        "name": "rehabkart-hsds",
        "title": "Rehabkart: rehabiliteringstilbud (Open Referral HSDS 3.0)",
        "resources": resources,
    }


def _seconds(value: str) -> str:
    """A date-time without fractions of a second (Frictionless's default datetime format)."""
    return value.split(".")[0] + "Z" if "." in value else value


class _Tables:
    """One CSV writer per table, each on a temporary file: the whole catalogue streams through in one pass
    without being held in memory."""

    def __init__(self, directory: Path) -> None:
        self.files = {
            name: (directory / path).open("w", encoding="utf-8", newline="") for name, (path, _, _) in TABLES.items()
        }
        self.writers = {
            name: csv.DictWriter(
                self.files[name], fieldnames=[f for f, _ in fields], extrasaction="ignore", lineterminator="\r\n"
            )
            for name, (_, fields, _) in TABLES.items()
        }
        for writer in self.writers.values():
            writer.writeheader()

    def add(self, name: str, rows: Iterable[dict[str, Any]]) -> None:
        writer = self.writers[name]
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})

    def close(self) -> None:
        for f in self.files.values():
            f.close()


def datapackage_zip(session: Session, labels: hsds.Labels) -> bytes:
    """The whole catalogue as an HSDS Data Package in one zip (datapackage.json at the root)."""
    req = hsds.PageRequest(1, 1_000_000)
    with tempfile.TemporaryDirectory(prefix="rehabkart-hsds-") as tmp:
        directory = Path(tmp)
        tables = _Tables(directory)
        try:
            for org in hsds.list_organizations(session, req, full=True)["contents"]:
                tables.add("organization", [org])
                tables.add("organization_identifier", org["organization_identifiers"])
            for svc in hsds.iter_all_services(session, labels):
                tables.add("service", [{**svc, "last_modified": _seconds(svc["last_modified"])}])
                tables.add("service_area", svc["service_areas"])
                tables.add("phone", svc["phones"])
                tables.add("contact", svc["contacts"])
                tables.add("attribute", svc["attributes"])
            tables.add("taxonomy", hsds.list_taxonomies(req)["contents"])
            tables.add("taxonomy_term", hsds.list_terms(session, labels, req)["contents"])
        finally:
            tables.close()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("datapackage.json", json.dumps(descriptor(), ensure_ascii=False, indent=2))
            for path, _, _ in TABLES.values():
                archive.write(directory / path, path)
        return buffer.getvalue()
