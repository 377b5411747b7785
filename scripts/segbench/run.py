"""The performance benchmark: the engine next to hand-written SQL, on demo stores of several sizes.

    scripts/bench --size 1M,10M [--repeat 3] [--no-many]

For each size (events; profiles = events / 100), in the same run and on the same data:

a. dbt's fixed cost: start-up, the cached parse and a build that selects nothing (every
   evaluation gives as_of in the environment, which keeps dbt's parse);
b. a full evaluation of the 50 pack with ``dbt build --full-refresh`` (``full_evaluation:
   true``; every published row written again, as the hand-written SQL does, where a plain full
   evaluation carries the previous evaluation's tables forward), after the store's first
   evaluation the day before (measured too: it also checks every event_id once);
c. the hand-written baseline (``hand_written.sql`` and the variations in ``pack.py``), one
   ``create table ... as`` per segment, run by DuckDB directly;
d. the floor: one grouped scan of the events table;
e. seven daily incremental evaluations, each after appending 1% new events and moving as_of by
   one day (the median, and the 7th against the 1st);
f. a full evaluation of the 500 pack on a copy of the same store (also after a first one);
g. with ``--engine spark``, the 50 pack on local Spark on another copy (``spark_engine.py``).

Every step runs in its own process under ``/usr/bin/time`` (wall seconds and peak RSS), with
DuckDB's memory limit at 6 GB. Medians over ``--repeat`` runs. The engine's members are checked
against the hand-written tables (they must agree, or the comparison means nothing). Results are
merged into ``scripts/segbench/results/performance.{json,md,png}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import duckdb

from . import pack
from .spark_engine import layer_seconds, markdown_rows, measure_spark, spark_ratios

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).parent / "results"
WORK = ROOT / "warehouse" / "bench"
DAILY_STEPS = 7
SIZES = {"1M": 1_000_000, "10M": 10_000_000, "100M": 100_000_000}
EVENTS_PER_PROFILE = 100
AS_OF = dt.datetime(2026, 11, 29)  # the end of the demo store's history (DemoSpec.end)
YESTERDAY = AS_OF - dt.timedelta(days=1)
MEMORY_LIMIT = "6GB"
COPIED = ("dbt_project.yml", "profiles.yml", "macros", "models", "data-tests")
PYTHON = ROOT / ".venv" / "bin" / "python"
DBT = ROOT / ".venv" / "bin" / "dbt"


@dataclass
class Step:
    seconds: float
    peak_mb: float


def _run(command: list[str], env: dict[str, str], cwd: Path) -> Step:
    """Run a command under /usr/bin/time: its wall time and peak resident memory."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        started = time.perf_counter()
        result = subprocess.run(
            ["/usr/bin/time", "-f", "%M", "-o", timing.name, *command],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed:\n{result.stdout[-4000:]}\n{result.stderr[-2000:]}"
            )
        peak_kb = float(timing.read().strip().splitlines()[-1])
    return Step(round(seconds, 2), round(peak_kb / 1024, 1))


def _env(database: Path, project: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SEGMENTS_DUCKDB_PATH": str(database),
        "SEGMENTS_DUCKDB_MEMORY_LIMIT": MEMORY_LIMIT,
        "DBT_PROFILES_DIR": str(project),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PYTHONPATH": str(ROOT / "scripts"),
    }


