"""The condition kinds: one class each, owning everything the passes need from it.

A kind declares its YAML key (``kind``), its sub-conditions (``children``) and nodes nested in
its event matchers (``nested``), and implements:

- ``to_data``: the plain data the SQL macro of the kind renders
  (``macros/segments/conditions.sql``: ``default__segments_condition_<kind>``);
- ``check_schema``: its checks against the warehouse (columns, properties, types);
- ``watch``: what incremental evaluation must watch for it besides new events and changed
  attributes (``changes.Changes``);
- ``describe``: its one line in ``seg explain``.

The parser has a ``node_<kind>`` method per kind, the explain query a
``default__segments_observed_<kind>`` macro; ``tests/test_kinds.py`` fails when any piece of
any kind is missing. Adding a kind: docs/architecture.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..warehouse import WarehouseSchema
from .changes import Changes
from .errors import Diagnostics, closest
from .schema_checks import check_event_types, check_property, property_family, type_problem
from .sqlcheck import check_sql
from .values import AttributeRef, Duration, EventMatcher, Metric, Predicate, Window, condition_id

KINDS: dict[str, type[Node]] = {}
"""Every kind by its YAML key, in the order the language reference lists them."""


@dataclass(frozen=True, kw_only=True)
class Node:
    """A node of a condition tree, at a line of its file."""

    kind: ClassVar[str]
    # Whether a propensity model's ``eligible`` may use it: it is evaluated at two moments.
    eligible: ClassVar[bool] = False
    # Whether it is a condition of its own (else it lives only inside an event's ``where``).
    condition: ClassVar[bool] = True
    line: int = field(compare=False)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in vars(cls):
            KINDS[cls.kind] = cls

    def children(self) -> tuple[Node, ...]:
        """The sub-conditions that are nodes of their own in an explanation."""
        return ()

    def nested(self) -> tuple[Node, ...]:
        """Other nodes inside this one: the ``where`` trees of its event matchers."""
        return ()

    def to_data(self) -> dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} has no to_data")

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no check_schema")

    def watch(self, changes: Changes) -> None:
        raise NotImplementedError(f"{type(self).__name__} has no watch")

    def describe(self) -> str:
        raise NotImplementedError(f"{type(self).__name__} has no describe")


def walk(node: Node) -> list[Node]:
    """Every node of a condition tree (pre-order), including nodes inside ``where``.

    >>> tree = AllOf(line=1, items=(Not(line=2, child=InSegment(line=3, segment="vip")),))
    >>> [type(n).__name__ for n in walk(tree)]
    ['AllOf', 'Not', 'InSegment']
    """
    found: list[Node] = [node]
    for child in (*node.children(), *node.nested()):
        found.extend(walk(child))
    return found


def condition_kinds() -> tuple[str, ...]:
    """The keys a condition may have, as error messages list them."""
    return tuple(kind for kind, cls in KINDS.items() if cls.condition)


def eligible_kinds() -> tuple[str, ...]:
    """The kinds a propensity model's ``eligible`` may use."""
    return tuple(kind for kind, cls in KINDS.items() if cls.condition and cls.eligible)


# ---------------------------------------------------------------- containers


@dataclass(frozen=True, kw_only=True)
class _Container(Node):
    """``all`` / ``any``: a list of conditions (also of ``where`` predicates)."""

    eligible: ClassVar[bool] = True
    items: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.items

    def to_data(self) -> dict[str, Any]:
        return {"kind": self.kind, "children": [c.to_data() for c in self.items]}

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        """Nothing of its own: its children are checked as nodes of the walk."""

    def watch(self, changes: Changes) -> None:
        """Nothing of its own: its children watch what they need."""

    def describe(self) -> str:
        return self.kind


@dataclass(frozen=True, kw_only=True)
class AllOf(_Container):
    kind: ClassVar[str] = "all"


@dataclass(frozen=True, kw_only=True)
class AnyOf(_Container):
    kind: ClassVar[str] = "any"


