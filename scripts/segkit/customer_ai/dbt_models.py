"""The bodies of the generated dbt Python models: DuckDB relations in, Arrow tables out."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from .training import run_table, score, train


def train_propensity_model(model: str, features: Any) -> pa.Table:
    """``int_propensity_training__<model>``: one row describing the training run."""
    # In a fixed order: bagging draws rows by position, so the order is part of the seed.
    examples = features.filter("sample = 'training'").order("profile_id").to_arrow_table()
    return run_table(train(model, examples))


def score_propensity_model(model: str, training: Any, features: Any) -> pa.Table:
    """``int_propensity_scores__<model>``: every eligible profile at as_of, with its factors."""
    runs = training.to_arrow_table().to_pylist()
    profiles = features.filter("sample = 'scoring'").order("profile_id").to_arrow_table()
    return score(model, runs[0] if runs else {}, profiles)
