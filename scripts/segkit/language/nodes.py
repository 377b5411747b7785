"""The typed condition tree. Each node knows its line (for later passes) and its data form.

The data form (``to_data``) is what the generated dbt models hand to the SQL macros: plain dicts
with a ``kind`` key, one macro per kind. Dates and timestamps become ISO strings tagged with their
type, so the macros can render them as typed literals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from .vocabulary import STRING_OPERATORS

DURATION_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
CALENDAR_PERIODS = ("day", "week", "month", "quarter", "year")


@dataclass(frozen=True)
class Duration:
    """``7d``, ``1h``, ``4w``, ``30m``."""

    amount: int
    unit: str

    @property
    def seconds(self) -> int:
        return self.amount * DURATION_UNITS[self.unit]

    def __str__(self) -> str:
        return f"{self.amount}{self.unit}"


def scalar_data(value: Any) -> Any:
    """A YAML scalar in the form the macros render: dates and timestamps are tagged.

    >>> scalar_data(dt.date(2024, 1, 31))
    {'date': '2024-01-31'}
    >>> scalar_data("O'Brien")
    "O'Brien"
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return {"timestamp": value.isoformat(sep=" ")}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, AttributeRef):
        return {"attribute": value.column}
    if isinstance(value, list | tuple):
        return [scalar_data(v) for v in value]
    return value


@dataclass(frozen=True)
class AttributeRef:
    """``{attribute: home_state}`` as a value inside an event ``where``."""

    column: str


# ---------------------------------------------------------------- windows


@dataclass(frozen=True)
class Window:
    """A time window relative to as_of. ``kind`` is one of the window forms of the language.

    last/before/next: ``duration``; between: ``start`` (from) and ``end`` (to) durations;
    range: ``since`` and/or ``until`` dates; this/previous: ``period``.
    """

    kind: str
    duration: Duration | None = None
    start: Duration | None = None
    end: Duration | None = None
    since: dt.date | dt.datetime | None = None
    until: dt.date | dt.datetime | None = None
    period: str | None = None

    def to_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.duration is not None:
            data["seconds"] = self.duration.seconds
        if self.start is not None and self.end is not None:
            data["from_seconds"] = self.start.seconds
            data["to_seconds"] = self.end.seconds
        if self.since is not None:
            data["since"] = scalar_data(self.since)
        if self.until is not None:
            data["until"] = scalar_data(self.until)
        if self.period is not None:
            data["period"] = self.period
        return data


# ---------------------------------------------------------------- predicates


@dataclass(frozen=True)
class Predicate:
    """One operator with its value: ``gte: 3``, ``in: [ES, MX]``, ``during: {last: 7d}``."""

    op: str
    value: Any
    ignore_case: bool = False

    @property
    def family(self) -> str:
        """How an untyped (JSON) property is read for this comparison: from the value's type.

        >>> Predicate("gte", 20).family, Predicate("in", ("a", "b")).family
        ('number', 'text')
        """
        if self.op == "during":
            return "timestamp"
        if self.op in ("exists", *STRING_OPERATORS):
            return "text"
        first = self.value[0] if isinstance(self.value, tuple) else self.value
        if isinstance(first, bool):
            return "boolean"
        if isinstance(first, int | float):
            return "number"
        if isinstance(first, dt.datetime):
            return "timestamp"
        if isinstance(first, dt.date):
            return "date"
        return "text"

    def to_data(self) -> dict[str, Any]:
        value = self.value.to_data() if isinstance(self.value, Window) else scalar_data(self.value)
        data: dict[str, Any] = {"op": self.op, "value": value, "family": self.family}
        if self.ignore_case:
            data["ignore_case"] = True
        return data


@dataclass(frozen=True)
class Node:
    line: int = field(compare=False)

    def to_data(self) -> dict[str, Any]:  # pragma: no cover - every node overrides it
        raise NotImplementedError


@dataclass(frozen=True)
class AllOf(Node):
    children: tuple[Node, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"kind": "all", "children": [c.to_data() for c in self.children]}


@dataclass(frozen=True)
class AnyOf(Node):
    children: tuple[Node, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"kind": "any", "children": [c.to_data() for c in self.children]}


@dataclass(frozen=True)
class Not(Node):
    child: Node | None = None

    def to_data(self) -> dict[str, Any]:
        assert self.child is not None
        return {"kind": "not", "child": self.child.to_data()}


@dataclass(frozen=True)
class AttributeCondition(Node):
    column: str = ""
    predicate: Predicate | None = None

    def to_data(self) -> dict[str, Any]:
        assert self.predicate is not None
        return {"kind": "attribute", "column": self.column, **self.predicate.to_data()}


@dataclass(frozen=True)
class PropertyCondition(Node):
    """A predicate on one event property, inside ``where``."""

    property: str = ""
    predicate: Predicate | None = None

    def to_data(self) -> dict[str, Any]:
        assert self.predicate is not None
        return {"kind": "property", "property": self.property, **self.predicate.to_data()}


