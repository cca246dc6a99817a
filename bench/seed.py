"""Create a benchmark database: schema (Alembic), reference data and N generated rehabilitation services.

    .venv/bin/python bench/seed.py bench/results/bench.db --reset
    .venv/bin/python bench/seed.py postgresql+psycopg://postgres@127.0.0.1:5434/postgres --reset

The services are invented but shaped like the real catalogue: ~65% municipal services (provider = a
municipality, catchment = that municipality) and ~35% specialist services from the health trusts
(catchment = the trust's opptaksområde). Everything derives from one fixed random seed, so two runs
(or a SQLite and a PostgreSQL run) hold the same services with the same ids.

They are written with SQLAlchemy Core executemany, not through the API: 100,000 services take
seconds on SQLite. `--reset` wipes the target first (SQLite: the file; PostgreSQL: the public schema,
local servers only).
"""

from __future__ import annotations

import argparse
import inspect
import json
import math
import os
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    # Last, so PYTHONPATH (run_list_bench.py --app-dir) or the editable install decides which `app` is used.
    sys.path.append(str(PROJECT_ROOT))

from sqlalchemy import JSON, Connection, Engine, Table, func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

DEFAULT_SERVICES = 100_000
DEFAULT_SEED = 20261122
MUNICIPAL_SHARE = 0.65
CHUNK = 20_000
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", None})

FORMS = ("inpatient", "day", "outpatient", "ambulatory", "home_based", "learning_and_mastery", "digital")
# Municipal services are mostly home-based, day and course offers; the trusts' mostly inpatient and outpatient.
MUNICIPAL_FORM_WEIGHTS = (6, 14, 8, 6, 30, 20, 16)
SPECIALIST_FORM_WEIGHTS = (30, 14, 28, 12, 2, 8, 6)

FORM_LABELS = {
    "inpatient": ("Døgnrehabilitering", "Rehabiliteringsopphold", "Korttidsopphold med rehabilitering"),
    "day": ("Dagrehabilitering", "Dagtilbud med trening"),
    "outpatient": ("Poliklinisk rehabilitering", "Poliklinikk for rehabilitering"),
    "ambulatory": ("Ambulant rehabiliteringsteam", "Ambulant oppfølging"),
    "home_based": ("Hverdagsrehabilitering", "Hjemmebasert rehabilitering"),
    "learning_and_mastery": ("Lærings- og mestringskurs", "Mestringskurs", "Pasient- og pårørendeopplæring"),
    "digital": ("Digital oppfølging", "Videobasert trening", "Digital hjemmeoppfølging"),
}
GROUP_PHRASES = {
    "lung": "lungesykdom",
    "copd": "KOLS",
    "asthma": "astma",
    "other_lung": "andre lungesykdommer",
    "cancer": "kreft",
    "cancer_late_effects": "senskader etter kreft",
    "neuro": "nevrologiske sykdommer",
    "stroke": "hjerneslag",
    "head_injury": "hodeskade",
    "ms": "MS",
    "parkinson": "Parkinsons sykdom",
    "me_cfs": "ME/CFS",
    "cognitive_impairment": "kognitiv svikt",
    "musculoskeletal": "muskel- og skjelettlidelser",
    "rheumatoid_arthritis": "revmatoid artritt",
    "cardiac": "hjertesykdom",
    "children_complex": "barn med sammensatte behov",
    "elderly_multimorbid": "eldre med sammensatte lidelser",
}
NAME_PREFIXES = ("", "", "", "", "Tverrfaglig ", "Gruppebasert ", "Individuell ", "Intensiv ")
SPECIALIST_UNITS = (
    "Avdeling for fysikalsk medisin og rehabilitering",
    "Rehabiliteringsklinikken",
    "Lungemedisinsk avdeling",
    "Nevrologisk avdeling",
    "Kreftavdelingen",
    "Hjerteavdelingen",
    "Revmatologisk avdeling",
    "Lærings- og mestringssenteret",
    "Habiliteringstjenesten",
)
MUNICIPAL_UNITS = (
    "Tildelingskontoret",
    "Hjemmetjenesten",
    "Fysio- og ergoterapitjenesten",
    "Frisklivssentralen",
    "Korttidsavdelingen",
    "Rehabiliteringsteamet",
    "Helsehuset",
    "Dagsenteret",
)
DESCRIPTION_SENTENCES = (
    "Tilbudet gis av et tverrfaglig team med fysioterapeut, ergoterapeut og sykepleier.",
    "Målet er at pasienten skal mestre hverdagen og delta i arbeid, skole og fritid.",
    "Opplegget tilpasses den enkeltes mål og funksjon, og pårørende kan delta.",
    "Trening foregår i grupper på inntil åtte deltakere, to ganger i uken.",
    "Det legges vekt på fysisk aktivitet, kosthold, søvn og mestring av symptomer.",
    "Etter avsluttet opphold får pasienten en plan for videre oppfølging i kommunen.",
    "Tilbudet samarbeider tett med fastlege, hjemmetjeneste og spesialisthelsetjenesten.",
    "Kurset går over fire samlinger og ledes sammen med en likeperson med egenerfaring.",
    "Oppstart skjer etter en kartleggingssamtale der vi avtaler mål og varighet.",
    "Deler av oppfølgingen kan skje på video, slik at reiseveien blir kortere.",
    "Vi tilbyr også veiledning til pårørende og til ansatte i kommunale tjenester.",
    "Tilbudet er gratis for pasienten, bortsett fra vanlig egenandel for poliklinikk.",
)
REFERRAL_CRITERIA = (
    "",
    "Henvisning fra fastlege eller sykehuslege.",
    "Søknad via tildelingskontoret; vedtak etter helse- og omsorgstjenesteloven.",
    "Pasienten må være motivert og ha et rehabiliteringspotensial.",
    "Diagnosen må være bekreftet av spesialist.",
)
CAPACITY_UNITS = ("beds", "day_places", "course_seats_per_year", "consultations_per_year", "places")
STATUS_WEIGHTS = (("active", 90), ("planned", 4), ("paused", 4), ("discontinued", 2))


