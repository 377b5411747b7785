"""Contributions computed once per distinct path equal LightGBM's per-profile ones exactly."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pytest

from segkit.customer_ai.contributions import exact_contributions, split_points
from segkit.customer_ai.training import PARAMETERS

pytestmark = pytest.mark.unit


def trained(rows: int, seed: int) -> tuple[lgb.Booster, np.ndarray]:
    """A model on data like the features: counts with many ties, days with missing values,
    a category, and a continuous value; the labels depend on all of them."""
    random = np.random.default_rng(seed)
    counts = random.poisson(2.0, rows).astype(float)
    days = np.where(random.random(rows) < 0.2, np.nan, random.integers(0, 400, rows).astype(float))
    tier = random.integers(0, 4, rows).astype(float)
    tier[random.random(rows) < 0.1] = np.nan
    spend = random.gamma(2.0, 30.0, rows).round(2)
    matrix = np.column_stack([counts, days, tier, spend])
    logit = 0.6 * counts - 0.01 * np.nan_to_num(days, nan=500) + 0.5 * (tier == 2) + 0.01 * spend
    labels = (random.random(rows) < 1 / (1 + np.exp(-(logit - 1)))).astype(int)
    data = lgb.Dataset(matrix, labels, categorical_feature=[2], free_raw_data=False)
    booster = lgb.train({**PARAMETERS, "num_threads": 1}, data, num_boost_round=40)
    return booster, matrix


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_contributions_per_distinct_path_equal_the_per_profile_ones(seed: int) -> None:
    booster, matrix = trained(4000, seed)
    # values exactly on, just below and just above every threshold, and missing ones
    thresholds, _ = split_points(booster)
    edges = []
    for feature, points in thresholds.items():
        for point in points[:5]:
            for value in (point, np.nextafter(point, -np.inf), np.nextafter(point, np.inf)):
                row = matrix[len(edges) % len(matrix)].copy()
                row[feature] = value
                edges.append(row)
    probe = np.vstack([matrix, np.array(edges), np.full((3, matrix.shape[1]), np.nan)])
    expected = booster.predict(probe, pred_contrib=True)
    got, distinct = exact_contributions(booster, probe)
    assert np.array_equal(got, expected)
    assert distinct < len(probe)


def test_a_model_without_splits_gives_its_base_value_to_everyone() -> None:
    matrix = np.ones((100, 2))
    booster = lgb.train(
        {**PARAMETERS, "num_threads": 1},
        lgb.Dataset(matrix, np.r_[np.zeros(50), np.ones(50)]),
        num_boost_round=3,
    )
    got, distinct = exact_contributions(booster, matrix)
    assert distinct == 1
    assert np.array_equal(got, booster.predict(matrix, pred_contrib=True))
