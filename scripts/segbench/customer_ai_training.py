"""Customer AI at scale: the demo models trained on demo stores of several sizes.

    .venv/bin/python scripts/segbench/customer_ai_training.py --profiles 100000 1000000

For each size: a demo store (``--events-per-profile``, default 50) in a scratch warehouse, then
``dbt build --select +propensity_model_quality +propensity_scores`` (features, training,
scoring); reports each model's training time (``propensity_model_quality.training_seconds``),
the dbt time of its feature, training and scoring models, and its held-out AUC. Writes
``scripts/segbench/results/customer_ai_training.{json,md}``.
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
from segkit.demo_store import DemoSpec, generate  # noqa: E402


def measure(profiles: int, events: int, scratch: Path) -> list[dict[str, object]]:
    database = scratch / f"customer_ai_{profiles}.duckdb"
    database.unlink(missing_ok=True)
    generate(database, DemoSpec(profiles=profiles, events=events), quiet=True)
    env = {
        **os.environ,
        "SEGMENTS_DUCKDB_PATH": str(database),
        "DBT_PROFILES_DIR": str(ROOT),
        "PYTHONPATH": str(ROOT / "scripts"),
    }
    started = time.perf_counter()
    subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "dbt"),
            "build",
            "--quiet",
            "--select",
            "+propensity_model_quality",
            "+propensity_scores",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - started
    timings = {
        r["unique_id"].split(".")[-1]: r["execution_time"]
        for r in json.loads((ROOT / "target" / "run_results.json").read_text())["results"]
    }
    con = duckdb.connect(str(database), read_only=True)
    rows = con.execute(
        "select model, examples, training_seconds, auc, top_decile_lift "
        "from segmentation.propensity_model_quality order by model"
    ).fetchall()
    scored = dict(
        con.execute(
            "select model, count(*) from segmentation.propensity_scores group by model"
        ).fetchall()
    )
    con.close()
    database.unlink(missing_ok=True)
    return [
        {
            "profiles": profiles,
            "events": events,
            "model": model,
            "training_examples": examples,
            "scored_profiles": scored.get(model, 0),
            "training_seconds": training_seconds,
            "features_model_seconds": round(timings.get(f"int_propensity_features__{model}", 0), 1),
            "training_model_seconds": round(timings.get(f"int_propensity_training__{model}", 0), 1),
            "scoring_model_seconds": round(timings.get(f"int_propensity_scores__{model}", 0), 1),
            "auc": round(auc, 4) if auc is not None else None,
            "top_decile_lift": round(lift, 2) if lift is not None else None,
            "build_wall_seconds": round(wall, 1),
        }
        for model, examples, training_seconds, auc, lift in rows
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profiles", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--events-per-profile", type=int, default=50)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="customer_ai_bench_", dir=ROOT / "warehouse"))
    rows: list[dict[str, object]] = []
    try:
        for profiles in args.profiles:
            rows.extend(measure(profiles, profiles * args.events_per_profile, scratch))
            print(json.dumps(rows[-2:], indent=1))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(write_rows("customer_ai_training", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
