"""Time the list query in-process, stage by stage, without HTTP: where do the milliseconds go?

    .venv/bin/python bench/profile_list.py                 # bench/results/bench.db (seed it first)
    .venv/bin/python bench/profile_list.py --cprofile      # and the top functions of the current code

For the same ~200 (municipality, patient group) pairs as run_list_bench.py it times: the current
catalogue.list_services() (+ JSON), its main statement alone, the main statement in the shape
bench/prototype_list.py proposes, the link queries, and the two prototype implementations; and checks that
the prototypes return exactly the current items.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import run_list_bench  # noqa: E402


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=run_list_bench.RESULTS_DIR / "bench.db")
    parser.add_argument("--url", help="database URL to time (default: the --db file); pairs come from --db")
    parser.add_argument("--repeat", type=int, default=3, help="passes over the pairs per stage")
    parser.add_argument("--cprofile", action="store_true", help="print cProfile's top functions for list_services")
    args = parser.parse_args(argv)
    if not args.db.exists():
        parser.error(f"{args.db} does not exist: run bench/seed.py or bench/run_list_bench.py first")
    os.environ["REHABKART_DATABASE_URL"] = args.url or f"sqlite:///{args.db.resolve()}"
    os.environ.setdefault("REHABKART_SECRET_KEY", secrets.token_urlsafe(48))  # else the app writes one to var/

    import orjson
    import prototype_list
    from sqlalchemy import and_, bindparam, exists, select
    from sqlmodel import Session

    from app.api.responses import page
    from app.db import get_engine
    from app.domain import catalogue
    from app.domain.catalogue import tables

    pairs = run_list_bench.draw_pairs(args.db.resolve(), 200, 7)
    engine = get_engine()
    s_, o_, g_, c_, f_ = (
        tables.services,
        tables.organisations,
        tables.service_groups,
        tables.service_catchment,
        tables.service_forms,
    )
    current_shape = (
        select(*tables.service_columns, o_.c.name.label("provider_name"))
        .join(o_, o_.c.id == s_.c.provider_id)
        .where(
            and_(
                s_.c.deleted_at.is_(None),
                s_.c.id.in_(select(c_.c.service_id).where(c_.c.municipality_number == bindparam("m"))),
                s_.c.id.in_(
                    select(g_.c.service_id).where(g_.c.patient_group_id.in_(bindparam("groups", expanding=True)))
                ),
            )
        )
        .order_by(s_.c.id)
        .limit(51)
    )
    wanted = g_.c.patient_group_id.in_(bindparam("groups", expanding=True))
    proposed_shape = (
        select(*tables.service_columns, o_.c.name.label("provider_name"))
        .select_from(c_)
        .join(s_, s_.c.id == c_.c.service_id)
        .join(o_, o_.c.id == s_.c.provider_id)
        .where(
            c_.c.municipality_number == bindparam("m"),
            s_.c.deleted_at.is_(None),
            exists(select(g_.c.service_id).where(g_.c.service_id == c_.c.service_id, wanted)),
        )
        .order_by(c_.c.service_id)
        .limit(51)
    )

    def params(pair: run_list_bench.Pair) -> dict[str, Any]:
        return {"m": pair.municipality, "groups": list(pair.group_ids)}

    def page_ids(session: Session, pair: run_list_bench.Pair) -> list[int]:
        return [row.id for row in session.execute(proposed_shape, params(pair))][:50]

    def current(session: Session, pair: run_list_bench.Pair) -> bytes:
        flt = catalogue.ServiceFilter(municipality=pair.municipality, patient_group=pair.patient_group)
        items, cursor = catalogue.list_services(session, flt, limit=50)
        return bytes(page(items, cursor).body)

    def link(table: Any, *columns: Any) -> Callable[[Session, run_list_bench.Pair], object]:
        def run(session: Session, pair: run_list_bench.Pair) -> object:
            ids = page_ids(session, pair)
            return session.execute(select(*columns).where(table.c.service_id.in_(ids)).order_by(*columns)).all()

        return run

    def fast(session: Session, pair: run_list_bench.Pair) -> bytes:
        items, cursor = prototype_list.list_services_fast(session, pair.municipality, pair.patient_group, 50, None)
        return bytes(page(items, cursor).body)

    def raw(session: Session, pair: run_list_bench.Pair) -> bytes:
        items, cursor = prototype_list.list_services_raw_sqlite(
            session, pair.municipality, pair.patient_group, 50, None
        )
        return bytes(page(items, cursor).body)

    stages: list[tuple[str, Callable[[Session, run_list_bench.Pair], object]]] = [
        ("list_services (code under test) + JSON", current),
        ("statement: id-in lists (original)", lambda s, p: s.execute(current_shape, params(p)).all()),
        ("statement: catchment key + EXISTS", lambda s, p: s.execute(proposed_shape, params(p)).all()),
        ("  + forms query", link(f_, f_.c.service_id, f_.c.form)),
        ("  + patient-groups query", link(g_, g_.c.service_id, g_.c.patient_group_id)),
        ("  + catchment query", link(c_, c_.c.service_id, c_.c.municipality_number)),
        ("prototype list_services_fast + JSON", fast),
        ("prototype raw (SQLite cursor) + JSON", raw),
    ]
    print(f"{len(pairs)} pairs x {args.repeat} on {engine.url.render_as_string(hide_password=True)}\n")
    print(f"{'stage':<40} {'mean ms':>8} {'p50 ms':>8} {'p99 ms':>8}")
    with Session(engine) as session:
        for name, stage in stages:
            for pair in pairs:  # warm caches and compiled statements
                stage(session, pair)
            times = []
            for _ in range(args.repeat):
                for pair in pairs:
                    started = time.perf_counter()
                    stage(session, pair)
                    times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
            print(f"{name:<40} {statistics.mean(times):>8.2f} {p50:>8.2f} {p99:>8.2f}")
        for pair in pairs:
            expected = orjson.loads(current(session, pair))
            for name, stage in (("list_services_fast", fast), ("raw", raw)):
                if orjson.loads(stage(session, pair)) != expected:
                    raise SystemExit(f"{name} differs from list_services for {pair}")
        print("\nboth prototypes return the same pages as list_services for every pair")
        if args.cprofile:
            profiler = cProfile.Profile()
            profiler.enable()
            for pair in pairs:
                current(session, pair)
            profiler.disable()
            print("\ncProfile of the current list_services (one pass):")
            pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
