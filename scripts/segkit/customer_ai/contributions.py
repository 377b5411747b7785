"""Exact SHAP contributions computed once per distinct *path*, not once per profile.

A tree ensemble only asks of a feature value which side of each split threshold it lies on
(numeric splits: ``value <= threshold``; categorical splits: whether the category is in a set;
missing values follow each split's default side). Two profiles whose values sit in the same
interval between consecutive thresholds of every feature the model splits on, and in the same
categories, take the same path through every tree, so their exact (path-dependent TreeSHAP)
contributions are equal. ``path_keys`` maps each profile to those intervals; LightGBM's
``pred_contrib`` then runs on one representative of each distinct key, and the result is spread
back to every profile — the same numbers, for a fraction of the work when many profiles share a
path (``tests/test_customer_ai_contributions.py`` checks the equality).

>>> import numpy as np
>>> thresholds = {0: np.array([1.5, 10.0])}
>>> path_keys(np.array([[1.0, 7.0], [1.4, 8.0], [2.0, 9.0], [np.nan, 1.0]]), thresholds, {}).tolist()
[[0, 0], [0, 0], [1, 0], [-1, 0]]
"""

from __future__ import annotations

from typing import Any

import lightgbm as lgb
import numpy as np

# Rows given to LightGBM at once: bounds the memory of the contributions (rows x features).
BATCH_ROWS = 200_000


def split_points(booster: lgb.Booster) -> tuple[dict[int, np.ndarray], dict[int, bool]]:
    """The numeric thresholds (sorted, unique) of every feature the trees split on, and the
    features split on as categories."""
    numeric: dict[int, set[float]] = {}
    categorical: dict[int, bool] = {}

    def visit(node: dict[str, Any]) -> None:
        if "split_feature" not in node:
            return
        feature = int(node["split_feature"])
        if node.get("decision_type") == "==":
            categorical[feature] = True
        else:
            numeric.setdefault(feature, set()).add(float(node["threshold"]))
        visit(node["left_child"])
        visit(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        visit(tree["tree_structure"])
    return {f: np.array(sorted(t)) for f, t in numeric.items()}, categorical


def path_keys(
    matrix: np.ndarray, thresholds: dict[int, np.ndarray], categorical: dict[int, bool]
) -> np.ndarray:
    """Per row and feature: how many thresholds lie below the value (numeric splits), the
    category code (categorical splits), -1 when missing, 0 for features never split on."""
    keys = np.zeros(matrix.shape, dtype=np.int64)
    for feature in range(matrix.shape[1]):
        column = matrix[:, feature]
        missing = np.isnan(column)
        if feature in categorical:
            keys[:, feature] = np.where(missing, -1, np.nan_to_num(column, nan=0)).astype(np.int64)
            continue
        points = thresholds.get(feature)
        if points is None:
            continue
        # value <= t goes left: values with as many thresholds strictly below them agree on all
        keys[:, feature] = np.where(missing, -1, np.searchsorted(points, column, side="left"))
    return keys


def distinct_rows(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first row of each distinct key, and each row's index among them.

    >>> first, inverse = distinct_rows(np.array([[1, 2], [0, 0], [1, 2]]))
    >>> first.tolist(), inverse.tolist()
    ([1, 0], [1, 0, 1])
    """
    packed = np.ascontiguousarray(keys).view(
        np.dtype((np.void, keys.dtype.itemsize * keys.shape[1]))
    )
    _, first, inverse = np.unique(packed.ravel(), return_index=True, return_inverse=True)
    return first, inverse.ravel()


def exact_contributions(booster: lgb.Booster, matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """``booster.predict(matrix, pred_contrib=True)``, computed once per distinct path; also
    how many distinct paths there were."""
    thresholds, categorical = split_points(booster)
    first, inverse = distinct_rows(path_keys(matrix, thresholds, categorical))
    representatives = matrix[first]
    parts = [
        booster.predict(representatives[start : start + BATCH_ROWS], pred_contrib=True)
        for start in range(0, len(representatives), BATCH_ROWS)
    ]
    distinct = np.concatenate(parts) if parts else np.zeros((0, matrix.shape[1] + 1))
    return distinct[inverse], len(first)
