"""``seg models``: every propensity model's latest training run, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from .. import console
from ..spark import add_target_option

LATEST_RUNS_SQL = """
with ranked as (
    select *, row_number() over (partition by model order by scored_at desc) as recency
    from segmentation.propensity_model_quality
),
latest as (
    select * from ranked where recency = 1
),
scored as (
    select model, count(*) as scored from segmentation.propensity_scores group by model
)
select
    latest.model, latest.status, latest.quality, latest.auc, latest.average_precision,
    latest.top_decile_lift, latest.examples, latest.positives, latest.base_rate,
    coalesce(scored.scored, 0) as scored, latest.training_seconds, latest.scored_at,
    latest.message
from latest
left join scored on scored.model = latest.model
order by latest.model
"""
COLUMNS = (
    "model",
    "status",
    "quality",
    "auc",
    "average_precision",
    "top_decile_lift",
    "examples",
    "positives",
    "base_rate",
    "scored",
    "training_seconds",
    "scored_at",
    "message",
)


def _figure(value: float | None, pattern: str) -> str:
    return pattern.format(value) if value is not None else "-"


def cmd_models(args: argparse.Namespace) -> int:
    if args.action == "train":
        return cmd_train(args)
    rows = console.read_built(
        args.project_dir,
        "models",
        "segmentation.propensity_model_quality",
        LATEST_RUNS_SQL,
        args.dbt_target,
    )
    if rows is None:
        return 1
    runs = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    if args.json:
        print(json.dumps(runs, default=str, indent=2))
        return 0
    headers = [
        "model",
        "quality",
        "AUC",
        "top-decile lift",
        "examples",
        "base rate",
        "scored",
        "train s",
    ]
    table = [
        [
            r["model"],
            r["quality"],
            _figure(r["auc"], "{:.3f}"),
            _figure(r["top_decile_lift"], "{:.2f}x"),
            f"{r['examples']:,}",
            _figure(r["base_rate"], "{:.1%}"),
            f"{r['scored']:,}",
            _figure(r["training_seconds"], "{:.1f}"),
        ]
        for r in runs
    ]
    print(console.table(headers, table))
    for r in runs:
        if r["status"] != "trained":
            print(f"\n{r['model']} was not trained: {r['message']}")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    """Spark only: train and score every model before ``dbt build --target spark``."""
    if args.dbt_target != "spark":
        print(
            "seg models train: on DuckDB, dbt build trains and scores the models itself (dbt "
            "Python models); train is for --target spark, where dbt runs no Python models",
            file=sys.stderr,
        )
        return 2
    from .spark_training import default_as_of, train_on_spark

    as_of = os.environ.get("SEGMENTS_AS_OF") or default_as_of()
    try:
        summaries = train_on_spark(args.project_dir, as_of)
    except (RuntimeError, ImportError) as exc:
        print(f"seg models train: {exc}", file=sys.stderr)
        return 1
    if not summaries:
        print("seg models train: no propensity model in segments/: nothing to train")
        return 0
    table = [
        [
            s["model"],
            s["status"],
            _figure(s["auc"], "{:.3f}"),
            f"{s['scored']:,}",
            f"{s['seconds']:.1f}",
        ]
        for s in summaries
    ]
    print(console.table(["model", "status", "AUC", "scored", "seconds"], table))
    print(f"\ntrained and scored for as_of {as_of}: now run, with the same as_of,")
    print(f"  SEGMENTS_AS_OF={as_of} .venv/bin/dbt build --target spark")
    return 0


def add_parser(verbs: Any) -> None:
    models = verbs.add_parser(
        "models",
        help="Customer AI: each model's latest training run and quality (train: on Spark)",
    )
    models.add_argument(
        "action",
        nargs="?",
        choices=["report", "train"],
        default="report",
        help="report (default) the latest runs; train: on --target spark, train and score "
        "every model before dbt build (docs/spark.md)",
    )
    models.add_argument("--json", action="store_true", help="machine-readable output")
    add_target_option(models, "dbt target")
    models.set_defaults(func=cmd_models)
