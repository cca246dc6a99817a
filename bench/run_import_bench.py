"""Benchmark the bulk import: 100,000 service rows from CSV and 50,000 from XLSX, into an empty and a full database.

    .venv/bin/python bench/run_import_bench.py                 # about 3 minutes
    .venv/bin/python bench/run_import_bench.py --rows 20000    # a quicker look
    .venv/bin/python bench/run_import_bench.py --postgres-url postgresql+psycopg://postgres@127.0.0.1:5434/postgres

Steps: build a database with the schema and the reference data only (`rehabkart db upgrade`,
`rehabkart reference load`), generate the import files from bench/seed.py's generator (the same invented
services as the list benchmark: ~65% municipal, ~35% from the health trusts, whose services inherit the
trust's catchment), then time, each in its own process and each --rounds times (the median is reported):

- `rehabkart import services.csv` on a copy of the empty database, then the same file again on the
  result (every row unchanged);
- the same for `services.xlsx` (the first half of the rows);
- the mapped-profile path: the same CSV under a secretariat's own headers (and a column of its own),
  imported with `--profile` naming an import profile saved in the database that maps them to our fields,
  into an empty database and then again (every row unchanged);
- `sqlite-utils insert --csv` of the same CSV into a new database;
- a raw `sqlite3` `executemany` of the same rows into one table (the floor: no checks, no links, no audit).

Wall time is the process's (start-up included, like a user running the command); CPU time is its user +
system time, steadier than wall time on a shared machine; peak memory is the process's maximum resident
set size. Results are printed and written to bench/results/import-bench-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS = BENCH_DIR / "results"
BIN = Path(sys.executable).parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.append(str(PROJECT_ROOT))

HEADERS = (
    "Tilbyder orgnr",
    "Kommunenr",
    "Ekstern ID",
    "Navn",
    "Beskrivelse",
    "Nivå",
    "Form",
    "Pasientgrupper",
    "Aldersgrupper",
    "Kapasitet",
    "Kapasitet enhet",
    "Ventetid dager",
    "Ventetid dato",
    "Henvisning fra",
    "Henvisningskriterier",
    "Kontaktperson",
    "Telefon",
    "E-post",
    "Nettside",
    "Status",
    "Gyldig fra",
    "Sist verifisert",
    "Helsehjelpsområde",
    "IPLOS tjenestetype",
    "Omsorgsnivå",
)
# A secretariat's own headers for the same columns (and one more column of its own), and the import profile
# that maps them to our fields: the mapped-profile path.
MAPPED_HEADERS = {
    "Tilbyder orgnr": ("Org.nr. tilbyder", "provider_orgnr"),
    "Kommunenr": ("Kommunenummer", "provider_municipality"),
    "Ekstern ID": ("Vår referanse", "external_id"),
    "Navn": ("Tilbudets navn", "name"),
    "Beskrivelse": ("Om tilbudet", "description"),
    "Nivå": ("Forvaltningsnivå", "level"),
    "Form": ("Tilbudsform", "forms"),
    "Pasientgrupper": ("Diagnosegrupper", "patient_groups"),
    "Aldersgrupper": ("Alder", "age_groups"),
    "Kapasitet": ("Antall plasser", "capacity_number"),
    "Kapasitet enhet": ("Plasstype", "capacity_unit"),
    "Ventetid dager": ("Ventetid (dager)", "waiting_time_days"),
    "Ventetid dato": ("Ventetid per", "waiting_time_reported_on"),
    "Henvisning fra": ("Henvises fra", "referrers"),
    "Henvisningskriterier": ("Kriterier for henvisning", "referral_criteria"),
    "Kontaktperson": ("Kontakt", "contact_name"),
    "Telefon": ("Tlf.", "contact_phone"),
    "E-post": ("Epostadresse", "contact_email"),
    "Nettside": ("Hjemmeside", "website"),
    "Status": ("Tilbudsstatus", "status"),
    "Gyldig fra": ("Fra dato", "valid_from"),
    "Sist verifisert": ("Kontrollert", "last_verified_on"),
    "Helsehjelpsområde": ("Helsehjelp (8655)", "helsehjelpsomrade_8655"),
    "IPLOS tjenestetype": ("IPLOS (9151)", "iplos_9151"),
    "Omsorgsnivå": ("Omsorgsnivå (8406)", "omsorgsniva_8406"),
}
EXTRA_HEADER = "Sekretariatets merknad"
PROFILE_NAME = "Sekretariatets skjema"
LEVELS = {"municipal": "kommunal", "specialist": "spesialist"}
# 100,000 rows with descriptions are ~45 MB: above the default upload limit (20 MB), which is for people.
LIMITS = {"REHABKART_IMPORT_MAX_BYTES": "500000000"}


@dataclass
class Measurement:
    target: str
    rows: int
    seconds: float  # median process wall time
    peak_rss_mb: float  # median of each run's peak RSS
    runs: list[float]
    outcome: str
    cpu_seconds: float = 0.0  # median process user + system time
    cpu_runs: list[float] | None = None


def rehabkart(database: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REHABKART_DATABASE_URL": f"sqlite:///{database}"}
    return subprocess.run([str(BIN / "rehabkart"), *args], env=env, capture_output=True, text=True, check=False)


def empty_database(path: Path) -> None:
    """Schema and reference data, no services."""
    path.unlink(missing_ok=True)
    for args in (("db", "upgrade"), ("reference", "load")):
        done = rehabkart(path, *args)
        if done.returncode != 0:
            raise SystemExit(f"rehabkart {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def generate_rows(database: Path, n: int, seed: int) -> list[list[Any]]:
    """n service rows as a secretariat's spreadsheet would hold them (Norwegian headers and values)."""
    from sqlalchemy import create_engine

    from bench import seed as seeding

    engine = create_engine(f"sqlite:///{database}")
    municipal, trusts = seeding._load_providers(engine)
    groups = seeding._patient_groups(engine)
    with sqlite3.connect(database) as conn:
        orgnr = dict(conn.execute("SELECT id, orgnr FROM organisation WHERE orgnr IS NOT NULL").fetchall())
        forms_by_id: dict[int, list[str]] = {}
        groups_by_id: dict[int, list[str]] = {}
    generated = seeding.generate(municipal, trusts, groups, n, seed)
    codes = dict(groups)
    for link in generated.forms:
        forms_by_id.setdefault(link["service_id"], []).append(link["form"])
    for link in generated.groups:
        groups_by_id.setdefault(link["service_id"], []).append(codes[link["patient_group_id"]])
    by_id = {p.id: p for p in municipal}
    rows = []
    for s in generated.services:
        provider = by_id.get(s["provider_id"])
        rows.append(
            [
                "" if provider else orgnr[s["provider_id"]],
                provider.municipality_number if provider else "",
                s["external_id"],
                s["name"],
                s["description"],
                LEVELS[s["level"]],
                ", ".join(forms_by_id[s["id"]]),
                ", ".join(groups_by_id[s["id"]]),
                ", ".join(s["age_groups"]),
                s["capacity_number"],
                s["capacity_unit"],
                s["waiting_time_days"],
                s["waiting_time_reported_on"].strftime("%d.%m.%Y") if s["waiting_time_reported_on"] else None,
                ", ".join(s["referrers"]),
                s["referral_criteria"],
                s["contact_name"],
                s["contact_phone"],
                s["contact_email"],
                s["website"],
                s["status"],
                s["valid_from"].isoformat() if s["valid_from"] else None,
                s["last_verified_on"].isoformat() if s["last_verified_on"] else None,
                s["helsehjelpsomrade_8655"],
                s["iplos_9151"],
                s["omsorgsniva_8406"],
            ]
        )
    return rows