@dataclass(frozen=True)
class EventMatcher:
    """Which events count: the types (None = every type) and an optional ``where`` tree."""

    event_types: tuple[str, ...] | None
    where: Node | None

    def to_data(self) -> dict[str, Any]:
        return {
            "event_types": list(self.event_types) if self.event_types is not None else None,
            "where": self.where.to_data() if self.where is not None else None,
        }


@dataclass(frozen=True)
class Metric:
    """``count`` (of: None), ``sum|avg|min|max|count_distinct`` (of: a property)."""

    function: str
    of: str | None
    predicate: Predicate

    @property
    def of_family(self) -> str | None:
        """How the measured property is read: numbers for sum/avg, text for count_distinct."""
        if self.of is None:
            return None
        if self.function in ("sum", "avg"):
            return "number"
        if self.function == "count_distinct":
            return "text"
        return self.predicate.family


def condition_id(prefix: str, data: dict[str, Any]) -> str:
    """A stable id for a shareable condition: the same definition gives the same id everywhere.

    >>> condition_id("ev", {"a": 1}) == condition_id("ev", {"a": 1})
    True
    """
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return f"{prefix}_{hashlib.sha1(canonical.encode()).hexdigest()[:12]}"


@dataclass(frozen=True)
class EventCondition(Node):
    matcher: EventMatcher | None = None
    window: Window | None = None
    metric: Metric | None = None

    def aggregate_data(self) -> dict[str, Any]:
        """What the shared grouped scan computes for this node (its metric value per profile)."""
        assert self.matcher is not None and self.metric is not None
        data = {
            **self.matcher.to_data(),
            "window": self.window.to_data() if self.window else None,
            "function": self.metric.function,
            "of": self.metric.of,
            "of_family": self.metric.of_family,
        }
        return {"id": condition_id("ev", data), **data}

    def to_data(self) -> dict[str, Any]:
        assert self.metric is not None
        aggregate = self.aggregate_data()
        return {
            "kind": "event",
            "aggregate_id": aggregate["id"],
            "function": self.metric.function,
            **self.metric.predicate.to_data(),
        }


@dataclass(frozen=True)
class SequenceStep:
    matcher: EventMatcher
    within: Duration | None
    line: int = field(compare=False, default=0)

    def to_data(self) -> dict[str, Any]:
        return {
            **self.matcher.to_data(),
            "within_seconds": self.within.seconds if self.within else None,
        }


@dataclass(frozen=True)
class SequenceCondition(Node):
    steps: tuple[SequenceStep, ...] = ()
    window: Window | None = None
    then_not: SequenceStep | None = None

    def sequence_data(self) -> dict[str, Any]:
        data = {
            "steps": [s.to_data() for s in self.steps],
            "window": self.window.to_data() if self.window else None,
            "then_not": self.then_not.to_data() if self.then_not else None,
        }
        return {"id": condition_id("seq", data), **data}

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": "sequence",
            "sequence_id": self.sequence_data()["id"],
            "step_count": len(self.steps),
        }


@dataclass(frozen=True)
class InSegment(Node):
    segment: str = ""

    def to_data(self) -> dict[str, Any]:
        return {"kind": "in_segment", "segment": self.segment}


@dataclass(frozen=True)
class SqlCondition(Node):
    """The ``sql:`` escape hatch, already checked and re-emitted by sqlglot per dialect."""

    source: str = ""
    rendered: tuple[tuple[str, str], ...] = ()
    columns: tuple[str, ...] = ()

    def to_data(self) -> dict[str, Any]:
        return {"kind": "sql", "sql": dict(self.rendered)}


@dataclass(frozen=True)
class PropensityCondition(Node):
    """``{propensity: model, bucket: high}``, or ``percentile`` / ``score`` with a numeric operator."""

    model: str = ""
    field: str = ""
    predicate: Predicate | None = None

    def to_data(self) -> dict[str, Any]:
        assert self.predicate is not None
        return {
            "kind": "propensity",
            "model": self.model,
            "field": self.field,
            **self.predicate.to_data(),
        }


def walk(node: Node) -> list[Node]:
    """Every node of a condition tree (pre-order), including nodes inside ``where``.

    >>> tree = AllOf(1, (Not(2, InSegment(3, "vip")),))
    >>> [type(n).__name__ for n in walk(tree)]
    ['AllOf', 'Not', 'InSegment']
    """
    found: list[Node] = [node]
    children: tuple[Node, ...] = ()
    if isinstance(node, AllOf | AnyOf):
        children = node.children
    elif isinstance(node, Not) and node.child is not None:
        children = (node.child,)
    elif isinstance(node, EventCondition) and node.matcher and node.matcher.where:
        children = (node.matcher.where,)
    elif isinstance(node, SequenceCondition):
        matchers = [s.matcher for s in node.steps]
        if node.then_not:
            matchers.append(node.then_not.matcher)
        children = tuple(m.where for m in matchers if m.where is not None)
    for child in children:
        found.extend(walk(child))
    return found


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
