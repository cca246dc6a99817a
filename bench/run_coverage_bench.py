"""Benchmark the coverage matrix (app/domain/coverage.py) beside a naive one-query-per-cell baseline.

    .venv/bin/python bench/run_coverage_bench.py
    .venv/bin/python bench/run_coverage_bench.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5434/postgres

On the list benchmark's data set (bench/results/bench.db, 100,000 services; seeded when missing or out of
date) the script adds 20 published pathway templates of 8 steps, made deterministically (fixed random seed)
through `pathways.create` + `pathways.publish`, and skipped when their series already exist. Then, per
database, in a fresh process (so peak RSS is the measurement's own):

* `coverage.matrix(session, actor, id)` for the whole country (357 municipalities × 8 steps) and for one
  or two regions (HN, HSO), for every template: wall time (1 warm-up, then --reps runs, a new Session each,
  median), SQL statements per matrix (a `before_cursor_execute` listener), their execute time, peak Python
  allocations of one matrix (tracemalloc) and the process's peak RSS;
* the naive baseline: one `SELECT EXISTS (…)` per cell over the same tables with the same rules, for
  --naive-templates templates (whole country and the first region), checked cell by cell against the
  real matrix's `covered`;
* EXPLAIN QUERY PLAN (SQLite) / EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL) of the grouped statements.

Then the HTTP API (`GET /api/v1/coverage/matrix?template=…[&region=…]`) through uvicorn, one worker as
`rehabkart serve` runs it, with httpx: median latency per scope; and the heat-map page
`/pathways/{id}/coverage?region=…` beside it when that page exists (answers 200).

With --postgres-url the same on PostgreSQL, seeded the same way (that database is WIPED when it does not
hold the data set yet). Results: a table, and bench/results/coverage-bench-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = sys.executable

sys.path.insert(0, str(BENCH_DIR))
import run_list_bench as lb  # noqa: E402
import seed as seeding  # noqa: E402

SERIES_PREFIX = "bench-dekning-"
TEMPLATE_SEED = 20261128
TARGETS = {"country_ms": 300.0, "region_ms": 100.0, "speedup": 20.0, "page_ratio": 2.0}

# --- the templates ----------------------------------------------------------------------------------------

# Step archetypes: (title, levels, forms to draw 1–3 from, responsible role). Realistic for the demo's
# pathways (app/demo/pathways.json): the hospital's part, the hand-over, the municipality's part, follow-up.
ARCHETYPES: tuple[tuple[str, tuple[str, ...], tuple[str, ...], str], ...] = (
    ("Kartlegging av rehabiliteringsbehov i sykehuset", ("specialist",), ("inpatient", "outpatient"), "hospital_team"),
    ("Tverrfaglig vurdering", ("municipal", "specialist"), ("outpatient", "day", "ambulatory"), "hospital_team"),
    ("Døgnrehabilitering i spesialisthelsetjenesten", ("specialist",), ("inpatient",), "hospital_team"),
    ("Poliklinisk rehabilitering", ("specialist",), ("outpatient", "day", "digital"), "hospital_team"),
    ("Ambulant team fra sykehuset", ("specialist",), ("ambulatory", "home_based"), "hospital_team"),
    ("Arbeidsrettet rehabilitering", ("municipal", "specialist"), ("outpatient", "day"), "rehabilitation_team"),
    ("Korttidsopphold med rehabilitering", ("municipal",), ("inpatient", "day"), "coordinating_unit"),
    ("Hverdagsrehabilitering", ("municipal",), ("home_based", "ambulatory"), "home_care_service"),
    ("Dagrehabilitering i kommunen", ("municipal",), ("day", "outpatient"), "rehabilitation_team"),
    ("Fysioterapi og trening i kommunen", ("municipal",), ("outpatient", "day", "home_based"), "rehabilitation_team"),
    ("Lærings- og mestringskurs", ("municipal", "specialist"), ("learning_and_mastery", "digital"), "other"),
    ("Frisklivssentral og fysisk aktivitet", ("municipal",), ("learning_and_mastery", "day"), "rehabilitation_team"),
    ("Koordinator og individuell plan", ("municipal",), ("ambulatory", "home_based", "outpatient"), "coordinator"),
    ("Digital oppfølging", ("municipal", "specialist"), ("digital",), "rehabilitation_team"),
    ("Oppfølging hos fastlegen", ("municipal",), ("outpatient",), "gp"),
    ("Kontroll etter tolv måneder", ("municipal", "specialist"), ("outpatient", "digital"), "hospital_team"),
)
GROUP_TITLES = {
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


def _slug(text: str) -> str:
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "-"})
    slug = "".join(ch for ch in text.casefold().translate(table) if ch.isalnum() or ch == "-")
    return "-".join(part for part in slug.split("-") if part)[:60]


def template_specs(
    groups: Sequence[tuple[str, str | None]], owners: Sequence[int], count: int, steps: int, rng_seed: int
) -> list[dict[str, Any]]:
    """`count` PathwayCreate bodies of `steps` steps each, the same for the same seed and reference data.

    `groups` is the taxonomy as (code, parent code) in sort order; every other template names a top-level
    group (lung, neuro, cancer …), the others a sub-group (copd, stroke …), a quarter of them two groups.
    Steps: 8 of 16 archetypes in pathway order, 1–3 forms each; in half of the templates general services
    (no patient group) count for one or two municipal steps.
    """
    rng = random.Random(rng_seed)
    top = [code for code, parent in groups if parent is None]
    sub = [code for code, parent in groups if parent is not None]
    specs = []
    for index in range(count):
        pool = top if index % 2 == 0 else sub
        chosen = [pool[index // 2 % len(pool)]] if index < 2 * min(len(top), len(sub)) else [rng.choice(pool)]
        if rng.random() < 0.25:
            chosen.append(rng.choice([c for c in top + sub if c not in chosen]))
        archetypes = sorted(rng.sample(range(len(ARCHETYPES)), steps))  # in pathway order
        day = 0
        body_steps = []
        for position in archetypes:
            title, levels, forms, role = ARCHETYPES[position]
            if len(levels) == 2 and rng.random() < 0.3:
                levels = (rng.choice(levels),)  # sometimes only one of the levels
            body_steps.append(
                {
                    "key": _slug(title),
                    "title": title,
                    "levels": list(levels),
                    "forms": sorted(rng.sample(forms, rng.randint(1, min(3, len(forms))))),
                    "responsible_role": role,
                    "general_services_count": False,
                    "start_day": day,
                    "duration_days": rng.choice((14, 30, 60, 90)),
                }
            )
            day += rng.choice((7, 14, 30, 60))
        if rng.random() < 0.5:  # like the demo's pathways: in half the templates general services count somewhere
            municipal = [step for step in body_steps if "municipal" in step["levels"]]
            for step in rng.sample(municipal, min(len(municipal), rng.randint(1, 2))):
                step["general_services_count"] = True
        names = " og ".join(GROUP_TITLES.get(c, c) for c in chosen)
        specs.append(
            {
                "series": f"{SERIES_PREFIX}{index + 1:02d}",
                "title": f"Rehabiliteringsforløp for {names} (benchmark {index + 1})",
                "description": "Oppdiktet forløpsmal for ytelsestesten av dekningsmatrisen (bench/).",
                "patient_groups": chosen,
                "owner_id": rng.choice(owners),
                "steps": body_steps,
            }
        )
    return specs


def prepare_templates(count: int, steps: int, rng_seed: int) -> dict[str, Any]:
    """Create and publish the benchmark templates missing from the database (REHABKART_DATABASE_URL)."""
    from sqlalchemy import select

    from app import db
    from app.domain import pathways
    from app.domain.actor import system_actor
    from app.domain.versioning import etag
    from app.models import Organisation, PatientGroup
    from app.models.pathway import PathwayCreate, PathwayTemplate

    actor = system_actor("bench")
    created = skipped = 0
    started = time.perf_counter()
    with db.transaction() as session:
        by_id = {g.id: g for g in session.execute(select(PatientGroup).order_by(PatientGroup.sort_order)).scalars()}
        taxonomy = [(g.code, by_id[g.parent_id].code if g.parent_id in by_id else None) for g in by_id.values()]
        owners = list(
            session.execute(
                select(Organisation.id).where(Organisation.kind == "health_trust").order_by(Organisation.name)
            ).scalars()
        )
        existing = set(
            session.execute(
                select(PathwayTemplate.series).where(PathwayTemplate.series.startswith(SERIES_PREFIX))  # type: ignore[attr-defined]
            ).scalars()
        )
        for spec in template_specs(taxonomy, owners, count, steps, rng_seed):
            if spec["series"] in existing:
                skipped += 1
                continue
            draft = pathways.create(session, actor, PathwayCreate.model_validate(spec))
            pathways.publish(session, actor, draft["id"], etag(draft["version"]))
            created += 1
    return {"created": created, "skipped": skipped, "seconds": round(time.perf_counter() - started, 2)}


# --- the naive baseline -----------------------------------------------------------------------------------

# One statement per cell: does an active service, valid today, of one of the step's levels and forms, for
# the template's groups (or their ancestors; or for no group when the step lets general services count),
# serve the municipality? A provider that serves the municipality only district by district (its catchment
# rows there all name a district, or it is a district without rows of its own) does not cover it (partial).
NAIVE_SQL = """\
SELECT EXISTS (
  SELECT 1
  FROM rehab_service_catchment c
  CROSS JOIN rehab_service s
  WHERE c.municipality_number = :m
    AND s.id = c.service_id
    AND s.deleted_at IS NULL
    AND s.status = 'active'
    AND (s.valid_from IS NULL OR s.valid_from <= :today)
    AND (s.valid_to IS NULL OR s.valid_to >= :today)
    AND s.level IN :levels
    AND EXISTS (SELECT 1 FROM rehab_service_form f WHERE f.service_id = s.id AND f.form IN :forms)
    AND (
      EXISTS (SELECT 1 FROM rehab_service_patient_group g
              WHERE g.service_id = s.id AND g.patient_group_id IN :groups)
      OR (:general AND NOT EXISTS (SELECT 1 FROM rehab_service_patient_group g WHERE g.service_id = s.id))
    )
    AND NOT (s.catchment_inherited AND (
      (EXISTS (SELECT 1 FROM catchment k WHERE k.organisation_id = s.provider_id AND k.municipality_number = :m)
       AND NOT EXISTS (SELECT 1 FROM catchment k WHERE k.organisation_id = s.provider_id
                       AND k.municipality_number = :m AND k.district_code = ''))
      OR EXISTS (SELECT 1 FROM organisation o WHERE o.id = s.provider_id AND o.kind = 'district'
                 AND o.municipality_number = :m
                 AND NOT EXISTS (SELECT 1 FROM catchment k WHERE k.organisation_id = o.id))
    ))
)"""


def naive_matrix(session: Any, template_id: int, region: str | None, today: Any) -> list[list[bool]]:
    """Covered yes/no per (municipality, step), one EXISTS statement per cell (reasons would cost more)."""
    from sqlalchemy import Date, bindparam, select, text

    from app.models import Municipality, PatientGroup, Region
    from app.models.pathway import PathwayTemplate, PathwayTemplatePatientGroup
    from app.models.rehab_service import ServiceForm

    steps = session.execute(select(PathwayTemplate.steps).where(PathwayTemplate.id == template_id)).scalar_one()
    parents: dict[int, int | None] = {}
    for gid, parent in session.execute(select(PatientGroup.id, PatientGroup.parent_id)):
        parents[gid] = parent
    groups: set[int] = set()
    for gid in session.execute(
        select(PathwayTemplatePatientGroup.patient_group_id).where(
            PathwayTemplatePatientGroup.template_id == template_id
        )
    ).scalars():
        node = gid
        while node is not None and node not in groups:
            groups.add(node)
            node = parents.get(node)
    places = select(Municipality.number).order_by(Municipality.number)
    if region is not None:
        places = places.join(Region, Region.id == Municipality.region_id).where(Region.code == region)
    numbers = list(session.execute(places).scalars())
    statement = text(NAIVE_SQL).bindparams(
        bindparam("today", type_=Date),
        bindparam("levels", expanding=True),
        bindparam("forms", expanding=True),
        bindparam("groups", expanding=True),
    )
    every_form = [f.value for f in ServiceForm]
    cells = []
    for number in numbers:
        row = []
        for step in steps:
            params = {
                "m": number,
                "today": today,
                "levels": list(step["levels"]),
                "forms": list(step.get("forms") or every_form),
                "groups": sorted(groups) or [-1],
                "general": bool(step.get("general_services_count")),
            }
            row.append(bool(session.execute(statement, params).scalar_one()))
        cells.append(row)
    return cells


# --- in-process measurement (a worker process per database) -----------------------------------------------


class StatementLog:
    """Counts and times the statements the engine sends (cursor executes, BEGIN included)."""

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.keep = False
        self.cpu = 0.0
        self.kept: list[dict[str, Any]] = []
        self._started = 0.0

    def reset(self, keep: bool = False) -> None:
        self.count, self.seconds, self.keep, self.kept = 0, 0.0, keep, []

    def before(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        self.count += 1
        self._started = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool) -> None:
        elapsed = time.perf_counter() - self._started
        self.seconds += elapsed
        if self.keep:
            self.kept.append({"sql": statement, "parameters": parameters, "ms": round(elapsed * 1000, 3)})


def _median_ms(values: Sequence[float]) -> float:
    return round(statistics.median(values) * 1000, 2)


def _rss_kb() -> dict[str, int]:
    current = 0
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                current = int(line.split()[1])
    return {"current_kb": current, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


def _head(sql: str) -> str:
    return " ".join(sql.split())[:110]


def _sqlite_tree(rows: Sequence[Any]) -> list[str]:
    """EXPLAIN QUERY PLAN rows (id, parent, notused, detail) as indented lines."""
    depth: dict[int, int] = {0: -1}
    lines = []
    for node, parent, _unused, detail in rows:
        depth[node] = depth.get(parent, -1) + 1
        lines.append("  " * depth[node] + str(detail))
    return lines


def explain(engine: Any, kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The plans of a matrix's grouped statements (those over the candidates CTE)."""
    out = []
    postgres = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
    with engine.connect() as conn:
        for entry in kept:
            if "candidates" not in entry["sql"]:
                continue
            rows = conn.exec_driver_sql(prefix + entry["sql"], entry["parameters"]).all()
            plan = [r[0] for r in rows] if postgres else _sqlite_tree(rows)
            out.append({"statement": _head(entry["sql"]), "ms": entry["ms"], "sql": entry["sql"], "plan": plan})
    return out