@dataclass(frozen=True)
class Provider:
    id: int
    name: str
    slug: str
    municipality_number: str | None
    catchment: tuple[str, ...]
    weight: float


@dataclass
class SeedReport:
    url: str
    services: int = 0
    municipal: int = 0
    specialist: int = 0
    deleted: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def sqlite_path(url: str) -> Path | None:
    """The file behind a SQLite URL (or None for another backend)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise SystemExit("seed: a SQLite benchmark database needs a file")
    return Path(parsed.database)


def normalise_url(target: str) -> str:
    """Accept a plain file path as shorthand for sqlite:///path (made absolute)."""
    if "://" in target:
        return target
    return f"sqlite:///{Path(target).resolve()}"


def reset_database(url: str) -> None:
    """Make the target empty: delete the SQLite file, or drop PostgreSQL's public schema (local only)."""
    path = sqlite_path(url)
    if path is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    parsed = make_url(url)
    if parsed.host not in LOCAL_HOSTS:
        raise SystemExit(f"seed: refusing to wipe a database that is not on this machine ({safe_url(url)})")
    from sqlalchemy import create_engine

    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def seeded_count(url: str) -> int | None:
    """Services in a database migrated to head, or None when it is missing, empty or out of date."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, inspect

    try:
        from app.db.migrations import alembic_config
    except ImportError:  # a checkout from before the app/db package (--app-dir)
        from app.schema import alembic_config  # type: ignore[import-not-found,no-redef,unused-ignore]

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = create_engine(url)
    try:
        if not inspect(engine).has_table("alembic_version"):
            return None
        with engine.connect() as conn:
            if conn.execute(text("SELECT version_num FROM alembic_version")).scalar() != head:
                return None
            return int(conn.execute(text("SELECT count(*) FROM rehab_service")).scalar_one())
    finally:
        engine.dispose()


def _weighted_counts(weights: Sequence[float], total: int, rng: random.Random) -> list[int]:
    """Split `total` over the weights, at least one each (when total allows), summing exactly to total."""
    n = len(weights)
    base = [1] * n if total >= n else [0] * n
    rest = total - sum(base)
    scale = sum(weights)
    shares = [rest * w / scale for w in weights]
    counts = [b + math.floor(s) for b, s in zip(base, shares, strict=True)]
    # Hand out the remainder by largest fractional part (ties broken by the seeded rng).
    order = sorted(range(n), key=lambda i: (shares[i] - math.floor(shares[i]), rng.random()), reverse=True)
    for i in order[: total - sum(counts)]:
        counts[i] += 1
    return counts


def _slug(name: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "-", ".": "", "(": "", ")": "", "/": "-"})
    return "".join(ch for ch in name.casefold().translate(table) if ch.isalnum() or ch == "-").strip("-")


def _random_datetime(rng: random.Random, start: datetime, end: datetime) -> datetime:
    span = (end - start).total_seconds()
    return (start + timedelta(seconds=rng.random() * span)).replace(microsecond=0)


def _random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randrange((end - start).days + 1))


def _load_reference(session: Any) -> None:
    """app.domain.reference.load_reference, with a system actor where the loader records who changed what."""
    from app.domain import reference

    load: Any = reference.load_reference
    if "actor" in inspect.signature(load).parameters:
        try:
            from app.domain.actor import system_actor
        except ImportError:  # a checkout from before app/domain/actor.py (--app-dir)
            from app.domain.auth import system_actor  # type: ignore[attr-defined,no-redef,unused-ignore]

        load(session, system_actor("bench:seed"))
    else:
        load(session)


DOCUMENT_SAMPLE = 300


def _check_documents(rng_seed: int) -> int:
    """Compare a sample of the documents written by the seed with the app's own; rebuild all on a difference.

    The sample's documents are cleared and rebuilt by catalogue.refresh_docs(only_missing=True), so the
    check uses only the app's public rebuild and catches any drift in how the app writes documents.
    """
    from sqlalchemy import update

    from app import db
    from app.domain import catalogue
    from app.models import RehabService

    table = RehabService.__table__  # type: ignore[attr-defined]
    with db.transaction() as session:
        live = list(session.execute(select(table.c.id).where(table.c.doc.is_not(None))).scalars())
        sample = sorted(random.Random(rng_seed).sample(live, min(DOCUMENT_SAMPLE, len(live))))
        documents = select(table.c.id, table.c.doc).where(table.c.id.in_(sample))
        ours: dict[int, str | None] = {}
        for sid, doc in session.execute(documents):
            ours[sid] = doc
        session.execute(update(table).where(table.c.id.in_(sample)).values(doc=None))
        catalogue.refresh_docs(session, only_missing=True)
        theirs: dict[int, str | None] = {}
        for sid, doc in session.execute(documents):
            theirs[sid] = doc
        differing = [sid for sid in sample if ours[sid] != theirs[sid]]
        if differing:
            print(f"seed: {len(differing)} of {len(sample)} sampled documents differ from the app's; rebuilding all")
            session.execute(update(table).values(doc=None))
            return int(catalogue.refresh_docs(session, only_missing=True))
    return len(live)


def _build_documents() -> int:
    """Build what the app derives from the tables on a write, as `rehabkart db upgrade` does for a bulk load.

    Since the list endpoint serves stored JSON documents (rehab_service.doc), a service without one would
    be assembled on every read: a seeded database must have them, like a real one.
    """
    from app import db
    from app.domain import catalogue

    refresh: Any = getattr(catalogue, "refresh_docs", None)
    if refresh is None:  # code from before stored documents
        return 0
    with db.transaction() as session:
        return int(refresh(session, only_missing=True))


def _load_providers(engine: Engine) -> tuple[list[Provider], list[Provider]]:
    """Municipality organisations and health trusts (with the distinct municipalities they serve)."""
    from app.models import Catchment, Municipality, Organisation

    org = Organisation.__table__  # type: ignore[attr-defined]
    mun = Municipality.__table__  # type: ignore[attr-defined]
    cat = Catchment.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        populations: dict[str, int | None] = {}
        for number, population in conn.execute(select(mun.c.number, mun.c.population)):
            populations[number] = population
        municipal = [
            Provider(
                id=row.id,
                name=row.name,
                slug=_slug(row.name),
                municipality_number=row.municipality_number,
                catchment=(row.municipality_number,),
                weight=math.sqrt(populations.get(row.municipality_number) or 1_000),
            )
            for row in conn.execute(
                select(org.c.id, org.c.name, org.c.municipality_number)
                .where(org.c.kind == "municipality")
                .order_by(org.c.municipality_number)
            )
        ]
        served: dict[int, list[str]] = {}
        for org_id, number in conn.execute(
            select(cat.c.organisation_id, cat.c.municipality_number)
            .join(org, org.c.id == cat.c.organisation_id)
            .where(org.c.kind == "health_trust")
            .distinct()
            .order_by(cat.c.organisation_id, cat.c.municipality_number)
        ):
            served.setdefault(org_id, []).append(number)
        trusts = [
            Provider(
                id=row.id,
                name=row.name,
                slug=_slug(row.name.removesuffix(" HF")),
                municipality_number=None,
                catchment=tuple(served[row.id]),
                weight=math.sqrt(sum(populations.get(n) or 0 for n in served[row.id])),
            )
            for row in conn.execute(select(org.c.id, org.c.name).where(org.c.kind == "health_trust").order_by(org.c.id))
            if row.id in served
        ]
    return municipal, trusts


def _patient_groups(engine: Engine) -> list[tuple[int, str]]:
    from app.models import PatientGroup

    pg = PatientGroup.__table__  # type: ignore[attr-defined]
    with engine.connect() as conn:
        return [(row.id, row.code) for row in conn.execute(select(pg.c.id, pg.c.code).order_by(pg.c.sort_order))]


@dataclass
class _Generated:
    services: list[dict[str, Any]]
    forms: list[dict[str, Any]]
    groups: list[dict[str, Any]]
    catchment: list[dict[str, Any]]
    municipal: int
    specialist: int
    deleted: int


DocumentBuilder = Callable[[dict[str, Any], str, list[str], list[str], list[str]], str]


def _document_builder() -> DocumentBuilder | None:
    """A function writing a service's stored JSON document as the app does, if the app stores them."""
    try:
        from app.models import RehabService
        from app.models.rehab_service import RehabServiceRead
    except ImportError:
        return None
    try:
        from app.kit.serialization import dumps
    except ImportError:  # a checkout from before app/kit (--app-dir)
        try:
            from app.serialization import dumps  # type: ignore[import-not-found,no-redef,unused-ignore]
        except ImportError:
            return None
    if "doc" not in RehabService.__table__.c:  # type: ignore[attr-defined]
        return None
    fields = tuple(RehabServiceRead.model_fields)

    def build(row: dict[str, Any], provider: str, forms: list[str], groups: list[str], catchment: list[str]) -> str:
        values = {**row, "provider_name": provider, "forms": forms, "patient_groups": groups, "catchment": catchment}
        return str(dumps({key: values[key] for key in fields}).decode())

    return build


