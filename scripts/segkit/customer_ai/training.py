"""Train a propensity model on the examples at the cutoff, and score the profiles at as_of.

Gradient-boosted trees (LightGBM) with a fixed seed and deterministic training, so the same data
gives the same scores; every score comes with its exact SHAP contributions (``pred_contrib``),
which add up with the base value to the model's log-odds output.

Profiles are split by a stable hash (``split_bucket``, 0..9999, computed in SQL): below 2000 is
held out for the quality figures, 2000..2999 decides when to stop adding trees, the rest trains.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pyarrow as pa

from . import metrics
from .contributions import exact_contributions
from .encoding import Encoding, encode, fit_encoding, readable_values

MIN_EXAMPLES_PER_CLASS = 50
HOLDOUT_BELOW = 2000
EARLY_STOPPING_BELOW = 3000
MAX_TREES = 150
EARLY_STOPPING_ROUNDS = 30
TOP_FACTORS = 5
PARAMETERS: dict[str, Any] = {
    "objective": "binary",
    # The tree shape bounds the cost of exact SHAP values (per tree and profile: leaves times
    # depth squared). Depth 4, 15 leaves, rate 0.2 and at most 150 trees score with factors in
    # 0.29-0.33x the time of depth 6 / 31 leaves / rate 0.1 / 500 trees, for 0.002-0.003 AUC and
    # the same top-decile lift (scripts/segbench/customer_ai_trees.py, 100k profiles).
    "learning_rate": 0.2,
    "max_depth": 4,
    "num_leaves": 15,
    "min_data_in_leaf": 40,
    "feature_fraction": 0.9,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "lambda_l2": 1.0,
    "max_cat_to_onehot": 8,
    "seed": 42,
    "deterministic": True,
    "force_col_wise": True,
    "num_threads": 2,
    "verbosity": -1,
}


@dataclass
class TrainingRun:
    """One training run: what it saw, how well it ranks held-out profiles, and the model."""

    model: str
    status: str
    message: str
    trained_at: dt.datetime
    examples: int = 0
    positives: int = 0
    training_seconds: float = 0.0
    holdout_examples: int = 0
    holdout_positives: int = 0
    auc: float | None = None
    average_precision: float | None = None
    deciles: list[dict[str, Any]] = field(default_factory=list)
    trees: int = 0
    encoding: Encoding | None = None
    booster: str | None = None
    importance: list[dict[str, Any]] = field(default_factory=list)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def sufficiency_problem(positives: int, negatives: int) -> str | None:
    """Why the examples cannot train a model, or None.

    >>> sufficiency_problem(12, 4000)
    'too little data: 12 positive and 4000 negative training examples (needs at least 50 of each)'
    >>> sufficiency_problem(0, 300)
    'degenerate label: every one of the 300 training examples is negative'
    """
    if positives == 0 or negatives == 0:
        kind = "positive" if negatives == 0 else "negative"
        return (
            f"degenerate label: every one of the {positives + negatives} training examples "
            f"is {kind}"
        )
    if positives < MIN_EXAMPLES_PER_CLASS or negatives < MIN_EXAMPLES_PER_CLASS:
        return (
            f"too little data: {positives} positive and {negatives} negative training examples "
            f"(needs at least {MIN_EXAMPLES_PER_CLASS} of each)"
        )
    return None


def train(
    model: str,
    examples: pa.Table,
    parameters: dict[str, Any] | None = None,
    max_trees: int | None = None,
) -> TrainingRun:
    """Train on the training rows of a feature table (``label`` and ``split_bucket`` set);
    ``parameters`` and ``max_trees`` replace the defaults (the benchmark compares them)."""
    started = time.perf_counter()
    labels = np.asarray(examples["label"].to_numpy(zero_copy_only=False), dtype=np.int8)
    positives = int(labels.sum())
    run = TrainingRun(model, "trained", "", _now(), len(labels), positives)
    problem = sufficiency_problem(positives, len(labels) - positives)
    if problem is not None:
        run.status, run.message = "insufficient_data", problem
        return run
    encoding = fit_encoding(examples)
    matrix = encode(examples, encoding)
    bucket = examples["split_bucket"].to_numpy(zero_copy_only=False)
    holdout = bucket < HOLDOUT_BELOW
    stopping = (bucket >= HOLDOUT_BELOW) & (bucket < EARLY_STOPPING_BELOW)
    training = bucket >= EARLY_STOPPING_BELOW
    categorical = [i for i, name in enumerate(encoding.features) if name in encoding.categories]

    def dataset(rows: np.ndarray, reference: lgb.Dataset | None = None) -> lgb.Dataset:
        return lgb.Dataset(
            matrix[rows],
            labels[rows],
            feature_name=encoding.features,
            categorical_feature=categorical,
            reference=reference,
            free_raw_data=True,
        )

    train_set = dataset(training)
    booster = lgb.train(
        parameters or PARAMETERS,
        train_set,
        num_boost_round=max_trees or MAX_TREES,
        valid_sets=[dataset(stopping, train_set)],
        callbacks=[lgb.early_stopping(EARLY_STOPPING_ROUNDS, verbose=False)],
    )
    predicted = booster.predict(matrix[holdout], num_iteration=booster.best_iteration)
    held = labels[holdout]
    run.holdout_examples, run.holdout_positives = int(holdout.sum()), int(held.sum())
    run.auc = metrics.auc(held, predicted)
    run.average_precision = metrics.average_precision(held, predicted)
    run.deciles = metrics.deciles(held, predicted)
    run.trees = booster.best_iteration or booster.current_iteration()
    gains = booster.feature_importance("gain", iteration=run.trees)
    run.importance = [
        {"feature": name, "gain": float(gain)}
        for name, gain in zip(encoding.features, gains, strict=True)
    ]
    run.encoding = encoding
    run.booster = booster.model_to_string(num_iteration=run.trees)
    run.training_seconds = round(time.perf_counter() - started, 3)
    run.message = f"trained {run.trees} trees on {int(training.sum())} profiles"
    return run


DECILE_TYPE = pa.struct(
    [
        ("decile", pa.int32()),
        ("profiles", pa.int64()),
        ("positives", pa.int64()),
        ("positive_rate", pa.float64()),
        ("lift", pa.float64()),
        ("cumulative_gain", pa.float64()),
    ]
)
IMPORTANCE_TYPE = pa.struct([("feature", pa.string()), ("gain", pa.float64())])
FACTOR_TYPE = pa.struct(
    [("feature", pa.string()), ("value", pa.string()), ("contribution", pa.float64())]
)


def run_table(run: TrainingRun) -> pa.Table:
    """The training run as one row (the dbt model int_propensity_training__<model>)."""
    top = run.deciles[0]["lift"] if run.deciles else None
    row = {
        "model": [run.model],
        "status": [run.status],
        "message": [run.message],
        "trained_at": [run.trained_at],
        "training_seconds": [run.training_seconds],
        "examples": [run.examples],
        "positives": [run.positives],
        "holdout_examples": [run.holdout_examples],
        "holdout_positives": [run.holdout_positives],
        "auc": [run.auc],
        "average_precision": [run.average_precision],
        "top_decile_lift": [top],
        "deciles": [run.deciles],
        "trees": [run.trees],
        "parameters": [json.dumps({**PARAMETERS, "max_trees": MAX_TREES}, sort_keys=True)],
        "features": [run.encoding.features if run.encoding else []],
        "encoding": [json.dumps(run.encoding.to_data()) if run.encoding else None],
        "feature_importance": [run.importance],
        "booster": [run.booster],
    }
    schema = pa.schema(
        [
            ("model", pa.string()),
            ("status", pa.string()),
            ("message", pa.string()),
            ("trained_at", pa.timestamp("us")),
            ("training_seconds", pa.float64()),
            ("examples", pa.int64()),
            ("positives", pa.int64()),
            ("holdout_examples", pa.int64()),
            ("holdout_positives", pa.int64()),
            ("auc", pa.float64()),
            ("average_precision", pa.float64()),
            ("top_decile_lift", pa.float64()),
            ("deciles", pa.list_(DECILE_TYPE)),
            ("trees", pa.int32()),
            ("parameters", pa.string()),
            ("features", pa.list_(pa.string())),
            ("encoding", pa.string()),
            ("feature_importance", pa.list_(IMPORTANCE_TYPE)),
            ("booster", pa.string()),
        ]
    )
    return pa.table(row, schema=schema)


SCORES_SCHEMA = pa.schema(
    [
        ("model", pa.string()),
        ("profile_id", pa.string()),
        ("probability", pa.float64()),
        ("log_odds", pa.float64()),
        ("base_value", pa.float64()),
        ("contributions", pa.list_(pa.float64())),
        ("factors", pa.list_(FACTOR_TYPE)),
    ]
)


def score(model: str, run: dict[str, Any], profiles: pa.Table) -> pa.Table:
    """Score the scoring rows of a feature table with a trained run (a row of run_table).

    No trained model (too little data) scores no one: an empty table, not noise.
    """
    if run.get("status") != "trained" or not run.get("booster") or profiles.num_rows == 0:
        return SCORES_SCHEMA.empty_table()
    encoding = Encoding.from_data(json.loads(run["encoding"]))
    booster = lgb.Booster(model_str=run["booster"])
    matrix = encode(profiles, encoding)
    contributions, _ = exact_contributions(booster, matrix)
    features = contributions[:, :-1]
    log_odds = contributions.sum(axis=1)
    rows, width = features.shape
    k = min(TOP_FACTORS, width)
    strongest = np.argsort(-np.abs(features), axis=1, kind="stable")[:, :k]
    chosen = np.take_along_axis(features, strongest, axis=1).ravel()
    names = np.asarray(encoding.features, dtype=object)[strongest].ravel()
    values: list[str | None] = [None] * (rows * k)
    picked = strongest.ravel()
    for index, name in enumerate(encoding.features):
        where = np.flatnonzero(picked == index)
        if len(where):
            row_numbers = where // k
            for position, text in zip(
                where, readable_values(matrix[row_numbers, index], name, encoding), strict=True
            ):
                values[position] = text
    factors = pa.ListArray.from_arrays(
        pa.array(np.arange(0, rows * k + 1, k, dtype=np.int32)),
        pa.StructArray.from_arrays(
            [pa.array(names, pa.string()), pa.array(values, pa.string()), pa.array(chosen)],
            fields=list(FACTOR_TYPE),
        ),
    )
    all_contributions = pa.ListArray.from_arrays(
        pa.array(np.arange(0, rows * width + 1, width, dtype=np.int32)),
        pa.array(features.ravel()),
    )
    return pa.table(
        {
            "model": pa.array([model] * rows, pa.string()),
            "profile_id": profiles["profile_id"].combine_chunks().cast(pa.string()),
            "probability": pa.array(1.0 / (1.0 + np.exp(-log_odds))),
            "log_odds": pa.array(log_odds),
            "base_value": pa.array(contributions[:, -1]),
            "contributions": all_contributions,
            "factors": factors,
        },
        schema=SCORES_SCHEMA,
    )