@dataclass(frozen=True, kw_only=True)
class Not(Node):
    kind: ClassVar[str] = "not"
    eligible: ClassVar[bool] = True
    child: Node

    def children(self) -> tuple[Node, ...]:
        return (self.child,)

    def to_data(self) -> dict[str, Any]:
        return {"kind": "not", "child": self.child.to_data()}

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        """Nothing of its own: its child is checked as a node of the walk."""

    def watch(self, changes: Changes) -> None:
        """Nothing of its own: a verdict that can change can change its negation alike."""

    def describe(self) -> str:
        return "not"


# ---------------------------------------------------------------- profile attributes


@dataclass(frozen=True, kw_only=True)
class AttributeCondition(Node):
    kind: ClassVar[str] = "attribute"
    eligible: ClassVar[bool] = True
    column: str
    predicate: Predicate

    def to_data(self) -> dict[str, Any]:
        return {"kind": "attribute", "column": self.column, **self.predicate.to_data()}

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        family = schema.profile_columns.get(self.column)
        if family is None:
            d.error(
                self.line,
                self.column,
                f"unknown profile column '{self.column}'",
                closest(self.column, schema.profile_columns),
            )
            return
        problem = type_problem(family, self.predicate, f"attribute '{self.column}'")
        if problem:
            d.error(self.line, self.predicate.op, problem)

    def watch(self, changes: Changes) -> None:
        """A date compared with a window flips as as_of moves, without any change of its own."""
        if isinstance(self.predicate.value, Window):
            changes.attribute_window(self.column, self.predicate.value)

    def describe(self) -> str:
        data = self.to_data()
        return f"attribute {self.column} {data['op']} {data['value']}"


@dataclass(frozen=True, kw_only=True)
class PropertyCondition(Node):
    """A predicate on one event property, inside ``where``."""

    kind: ClassVar[str] = "property"
    condition: ClassVar[bool] = False
    property: str
    predicate: Predicate

    def to_data(self) -> dict[str, Any]:
        return {"kind": "property", "property": self.property, **self.predicate.to_data()}

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        properties = schema.event_properties
        check_property(d, self.line, self.property, properties, schema)
        family = property_family(self.property, properties)
        if family is not None:
            problem = type_problem(family, self.predicate, f"property '{self.property}'")
            if problem:
                d.error(self.line, self.predicate.op, problem)
        if isinstance(self.predicate.value, AttributeRef):
            column = self.predicate.value.column
            if column not in schema.profile_columns:
                d.error(
                    self.line,
                    "attribute",
                    f"unknown profile column '{column}'",
                    closest(column, schema.profile_columns),
                )

    def watch(self, changes: Changes) -> None:
        """Which events match cannot be updated when a window on a property moves."""
        if self.predicate.op == "during":
            changes.needs_full_evaluation(f"a window on property {self.property}")

    def describe(self) -> str:
        return f"property {self.property} {self.predicate.op}"


# ---------------------------------------------------------------- behaviour

# A window on these virtual properties moves by whole days: watching the band widened by this
# many days covers every event whose value crosses the bound.
VIRTUAL_DATE_PROPERTIES = {"event_date": 1, "event_week": 7, "event_month": 31}


@dataclass(frozen=True, kw_only=True)
class EventCondition(Node):
    kind: ClassVar[str] = "event"
    eligible: ClassVar[bool] = True
    matcher: EventMatcher
    window: Window | None
    metric: Metric

    def nested(self) -> tuple[Node, ...]:
        return (self.matcher.where,) if self.matcher.where is not None else ()

    def aggregate_data(self) -> dict[str, Any]:
        """What the shared grouped scan computes for this node (its metric value per profile)."""
        data = {
            **self.matcher.to_data(),
            "window": self.window.to_data() if self.window else None,
            "function": self.metric.function,
            "of": self.metric.of,
            "of_family": self.metric.of_family,
        }
        key = condition_id("ev", data)
        # How an incremental evaluation updates it: decided here, so the SQL only iterates.
        plan = {
            "counted_again": self.metric.counted_again(self.window),
            "merge": self.metric.merge(self.window),
            "state_columns": self.metric.state_columns(key),
        }
        return {"id": key, **data, **plan}

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": "event",
            "aggregate_id": self.aggregate_data()["id"],
            "function": self.metric.function,
            **self.metric.predicate.to_data(),
        }

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        check_event_types(d, self.line, self.matcher, schema)
        if self.metric.of is not None:
            check_property(d, self.line, self.metric.of, schema.event_properties, schema)

    def watch(self, changes: Changes) -> None:
        """Events in the band a moving window bound passed; a window on the measured value."""
        if self.window is not None:
            changes.event_window(self.window)
        value = self.metric.predicate.value
        if isinstance(value, Window):
            widen = VIRTUAL_DATE_PROPERTIES.get(self.metric.of or "")
            if widen is None:
                changes.needs_full_evaluation(
                    f"a window on {self.metric.function} of {self.metric.of}"
                )
            else:
                changes.event_window(value, widen)

    def describe(self) -> str:
        data = self.to_data()
        return f"event {self.metric.function} {data['op']} {data['value']}"


