"""The benchmark's Spark row: the 50 pack on local Spark beside DuckDB, on the same store.

    scripts/bench --engine spark --size 10M --repeat 1

On a copy of the store made before DuckDB's steps: the raw tables copied to Spark (Delta), then
dbt's fixed cost, a first evaluation (the day before), a full evaluation and one incremental
evaluation after 1% new events, each a `dbt build --target spark` in its own process (one JVM
each, as a scheduler would run it). Where the time goes comes from dbt's run_results.json, by
layer, for both engines' full evaluations. The Spark members are exported with `seg publish
--target spark --parquet` and compared with the hand-written tables DuckDB computed.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

from . import pack

LAYERS = (
    ("tests", "test."),
    ("run hooks", "operation."),  # on-run-start / on-run-end, reported as nodes since dbt 1.8
    ("staging", "models/staging/"),
    ("segment conditions", "models/intermediate/segment_conditions/"),
    ("intermediate", "models/intermediate/"),
    ("lifecycle marts", "models/marts/"),
)


def layer_seconds(project: Path) -> dict[str, float]:
    """Seconds of the last dbt command's nodes, summed by layer (from run_results.json).

    The files of a node tell its layer; tests are counted apart from the models they check.
    """
    results = json.loads((project / "target" / "run_results.json").read_text())
    manifest = json.loads((project / "target" / "manifest.json").read_text())["nodes"]
    totals: dict[str, float] = {}
    for item in results["results"]:
        node = manifest.get(item["unique_id"], {})
        label = next(
            (
                name
                for name, prefix in LAYERS
                if item["unique_id"].startswith(prefix)
                or node.get("original_file_path", "").startswith(prefix)
            ),
            "other",
        )
        totals[label] = round(totals.get(label, 0.0) + item["execution_time"], 2)
    totals["nodes"] = len(results["results"])
    totals["dbt elapsed"] = round(results.get("elapsed_time", 0.0), 2)
    return totals


def _spark_env(env: dict[str, str], folder: Path, root: Path) -> dict[str, str]:
    jars = root / ".spark" / "jars"
    return {
        **env,
        "TZ": "UTC",
        "SEGMENTS_SPARK_WAREHOUSE": str(folder / "spark"),
        "SEGMENTS_SPARK_JARS": f"{jars}/delta-spark_2.13-4.0.0.jar,{jars}/delta-storage-4.0.0.jar",
        "SEGMENTS_SPARK_LOG4J": f"file:{root}/spark/log4j2.properties",
    }


def measure_spark(folder: Path, database: Path, hand_written_from: Path) -> dict[str, Any]:
    """The Spark steps on `database` (a copy of the store), with the DuckDB steps' helpers."""
    from . import run as bench  # run imports this module; its helpers are needed only here

    project = bench._project(folder / "project_spark", pack.pack(50), database)
    env = _spark_env(bench._env(database, project), folder, bench.ROOT)
    python = str(bench.PYTHON)

    def seg(*args: str) -> Any:
        return bench._run(
            [python, "-m", "segkit.cli", "--project-dir", str(project), *args], env, project
        )

    def dbt(*args: str, as_of: dt.datetime | None = None, full: bool = False) -> Any:
        step_env = dict(env)
        if as_of is not None:
            step_env["SEGMENTS_AS_OF"] = as_of.isoformat()
        if full:
            step_env["SEGMENTS_FULL_EVALUATION"] = "true"
        command = [
            str(bench.DBT),
            *args,
            "--quiet",
            "--target",
            "spark",
            "--project-dir",
            str(project),
        ]
        return bench._run(command, step_env, project)

    copy_raw = [
        python,
        "-c",
        "import sys; from pathlib import Path; from segkit.spark import "
        "copy_raw_to_spark; copy_raw_to_spark(Path(sys.argv[1]), Path(sys.argv[2]))",
        str(database),
        str(project),
    ]
    result: dict[str, Any] = {}
    print("[spark] copying the raw tables", flush=True)
    result["copy_raw"] = bench.asdict(bench._run(copy_raw, env, project))
    print("[spark] dbt fixed cost", flush=True)
    dbt("parse")
    result["fixed"] = bench.asdict(dbt("build", "--select", "tag:no_such_tag"))
    print("[spark] first evaluation (the day before)", flush=True)
    result["first"] = bench.asdict(dbt("build", as_of=bench.YESTERDAY, full=True))
    print("[spark] full evaluation", flush=True)
    result["full"] = bench.asdict(dbt("build", "--full-refresh", as_of=bench.AS_OF, full=True))
    result["full_layers"] = layer_seconds(project)
    export = folder / "spark_export"
    result["export"] = bench.asdict(seg("publish", "--target", "spark", "--parquet", str(export)))
    result["disagreements"] = bench._disagreements(
        hand_written_from, lambda name: f"'{export}/segments.{name}.parquet'"
    )
    print("[spark] incremental evaluation (1% new events, +1 day)", flush=True)
    bench._append_one_percent(database, 1, bench.AS_OF)
    result["copy_arrivals"] = bench.asdict(bench._run(copy_raw, env, project))
    result["incremental"] = bench.asdict(dbt("build", as_of=bench.AS_OF + dt.timedelta(days=1)))
    result["incremental_layers"] = layer_seconds(project)
    shutil.rmtree(folder / "spark", ignore_errors=True)
    return result


