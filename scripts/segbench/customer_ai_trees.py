"""What the shape of Customer AI's trees costs and buys: scoring time with exact factors vs AUC.

    .venv/bin/python scripts/segbench/customer_ai_trees.py --profiles 100000 1000000

For each size: a demo store (50 events a profile), its feature models built by dbt (the demo's
two propensity models), then in this process, for each tree shape: training with the project's
``train`` (same split, early stopping, seed), held-out AUC and top-decile lift, and the time of
scoring every eligible profile with its exact SHAP contributions (``pred_contrib``, both
cores). The baseline, in the same run, is the shape shipped before (depth 6). Writes
``scripts/segbench/results/customer_ai_trees.{json,md}``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))

import duckdb  # noqa: E402

from segbench.results_table import write_rows  # noqa: E402
from segkit.customer_ai import training  # noqa: E402
from segkit.demo_store import DemoSpec, generate  # noqa: E402

MODELS = ("churn_risk_60d", "repurchase_90d")
# name: (parameters replaced, most trees)
SHAPES: dict[str, tuple[dict[str, object], int]] = {
    # the shape shipped until 2026-12-04, the baseline
    "depth 6 (31 leaves), at most 500 trees, rate 0.1": (
        {"max_depth": 6, "num_leaves": 31, "learning_rate": 0.1},
        500,
    ),
    "depth 6, at most 100 trees, rate 0.2": ({"learning_rate": 0.2}, 100),
    "depth 4 (15 leaves), at most 150 trees, rate 0.2 (shipped now)": ({}, training.MAX_TREES),
    "depth 4 (15 leaves), at most 80 trees, rate 0.3": (
        {"max_depth": 4, "num_leaves": 15, "learning_rate": 0.3},
        80,
    ),
    "depth 3 (8 leaves), at most 150 trees, rate 0.3": (
        {"max_depth": 3, "num_leaves": 8, "learning_rate": 0.3},
        150,
    ),
}


def features(profiles: int, scratch: Path) -> Path:
    database = scratch / f"features_{profiles}.duckdb"
    generate(database, DemoSpec(profiles=profiles, events=profiles * 50), quiet=True)
    env = {
        **os.environ,
        "SEGMENTS_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(ROOT),
        "PYTHONPATH": str(ROOT / "scripts"),
    }
    selected = [f"+int_propensity_features__{model}" for model in MODELS]
    subprocess.run(
        [str(ROOT / ".venv" / "bin" / "dbt"), "run", "--quiet", "--select", *selected],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return database


def measure(profiles: int, scratch: Path) -> list[dict[str, object]]:
    database = features(profiles, scratch)
    con = duckdb.connect(str(database), read_only=True)
    rows: list[dict[str, object]] = []
    for model in MODELS:
        table = f"intermediate.int_propensity_features__{model}"
        examples = con.sql(
            f"select * from {table} where sample = 'training' order by profile_id"
        ).to_arrow_table()
        scoring = con.sql(
            f"select * from {table} where sample = 'scoring' order by profile_id"
        ).to_arrow_table()
        baseline = None
        for shape, (replaced, max_trees) in SHAPES.items():
            parameters = {**training.PARAMETERS, **replaced}
            run = training.train(model, examples, parameters, max_trees)
            started = time.perf_counter()
            scores = training.score(model, training.run_table(run).to_pylist()[0], scoring)
            seconds = time.perf_counter() - started
            baseline = baseline or seconds
            rows.append(
                {
                    "profiles": profiles,
                    "model": model,
                    "shape": shape,
                    "trees": run.trees,
                    "training_s": run.training_seconds,
                    "scored": scores.num_rows,
                    "scoring_with_factors_s": round(seconds, 1),
                    "us_per_profile": round(1e6 * seconds / max(scores.num_rows, 1), 1),
                    "scoring_vs_shipped": round(seconds / baseline, 3),
                    "auc": round(run.auc or 0, 4),
                    "top_decile_lift": round(run.deciles[0]["lift"], 2) if run.deciles else None,
                }
            )
            print(json.dumps(rows[-1]), flush=True)
    con.close()
    database.unlink(missing_ok=True)
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, nargs="+", default=[100_000])
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="customer_ai_trees_", dir=ROOT / "warehouse"))
    rows: list[dict[str, object]] = []
    try:
        for profiles in args.profiles:
            rows.extend(measure(profiles, scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(write_rows("customer_ai_trees", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