def _project(folder: Path, files: dict[str, str], database: Path) -> Path:
    """A copy of the dbt project with these segment definitions, its models generated."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, folder / name)
    (folder / "segments").mkdir()
    for name, text in files.items():
        (folder / "segments" / f"{name}.yml").write_text(text, encoding="utf-8")
    subprocess.run(
        [str(PYTHON), "-m", "segkit.cli", "--project-dir", str(folder), "generate"],
        env=_env(database, folder),
        check=True,
        capture_output=True,
    )
    return folder


def _dbt(
    project: Path, database: Path, *args: str, as_of: dt.datetime | None = None, full: bool = False
) -> Step:
    """One dbt command; as_of and full_evaluation in the environment, as the README recommends
    (changed --vars would make every evaluation re-parse the project)."""
    env = _env(database, project)
    if as_of is not None:
        env["SEGMENTS_AS_OF"] = as_of.isoformat()
    if full:
        env["SEGMENTS_FULL_EVALUATION"] = "true"
    return _run([str(DBT), *args, "--quiet", "--project-dir", str(project)], env, project)


def _fixed_cost(project: Path, database: Path, repeat: int) -> dict[str, Any]:
    """A build that selects nothing, after one parse: a project in daily use has its parse cached."""
    _dbt(project, database, "parse")
    return _median(
        [_dbt(project, database, "build", "--select", "tag:no_such_tag") for _ in range(repeat)]
    )


def _sql_step(database: Path, statements: list[str]) -> Step:
    """Run SQL statements in a fresh DuckDB process with the profile's settings."""
    script = (
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1])\n"
        f"con.execute(\"set memory_limit = '{MEMORY_LIMIT}'\")\n"
        "con.execute(\"set TimeZone = 'UTC'\")\n"
        "for statement in json.loads(sys.stdin.read()):\n"
        "    con.execute(statement)\n"
        "con.close()\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(statements, handle)
    try:
        command = [
            "bash",
            "-c",
            '"$0" -c "$1" "$2" < "$3"',
            str(PYTHON),
            script,
            str(database),
            handle.name,
        ]
        return _run(command, dict(os.environ), ROOT)
    finally:
        os.unlink(handle.name)


def _hand_written_sql(as_of: dt.datetime) -> list[str]:
    literal = f"timestamp '{as_of:%Y-%m-%d %H:%M:%S}'"
    statements = ["create schema if not exists bench_hand"]
    statements += [sql.replace("{AS_OF}", literal) for _, sql in pack.hand_written_statements()]
    return statements


FLOOR_SQL = [
    "create schema if not exists bench_hand",
    "create or replace table bench_hand.floor as "
    "select profile_id, event_type, count(*) as events, max(event_ts) as last_event_ts "
    "from raw.events group by profile_id, event_type",
]