def generate(
    municipal: list[Provider],
    trusts: list[Provider],
    groups: list[tuple[int, str]],
    n: int,
    seed: int,
    build_document: DocumentBuilder | None = None,
) -> _Generated:
    """Rows for n services and their forms, patient groups and catchments; deterministic for `seed`.

    With `build_document`, each live service row also carries its stored JSON document (`doc`).
    """
    try:
        from app.kit.text import fold
    except ImportError:  # a checkout from before app/kit (--app-dir)
        from app.domain.text import fold  # type: ignore[import-not-found,no-redef,unused-ignore]

    rng = random.Random(seed)
    n_municipal = round(n * MUNICIPAL_SHARE)
    per_municipality = _weighted_counts([p.weight for p in municipal], n_municipal, rng)
    per_trust = _weighted_counts([p.weight for p in trusts], n - n_municipal, rng)
    plan = [(p, "municipal") for p, k in zip(municipal, per_municipality, strict=True) for _ in range(k)]
    plan += [(p, "specialist") for p, k in zip(trusts, per_trust, strict=True) for _ in range(k)]
    rng.shuffle(plan)  # interleave providers in id order, like a catalogue filled over time

    statuses = [s for s, _ in STATUS_WEIGHTS]
    status_weights = [w for _, w in STATUS_WEIGHTS]
    start, end = datetime(2024, 1, 2, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    out = _Generated([], [], [], [], 0, 0, 0)
    for service_id, (provider, level) in enumerate(plan, start=1):
        form_weights = MUNICIPAL_FORM_WEIGHTS if level == "municipal" else SPECIALIST_FORM_WEIGHTS
        forms: set[str] = set()
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            forms.add(rng.choices(FORMS, form_weights)[0])
        chosen_groups = rng.sample(groups, rng.choice((1, 1, 2)))
        main_form = sorted(forms, key=FORMS.index)[0]
        main_group = chosen_groups[0][1]
        prefix = rng.choice(NAME_PREFIXES)
        label = rng.choice(FORM_LABELS[main_form])
        label = label[0].lower() + label[1:] if prefix else label
        where = provider.name if level == "municipal" else f"{rng.choice(SPECIALIST_UNITS)}, {provider.name}"
        name = f"{prefix}{label} for {GROUP_PHRASES.get(main_group, main_group)} – {where}"
        unit = rng.choice(MUNICIPAL_UNITS if level == "municipal" else SPECIALIST_UNITS)
        phrase = GROUP_PHRASES.get(main_group, main_group)
        sentences = rng.sample(DESCRIPTION_SENTENCES, rng.randint(1, 4))
        description = " ".join([f"{unit} i {provider.name} tilbyr {label.lower()} for {phrase}.", *sentences])
        created = _random_datetime(rng, start, end)
        updated = created if rng.random() < 0.6 else _random_datetime(rng, created, end)
        has_capacity = rng.random() < 0.5
        has_waiting = rng.random() < 0.6
        deleted = rng.random() < 0.01
        domain = f"{provider.slug}.kommune.no" if level == "municipal" else f"{provider.slug}.no"
        out.services.append(
            {
                "id": service_id,
                "provider_id": provider.id,
                "name": name,
                "description": description,
                "level": level,
                "status": rng.choices(statuses, status_weights)[0],
                "age_groups": sorted(
                    rng.sample(["children", "adults", "elderly"], rng.randint(1, 3)),
                    key=["children", "adults", "elderly"].index,
                ),
                "capacity_number": rng.randint(2, 400) if has_capacity else None,
                "capacity_unit": rng.choice(CAPACITY_UNITS) if has_capacity else None,
                "waiting_time_days": rng.randint(0, 180) if has_waiting else None,
                "waiting_time_reported_on": _random_date(rng, date(2025, 1, 1), date(2026, 10, 31))
                if has_waiting
                else None,
                "referrers": sorted(
                    rng.sample(["gp", "hospital", "self_referral", "municipality"], rng.randint(1, 3)),
                    key=["gp", "hospital", "self_referral", "municipality"].index,
                ),
                "referral_criteria": rng.choice(REFERRAL_CRITERIA),
                "contact_name": unit if rng.random() < 0.7 else None,
                "contact_phone": f"+47 {rng.randint(21, 99)} {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)}"
                if rng.random() < 0.8
                else None,
                "contact_email": f"rehabilitering@{domain}" if rng.random() < 0.6 else None,
                "website": f"https://www.{domain}/helse/rehabilitering/{service_id}" if rng.random() < 0.5 else None,
                "valid_from": _random_date(rng, date(2020, 1, 1), date(2026, 6, 30)) if rng.random() < 0.3 else None,
                "valid_to": None,
                "last_verified_on": _random_date(rng, date(2025, 1, 1), date(2026, 11, 1))
                if rng.random() < 0.5
                else None,
                "catchment_inherited": True,
                "source": "integration" if rng.random() < 0.4 else "manual",
                "source_batch_id": None,
                "external_id": f"bench-{service_id}",
                "helsehjelpsomrade_8655": "H09" if level == "specialist" and rng.random() < 0.7 else None,
                "iplos_9151": "19" if level == "municipal" and "inpatient" in forms else None,
                "omsorgsniva_8406": ("1" if "inpatient" in forms else "3") if level == "specialist" else None,
                "search_text": fold(name, description),
                "deleted_at": _random_datetime(rng, updated, end) if deleted else None,
                "version": 1,
                "created_at": created,
                "updated_at": updated,
            }
        )
        if build_document is not None:
            row = out.services[-1]
            row["doc"] = (
                None
                if row["deleted_at"] is not None
                else build_document(
                    row,
                    provider.name,
                    sorted(forms, key=FORMS.index),
                    sorted(code for _, code in chosen_groups),
                    sorted(provider.catchment),
                )
            )
        out.forms.extend({"service_id": service_id, "form": f} for f in sorted(forms))
        out.groups.extend({"service_id": service_id, "patient_group_id": g} for g, _ in sorted(chosen_groups))
        out.catchment.extend({"service_id": service_id, "municipality_number": m} for m in provider.catchment)
        out.municipal += level == "municipal"
        out.specialist += level == "specialist"
        out.deleted += deleted
    return out


def _chunks(rows: list[dict[str, Any]], size: int = CHUNK) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]