def measure_worker(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Everything in-process for one database (REHABKART_DATABASE_URL=url): matrices, baseline, plans."""
    from sqlalchemy import event, select
    from sqlmodel import Session

    from app import db
    from app.domain import coverage
    from app.domain.actor import system_actor
    from app.domain.catalogue.verification import today as norwegian_today
    from app.models.pathway import PathwayTemplate

    db.reset_engines()
    engine = db.get_engine()
    log = StatementLog()
    event.listen(engine, "before_cursor_execute", log.before)
    event.listen(engine, "after_cursor_execute", log.after)
    actor = system_actor("bench")
    today = norwegian_today()
    with Session(engine) as session:
        rows = list(
            session.execute(
                select(PathwayTemplate.id, PathwayTemplate.steps)
                .where(
                    PathwayTemplate.series.startswith(SERIES_PREFIX),  # type: ignore[attr-defined]
                    PathwayTemplate.status == "published",
                )
                .order_by(PathwayTemplate.series)
            )
        )
    if len(rows) < args.templates:
        raise RuntimeError(f"only {len(rows)} published benchmark templates in {seeding.safe_url(url)}")
    rows = rows[: args.templates]
    ids = [template_id for template_id, _steps in rows]
    general = [i for i, steps in rows if any(s.get("general_services_count") for s in steps)]
    plain = [i for i in ids if i not in general]
    # The baseline's templates: alternately one without and one with steps where general services count.
    mixed = [i for pair in itertools.zip_longest(plain, general) for i in pair if i is not None]
    naive_ids = mixed[: args.naive_templates]
    rss_start = _rss_kb()

    def one(template_id: int, region: str | None, keep: bool = False) -> tuple[float, dict[str, Any]]:
        log.reset(keep)
        started, cpu = time.perf_counter(), time.process_time()
        with Session(engine) as session:
            grid = coverage.matrix(session, actor, template_id, region=region, today=today)
        log.cpu = time.process_time() - cpu
        return time.perf_counter() - started, grid

    scopes: list[str | None] = [None, *args.regions]
    out: dict[str, Any] = {"templates": ids, "general_templates": general, "today": today.isoformat(), "scopes": {}}
    grids: dict[tuple[int, str | None], dict[str, Any]] = {}
    for scope in scopes:
        label = scope or "country"
        per_template = []
        all_runs: list[float] = []
        statements: set[int] = set()
        sql_seconds: list[float] = []
        cpu_seconds: list[float] = []
        for template_id in ids:
            one(template_id, scope)  # warm-up
            runs = []
            for _ in range(args.reps):
                seconds, grid = one(template_id, scope)
                runs.append(seconds)
                statements.add(log.count)
                sql_seconds.append(log.seconds)
                cpu_seconds.append(log.cpu)
            grids[template_id, scope] = grid
            all_runs.extend(runs)
            cells = [c for row in grid["municipalities"] for c in row["cells"]]
            per_template.append(
                {
                    "template": template_id,
                    "median_ms": _median_ms(runs),
                    "runs_ms": [round(r * 1000, 2) for r in runs],
                    "municipalities": len(grid["municipalities"]),
                    "cells": len(cells),
                    "covered": sum(c["covered"] for c in cells),
                    "partial": sum(c["partial"] for c in cells),
                }
            )
        medians = [t["median_ms"] for t in per_template]
        # The statements of the first template's matrix and of the slowest one's, with their plans.
        slowest = max(per_template, key=lambda t: t["median_ms"])["template"]
        traces = {}
        for template_id in dict.fromkeys([ids[0], slowest]):
            one(template_id, scope, keep=True)
            traces[template_id] = list(log.kept)
        out["scopes"][label] = {
            "median_ms": round(statistics.median(medians), 2),
            "min_template_median_ms": min(medians),
            "max_template_median_ms": max(medians),
            "median_all_runs_ms": _median_ms(all_runs),
            "sql_execute_median_ms": _median_ms(sql_seconds),
            "process_cpu_median_ms": _median_ms(cpu_seconds),
            "statements_per_matrix": sorted(statements),
            "per_template": per_template,
            "slowest_template": slowest,
            "statements_of_one_matrix": {
                template_id: [{"sql": _head(e["sql"]), "ms": e["ms"]} for e in trace]
                for template_id, trace in traces.items()
            },
            "plans": {template_id: explain(engine, trace) for template_id, trace in traces.items()},
        }
        print(
            f"  [{label}] median {out['scopes'][label]['median_ms']:.1f} ms per matrix "
            f"(templates {min(medians):.1f}–{max(medians):.1f}), statements {sorted(statements)}",
            flush=True,
        )
    rss_after_matrices = _rss_kb()

    # Peak Python allocations of one matrix (tracemalloc slows the call down: not timed).
    for scope in scopes:
        peaks = []
        for template_id in ids[: args.memory_templates]:
            tracemalloc.start()
            tracemalloc.reset_peak()
            one(template_id, scope)
            peaks.append(tracemalloc.get_traced_memory()[1])
            tracemalloc.stop()
        out["scopes"][scope or "country"]["tracemalloc_peak_kb"] = {
            "median": round(statistics.median(peaks) / 1024),
            "max": round(max(peaks) / 1024),
        }

    # The naive baseline: country and the first region, a few templates.
    naive: dict[str, Any] = {}
    for scope in [None, *args.regions[:1]]:
        label = scope or "country"
        per_template = []
        for template_id in naive_ids:
            runs = []
            mismatches: list[dict[str, Any]] = []
            statements = 0
            for rep in range(args.naive_reps):
                log.reset()
                started = time.perf_counter()
                with Session(engine) as session:
                    cells = naive_matrix(session, template_id, scope, today)
                runs.append(time.perf_counter() - started)
                statements = log.count
                if rep == 0:
                    grid = grids[template_id, scope]
                    for row, naive_row in zip(grid["municipalities"], cells, strict=True):
                        for cell, covered in zip(row["cells"], naive_row, strict=True):
                            if cell["covered"] != covered:
                                mismatches.append(
                                    {"municipality": row["number"], "step": cell["key"], "real": cell, "naive": covered}
                                )
            real = next(t for t in out["scopes"][label]["per_template"] if t["template"] == template_id)
            per_template.append(
                {
                    "template": template_id,
                    "median_ms": _median_ms(runs),
                    "runs_ms": [round(r * 1000, 2) for r in runs],
                    "statements": statements,
                    "cells": real["cells"],
                    "mismatches": len(mismatches),
                    "mismatch_examples": mismatches[:5],
                    "real_median_ms": real["median_ms"],
                    "speedup": round(_median_ms(runs) / real["median_ms"], 1),
                }
            )
            print(
                f"  [naive {label}] template {template_id}: {per_template[-1]['median_ms']:.0f} ms, "
                f"{statements} statements, {len(mismatches)} cells differ from the matrix, "
                f"{per_template[-1]['speedup']}x",
                flush=True,
            )
        naive_median = statistics.median(t["median_ms"] for t in per_template)
        real_median = statistics.median(t["real_median_ms"] for t in per_template)
        naive[label] = {
            "median_ms": round(naive_median, 1),
            "real_median_ms_same_templates": round(real_median, 2),
            "speedup": round(naive_median / real_median, 1),
            "mismatches": sum(t["mismatches"] for t in per_template),
            "per_template": per_template,
        }
    out["naive"] = naive
    out["rss"] = {"before_matrices": rss_start, "after_matrices": rss_after_matrices, "end": _rss_kb()}
    db.reset_engines()
    return out


# --- HTTP ---------------------------------------------------------------------------------------------------


def http_latencies(
    base_url: str, targets: dict[str, list[str]], reps: int, check: Callable[[str, Any], None]
) -> dict[str, dict[str, Any]]:
    """Per target (a list of paths, one per template): latency of a GET with its body, interleaved.

    Every path once to warm up (and to be checked), then `reps` rounds; in each round the targets take turns
    template by template, so they see the same machine (other work, caches) and their ratio is fair.
    """
    import httpx

    runs: dict[str, list[float]] = {name: [] for name in targets}
    sizes: dict[str, list[int]] = {name: [] for name in targets}
    with httpx.Client(base_url=base_url, timeout=120) as client:
        for name, paths in targets.items():
            for path in paths:
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"GET {path}: {response.status_code} {response.text[:300]}")
                check(name, response)
                sizes[name].append(len(response.content))
        for _ in range(reps):
            for index in range(len(next(iter(targets.values())))):
                for name, paths in targets.items():
                    started = time.perf_counter()
                    response = client.get(paths[index])
                    _ = response.content
                    runs[name].append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise RuntimeError(f"GET {paths[index]}: {response.status_code}")
    return {
        name: {
            "median_ms": _median_ms(values),
            "p90_ms": round(sorted(values)[int(0.9 * (len(values) - 1))] * 1000, 2),
            "max_ms": round(max(values) * 1000, 2),
            "requests": len(values),
            "mean_kb": round(statistics.mean(sizes[name]) / 1024, 1),
        }
        for name, values in runs.items()
    }


def measure_http(
    label: str, url: str, ids: Sequence[int], args: argparse.Namespace, log_dir: Path, app_dir: Path
) -> dict[str, Any]:
    """The matrix API (whole country, first region) and, when it exists, the heat-map page beside it."""
    import httpx

    server_args = argparse.Namespace(api_workers=1, loop="asyncio")
    server = lb.uvicorn_server(f"coverage-{label}", url, log_dir, app_dir, server_args)
    out: dict[str, Any] = {}
    try:
        server.start()
        server.wait_ready(f"/api/v1/coverage/matrix?template={ids[0]}&region={args.regions[0]}")
        for scope in [None, *args.regions[:1]]:
            name = scope or "country"
            query = f"&region={scope}" if scope else ""
            targets = {f"api {name}": [f"/api/v1/coverage/matrix?template={i}{query}" for i in ids]}
            page_scope = scope or "alle"  # the page's value for the whole country
            probe = httpx.get(f"{server.base_url}/pathways/{ids[0]}/coverage?region={page_scope}", timeout=120)
            if probe.status_code == 200:
                targets[f"page {name}"] = [f"/pathways/{i}/coverage?region={page_scope}" for i in ids]
            else:
                out[f"page {name}"] = {"status": probe.status_code}
                print(f"  [{label} http] page {name}: {probe.status_code}, not measured", flush=True)

            def check(target: str, response: Any, want: int = 357 if scope is None else 0) -> None:
                if not target.startswith("api"):
                    return
                rows = response.json()["municipalities"]
                if not rows or (want and len(rows) != want):
                    raise RuntimeError(f"unexpected matrix: {len(rows)} municipalities")

            measured = http_latencies(server.base_url, targets, args.http_reps, check)
            api = measured[f"api {name}"]
            if f"page {name}" in measured:
                measured[f"page {name}"]["ratio_to_api"] = round(
                    measured[f"page {name}"]["median_ms"] / api["median_ms"], 2
                )
            out.update(measured)
            for target, m in measured.items():
                ratio = f", {m['ratio_to_api']}x the API" if "ratio_to_api" in m else ""
                print(
                    f"  [{label} http] {target}: median {m['median_ms']:.1f} ms ({m['mean_kb']} KB){ratio}", flush=True
                )
    finally:
        server.stop()
    return out


# --- orchestration ------------------------------------------------------------------------------------------


def run_worker(mode: str, url: str, args: argparse.Namespace, app_dir: Path, timeout: float) -> dict[str, Any]:
    """Run `mode` (prepare | measure) in a fresh process; its JSON answer."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", dir=RESULTS_DIR, delete=False) as handle:
        answer = Path(handle.name)
    cmd = [PYTHON, str(Path(__file__).resolve()), "--worker", mode, "--worker-url", url, "--worker-out", str(answer)]
    cmd += ["--templates", str(args.templates), "--steps", str(args.steps), "--template-seed", str(args.template_seed)]
    cmd += ["--reps", str(args.reps), "--naive-templates", str(args.naive_templates)]
    cmd += ["--naive-reps", str(args.naive_reps), "--memory-templates", str(args.memory_templates)]
    cmd += ["--regions", *args.regions]
    env = lb.app_env(app_dir, REHABKART_DATABASE_URL=url, REHABKART_SECRET_KEY=lb.RUN_SECRET)
    try:
        subprocess.run(cmd, cwd=app_dir, env=env, check=True, timeout=timeout, start_new_session=True)
        return dict(json.loads(answer.read_text(encoding="utf-8")))
    finally:
        answer.unlink(missing_ok=True)