def spark_ratios(r: dict[str, Any]) -> dict[str, float]:
    """Spark against DuckDB in the same run, gross and net of each engine's fixed cost."""
    spark, fixed = r["spark"], r["spark"]["fixed"]["seconds"]
    return {
        "spark_full_vs_duckdb_full": round(spark["full"]["seconds"] / r["full"]["seconds"], 2),
        "spark_full_net_vs_duckdb_full_net": round(
            (spark["full"]["seconds"] - fixed) / r["ratios"]["full_net_seconds"], 2
        ),
        "spark_incremental_vs_spark_full": round(
            spark["incremental"]["seconds"] / spark["full"]["seconds"], 3
        ),
        "spark_fixed_vs_duckdb_fixed": round(fixed / r["fixed"]["seconds"], 2),
    }


def markdown_rows() -> list[tuple[str, Any]]:
    """The Spark rows of the results table ('-' for sizes measured without Spark)."""

    def spark(key: str, field: str = "seconds") -> Any:
        return lambda r: r["spark"][key][field] if "spark" in r else "-"

    def ratio(key: str) -> Any:
        return lambda r: r["ratios"].get(key, "-")

    def layers(r: dict[str, Any]) -> str:
        if "spark" not in r:
            return "-"
        spark_layers, duck_layers = r["spark"]["full_layers"], r.get("full_layers", {})
        names = [name for name, _ in LAYERS] + ["other"]
        return "; ".join(
            f"{n} {spark_layers.get(n, 0)} / {duck_layers.get(n, '-')}"
            for n in names
            if n in spark_layers
        )

    return [
        ("**Spark** (local[2], Delta): raw tables copied from DuckDB, s", spark("copy_raw")),
        ("Spark: dbt fixed cost (JVM start, parse), s", spark("fixed")),
        ("Spark: first evaluation, s", spark("first")),
        ("Spark: full evaluation, 50 segments, s", spark("full")),
        ("Spark: incremental (1% new events, +1 day), s", spark("incremental")),
        ("**Spark full / DuckDB full**", ratio("spark_full_vs_duckdb_full")),
        ("Spark full (net) / DuckDB full (net)", ratio("spark_full_net_vs_duckdb_full_net")),
        ("Spark incremental / Spark full", ratio("spark_incremental_vs_spark_full")),
        ("full evaluation by layer, node seconds Spark / DuckDB", layers),
        (
            "segments where Spark and hand-written SQL disagree",
            lambda r: len(r["spark"]["disagreements"]) if "spark" in r else "-",
        ),
    ]
