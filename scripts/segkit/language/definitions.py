"""Validated definition files: segments (with their splits) and propensity models."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .kinds import EventCondition, InSegment, Node, PropensityCondition, SequenceCondition, walk
from .values import Duration, EventMatcher


@dataclass(frozen=True)
class Split:
    """A named share of a segment's members (``percent`` of 100), e.g. treatment / holdout."""

    name: str
    percent: float


def split_bounds(splits: tuple[Split, ...]) -> list[dict[str, Any]]:
    """Each split with the upper end of its bucket range, in basis points (0..10000).

    A member's bucket is a stable hash of (segment, profile_id) in 0..9999; it falls into the
    first split whose upper bound exceeds it, so changing one percentage moves only the members
    between the old and the new bound.

    >>> split_bounds((Split("treatment", 90), Split("holdout", 10)))
    [{'name': 'treatment', 'upper': 9000}, {'name': 'holdout', 'upper': 10000}]
    """
    bounds, total = [], 0.0
    for split in splits:
        total += split.percent
        bounds.append({"name": split.name, "upper": round(total * 100)})
    return bounds


@dataclass
class SegmentDefinition:
    """One validated segment file."""

    name: str
    file: str
    line: int
    description: str
    owner: str | None
    tags: tuple[str, ...]
    condition: Node
    raw: dict[str, Any]
    source_hash: str
    splits: tuple[Split, ...] = ()

    def referenced_segments(self) -> list[str]:
        return sorted({n.segment for n in walk(self.condition) if isinstance(n, InSegment)})

    def referenced_models(self) -> list[str]:
        return sorted({n.model for n in walk(self.condition) if isinstance(n, PropensityCondition)})

    def event_conditions(self) -> list[EventCondition]:
        return [n for n in walk(self.condition) if isinstance(n, EventCondition)]

    def sequence_conditions(self) -> list[SequenceCondition]:
        return [n for n in walk(self.condition) if isinstance(n, SequenceCondition)]


@dataclass
class PropensityModel:
    """One validated ``propensity_model:`` file (Customer AI).

    Training examples are the profiles eligible at ``as_of - prediction_window``; the label is
    whether a goal event happens in the window after that cutoff (or does not, for churn).
    """

    name: str
    file: str
    line: int
    description: str
    goal: EventMatcher
    prediction_window: Duration
    direction: str
    eligible: Node | None
    attributes: tuple[str, ...]
    custom_events: tuple[str, ...]
    value_property: str
    raw: dict[str, Any]
    source_hash: str

    def eligible_conditions(self) -> list[EventCondition]:
        return (
            [n for n in walk(self.eligible) if isinstance(n, EventCondition)]
            if self.eligible
            else []
        )

    def to_data(self) -> dict[str, Any]:
        """What the feature macro needs, as plain data."""
        aggregates = {
            c.aggregate_data()["id"]: c.aggregate_data() for c in self.eligible_conditions()
        }
        return {
            "name": self.name,
            "goal": self.goal.to_data(),
            "prediction_window_seconds": self.prediction_window.seconds,
            "direction": self.direction,
            "eligible": self.eligible.to_data() if self.eligible is not None else None,
            "eligible_aggregates": [aggregates[k] for k in sorted(aggregates)],
            "attributes": list(self.attributes),
            "custom_events": list(self.custom_events),
            "value_property": self.value_property,
        }


Definition = SegmentDefinition | PropensityModel
