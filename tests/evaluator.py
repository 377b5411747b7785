"""An independent evaluator of the segment language, for the differential test.

It reads plain YAML data (never the compiler's tree) and evaluates the documented semantics
directly on Python lists of events and dicts of profiles, as literally as the reference says:
windows, NULL handling, metrics, sequences with `within` and `then_not`. It shares no code with
the compiler or the SQL macros.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from typing import Any

Event = dict[str, Any]
Profile = dict[str, Any]

UNIT_SECONDS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def duration(text: str) -> dt.timedelta:
    return dt.timedelta(seconds=int(text[:-1]) * UNIT_SECONDS[text[-1]])


def period_start(period: str, t: dt.datetime) -> dt.datetime:
    day = dt.datetime(t.year, t.month, t.day)
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return dt.datetime(t.year, t.month, 1)
    if period == "quarter":
        return dt.datetime(t.year, 3 * ((t.month - 1) // 3) + 1, 1)
    return dt.datetime(t.year, 1, 1)


def to_moment(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime.fromisoformat(str(value))


def in_window(window: dict[str, Any] | None, t: dt.datetime | None, as_of: dt.datetime) -> bool:
    """The window table of the reference, row by row."""
    if t is None:
        return False
    if window is None:
        return t <= as_of
    if "last" in window:
        return as_of - duration(window["last"]) < t <= as_of
    if "before" in window:
        return t <= as_of - duration(window["before"])
    if "next" in window:
        return as_of <= t < as_of + duration(window["next"])
    if "from" in window:
        return as_of - duration(window["from"]) < t <= as_of - duration(window["to"])
    if "this" in window:
        return period_start(window["this"], as_of) <= t <= as_of
    if "previous" in window:
        this_start = period_start(window["previous"], as_of)
        previous_start = period_start(window["previous"], this_start - dt.timedelta(microseconds=1))
        return previous_start <= t < this_start
    since = to_moment(window["since"]) if "since" in window else None
    until = to_moment(window["until"]) if "until" in window else None
    return (since is None or since <= t) and (until is None or t < until) and t <= as_of


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _normalise(value: Any, like: Any) -> Any:
    """Read a (JSON) value the way it is compared with a YAML value of this type."""
    if isinstance(like, bool):
        text = _text(value)
        return {"true": True, "false": False}.get(text.lower()) if text else None
    if isinstance(like, int | float):
        return _number(value)
    if isinstance(like, dt.datetime | dt.date):
        try:
            return to_moment(value) if value is not None else None
        except ValueError:
            return None
    return _text(value)


def like_pattern(pattern: str) -> re.Pattern[str]:
    """SQL LIKE as the reference defines it: % any text, _ one character, \\ escapes the next."""
    parts, chars = [], iter(pattern)
    for char in chars:
        if char == "\\":
            parts.append(re.escape(next(chars)))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL)


def holds(op: str, value: Any, arg: Any, ignore_case: bool, as_of: dt.datetime) -> bool:
    """One operator on one value. A missing value satisfies only exists: false."""
    if op == "exists":
        return (value is not None) == arg
    if value is None:
        return False
    if op == "during":
        return in_window(arg, to_moment(value), as_of)
    if ignore_case and op != "matches":
        value = value.lower()
        arg = [a.lower() for a in arg] if isinstance(arg, list) else arg.lower()
    if isinstance(arg, dt.date) and not isinstance(arg, dt.datetime):
        arg = to_moment(arg)
        value = to_moment(value)
    match op:
        case "equals":
            return value == arg
        case "not_equals":
            return value != arg
        case "gt":
            return value > arg
        case "gte":
            return value >= arg
        case "lt":
            return value < arg
        case "lte":
            return value <= arg
        case "in":
            return value in arg
        case "not_in":
            return value not in arg
        case "between":
            return arg[0] <= value <= arg[1]
        case "contains":
            return arg in value
        case "not_contains":
            return arg not in value
        case "starts_with":
            return value.startswith(arg)
        case "ends_with":
            return value.endswith(arg)
        case "like":
            return like_pattern(arg).fullmatch(value) is not None
        case "matches":
            return re.search(("(?i)" if ignore_case else "") + arg, value) is not None
    raise ValueError(f"unknown operator {op}")


OPERATORS = (
    "equals",
    "not_equals",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "not_in",
    "between",
    "contains",
    "not_contains",
    "starts_with",
    "ends_with",
    "matches",
    "like",
    "exists",
    "during",
)


def predicate(node: dict[str, Any], value_of: Callable[[Any], Any], as_of: dt.datetime) -> bool:
    op = next(k for k in node if k in OPERATORS)
    arg = node[op]
    sample = arg[0] if isinstance(arg, list) and op != "during" else arg
    if op in ("exists", "contains", "not_contains", "starts_with", "ends_with", "matches", "like"):
        sample = ""
    if op == "during":
        sample = None
    return holds(op, value_of(sample), arg, bool(node.get("ignore_case")), as_of)


class Store:
    """Events and profiles at one as_of, with the language's evaluation rules."""

    def __init__(
        self,
        events: list[Event],
        profiles: dict[str, Profile],
        as_of: dt.datetime,
        typed_columns: tuple[str, ...] = (),
    ):
        self.as_of = as_of
        self.events = sorted(
            (e for e in events if e["event_ts"] <= as_of), key=lambda e: e["event_ts"]
        )
        self.profiles = profiles
        self.typed_columns = typed_columns
        self.by_profile: dict[str, list[Event]] = {}
        for event in self.events:
            self.by_profile.setdefault(event["profile_id"], []).append(event)
        self.profile_ids = sorted(set(profiles) | set(self.by_profile))
        self.segments: dict[str, set[str]] = {}
        # Customer AI's scores are an input here, as the warehouse computed them:
        # model -> profile_id -> {"bucket": ..., "percentile": ..., "score": ...}.
        self.propensity: dict[str, dict[str, dict[str, Any]]] = {}

    # ---------------------------------------------------------------- events

    def property(self, event: Event, name: str, like: Any) -> Any:
        t: dt.datetime = event["event_ts"]
        virtual = {
            "event_date": lambda: dt.datetime(t.year, t.month, t.day),
            "event_week": lambda: period_start("week", t),
            "event_month": lambda: period_start("month", t),
            "event_hour": lambda: t.hour,
            "event_dow": lambda: t.isoweekday(),
            "session": lambda: event.get("session_id"),
        }
        if name in virtual:
            value = virtual[name]()
            if isinstance(like, dt.date) and isinstance(value, dt.datetime):
                return value
            return (
                _normalise(value, like)
                if like is not None and not isinstance(value, dt.datetime)
                else value
            )
        if name in self.typed_columns:
            return event.get(name)
        value: Any = event.get("properties") or {}
        for part in name.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if isinstance(value, dict | list):
            return None if like is not None and not isinstance(like, str) else _text(value)
        return _normalise(value, like) if like is not None else value

    def where(self, node: dict[str, Any] | None, event: Event, profile: Profile) -> bool:
        if node is None:
            return True
        if "all" in node:
            return all(self.where(c, event, profile) for c in node["all"])
        if "any" in node:
            return any(self.where(c, event, profile) for c in node["any"])
        if "not" in node:
            return not self.where(node["not"], event, profile)
        name = node["property"]
        op = next(k for k in node if k in OPERATORS)
        arg = node[op]
        if isinstance(arg, dict) and "attribute" in arg:
            other = profile.get(arg["attribute"])
            mine = self.property(event, name, "")
            if name not in self.typed_columns:
                other = _text(other)
            return holds(op, mine, other, False, self.as_of) if other is not None else False
        return predicate(node, lambda like: self.property(event, name, like), self.as_of)

    def matching(
        self, profile_id: str, matcher: dict[str, Any], window: dict[str, Any] | None
    ) -> list[Event]:
        types = matcher["event"]
        types = None if types == "*" else ([types] if isinstance(types, str) else types)
        profile = self.profiles.get(profile_id, {})
        return [
            e
            for e in self.by_profile.get(profile_id, [])
            if (types is None or e["event_type"] in types)
            and in_window(window, e["event_ts"], self.as_of)
            and self.where(matcher.get("where"), e, profile)
        ]

    def metric(self, node: dict[str, Any], events: list[Event]) -> tuple[Any, dict[str, Any]]:
        for function in ("count", "sum", "avg", "min", "max", "count_distinct"):
            if function in node:
                spec = node[function]
                break
        else:
            return len(events), {"gte": 1}
        if function == "count":
            return len(events), spec
        op = next(k for k in spec if k in OPERATORS)
        arg = spec[op]
        sample = arg[0] if isinstance(arg, list) and op != "during" else arg
        if function in ("sum", "avg"):
            sample = 0.0
        if function == "count_distinct":
            sample = ""
        if op == "during":
            sample = dt.datetime(2000, 1, 1)
        values = [self.property(e, spec["of"], sample) for e in events]
        values = [v for v in values if v is not None]
        if function == "sum":
            return sum(values), spec
        if function == "count_distinct":
            return len(set(values)), spec
        if not values:
            return None, spec
        if function == "avg":
            return sum(values) / len(values), spec
        return (min(values) if function == "min" else max(values)), spec

    def sequence(self, profile_id: str, spec: dict[str, Any]) -> bool:
        window = spec.get("during")
        ends: list[dt.datetime] | None = None
        for index, step in enumerate(spec["steps"]):
            candidates = [e["event_ts"] for e in self.matching(profile_id, step, window)]
            within = duration(step["within"]) if "within" in step else None
            if index == 0:
                ends = candidates
            else:
                assert ends is not None
                ends = [
                    t
                    for t in candidates
                    if any(p < t and (within is None or t - p <= within) for p in ends)
                ]
            if not ends:
                return False
        assert ends is not None
        then_not = spec.get("then_not")
        if then_not is None:
            return True
        blockers = [e["event_ts"] for e in self.matching(profile_id, then_not, None)]
        within = duration(then_not["within"]) if "within" in then_not else None
        for t in ends:
            if within is not None:
                if t + within > self.as_of:
                    continue
                if not any(t < b <= t + within for b in blockers):
                    return True
            elif not any(b > t for b in blockers):
                return True
        return False

    # ---------------------------------------------------------------- conditions

    def condition(self, node: dict[str, Any], profile_id: str) -> bool:
        kind = next((k for k in node if k in self.KINDS), None)
        if kind is None:
            raise ValueError(f"the evaluator does not know {node}")
        return getattr(self, f"condition_{kind}")(node, profile_id)

    # The condition kinds it evaluates, each by a method condition_<kind>. `sql` is not among
    # them: an SQL expression means what the engine says (tests/test_injection.py).
    KINDS = ("all", "any", "not", "attribute", "event", "sequence", "in_segment", "propensity")

    def condition_all(self, node: dict[str, Any], profile_id: str) -> bool:
        return all(self.condition(c, profile_id) for c in node["all"])

    def condition_any(self, node: dict[str, Any], profile_id: str) -> bool:
        return any(self.condition(c, profile_id) for c in node["any"])

    def condition_not(self, node: dict[str, Any], profile_id: str) -> bool:
        return not self.condition(node["not"], profile_id)

    def condition_attribute(self, node: dict[str, Any], profile_id: str) -> bool:
        value = self.profiles.get(profile_id, {}).get(node["attribute"])
        return predicate(node, lambda like: value, self.as_of)

    def condition_event(self, node: dict[str, Any], profile_id: str) -> bool:
        events = self.matching(profile_id, node, node.get("during"))
        value, spec = self.metric(node, events)
        return predicate(spec, lambda like: value, self.as_of)

    def condition_sequence(self, node: dict[str, Any], profile_id: str) -> bool:
        return self.sequence(profile_id, node["sequence"])

    def condition_in_segment(self, node: dict[str, Any], profile_id: str) -> bool:
        return profile_id in self.segments[node["in_segment"]]

    def condition_propensity(self, node: dict[str, Any], profile_id: str) -> bool:
        scores = self.propensity.get(node["propensity"], {}).get(profile_id)
        if scores is None:
            return False
        if "bucket" in node:
            buckets = node["bucket"] if isinstance(node["bucket"], list) else [node["bucket"]]
            return scores["bucket"] in buckets
        field = "percentile" if "percentile" in node else "score"
        return predicate(node[field], lambda like: scores[field], self.as_of)

    def members(self, name: str, condition: dict[str, Any]) -> set[str]:
        found = {p for p in self.profile_ids if self.condition(condition, p)}
        self.segments[name] = found
        return found
