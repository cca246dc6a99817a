"""Benchmark the standard exports beside the native list, in one run, on the 100,000-service data set.

    .venv/bin/python bench/run_export_bench.py                 # about 2 minutes
    .venv/bin/python bench/run_export_bench.py --duration 5 --rounds 1

Two scenarios, each with the three targets (a page of 100 services):

    first page   (the issue's requests; the verdict)
        native  GET /api/v1/rehab-services?limit=100
        FHIR    GET /fhir/R4/HealthcareService?_count=100
        HSDS    GET /hsds/services?per_page=100
    by provider  (informational: rotated over the 200 largest providers, so it includes counts not yet
                 cached: each provider's first count reads its services' rows)
        native  …&provider=<id>, FHIR …&organization=<id>, HSDS …&organization_id=<uuid>

The goal (issue 16): each export within 3x the native endpoint's time (the standards' totals need a count
the native list does not). Reuses bench/run_list_bench.py's server, wrk and seeding helpers, on its own
database (bench/results/export-bench.db, seeded when missing). Results: bench/results/export-bench-*.json.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import urllib.parse
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import run_list_bench as lb  # noqa: E402
import seed as seeding  # noqa: E402

GOAL = 3.0
PAGE = 100


def _providers(db_path: Path, count: int) -> list[int]:
    """Providers with the most live services (so a page is full), the first `count`."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
        rows = conn.execute(
            "select provider_id from rehab_service where deleted_at is null "
            "group by provider_id order by count(*) desc, provider_id limit ?",
            (count,),
        ).fetchall()
    return [int(r[0]) for r in rows]


def _paths(providers: Sequence[int]) -> dict[str, list[str]]:
    """Target → request paths: the first page only, or one page per provider."""
    sys.path.insert(0, str(lb.PROJECT_ROOT))
    from app.domain.standards.ids import hsds_id

    native = [f"/api/v1/rehab-services?limit={PAGE}"]
    fhir = [f"/fhir/R4/HealthcareService?_count={PAGE}"]
    hsds = [f"/hsds/services?per_page={PAGE}"]
    if providers:
        native, fhir, hsds = [], [], []
    for p in providers:
        native.append(f"/api/v1/rehab-services?limit={PAGE}&provider={p}")
        fhir.append(f"/fhir/R4/HealthcareService?_count={PAGE}&organization={p}")
        hsds.append(f"/hsds/services?per_page={PAGE}&organization_id={urllib.parse.quote(hsds_id('organization', p))}")
    return {"native list": native, "FHIR HealthcareService": fhir, "HSDS services": hsds}


def _check(server: lb.Server, paths: dict[str, list[str]]) -> None:
    """The three answer the same services for the same provider (and the first page)."""
    for index in sorted({0, len(paths["native list"]) - 1}):
        status, native = lb.get_json(server.base_url + paths["native list"][index])
        assert status == 200, native
        status, fhir = lb.get_json(server.base_url + paths["FHIR HealthcareService"][index])
        assert status == 200, fhir
        status, hsds = lb.get_json(server.base_url + paths["HSDS services"][index])
        assert status == 200, hsds
        ids = [str(s["id"]) for s in native["items"]]
        assert ids == [e["resource"]["id"] for e in fhir["entry"]], "FHIR and native pages differ"
        assert len(hsds["contents"]) == len(ids), "HSDS and native pages differ"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, default=lb.RESULTS_DIR / "export-bench.db", help="SQLite benchmark database")
    parser.add_argument("--services", type=int, default=seeding.DEFAULT_SERVICES)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--providers", type=int, default=200, help="providers to rotate through")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--api-workers", type=int, default=1)
    parser.add_argument("--loop", choices=("uvloop", "asyncio"), default="asyncio")
    parser.add_argument("--wait-quiet", type=float, default=0)
    parser.add_argument("--wrk", default="wrk")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    lb.RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    run = lb.Run(started=started.isoformat(), machine=lb.machine_info(), settings=vars(args) | {"db": str(args.db)})
    url = f"sqlite:///{args.db}"
    lb.ensure_seeded(url, args.services, args.reseed, run, "sqlite", lb.PROJECT_ROOT)
    scenarios = {"first page": _paths([]), "by provider": _paths(_providers(args.db, args.providers))}
    log_dir = Path(tempfile.mkdtemp(prefix="export-bench-", dir=lb.RESULTS_DIR))
    server = lb.uvicorn_server("api", url, log_dir, lb.PROJECT_ROOT, args)
    results = []
    with lb.terminate_on_signal():
        try:
            server.start()
            server.wait_ready("/api/v1/rehab-services?limit=1")
            for scenario, paths in scenarios.items():
                _check(server, paths)
                for label, target_paths in paths.items():
                    name = f"{label} ({scenario})"
                    script = lb.write_lua(
                        target_paths, log_dir, name.replace(" ", "-").replace("(", "").replace(")", "")
                    )
                    results.append(lb.measure(name, server, script, args, log_dir))
        finally:
            server.stop()
    lb.print_table(results)
    verdicts = {}
    for index, scenario in enumerate(scenarios):
        native, *exports = results[index * 3 : index * 3 + 3]
        goal = " (the verdict)" if index == 0 else " (informational)"
        print(f"\n{scenario}: time per request over the native list's, goal at most {GOAL:g}x{goal}:")
        for r in exports:
            ratio = native.requests_per_s / r.requests_per_s if r.requests_per_s else float("inf")
            p50 = r.p50_ms / native.p50_ms if native.p50_ms else float("inf")
            verdicts[r.target] = {"throughput_ratio": round(ratio, 2), "p50_ratio": round(p50, 2), "ok": ratio <= GOAL}
            print(
                f"  {r.target:<36} {ratio:5.2f}x by throughput, {p50:5.2f}x by median latency: "
                f"{'OK' if ratio <= GOAL else 'OVER'}"
            )
    out = lb.RESULTS_DIR / f"export-bench-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(
        json.dumps(
            {**asdict(run), "results": [asdict(r) for r in results], "verdicts": verdicts, "log_dir": str(log_dir)},
            indent=2,
            default=str,
        ),
        encoding="utf-8",
    )
    print(f"\nwritten to {out}")
    return 0 if all(v["ok"] for name, v in verdicts.items() if name.endswith("(first page)")) else 1


if __name__ == "__main__":
    raise SystemExit(main())
