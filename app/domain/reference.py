"""Load the shipped reference data (regions, municipalities, trusts, catchments, patient groups).

Idempotent: rows are matched on their natural keys and written only when a field differs, so a second
run reports everything unchanged and bumps no version.
"""

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from app.domain import audit, catalogue
from app.domain.actor import Actor
from app.domain.versioning import guarded_update
from app.kit.text import fold, nfc
from app.models import Catchment, Municipality, Organisation, PatientGroup, Region, Tracked
from app.models.organisation import OrganisationKind
from app.models.types import utcnow

REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.deleted)


@dataclass
class ReferenceReport:
    tables: dict[str, Counts] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(c.changed for c in self.tables.values())


def read_csv(name: str, directory: Path = REFERENCE_DIR) -> list[dict[str, str]]:
    """The rows of a reference file, every cell in NFC (as all stored text is)."""
    with (directory / name).open(encoding="utf-8", newline="") as handle:
        return [{key: nfc(value or "") for key, value in row.items()} for row in csv.DictReader(handle)]


def _sync(session: Session, actor: Actor, model: type[Tracked], key: str, rows: Iterable[dict[str, Any]]) -> Counts:
    """Create or update `model` rows matched on `key`, with audit events; touch nothing already equal."""
    counts = Counts()
    existing = {getattr(obj, key): obj for obj in session.exec(select(model)).all()}
    written: list[tuple[Tracked, dict[str, Any] | None]] = []
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            obj = model(**row)
            session.add(obj)
            written.append((obj, None))
            counts.created += 1
            continue
        changed = {k: v for k, v in row.items() if getattr(obj, k) != v}
        if changed:
            before = obj.model_dump()
            for k, v in changed.items():
                setattr(obj, k, v)
            obj.version += 1
            obj.updated_at = utcnow()
            written.append((obj, before))
            counts.updated += 1
        else:
            counts.unchanged += 1
    session.flush()
    table = str(model.__tablename__)
    for obj, previous in written:
        entity_id = getattr(obj, "id", None) or getattr(obj, key)
        action = "create" if previous is None else "update"
        audit.record(session, actor, action, table, entity_id, previous, obj.model_dump(), obj.version)
    return counts


def _region_rows() -> list[dict[str, Any]]:
    return [
        {"code": r["rhf_id"], "name": r["name"], "orgnr": r["orgnr"], "ssb_code": r["ssb_helsereg_code"]}
        for r in read_csv("health_regions.csv")
    ]


def load_reference(session: Session, actor: Actor) -> ReferenceReport:
    """Bring the reference tables in line with the shipped files. The caller commits."""
    report = ReferenceReport()
    # Organisations created by this run are announced by their create event; only older ones get bumped.
    preexisting = set(session.exec(select(Organisation.id)).all())
    report.tables["region"] = _sync(session, actor, Region, "code", _region_rows())
    regions = {r.code: r for r in session.exec(select(Region)).all()}
    region_by_orgnr = {r.orgnr: r for r in regions.values()}

    catchment_rows = read_csv("hf_catchment_by_municipality.csv")
    region_of_municipality = {r["kommunenummer"]: region_by_orgnr[r["rhf_orgnr"]].id for r in catchment_rows}
    report.tables["municipality"] = _sync(
        session,
        actor,
        Municipality,
        "number",
        (
            {
                "number": m["kommunenummer"],
                "name": m["name_unique"],
                "name_official": m["name_official"],
                "county_number": m["fylke_nummer"],
                "county_name": m["fylke_name"],
                "region_id": region_of_municipality.get(m["kommunenummer"]),
                "population": int(m["population_2024_01_01"]) if m["population_2024_01_01"] else None,
            }
            for m in read_csv("municipalities.csv")
        ),
    )

    org_counts = Counts()
    org_by_key: dict[str, Organisation] = {}

    def sync_orgs(rows: Sequence[dict[str, Any]]) -> None:
        counts = _sync(session, actor, Organisation, "reference_key", rows)
        for name in ("created", "updated", "unchanged"):
            setattr(org_counts, name, getattr(org_counts, name) + getattr(counts, name))
        keys = [r["reference_key"] for r in rows]
        for org in session.exec(select(Organisation).where(Organisation.reference_key.in_(keys))).all():  # type: ignore[union-attr]
            org_by_key[org.reference_key or ""] = org

    def org_row(key: str, **values: Any) -> dict[str, Any]:
        values["search_text"] = fold(values["name"], values.get("orgnr") or "")
        return {"reference_key": key, "parent_id": None, "orgnr": None, "municipality_number": None, **values}

    sync_orgs(
        [
            org_row(
                f"rhf:{r.code}",
                kind=OrganisationKind.regional_authority.value,
                name=r.name,
                orgnr=r.orgnr,
                region_id=r.id,
            )
            for r in regions.values()
        ]
    )
    sync_orgs(
        [
            org_row(
                f"hf:{t['hf_id']}",
                kind=OrganisationKind.health_trust.value,
                name=t["name"],
                orgnr=t["orgnr"],
                region_id=region_by_orgnr[t["rhf_orgnr"]].id,
                parent_id=org_by_key[f"rhf:{region_by_orgnr[t['rhf_orgnr']].code}"].id,
            )
            for t in read_csv("health_trusts.csv")
        ]
        + [
            # Which of the two listed numbers is the legal entity is unknown, so none is stored.
            org_row(
                f"privat:{p['provider_id']}",
                kind=OrganisationKind.private_institution.value,
                name=p["name"],
                region_id=region_by_orgnr[p["rhf_orgnr"]].id,
                municipality_number="0301",
            )
            for p in read_csv("private_nonprofit_local_hospitals.csv")
        ]
    )
    sync_orgs(
        [
            org_row(
                f"kommune:{m['kommunenummer']}",
                kind=OrganisationKind.municipality.value,
                name=m["name_unique"],
                municipality_number=m["kommunenummer"],
                region_id=region_of_municipality.get(m["kommunenummer"]),
            )
            for m in read_csv("municipalities.csv")
        ]
    )
    bydel_rows = read_csv("hf_catchment_by_bydel.csv")
    sync_orgs(
        [
            org_row(
                f"bydel:{b['bydel_code']}",
                kind=OrganisationKind.district.value,
                name=b["bydel_name"],
                municipality_number=b["kommunenummer"],
                region_id=region_of_municipality.get(b["kommunenummer"]),
                parent_id=org_by_key[f"kommune:{b['kommunenummer']}"].id,
            )
            for b in bydel_rows
            if not b["bydel_code"].endswith("99")  # "Uoppgitt bydel" is a statistics bucket, not a district
        ]
    )
    report.tables["organisation"] = org_counts

    wanted: set[tuple[int, str, str]] = set()
    split = {r["kommunenummer"] for r in catchment_rows if r["split_by_bydel"] == "true"}
    for r in catchment_rows:
        if r["hf_id"]:
            wanted.add((_id(org_by_key[f"hf:{r['hf_id']}"]), r["kommunenummer"], ""))
    for b in bydel_rows:
        if b["kommunenummer"] in split:
            prefix = "hf" if b["provider_type"] == "HF" else "privat"
            wanted.add((_id(org_by_key[f"{prefix}:{b['provider_id']}"]), b["kommunenummer"], b["bydel_code"]))
    report.tables["catchment"] = _sync_catchments(
        session, actor, wanted, {_id(o) for o in org_by_key.values()}, preexisting
    )

    report.tables["patient_group"] = _load_patient_groups(session, actor)
    if report.tables["catchment"].changed:
        catalogue.refresh_inherited_catchments(session, actor)
    if org_counts.updated:
        catalogue.refresh_docs(session)  # a renamed provider appears in its services' documents
    return report


