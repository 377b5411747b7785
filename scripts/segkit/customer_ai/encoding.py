"""Turn a feature table (Arrow, as the feature models produce it) into the model's matrix.

Numbers stay numbers (missing = NaN, which the trees route on their own); booleans become 0/1;
dates and timestamps become days before the row's point in time; text becomes a category code
(the categories are those seen in training, in sorted order; an unseen value is missing).

>>> import pyarrow as pa, datetime as dt
>>> table = pa.table({"profile_id": ["a", "b"], "point_in_time": [dt.datetime(2024, 1, 10)] * 2,
...                   "tier": ["gold", None], "opt_in": [True, False], "visits": [3, None]})
>>> encoding = fit_encoding(table)
>>> encoding.features, encoding.categories
(['tier', 'opt_in', 'visits'], {'tier': ['gold']})
>>> encode(table, encoding).tolist()
[[0.0, 1.0, 3.0], [nan, 0.0, nan]]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

# Columns of a feature table that are not features.
BOOKKEEPING_COLUMNS = ("profile_id", "sample", "point_in_time", "label", "split_bucket")


@dataclass
class Encoding:
    """How each feature is read: its order, the categories of text features, the date features."""

    features: list[str]
    categories: dict[str, list[str]] = field(default_factory=dict)
    dates: list[str] = field(default_factory=list)

    def to_data(self) -> dict[str, object]:
        return {"features": self.features, "categories": self.categories, "dates": self.dates}

    @classmethod
    def from_data(cls, data: dict[str, object]) -> Encoding:
        return cls(list(data["features"]), dict(data["categories"]), list(data["dates"]))  # type: ignore[arg-type]


def _is_text(dtype: pa.DataType) -> bool:
    return (
        pa.types.is_string(dtype)
        or pa.types.is_large_string(dtype)
        or pa.types.is_dictionary(dtype)
    )


def _is_date(dtype: pa.DataType) -> bool:
    return pa.types.is_date(dtype) or pa.types.is_timestamp(dtype)


def fit_encoding(table: pa.Table) -> Encoding:
    """Read the feature columns and the categories of the text ones from training rows."""
    encoding = Encoding(features=[c for c in table.column_names if c not in BOOKKEEPING_COLUMNS])
    for name in encoding.features:
        dtype = table.schema.field(name).type
        if _is_text(dtype):
            values = pc.unique(pc.cast(table[name], pa.string())).drop_null().to_pylist()
            encoding.categories[name] = sorted(values)
        elif _is_date(dtype):
            encoding.dates.append(name)
    return encoding


def _days_before(column: pa.ChunkedArray, point: pa.ChunkedArray) -> np.ndarray:
    moments = pc.cast(column, pa.timestamp("us"))
    seconds = pc.divide(pc.cast(pc.subtract(point, moments), pa.int64()), 1_000_000)
    return pc.divide(pc.cast(seconds, pa.float64()), 86400.0).to_numpy(zero_copy_only=False)


def encode(table: pa.Table, encoding: Encoding) -> np.ndarray:
    """The float matrix (rows x features) in the encoding's feature order."""
    matrix = np.full((table.num_rows, len(encoding.features)), np.nan, dtype=np.float64)
    point = pc.cast(table["point_in_time"], pa.timestamp("us")) if encoding.dates else None
    for index, name in enumerate(encoding.features):
        column = table[name]
        if name in encoding.categories:
            codes = pc.index_in(pc.cast(column, pa.string()), pa.array(encoding.categories[name]))
            matrix[:, index] = pc.cast(codes, pa.float64()).to_numpy(zero_copy_only=False)
        elif name in encoding.dates:
            assert point is not None
            matrix[:, index] = _days_before(column, point)
        else:
            matrix[:, index] = pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    return matrix


def readable_values(
    matrix_column: np.ndarray, feature: str, encoding: Encoding
) -> list[str | None]:
    """A feature's values as text for explanations: the category, or the number as written.

    >>> readable_values(np.array([0.0, np.nan]), "tier", Encoding(["tier"], {"tier": ["gold"]}))
    ['gold', None]
    >>> readable_values(np.array([3.0, 2.5]), "visits", Encoding(["visits"]))
    ['3', '2.5']
    """
    labels = encoding.categories.get(feature)
    values: list[str | None] = []
    for value in matrix_column.tolist():
        if value != value:  # NaN: missing
            values.append(None)
        elif labels is not None:
            values.append(labels[int(value)])
        elif float(value).is_integer():
            values.append(str(int(value)))
        else:
            values.append(f"{value:.4g}")
    return values
