"""Server time of the filtered service-list page and its htmx fragment, next to the JSON API.

Same data, pairs, load generator and bookkeeping as run_list_bench.py (whose helpers this reuses):
wrk with 32 connections against uvicorn with one worker, on the 100,000-service SQLite database.

    .venv/bin/python bench/run_page_bench.py [--duration 10] [--rounds 3]
"""

import argparse
import contextlib
import json
import sys
import tempfile
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run_list_bench as lb

FRAGMENT_REQUEST = (
    'return wrk.format("GET", paths[(counter % #paths) + 1], {["HX-Request"] = "true", ["HX-Target"] = "results"})'
)


def page_path(pair: lb.Pair) -> str:
    query = urllib.parse.urlencode({"municipality": pair.municipality, "patient_group": pair.patient_group})
    return f"/rehab-services?{query}"


def script(paths: Sequence[str], directory: Path, name: str, fragment: bool) -> Path:
    path = lb.write_lua(paths, directory, name)
    if fragment:
        text = path.read_text(encoding="utf-8")
        text = text.replace('return wrk.format("GET", paths[(counter % #paths) + 1])', FRAGMENT_REQUEST)
        path.write_text(text, encoding="utf-8")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pairs", type=int, default=200)
    args = lb.parse_args(["--duration", str(0), "--rounds", "1"])  # defaults for the shared helpers
    own = parser.parse_args(argv)
    args.duration, args.warmup, args.rounds, args.pairs = own.duration, own.warmup, own.rounds, own.pairs
    db_path = args.db.resolve()
    url = f"sqlite:///{db_path}"
    app_dir = args.app_dir.resolve()
    run = lb.Run(started=datetime.now(UTC).isoformat(timespec="seconds"), machine=lb.machine_info(), settings={})
    results: list[lb.Measurement] = []
    with lb.terminate_on_signal(), contextlib.ExitStack() as stack:
        log_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="page-bench-", dir=lb.RESULTS_DIR)))
        lb.ensure_seeded(url, args.services, False, run, "sqlite", app_dir)
        pairs = lb.draw_pairs(db_path, args.pairs, args.pair_seed)
        server = lb.uvicorn_server("pages", url, log_dir, app_dir, args)
        stack.callback(server.stop)
        server.start()
        server.wait_ready(pairs[0].api_path)
        targets = [
            ("json api (sqlite)", script([p.api_path for p in pairs], log_dir, "json", False)),
            ("page (sqlite)", script([page_path(p) for p in pairs], log_dir, "page", False)),
            ("htmx fragment (sqlite)", script([page_path(p) for p in pairs], log_dir, "fragment", True)),
        ]
        for label, lua in targets:
            results.append(lb.measure(label, server, lua, args, log_dir))
    lb.print_table(results)
    base = results[0]
    for m in results[1:]:
        print(f"{m.target}: {base.requests_per_s / m.requests_per_s:.2f}x the JSON API's time per request")
    out = lb.RESULTS_DIR / f"page-bench-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps({"machine": run.machine, "results": [vars(m) for m in results]}, indent=2))
    print(f"results: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