@dataclass(frozen=True, kw_only=True)
class SequenceStep:
    matcher: EventMatcher
    within: Duration | None
    line: int = field(compare=False, default=0)

    def to_data(self) -> dict[str, Any]:
        return {
            **self.matcher.to_data(),
            "within_seconds": self.within.seconds if self.within else None,
        }


@dataclass(frozen=True, kw_only=True)
class SequenceCondition(Node):
    kind: ClassVar[str] = "sequence"
    steps: tuple[SequenceStep, ...]
    window: Window | None
    then_not: SequenceStep | None

    def _all_steps(self) -> tuple[SequenceStep, ...]:
        return (*self.steps, *([self.then_not] if self.then_not else []))

    def nested(self) -> tuple[Node, ...]:
        return tuple(s.matcher.where for s in self._all_steps() if s.matcher.where is not None)

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

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        for step in self._all_steps():
            check_event_types(d, step.line or self.line, step.matcher, schema)

    def watch(self, changes: Changes) -> None:
        """The window's moving bounds, and the moment a then_not deadline passes."""
        if self.window is not None:
            changes.event_window(self.window)
        if self.then_not is not None and self.then_not.within is not None:
            changes.then_not_deadline(self.then_not.within)

    def describe(self) -> str:
        return "sequence"


# ---------------------------------------------------------------- other definitions


@dataclass(frozen=True, kw_only=True)
class InSegment(Node):
    kind: ClassVar[str] = "in_segment"
    segment: str

    def to_data(self) -> dict[str, Any]:
        return {"kind": "in_segment", "segment": self.segment}

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        """Nothing against the warehouse: references are the references pass's."""

    def watch(self, changes: Changes) -> None:
        """Nothing: the referenced segment's changed members are re-evaluated through it."""

    def describe(self) -> str:
        return f"in segment {self.segment}"


@dataclass(frozen=True, kw_only=True)
class PropensityCondition(Node):
    """``{propensity: model, bucket: high}``, or ``percentile`` / ``score`` with a numeric operator."""

    kind: ClassVar[str] = "propensity"
    model: str
    field: str
    predicate: Predicate

    def to_data(self) -> dict[str, Any]:
        return {
            "kind": "propensity",
            "model": self.model,
            "field": self.field,
            **self.predicate.to_data(),
        }

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        """Nothing against the warehouse: the model is checked by the references pass."""

    def watch(self, changes: Changes) -> None:
        changes.needs_full_evaluation(f"propensity scores of {self.model} change at every training")

    def describe(self) -> str:
        return "propensity"


@dataclass(frozen=True, kw_only=True)
class SqlCondition(Node):
    """The ``sql:`` escape hatch, already checked and re-emitted by sqlglot per dialect."""

    kind: ClassVar[str] = "sql"
    eligible: ClassVar[bool] = True
    source: str
    rendered: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]

    def to_data(self) -> dict[str, Any]:
        return {"kind": "sql", "sql": dict(self.rendered)}

    def check_schema(self, d: Diagnostics, schema: WarehouseSchema) -> None:
        for message, suggestion in check_sql(self.source, schema.profile_columns).problems:
            d.error(self.line, "sql", message, suggestion)

    def watch(self, changes: Changes) -> None:
        """Nothing: it reads profile columns only, whose changes are detected."""

    def describe(self) -> str:
        return "sql"