def write_csv(path: Path, rows: list[list[Any]]) -> None:
    """Semicolon-separated UTF-8 with BOM: what Norwegian Excel saves."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows([["" if v is None else v for v in row] for row in rows])


def write_mapped_csv(path: Path, rows: list[list[Any]]) -> None:
    """The same rows under the secretariat's headers, with a column of its own (ignored by the profile)."""
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow([*(MAPPED_HEADERS[h][0] for h in HEADERS), EXTRA_HEADER])
        writer.writerows([*("" if v is None else v for v in row), "intern merknad"] for row in rows)


PROFILE_SCRIPT = """
import sys
from sqlalchemy import select
from app.cli import _cli_actor
from app.db import transaction
from app.domain.imports import profiles
from app.models import Organisation
from app.models.imports import ImportProfileCreate
name, mapping = sys.argv[1], dict(arg.split("=", 1) for arg in sys.argv[2:])
with transaction() as session:
    organisation = session.execute(select(Organisation.id).order_by(Organisation.id).limit(1)).scalar_one()
    data = ImportProfileCreate(organisation_id=organisation, name=name, mapping=mapping)
    print(profiles.create_profile(session, _cli_actor(), data)["id"])
"""


def save_profile(database: Path) -> None:
    """The import profile of the mapped-profile path, saved in `database` (as the import page saves one)."""
    mapping = [f"{header}={field}" for header, field in MAPPED_HEADERS.values()] + [f"{EXTRA_HEADER}=ignore"]
    env = {**os.environ, "REHABKART_DATABASE_URL": f"sqlite:///{database}"}
    command = [sys.executable, "-c", PROFILE_SCRIPT, PROFILE_NAME, *mapping]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False, cwd=PROJECT_ROOT)
    if done.returncode != 0:
        raise SystemExit(f"saving the import profile failed:\n{done.stdout}\n{done.stderr}")
    with sqlite3.connect(database) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Tilbud")
    sheet.append(HEADERS)
    for row in rows:
        # Excel keeps typed numbers as numbers: municipality "0301" arrives as 301.
        sheet.append([int(v) if i == 1 and v else v for i, v in enumerate(row)])
    book.save(path)


