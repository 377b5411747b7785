"""The typed tree, in one namespace: ``from . import nodes as n`` then ``n.EventCondition``.

The values live in ``values.py``, the condition kinds in ``kinds.py``, the definition files in
``definitions.py``.
"""

from __future__ import annotations

from .definitions import Definition, PropensityModel, SegmentDefinition, Split, split_bounds
from .kinds import (
    KINDS,
    AllOf,
    AnyOf,
    AttributeCondition,
    EventCondition,
    InSegment,
    Node,
    Not,
    PropensityCondition,
    PropertyCondition,
    SequenceCondition,
    SequenceStep,
    SqlCondition,
    condition_kinds,
    eligible_kinds,
    walk,
)
from .values import (
    CALENDAR_PERIODS,
    DURATION_UNITS,
    AttributeRef,
    Duration,
    EventMatcher,
    Metric,
    Predicate,
    Window,
    condition_id,
    scalar_data,
)

__all__ = [
    "CALENDAR_PERIODS",
    "DURATION_UNITS",
    "KINDS",
    "AllOf",
    "AnyOf",
    "AttributeCondition",
    "AttributeRef",
    "Definition",
    "Duration",
    "EventCondition",
    "EventMatcher",
    "InSegment",
    "Metric",
    "Node",
    "Not",
    "Predicate",
    "PropensityCondition",
    "PropensityModel",
    "PropertyCondition",
    "SegmentDefinition",
    "SequenceCondition",
    "SequenceStep",
    "Split",
    "SqlCondition",
    "Window",
    "condition_id",
    "condition_kinds",
    "eligible_kinds",
    "scalar_data",
    "split_bounds",
    "walk",
]
