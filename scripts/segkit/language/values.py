"""The values inside conditions: durations, windows, predicates, metrics and event matchers.

Each has a data form (``to_data``) that the generated models hand to the SQL macros. Dates and
timestamps become ISO strings tagged with their type, so the macros can render typed literals.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .vocabulary import STRING_OPERATORS

if TYPE_CHECKING:
    from .kinds import Node

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

    def counted_again(self, window: Window | None) -> bool:
        """Whether an incremental evaluation counts it again from the events in its window: no
        update from the moved events alone exists for count_distinct (a value's last event
        leaving) or for min/max over a window that events leave (the extreme leaving).

        >>> last_week = Window("last", duration=Duration(7, "d"))
        >>> Metric("max", "price", Predicate("gte", 1)).counted_again(last_week)
        True
        >>> Metric("max", "price", Predicate("gte", 1)).counted_again(None)
        False
        """
        if self.function == "count_distinct":
            return True
        grows_only = window is None or window.kind in ("before", "range")
        return self.function in ("min", "max") and not grows_only

    def merge(self, window: Window | None) -> str:
        """How its state takes the moved events: ``add`` the difference (counts, exact sums),
        the ``least``/``greatest`` of both (min/max over a window that only grows), or
        ``recount``.

        >>> Metric("sum", "revenue", Predicate("gte", 1)).merge(None)
        'add'
        """
        if self.counted_again(window):
            return "recount"
        return {"min": "least", "max": "greatest"}.get(self.function, "add")

    def state_columns(self, condition_id: str) -> list[str]:
        """The columns that hold its state between evaluations (an average: its sum and count).

        >>> Metric("avg", "revenue", Predicate("gte", 1)).state_columns("ev_1")
        ['ev_1__sum', 'ev_1__count']
        """
        if self.function == "avg":
            return [f"{condition_id}__sum", f"{condition_id}__count"]
        return [condition_id]


def condition_id(prefix: str, data: dict[str, Any]) -> str:
    """A stable id for a shareable condition: the same definition gives the same id everywhere.

    >>> condition_id("ev", {"a": 1}) == condition_id("ev", {"a": 1})
    True
    """
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return f"{prefix}_{hashlib.sha1(canonical.encode()).hexdigest()[:12]}"