def _disagreements(
    database: Path, members: Callable[[str], str] = lambda name: f"segments.{name}"
) -> dict[str, int]:
    """Segments whose engine members (the relation `members(name)`) differ from the
    hand-written ones (symmetric difference)."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        found = {}
        for name, _ in pack.hand_written_statements():
            if name == "known":
                continue
            engine = members(name)
            (count,) = con.execute(
                f"""select count(*) from (
                    (select profile_id from {engine} except select profile_id from bench_hand.{name})
                    union all
                    (select profile_id from bench_hand.{name} except select profile_id from {engine}))"""
            ).fetchone()
            if count:
                found[name] = count
        return found
    finally:
        con.close()


def _append_one_percent(database: Path, step: int, day_start: dt.datetime) -> tuple[int, int]:
    """Append new events, 1% of the store, into the day starting at day_start, arriving now: the
    latest 1% of events moved into the new day (time of day kept), as if the recently active
    customers came back; their ids are new and they arrive after everything loaded so far. Ties
    in time are broken by id, so that copies of a store get the same events."""
    con = duckdb.connect(str(database))
    try:
        (total,) = con.execute("select count(*) from raw.events").fetchone()
        con.execute(
            f"""
            insert into raw.events by name
            select * replace (
                event_id || '-new{step}' as event_id,
                timestamp '{day_start:%Y-%m-%d %H:%M:%S}'
                    + to_seconds((epoch(event_ts)::bigint % 86400)) as event_ts,
                (select max(loaded_at) from raw.events) + interval 1 minute as loaded_at)
            from raw.events
            where event_id not like '%-new%'
            order by event_ts desc, event_id desc
            limit {total // 100}
            """
        )
        (after,) = con.execute("select count(*) from raw.events").fetchone()
        return total, after - total
    finally:
        con.close()


def _profiles_evaluated(database: Path) -> int | None:
    con = duckdb.connect(str(database), read_only=True)
    try:
        row = con.execute(
            "select profiles_evaluated from segmentation.evaluation_log order by started_at desc limit 1"
        ).fetchone()
        return row[0] if row else None
    finally:
        con.close()


def _median(steps: list[Step]) -> dict[str, Any]:
    return {
        "seconds": round(statistics.median(s.seconds for s in steps), 2),
        "peak_mb": max(s.peak_mb for s in steps),
        "runs": [asdict(s) for s in steps],
    }


def measure(size: str, repeat: int, many: bool, engine: str = "duckdb") -> dict[str, Any]:
    events = SIZES[size]
    profiles = events // EVENTS_PER_PROFILE
    folder = WORK / size
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    database = folder / "store.duckdb"
    print(
        f"[{size}] generating the demo store ({profiles:,} profiles, {events:,} events)", flush=True
    )
    generation = _run(
        [
            str(PYTHON),
            "-m",
            "segkit.cli",
            "demo",
            "--profiles",
            str(profiles),
            "--events",
            str(events),
        ],
        _env(database, ROOT),
        ROOT,
    )
    if many:
        shutil.copy(database, folder / "store_many.duckdb")
    if engine == "spark":
        shutil.copy(database, folder / "store_spark.duckdb")
    project = _project(folder / "project_50", pack.pack(50), database)
    result: dict[str, Any] = {
        "size": size,
        "events": events,
        "profiles": profiles,
        "segments": 50,
        "generation": asdict(generation),
    }
    print(f"[{size}] dbt fixed cost", flush=True)
    result["fixed"] = _fixed_cost(project, database, repeat)
    # The first evaluation of a store also checks every event_id once (later evaluations check
    # the arrivals); (b) is then a full re-evaluation of a store in daily operation, from scratch
    # (--full-refresh: the same work at every repeat, none carried from the previous evaluation).
    print(f"[{size}] first evaluations (the day before)", flush=True)
    result["first"] = _median(
        [_dbt(project, database, "build", as_of=YESTERDAY, full=True) for _ in range(repeat)]
    )
    print(f"[{size}] full evaluations", flush=True)
    result["full"] = _median(
        [
            _dbt(project, database, "build", "--full-refresh", as_of=AS_OF, full=True)
            for _ in range(repeat)
        ]
    )
    result["full_layers"] = layer_seconds(project)
    print(f"[{size}] hand-written SQL", flush=True)
    result["hand_written"] = _median(
        [_sql_step(database, _hand_written_sql(AS_OF)) for _ in range(repeat)]
    )
    result["disagreements"] = _disagreements(database)
    print(f"[{size}] floor (one grouped scan)", flush=True)
    result["floor"] = _median([_sql_step(database, FLOOR_SQL) for _ in range(repeat)])
    print(f"[{size}] incremental evaluations", flush=True)
    incremental, appended, evaluated = [], [], []
    # A week of daily runs, so that the cost of the state's growth shows (7th against 1st).
    for step in range(1, max(repeat, DAILY_STEPS) + 1):
        before, added = _append_one_percent(database, step, AS_OF + dt.timedelta(days=step - 1))
        appended.append(round(100 * added / before, 2))
        incremental.append(_dbt(project, database, "build", as_of=AS_OF + dt.timedelta(days=step)))
        evaluated.append(_profiles_evaluated(database))
    result["incremental"] = {
        **_median(incremental),
        "appended_percent": appended,
        "profiles_evaluated": evaluated,
        "daily_seconds": [step.seconds for step in incremental],
    }
    if many:
        print(f"[{size}] the 500 pack", flush=True)
        many_db = folder / "store_many.duckdb"
        many_project = _project(folder / "project_500", pack.pack(500), many_db)
        result["many_fixed"] = _fixed_cost(many_project, many_db, repeat)
        result["many_first"] = _median(
            [
                _dbt(many_project, many_db, "build", as_of=YESTERDAY, full=True)
                for _ in range(repeat)
            ]
        )
        result["many_full"] = _median(
            [
                _dbt(many_project, many_db, "build", "--full-refresh", as_of=AS_OF, full=True)
                for _ in range(repeat)
            ]
        )
    if engine == "spark":
        result["spark"] = measure_spark(folder, folder / "store_spark.duckdb", database)
    shutil.rmtree(folder, ignore_errors=True)
    return result


def ratios(r: dict[str, Any]) -> dict[str, float | None]:
    fixed = r["fixed"]["seconds"]
    full_net = r["full"]["seconds"] - fixed
    out: dict[str, float | None] = {
        "full_net_seconds": round(full_net, 2),
        "full_vs_hand_written": round(full_net / r["hand_written"]["seconds"], 2),
        "full_vs_floor": round(full_net / r["floor"]["seconds"], 2),
        "incremental_vs_full": round(r["incremental"]["seconds"] / r["full"]["seconds"], 3),
        "incremental_vs_full_net": round((r["incremental"]["seconds"] - fixed) / full_net, 3),
    }
    daily = r["incremental"].get("daily_seconds") or []
    if len(daily) >= DAILY_STEPS:
        out["seventh_vs_first_daily"] = round(daily[DAILY_STEPS - 1] / daily[0], 2)
    if "first" in r:
        first_net = r["first"]["seconds"] - fixed
        out["first_net_seconds"] = round(first_net, 2)
        out["first_vs_hand_written"] = round(first_net / r["hand_written"]["seconds"], 2)
    if "many_full" in r:
        many_net = r["many_full"]["seconds"] - r["many_fixed"]["seconds"]
        out["many_vs_50_net"] = round(many_net / full_net, 2)
        out["many_vs_50"] = round(r["many_full"]["seconds"] / r["full"]["seconds"], 2)
    if "spark" in r:
        out.update(spark_ratios({**r, "ratios": out}))
    return out


def _markdown(results: dict[str, Any]) -> str:
    sizes = [s for s in SIZES if s in results["sizes"]]
    rows = [
        ("events", lambda r: f"{r['events']:,}"),
        ("profiles", lambda r: f"{r['profiles']:,}"),
        ("(a) dbt fixed cost, s", lambda r: r["fixed"]["seconds"]),
        (
            "first evaluation of the store (checks every event_id), s",
            lambda r: r.get("first", {}).get("seconds", "-"),
        ),
        ("(b) full evaluation, 50 segments, s", lambda r: r["full"]["seconds"]),
        ("(b) full, net of (a), s", lambda r: r["ratios"]["full_net_seconds"]),
        ("(c) incremental (1% new events, +1 day), s", lambda r: r["incremental"]["seconds"]),
        (
            "(c) seven daily incremental runs, s",
            lambda r: ", ".join(str(x) for x in r["incremental"].get("daily_seconds", [])) or "-",
        ),
        ("7th / 1st daily run", lambda r: r["ratios"].get("seventh_vs_first_daily", "-")),
        ("(d) hand-written SQL, s", lambda r: r["hand_written"]["seconds"]),
        ("(e) floor: one grouped scan, s", lambda r: r["floor"]["seconds"]),
        ("500 segments, full, s", lambda r: r.get("many_full", {}).get("seconds", "-")),
        ("**full (net) / hand-written**", lambda r: r["ratios"]["full_vs_hand_written"]),
        (
            "first evaluation (net) / hand-written",
            lambda r: r["ratios"].get("first_vs_hand_written", "-"),
        ),
        ("**incremental / full**", lambda r: r["ratios"]["incremental_vs_full"]),
        ("incremental (net) / full (net)", lambda r: r["ratios"]["incremental_vs_full_net"]),
        ("**500 / 50 segments (net)**", lambda r: r["ratios"].get("many_vs_50_net", "-")),
        ("full (net) / floor", lambda r: r["ratios"]["full_vs_floor"]),
        (
            "peak memory: full / incremental / hand-written, MB",
            lambda r: (
                f"{r['full']['peak_mb']:.0f} / {r['incremental']['peak_mb']:.0f} / {r['hand_written']['peak_mb']:.0f}"
            ),
        ),
        (
            "profiles re-evaluated by the incremental runs",
            lambda r: ", ".join(
                f"{p:,}" for p in r["incremental"]["profiles_evaluated"] if p is not None
            ),
        ),
        ("segments where engine and hand-written disagree", lambda r: len(r["disagreements"])),
        *(markdown_rows() if any("spark" in results["sizes"][s] for s in sizes) else []),
    ]
    lines = ["| | " + " | ".join(sizes) + " |", "|---|" + "---|" * len(sizes)]
    for label, value in rows:
        lines.append(
            f"| {label} | " + " | ".join(str(value(results["sizes"][s])) for s in sizes) + " |"
        )
    growth = results.get("growth_10M_to_100M")
    if growth:
        lines.append("")
        lines.append(
            f"Cost growth from 10M to 100M events (full, net of fixed cost): **{growth}x**."
        )
    return "\n".join(lines) + "\n"


def _chart(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [s for s in SIZES if s in results["sizes"]]
    x = [results["sizes"][s]["events"] for s in sizes]
    figure, axis = plt.subplots(figsize=(7, 4.5))
    for label, key in (
        ("full evaluation (dbt build)", "full"),
        ("incremental (1% new, +1 day)", "incremental"),
        ("hand-written SQL", "hand_written"),
        ("floor: one grouped scan", "floor"),
    ):
        axis.plot(x, [results["sizes"][s][key]["seconds"] for s in sizes], marker="o", label=label)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("events")
    axis.set_ylabel("seconds (median)")
    axis.set_title("50 segments on the demo store, 2 cores, 6 GB DuckDB memory limit")
    axis.grid(True, which="both", alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--size", default="1M,10M", help="comma-separated sizes: 1M, 10M, 100M (default 1M,10M)"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs per step; medians are reported (default 3)"
    )
    parser.add_argument("--no-many", action="store_true", help="skip the 500-segment pack")
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="spark: also run the 50 pack on local Spark beside DuckDB (make spark first)",
    )
    args = parser.parse_args(argv)
    sizes = [s.strip() for s in args.size.split(",") if s.strip()]
    unknown = [s for s in sizes if s not in SIZES]
    if unknown:
        parser.error(f"unknown size {unknown[0]!r} (expected one of: {', '.join(SIZES)})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    results_file = RESULTS / "performance.json"
    results = json.loads(results_file.read_text()) if results_file.exists() else {"sizes": {}}
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    for size in sizes:
        result = measure(size, args.repeat, not args.no_many, args.engine)
        result["ratios"] = ratios(result)
        result["command"] = "scripts/bench " + " ".join(argv if argv is not None else sys.argv[1:])
        result["measured_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        result["commit"] = commit
        results["sizes"][size] = result
        print(json.dumps({size: result["ratios"]}, indent=1), flush=True)
    if "10M" in results["sizes"] and "100M" in results["sizes"]:
        results["growth_10M_to_100M"] = round(
            results["sizes"]["100M"]["ratios"]["full_net_seconds"]
            / results["sizes"]["10M"]["ratios"]["full_net_seconds"],
            2,
        )
    results_file.write_text(json.dumps(results, indent=2))
    (RESULTS / "performance.md").write_text(_markdown(results))
    _chart(results, RESULTS / "performance.png")
    print(_markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