def _bulk_insert(engine: Engine, table: Table, rows: list[dict[str, Any]], *, copy: bool = False) -> None:
    """Insert `rows` with Core executemany, or with PostgreSQL's COPY (about 4x faster there)."""
    with engine.begin() as conn:
        if copy and engine.dialect.name == "postgresql":
            _copy(conn, table, rows)
            return
        for chunk in _chunks(rows):
            conn.execute(insert(table), chunk)


def _copy(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY … FROM STDIN on the connection's psycopg connection; columns the rows leave out stay NULL."""
    if not rows:
        return
    columns = [c.name for c in table.c if c.name in rows[0]]
    unknown = set(rows[0]) - set(columns)
    if unknown:
        raise ValueError(f"{table.name} has no columns {sorted(unknown)}")
    quote = conn.dialect.identifier_preparer.quote
    statement = f"COPY {quote(table.name)} ({', '.join(quote(c) for c in columns)}) FROM STDIN"
    json_columns = {c.name for c in table.c if isinstance(c.type, JSON)}
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(
                    [json.dumps(row[c], ensure_ascii=False) if c in json_columns else row[c] for c in columns]
                )
    finally:
        cursor.close()


def seed(
    url: str, n: int = DEFAULT_SERVICES, rng_seed: int = DEFAULT_SEED, *, reset: bool = False, copy: bool = True
) -> SeedReport:
    """Migrate `url`, load reference data and insert `n` generated services. The target must be empty.

    Rows go in with SQLAlchemy Core executemany; on PostgreSQL with COPY unless `copy` is False.
    """
    report = SeedReport(safe_url(url))
    clock = time.perf_counter()
    if reset:
        reset_database(url)
    elif seeded_count(url) is not None:
        raise SystemExit(f"seed: {safe_url(url)} already holds a Rehabkart schema; pass --reset to replace it")

    os.environ["REHABKART_DATABASE_URL"] = url
    from app import db

    try:
        from app.db import migrations as schema
    except ImportError:  # a checkout from before the app/db package (--app-dir)
        from app import schema  # type: ignore[attr-defined,no-redef,unused-ignore]
    from app.domain import geography, taxonomy
    from app.models import RehabService, RehabServiceCatchment, RehabServiceForm, RehabServicePatientGroup

    db.reset_engines()
    schema.upgrade(url)
    report.seconds["migrate"] = time.perf_counter() - clock

    clock = time.perf_counter()
    with db.transaction() as session:
        _load_reference(session)
    taxonomy.invalidate()
    geography.invalidate()
    report.seconds["reference"] = time.perf_counter() - clock

    clock = time.perf_counter()
    engine = db.get_write_engine()
    municipal, trusts = _load_providers(engine)
    groups = _patient_groups(engine)
    build_document = _document_builder()
    data = generate(municipal, trusts, groups, n, rng_seed, build_document)
    report.seconds["generate"] = time.perf_counter() - clock

    tables: list[tuple[str, Table, list[dict[str, Any]]]] = [
        ("rehab_service", RehabService.__table__, data.services),  # type: ignore[attr-defined]
        ("rehab_service_form", RehabServiceForm.__table__, data.forms),  # type: ignore[attr-defined]
        ("rehab_service_patient_group", RehabServicePatientGroup.__table__, data.groups),  # type: ignore[attr-defined]
        ("rehab_service_catchment", RehabServiceCatchment.__table__, data.catchment),  # type: ignore[attr-defined]
    ]
    for name, table, rows in tables:
        started = time.perf_counter()
        _bulk_insert(engine, table, rows, copy=copy)
        report.rows[name] = len(rows)
        report.seconds[f"insert {name}"] = time.perf_counter() - started

    clock = time.perf_counter()
    report.rows["stored documents"] = _check_documents(rng_seed) if build_document else _build_documents()
    report.seconds["documents"] = time.perf_counter() - clock

    clock = time.perf_counter()
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Explicit ids were inserted: move the sequence on so the API can still create services.
            conn.execute(
                text("SELECT setval(pg_get_serial_sequence('rehab_service', 'id'), max(id)) FROM rehab_service")
            )
        report.rows["municipality"] = int(conn.execute(text("SELECT count(*) FROM municipality")).scalar_one())
        report.rows["organisation"] = int(conn.execute(text("SELECT count(*) FROM organisation")).scalar_one())
        report.rows["patient_group"] = int(conn.execute(text("SELECT count(*) FROM patient_group")).scalar_one())
        covered = conn.execute(
            select(func.count(func.distinct(RehabServiceCatchment.municipality_number)))
        ).scalar_one()
        report.rows["municipalities_covered"] = int(covered)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # what autovacuum would do shortly after a bulk load
    db.reset_engines()
    path = sqlite_path(url)
    if path is not None:
        # Fold the WAL into the main file: datasette's immutable mode reads the main file only.
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    report.seconds["finish"] = time.perf_counter() - clock
    report.services, report.municipal, report.specialist, report.deleted = (
        len(data.services),
        data.municipal,
        data.specialist,
        data.deleted,
    )
    return report


def print_report(report: SeedReport) -> None:
    print(f"Seeded {report.url}")
    print(
        f"  services {report.services:,}: municipal {report.municipal:,}, specialist {report.specialist:,}, "
        f"deleted (tombstones) {report.deleted:,}"
    )
    for name, count in report.rows.items():
        print(f"  {name:<30} {count:>9,}")
    print(
        "  time: "
        + ", ".join(f"{k} {v:.1f}s" for k, v in report.seconds.items())
        + f" (total {sum(report.seconds.values()):.1f}s)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("target", help="SQLite file path or SQLAlchemy URL (sqlite:///…, postgresql+psycopg://…)")
    parser.add_argument("--services", type=int, default=DEFAULT_SERVICES, help="services to generate")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    parser.add_argument("--reset", action="store_true", help="wipe the target database first")
    parser.add_argument(
        "--no-copy", action="store_true", help="PostgreSQL: use executemany instead of COPY (about 4x slower)"
    )
    args = parser.parse_args(argv)
    if args.services < 1:
        parser.error("--services must be at least 1")
    print_report(seed(normalise_url(args.target), args.services, args.seed, reset=args.reset, copy=not args.no_copy))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
