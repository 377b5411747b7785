"""``seg models train --target spark``: Customer AI where dbt runs no Python models.

dbt-spark runs Python models only on Databricks. On the ``spark`` target the training and
scoring models are disabled and the registry reads tables of the same names in the
``customer_ai`` schema instead, which this command writes before the build, with the code the
DuckDB models run (``training.train`` / ``score``) on the same feature rows in the same order:

1. ``dbt run --select +int_propensity_features__<model> …`` at the as_of (in this process);
2. per model, the training rows and the scoring rows read from Spark as Arrow, trained, scored;
3. each table replaced in one Delta transaction, and ``customer_ai.trained_for`` recording the
   as_of, which the build checks (it stops, building nothing, when the scores are for another).

Example::

    export SEGMENTS_AS_OF=2026-06-30T00:00:00
    scripts/seg models train --target spark && .venv/bin/dbt build --target spark
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

import pyarrow as pa

from ..language.resolve import load_project
from ..spark import open_session, run_dbt
from .generate import SPARK_SCHEMA, features_model_name, scores_model_name, training_model_name
from .training import run_table, score, train


def train_on_spark(project_dir: Path, as_of: str) -> list[dict[str, Any]]:
    """Trains and scores every propensity model for ``as_of``; one summary per model."""
    models = sorted(load_project(project_dir).models)
    if not models:
        return []
    selection = " ".join(f"+{features_model_name(m)}" for m in models)
    result = run_dbt(project_dir, "run", "--select", selection, as_of=as_of)
    if not result.success:
        raise RuntimeError(
            f"building the features failed on the spark target: {result.exception or ''}".strip()
        )
    spark = open_session(project_dir)
    spark.sql(f"create schema if not exists {SPARK_SCHEMA}")
    summaries = []
    for model in models:
        started = time.monotonic()
        features = spark.table(f"intermediate.{features_model_name(model)}")
        # in a fixed order, as on DuckDB: bagging draws rows by position
        examples = features.filter("sample = 'training'").orderBy("profile_id").toArrow()
        run = run_table(train(model, examples))
        profiles = features.filter("sample = 'scoring'").orderBy("profile_id").toArrow()
        scores = score(model, run.to_pylist()[0], profiles)
        _replace(spark, training_model_name(model), run)
        _replace(spark, scores_model_name(model), scores)
        summaries.append(
            {
                "model": model,
                "status": run["status"][0].as_py(),
                "auc": run["auc"][0].as_py(),
                "scored": scores.num_rows,
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    trained = pa.table(
        {
            "model": pa.array(models, pa.string()),
            "as_of": pa.array([evaluation_moment(as_of)] * len(models), pa.timestamp("us")),
            "trained_at": pa.array([_now()] * len(models), pa.timestamp("us")),
        }
    )
    _replace(spark, "trained_for", trained)
    return summaries


def _replace(spark: Any, name: str, table: pa.Table) -> None:
    """Replaces a table in one Delta transaction: readers see the old one or the new one."""
    frame = spark.createDataFrame(table)
    writer = frame.write.format("delta").mode("overwrite").option("overwriteSchema", "true")
    writer.saveAsTable(f"{SPARK_SCHEMA}.{name}")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def evaluation_moment(as_of: str) -> dt.datetime:
    """The as_of as the build reads it (``segments_as_of``): naive UTC.

    >>> evaluation_moment("2026-06-30"), evaluation_moment("2026-06-30T02:00:00+02:00")
    (datetime.datetime(2026, 6, 30, 0, 0), datetime.datetime(2026, 6, 30, 0, 0))
    """
    moment = dt.datetime.fromisoformat(as_of.strip())
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def default_as_of() -> str:
    """Now, to the second (what an evaluation without SEGMENTS_AS_OF would use)."""
    return _now().replace(microsecond=0).isoformat()
