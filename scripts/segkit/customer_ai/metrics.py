"""Ranking quality on held-out profiles: AUC, average precision, lift and gains by decile."""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata


def auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties count half); None without both classes.

    >>> auc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
    0.75
    """
    positives = int(labels.sum())
    negatives = len(labels) - positives
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)
    return float(
        (ranks[labels == 1].sum() - positives * (positives + 1) / 2) / (positives * negatives)
    )


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Mean precision at the rank of each positive, best scores first; None without positives.

    >>> average_precision(np.array([1, 0, 1]), np.array([0.9, 0.8, 0.7]))
    0.8333333333333333
    """
    positives = int(labels.sum())
    if positives == 0:
        return None
    order = np.argsort(-scores, kind="stable")
    hits = labels[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / positives)


def deciles(labels: np.ndarray, scores: np.ndarray) -> list[dict[str, float | int]]:
    """Profiles sorted by score, best first, cut into ten groups as equal as possible.

    lift = the decile's positive rate / the overall rate; cumulative_gain = the share of all
    positives found in this and the better deciles.
    """
    if len(labels) < 10:
        return []
    order = np.argsort(-scores, kind="stable")
    base_rate = labels.mean()
    total_positives = labels.sum()
    found = 0
    rows = []
    for number, part in enumerate(np.array_split(labels[order], 10), start=1):
        found += int(part.sum())
        rate = float(part.mean())
        rows.append(
            {
                "decile": number,
                "profiles": len(part),
                "positives": int(part.sum()),
                "positive_rate": rate,
                "lift": rate / base_rate if base_rate > 0 else None,
                "cumulative_gain": found / total_positives if total_positives > 0 else None,
            }
        )
    return rows