def _id(obj: Organisation) -> int:
    assert obj.id is not None
    return obj.id


def _sync_catchments(
    session: Session,
    actor: Actor,
    wanted: set[tuple[int, str, str]],
    owners: set[int],
    preexisting: set[int | None],
) -> Counts:
    """Bring catchment rows in line; each organisation whose catchment changed gets a new version."""
    counts = Counts()
    current = {
        (c.organisation_id, c.municipality_number, c.district_code): c
        for c in session.exec(select(Catchment)).all()
        if c.organisation_id in owners
    }
    for key in wanted - current.keys():
        session.add(Catchment(organisation_id=key[0], municipality_number=key[1], district_code=key[2]))
        counts.created += 1
    for key in current.keys() - wanted:
        session.delete(current[key])
        counts.deleted += 1
    counts.unchanged = len(wanted & current.keys())
    session.flush()
    touched = {key[0] for key in wanted ^ current.keys()} & {i for i in preexisting if i is not None}
    for org_id in sorted(touched):
        before = sorted({f"{m}{'/' + d if d else ''}" for o, m, d in current if o == org_id})
        after = sorted({f"{m}{'/' + d if d else ''}" for o, m, d in wanted if o == org_id})
        org = session.get(Organisation, org_id)
        assert org is not None
        version = guarded_update(session, Organisation, org_id, org.version, {}, "organisation")
        session.expire(org)
        audit.record(
            session, actor, "update", "organisation", org_id, {"catchment": before}, {"catchment": after}, version
        )
    return counts


@dataclass
class _Terms:
    nynorsk: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, list[str]] = field(default_factory=dict)


def _patient_group_terms(codes: set[str]) -> _Terms:
    """Each group's nynorsk name and everyday terms, from patient_group_terms.csv (kind `nn` or `synonym`)."""
    out = _Terms()
    for number, row in enumerate(read_csv("patient_group_terms.csv"), start=2):
        code, kind, term = row["group"], row["kind"], row["term"].strip()
        if code not in codes or kind not in ("nn", "synonym") or not term or "|" in term:
            raise ValueError(f"patient_group_terms.csv, line {number}: unknown group or kind, or a bad term")
        if kind == "nn":
            out.nynorsk[code] = term
        else:
            out.aliases.setdefault(code, []).append(term)
    return out


def _load_patient_groups(session: Session, actor: Actor) -> Counts:
    """Sync the taxonomy one depth at a time, so every parent exists before its children."""
    rows = read_csv("patient_groups.csv")
    terms = _patient_group_terms({r["code"] for r in rows})
    total = Counts()
    done: set[str] = set()
    while len(done) < len(rows):
        layer = [r for r in rows if r["code"] not in done and (not r["parent"] or r["parent"] in done)]
        if not layer:
            raise ValueError("patient_groups.csv: a parent is missing or the tree has a cycle")
        ids = {g.code: g.id for g in session.exec(select(PatientGroup)).all()}
        counts = _sync(
            session,
            actor,
            PatientGroup,
            "code",
            (
                {
                    "code": r["code"],
                    "parent_id": ids[r["parent"]] if r["parent"] else None,
                    "name_nb": r["name_nb"],
                    "name_en": r["name_en"],
                    "name_nn": terms.nynorsk.get(r["code"]),
                    "aliases": "|".join(terms.aliases.get(r["code"], [])),
                    "icd10": r["icd10"] or None,
                    "sort_order": int(r["sort_order"]),
                }
                for r in layer
            ),
        )
        total.created += counts.created
        total.updated += counts.updated
        total.unchanged += counts.unchanged
        done.update(r["code"] for r in layer)
    return total