GNU_TIME = shutil.which("time") if Path("/usr/bin/time").exists() else None


Timing = tuple[float, float, str, float]  # wall seconds, peak RSS MB, output or outcome, CPU seconds


def timed(command: list[str], env: dict[str, str] | None = None) -> Timing:
    """(wall seconds, peak RSS MB, output, CPU seconds) of a process.

    Peak RSS and CPU time come from GNU time when installed: wait4's ru_maxrss would include the pages this
    (large) benchmark process had when it forked the child.
    """
    report = RESULTS / "import" / "time.txt"
    wrapped = [GNU_TIME, "-f", "%M %U %S", "-o", str(report), *command] if GNU_TIME else command
    start = time.perf_counter()
    process = subprocess.Popen(wrapped, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    if GNU_TIME:
        peak_kb, user, system = report.read_text().split()[-3:]
        return seconds, int(peak_kb) / 1024, output, float(user) + float(system)
    return seconds, usage.ru_maxrss / 1024, output, usage.ru_utime + usage.ru_stime


def measure(target: str, rows: int, rounds: int, run: Any) -> Measurement:
    results = [run() for _ in range(rounds)]
    seconds = [r[0] for r in results]
    cpu = [r[3] for r in results]
    rss = statistics.median(r[1] for r in results)
    outcome = results[-1][2]
    wall, used = statistics.median(seconds), statistics.median(cpu)
    print(f"{target:<56} {wall:>7.2f} s {used:>7.2f} s {rss:>7.0f} MB   {outcome}", flush=True)
    return Measurement(target, rows, wall, rss, seconds, outcome, used, cpu)


def import_run(template: Path, work: Path, file: Path, *, full: bool, options: tuple[str, ...] = ()) -> Any:
    def run() -> Timing:
        database = work / "import.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{database}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, database)
        env = {**os.environ, "REHABKART_DATABASE_URL": f"sqlite:///{database}", "COLUMNS": "200", **LIMITS}
        command = [str(BIN / "rehabkart"), "import", str(file), "--kind", "rehab-services", *options]
        if full:
            timed(command, env)  # fill it first; the measured run finds every row unchanged
        seconds, rss, output, cpu = timed(command, env)
        return seconds, rss, _counts(output), cpu

    return run


def postgres_import_run(url: str, file: Path, *, full: bool) -> Any:
    """The same import against PostgreSQL; the database's public schema is WIPED before every run."""
    from bench.seed import reset_database

    env = {**os.environ, "REHABKART_DATABASE_URL": url, "COLUMNS": "200", **LIMITS}
    env.setdefault("REHABKART_SECRET_KEY", "import-benchmark-only-" + "x" * 32)

    def run() -> Timing:
        reset_database(url)  # local servers only
        for args in (("db", "upgrade"), ("reference", "load")):
            timed([str(BIN / "rehabkart"), *args], env)
        command = [str(BIN / "rehabkart"), "import", str(file), "--kind", "rehab-services"]
        if full:
            timed(command, env)
        seconds, rss, output, cpu = timed(command, env)
        return seconds, rss, _counts(output), cpu

    return run


def _counts(output: str) -> str:
    """The CLI's summary table as "rader/nye/… = 100000/100000/…" (its header row, then its numbers)."""
    lines = output.splitlines()
    header = next((line for line in lines if line.strip().startswith("┃")), "").split("┃")
    summary = next((line for line in lines if line.strip().startswith("│")), "").split("│")
    names, numbers = ([c.strip() for c in cells if c.strip()] for cells in (header, summary))
    return "/".join(names) + " = " + "/".join(numbers)


def sqlite_utils_run(work: Path, file: Path) -> Any:
    def run() -> Timing:
        database = work / "sqlite-utils.db"
        database.unlink(missing_ok=True)
        command = [str(BIN / "sqlite-utils"), "insert", str(database), "services", str(file), "--csv"]
        seconds, rss, _, cpu = timed([*command, "--delimiter", ";", "--encoding", "utf-8-sig"])
        with sqlite3.connect(database) as conn:
            count = conn.execute("SELECT count(*) FROM services").fetchone()[0]
        return seconds, rss, f"{count} rows in one table", cpu

    return run


RAW_SCRIPT = """
import csv, sqlite3, sys
database, file = sys.argv[1], sys.argv[2]
conn = sqlite3.connect(database)
with open(file, encoding="utf-8-sig", newline="") as handle:
    reader = csv.reader(handle, delimiter=";")
    headers = next(reader)
    conn.execute("CREATE TABLE services (%s)" % ", ".join('"%s" TEXT' % h for h in headers))
    with conn:
        conn.executemany("INSERT INTO services VALUES (%s)" % ", ".join("?" * len(headers)), reader)
print(conn.execute("SELECT count(*) FROM services").fetchone()[0])
"""


def raw_run(work: Path, file: Path) -> Any:
    def run() -> Timing:
        database = work / "raw.db"
        database.unlink(missing_ok=True)
        seconds, rss, output, cpu = timed([sys.executable, "-c", RAW_SCRIPT, str(database), str(file)])
        return seconds, rss, f"{output.strip()} rows in one table", cpu

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="CSV rows (the XLSX gets half)")
    parser.add_argument("--rounds", type=int, default=3, help="runs per target; the median is reported")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--postgres-url",
        help="also import the CSV into this PostgreSQL database (local only; its public schema is WIPED)",
    )
    args = parser.parse_args(argv)

    work = RESULTS / "import"
    work.mkdir(parents=True, exist_ok=True)
    template, profiled = work / "empty.db", work / "empty-with-profile.db"
    started = time.perf_counter()
    empty_database(template)
    shutil.copy(template, profiled)
    save_profile(profiled)
    rows = generate_rows(template, args.rows, args.seed)
    csv_file, xlsx_file, mapped_file = work / "services.csv", work / "services.xlsx", work / "services-mapped.csv"
    write_csv(csv_file, rows)
    write_mapped_csv(mapped_file, rows)
    write_xlsx(xlsx_file, rows[: args.rows // 2])
    print(
        f"Prepared in {time.perf_counter() - started:.1f} s: {csv_file.name} {csv_file.stat().st_size / 1e6:.1f} MB "
        f"({args.rows} rows), {xlsx_file.name} {xlsx_file.stat().st_size / 1e6:.1f} MB ({args.rows // 2} rows)\n"
    )
    print(f"{'target':<56} {'wall':>9} {'CPU':>9} {'peak RSS':>10}")
    results = [
        measure("raw sqlite3 executemany (CSV)", args.rows, args.rounds, raw_run(work, csv_file)),
        measure("sqlite-utils insert --csv", args.rows, args.rounds, sqlite_utils_run(work, csv_file)),
        measure(
            "rehabkart import CSV, empty database",
            args.rows,
            args.rounds,
            import_run(template, work, csv_file, full=False),
        ),
        measure(
            "rehabkart import CSV, full (all unchanged)",
            args.rows,
            args.rounds,
            import_run(template, work, csv_file, full=True),
        ),
        measure(
            "rehabkart import XLSX, empty database",
            args.rows // 2,
            args.rounds,
            import_run(template, work, xlsx_file, full=False),
        ),
        measure(
            "rehabkart import XLSX, full (all unchanged)",
            args.rows // 2,
            args.rounds,
            import_run(template, work, xlsx_file, full=True),
        ),
    ]
    profile = ("--profile", PROFILE_NAME)
    for full in (False, True):
        label = "full (all unchanged)" if full else "empty database"
        run = import_run(profiled, work, mapped_file, full=full, options=profile)
        results.append(measure(f"rehabkart import CSV, mapped by a profile, {label}", args.rows, args.rounds, run))
    if args.postgres_url:
        for full in (False, True):
            label = "full (all unchanged)" if full else "empty database"
            run = postgres_import_run(args.postgres_url, csv_file, full=full)
            results.append(measure(f"rehabkart import CSV, PostgreSQL, {label}", args.rows, args.rounds, run))
    utils, ours, mapped = results[1], results[2], results[6]
    print(
        f"\nCSV into an empty database: {ours.seconds / utils.seconds:.2f}x sqlite-utils' wall time "
        f"({ours.cpu_seconds / utils.cpu_seconds:.2f}x its CPU time), "
        f"{ours.seconds / results[0].seconds:.1f}x the raw executemany's time; mapped by a profile: "
        f"{mapped.seconds / utils.seconds:.2f}x ({mapped.cpu_seconds / utils.cpu_seconds:.2f}x CPU)"
    )
    out = RESULTS / f"import-bench-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.write_text(
        json.dumps(
            {
                "machine": {
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "sqlite": sqlite3.sqlite_version,
                },
                "rows": args.rows,
                "rounds": args.rounds,
                "results": [asdict(r) for r in results],
            },
            indent=2,
        )
    )
    print(f"Written to {out.relative_to(PROJECT_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