def print_table(results: dict[str, Any]) -> None:
    header = (
        f"{'database':<11} {'scope':<8} {'median ms':>10} {'range ms':>15} {'CPU ms':>7} {'stmts':>6} {'SQL ms':>7} "
        f"{'py peak KB':>10} {'RSS MB':>7} {'naive ms':>9} {'speedup':>8} {'HTTP ms':>8} {'page ms':>8} {'page÷api':>8}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    for backend, data in results.items():
        m = data["in_process"]
        rss = round(m["rss"]["end"]["peak_kb"] / 1024)
        for scope, s in m["scopes"].items():
            naive = m["naive"].get(scope, {})
            http = data.get("http", {})
            api = http.get(f"api {scope}", {})
            page = http.get(f"page {scope}", {})
            print(
                f"{backend:<11} {scope:<8} {s['median_ms']:>10.1f} "
                f"{s['min_template_median_ms']:>7.1f}–{s['max_template_median_ms']:<7.1f} "
                f"{s['process_cpu_median_ms']:>7.1f} "
                f"{'/'.join(map(str, s['statements_per_matrix'])):>6} {s['sql_execute_median_ms']:>7.1f} "
                f"{s['tracemalloc_peak_kb']['max']:>10} {rss:>7} "
                f"{naive.get('median_ms', ''):>9} {naive.get('speedup', ''):>8} "
                f"{api.get('median_ms', ''):>8} {page.get('median_ms', ''):>8} {page.get('ratio_to_api', ''):>8}"
            )


def verdicts(results: dict[str, Any]) -> dict[str, Any]:
    """The issue's targets, on SQLite (the embedded default)."""
    sqlite = results.get("sqlite")
    if not sqlite:
        return {}
    scopes = sqlite["in_process"]["scopes"]
    regions = [s for s in scopes if s != "country"]
    out: dict[str, Any] = {
        "country < 300 ms": scopes["country"]["median_ms"] < TARGETS["country_ms"],
        "region < 100 ms": all(scopes[r]["median_ms"] < TARGETS["region_ms"] for r in regions),
        ">= 20x the per-cell baseline": all(
            v["speedup"] >= TARGETS["speedup"] for v in sqlite["in_process"]["naive"].values()
        ),
    }
    pages = [v for k, v in sqlite.get("http", {}).items() if k.startswith("page") and "ratio_to_api" in v]
    out["page < 2x the API"] = all(p["ratio_to_api"] < TARGETS["page_ratio"] for p in pages) if pages else None
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=RESULTS_DIR / "bench.db", help="SQLite benchmark database file")
    parser.add_argument("--postgres-url", help="also measure on this local PostgreSQL (WIPED unless already seeded)")
    parser.add_argument("--services", type=int, default=seeding.DEFAULT_SERVICES, help="services in the data set")
    parser.add_argument("--reseed", action="store_true", help="seed again even if the database looks seeded")
    parser.add_argument("--templates", type=int, default=20, help="published templates to add and measure")
    parser.add_argument("--steps", type=int, default=8, help="steps per template")
    parser.add_argument("--template-seed", type=int, default=TEMPLATE_SEED)
    parser.add_argument("--regions", nargs="+", default=["HN", "HSO"], help="region codes measured besides the country")
    parser.add_argument("--reps", type=int, default=5, help="measured runs per template and scope (after 1 warm-up)")
    parser.add_argument("--memory-templates", type=int, default=3, help="templates whose matrices tracemalloc traces")
    parser.add_argument("--naive-templates", type=int, default=4, help="templates the per-cell baseline runs for")
    parser.add_argument("--naive-reps", type=int, default=3, help="baseline runs per template (median)")
    parser.add_argument("--http-reps", type=int, default=5, help="HTTP rounds over all templates (after a warm-up)")
    parser.add_argument("--no-http", action="store_true", help="skip the HTTP measurements")
    parser.add_argument(
        "--wait-quiet",
        type=float,
        default=120.0,
        metavar="SECONDS",
        help="before each measuring stage, wait up to this long for other work on the machine to stop",
    )
    parser.add_argument("--app-dir", type=Path, default=PROJECT_ROOT, help="directory whose app/ is measured")
    parser.add_argument("--output", type=Path, help="results JSON (default bench/results/coverage-bench-<time>.json)")
    parser.add_argument("--worker", choices=("prepare", "measure"), help=argparse.SUPPRESS)
    parser.add_argument("--worker-url", help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min(args.templates, args.steps, args.reps, args.naive_reps, args.http_reps) < 1:
        parser.error("--templates, --steps and the repetitions must be at least 1")
    if args.postgres_url:
        from sqlalchemy.engine import make_url

        if seeding.sqlite_path(args.postgres_url) is not None:
            parser.error("--postgres-url must be a PostgreSQL URL")
        if make_url(args.postgres_url).host not in seeding.LOCAL_HOSTS:
            parser.error("--postgres-url must point at this machine (127.0.0.1)")
    return args


def worker_main(args: argparse.Namespace) -> int:
    os.environ["REHABKART_DATABASE_URL"] = args.worker_url
    if args.worker == "prepare":
        answer = prepare_templates(args.templates, args.steps, args.template_seed)
    else:
        answer = measure_worker(args.worker_url, args)
    args.worker_out.write_text(json.dumps(answer, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


@contextlib.contextmanager
def _stage(name: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"{name} …", flush=True)
    yield
    print(f"{name}: {time.perf_counter() - started:.0f} s", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker:
        return worker_main(args)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    app_dir = args.app_dir.resolve()
    sys.path.insert(0, str(app_dir))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run = lb.Run(
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        machine=lb.machine_info(),
        settings={k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items() if not k.startswith("worker")}
        | {"postgres_url": bool(args.postgres_url), "app_revision": lb.code_revision(app_dir)},
    )
    backends = [("sqlite", f"sqlite:///{args.db.resolve()}")]
    if args.postgres_url:
        backends.append(("postgresql", args.postgres_url))
    results: dict[str, Any] = {}
    with lb.terminate_on_signal(), contextlib.ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="coverage-bench-", dir=RESULTS_DIR)))
        for label, url in backends:
            lb.ensure_seeded(url, args.services, args.reseed, run, label, app_dir)
            with _stage(f"[{label}] templates"):
                prepared = run_worker("prepare", url, args, app_dir, timeout=600)
                print(f"  created {prepared['created']}, already there {prepared['skipped']}")
            busy = {"in_process": lb.wait_until_quiet(args.wait_quiet)}
            with _stage(
                f"[{label}] in-process matrices and the per-cell baseline (machine {busy['in_process']}% busy)"
            ):
                measured = run_worker("measure", url, args, app_dir, timeout=3600)
            busy["after_in_process"] = lb.cpu_busy_pct()
            results[label] = {"templates": prepared, "in_process": measured, "busy_pct": busy}
            if not args.no_http:
                busy["http"] = lb.wait_until_quiet(args.wait_quiet)
                with _stage(f"[{label}] HTTP (machine {busy['http']}% busy)"):
                    results[label]["http"] = measure_http(label, url, measured["templates"], args, log_dir, app_dir)
                busy["after_http"] = lb.cpu_busy_pct()
    print_table(results)
    verdict = verdicts(results)
    words = {True: "met", False: "NOT met", None: "n/a"}
    print("\ntargets (SQLite): " + ", ".join(f"{k}: {words[v]}" for k, v in verdict.items()))
    output = args.output or RESULTS_DIR / f"coverage-bench-{stamp}.json"
    record = {
        "started": run.started,
        "machine": run.machine,
        "settings": run.settings,
        "seeding": run.seeding,
        "targets": TARGETS,
        "verdicts": verdict,
        "results": results,
    }
    output.write_text(json.dumps(record, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(f"\nresults: {output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
