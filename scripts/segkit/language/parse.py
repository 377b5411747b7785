"""Validate one segment file into the typed tree, collecting every error with its line.

This is the only place that knows the shape of the YAML. Checks that need the warehouse
(columns, types, event types) or the whole project (references, cycles) are passes in
``resolve.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
from pathlib import Path
from typing import Any

import yaml

from . import nodes as n
from .errors import Diagnostics, closest
from .sqlcheck import check_sql
from .vocabulary import (
    ATTRIBUTE_VALUE_OPERATORS,
    CALENDAR_PERIODS_HINT,
    CASE_OPERATORS,
    COMPARISON_OPERATORS,
    EVENT_KEYS,
    LIST_OPERATORS,
    METRICS,
    NAME_PATTERN,
    NUMERIC_METRIC_OPERATORS,
    NUMERIC_METRICS,
    OPERATOR_SYNONYMS,
    OPERATORS,
    PROPENSITY_BUCKETS,
    PROPENSITY_DIRECTIONS,
    PROPENSITY_FIELDS,
    PROPENSITY_MODEL_KEYS,
    SEGMENT_KEYS,
    SEQUENCE_KEYS,
    STEP_KEYS,
    STRING_OPERATORS,
    WINDOW_KEYS,
)
from .yamlsource import (
    MAX_CHARACTERS,
    DuplicateKeyError,
    LocatedDict,
    LocatedList,
    UnreadableValue,
    load_located,
)

DURATION_PATTERN = re.compile(r"^([0-9]+)([mhdw])$")
# Longer windows are surely typos, and their bounds would overflow a timestamp.
MAX_DURATION = n.Duration(36500, "d")
# The widest integer both engines compare exactly (BIGINT).
MAX_INTEGER = 2**63 - 1
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
COLUMN_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROPERTY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def _kind_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | dt.date) and value is not None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class FileParser:
    """Parses one file. ``diagnostics`` holds every finding; the tree is None when any error."""

    def __init__(self, file: str):
        self.d = Diagnostics(file)

    # ------------------------------------------------------------ helpers

    def _unknown_keys(self, mapping: LocatedDict, allowed: tuple[str, ...], where: str) -> None:
        for key in mapping:
            if key not in allowed:
                self.d.error(
                    mapping.line_of(key),
                    key,
                    f"unknown key '{key}' in {where} (expected one of: {', '.join(allowed)})",
                    closest(key, allowed),
                )

    def _mapping(self, value: Any, line: int, key: str, what: str) -> LocatedDict | None:
        if isinstance(value, LocatedDict):
            return value
        self.d.error(line, key, f"'{key}' must be {what}, got {_kind_name(value)}")
        return None

    def duration(self, value: Any, line: int, key: str) -> n.Duration | None:
        match = DURATION_PATTERN.match(str(value)) if isinstance(value, str | int) else None
        if match is None or int(match.group(1)) <= 0:
            self.d.error(
                line,
                key,
                f"'{key}' must be a duration such as 30m, 12h, 7d or 4w, got {_kind_name(value)}",
            )
            return None
        duration = n.Duration(int(match.group(1)), match.group(2))
        if duration.seconds > MAX_DURATION.seconds:
            self.d.error(
                line, key, f"'{key}' is longer than 100 years ({MAX_DURATION}): got {value}"
            )
            return None
        return duration

    def timestamp(self, value: Any, line: int, key: str) -> dt.date | dt.datetime | None:
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                pass
            else:
                return parsed.date() if len(value) == 10 else parsed
        self.d.error(
            line, key, f"'{key}' must be a date (2024-01-31) or timestamp, got {_kind_name(value)}"
        )
        return None

    # ------------------------------------------------------------ windows

    def window(self, value: Any, line: int, key: str, allow_next: bool) -> n.Window | None:
        mapping = self._mapping(value, line, key, "a window such as {last: 30d}")
        if mapping is None:
            return None
        if "next" in mapping and not allow_next:
            self.d.error(
                mapping.line_of("next"),
                "next",
                "'next' windows look into the future and work on date attributes only "
                "(e.g. a renewal date); events after as_of never count",
            )
            return None
        allowed = WINDOW_KEYS if allow_next else tuple(k for k in WINDOW_KEYS if k != "next")
        self._unknown_keys(mapping, allowed, f"window '{key}'")
        keys = {k for k in mapping if k in allowed}
        forms = [{"last"}, {"before"}, {"next"}, {"from", "to"}, {"this"}, {"previous"}]
        forms += [{"since"}, {"until"}, {"since", "until"}]
        if keys not in forms:
            if keys:
                self.d.error(
                    mapping.line,
                    key,
                    f"window '{key}' cannot combine {', '.join(sorted(keys))}: use one of "
                    "{last: 30d}, {before: 30d}, {from: 60d, to: 30d}, {since: 2024-01-01}, "
                    "{until: 2024-02-01}, {this: month}, {previous: month}"
                    + (", {next: 7d}" if allow_next else ""),
                )
            elif not mapping:
                self.d.error(mapping.line, key, f"window '{key}' is empty")
            return None
        if keys & {"last", "before", "next"}:
            form = next(iter(keys))
            duration = self.duration(mapping[form], mapping.line_of(form), form)
            return n.Window(form, duration=duration) if duration else None
        if keys == {"from", "to"}:
            start = self.duration(mapping["from"], mapping.line_of("from"), "from")
            end = self.duration(mapping["to"], mapping.line_of("to"), "to")
            if start is None or end is None:
                return None
            if start.seconds <= end.seconds:
                self.d.error(
                    mapping.line_of("from"),
                    "from",
                    f"'from' ({start}) must reach further back than 'to' ({end}): "
                    "the window is as_of - from < t <= as_of - to",
                )
                return None
            return n.Window("between", start=start, end=end)
        if keys & {"this", "previous"}:
            form = next(iter(keys))
            period = mapping[form]
            if period not in n.CALENDAR_PERIODS:
                self.d.error(
                    mapping.line_of(form),
                    form,
                    f"'{form}' must be one of {CALENDAR_PERIODS_HINT}, got {_kind_name(period)}",
                    closest(str(period), n.CALENDAR_PERIODS),
                )
                return None
            return n.Window(form, period=period)
        since = until = None
        if "since" in mapping:
            since = self.timestamp(mapping["since"], mapping.line_of("since"), "since")
        if "until" in mapping:
            until = self.timestamp(mapping["until"], mapping.line_of("until"), "until")
        if ("since" in mapping and since is None) or ("until" in mapping and until is None):
            return None
        if since is not None and until is not None and _as_datetime(since) >= _as_datetime(until):
            self.d.error(mapping.line_of("until"), "until", "'until' must be after 'since'")
            return None
        return n.Window("range", since=since, until=until)

    # ------------------------------------------------------------ predicates

    def predicate(
        self,
        mapping: LocatedDict,
        subject_keys: tuple[str, ...],
        where: str,
        allowed_ops: tuple[str, ...] = OPERATORS,
        allow_attribute_value: bool = False,
        allow_next: bool = False,
    ) -> n.Predicate | None:
        """Exactly one operator (plus optional ignore_case) next to ``subject_keys``."""
        ops = [k for k in mapping if k in OPERATORS]
        unknown = [k for k in mapping if k not in (*subject_keys, *OPERATORS, "ignore_case")]
        for key in unknown:
            suggestion = OPERATOR_SYNONYMS.get(key.lower())
            self.d.error(
                mapping.line_of(key),
                key,
                f"unknown operator '{key}'",
                suggestion if suggestion in allowed_ops else closest(key, allowed_ops),
            )
        if len(ops) != 1:
            if not ops and unknown:
                return None
            if not ops:
                self.d.error(
                    mapping.line,
                    where,
                    f"{where} needs exactly one operator (one of: {', '.join(allowed_ops)})",
                )
            else:
                self.d.error(
                    mapping.line_of(ops[1]),
                    ops[1],
                    f"{where} takes exactly one operator, found {', '.join(ops)}",
                )
            return None
        op = ops[0]
        line = mapping.line_of(op)
        if op not in allowed_ops:
            self.d.error(
                line,
                op,
                f"operator '{op}' is not allowed in {where} (allowed: {', '.join(allowed_ops)})",
            )
            return None
        ignore_case = mapping.get("ignore_case", False)
        if "ignore_case" in mapping:
            if not isinstance(ignore_case, bool):
                self.d.error(
                    mapping.line_of("ignore_case"),
                    "ignore_case",
                    "'ignore_case' must be true or false",
                )
                return None
            if op not in CASE_OPERATORS:
                self.d.error(
                    mapping.line_of("ignore_case"),
                    "ignore_case",
                    f"'ignore_case' works with text operators ({', '.join(CASE_OPERATORS)}), "
                    f"not with '{op}'",
                )
                return None
        value = self.operator_value(op, mapping[op], line, allow_attribute_value, allow_next)
        if value is _INVALID:
            return None
        if ignore_case and not _all_strings(value):
            self.d.error(line, op, f"'ignore_case' needs text values for '{op}'")
            return None
        return n.Predicate(op, value, bool(ignore_case))

    def operator_value(
        self, op: str, value: Any, line: int, allow_attribute_value: bool, allow_next: bool
    ) -> Any:
        checked = self._operator_value(op, value, line, allow_attribute_value, allow_next)
        values = checked if isinstance(checked, tuple) else (checked,)
        problem = next((p for p in map(_number_problem, values) if p), None)
        if problem:
            self.d.error(line, op, f"'{op}' {problem}")
            return _INVALID
        return checked

    def _operator_value(
        self, op: str, value: Any, line: int, allow_attribute_value: bool, allow_next: bool
    ) -> Any:
        if op == "during":
            window = self.window(value, line, op, allow_next)
            return window if window is not None else _INVALID
        if op == "exists":
            if not isinstance(value, bool):
                self.d.error(line, op, f"'exists' must be true or false, got {_kind_name(value)}")
                return _INVALID
            return value
        if op in LIST_OPERATORS:
            if not isinstance(value, list) or not value or not all(_is_scalar(v) for v in value):
                self.d.error(
                    line, op, f"'{op}' must be a non-empty list of values, got {_kind_name(value)}"
                )
                return _INVALID
            return tuple(value)
        if op == "between":
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(_is_scalar(v) for v in value)
            ):
                self.d.error(
                    line, op, f"'between' must be a list [low, high], got {_kind_name(value)}"
                )
                return _INVALID
            low, high = value
            if _comparable(low, high) and _sortable(low) > _sortable(high):
                self.d.error(line, op, f"'between' needs low <= high, got [{low}, {high}]")
                return _INVALID
            return tuple(value)
        if isinstance(value, LocatedDict) and allow_attribute_value and set(value) == {"attribute"}:
            if op not in ATTRIBUTE_VALUE_OPERATORS:
                self.d.error(
                    line,
                    op,
                    f"{{attribute: ...}} values work with {', '.join(ATTRIBUTE_VALUE_OPERATORS)}",
                )
                return _INVALID
            column = value["attribute"]
            if not isinstance(column, str) or not COLUMN_PATTERN.match(column):
                self.d.error(
                    value.line_of("attribute"),
                    "attribute",
                    "'attribute' must name a profile column",
                )
                return _INVALID
            return n.AttributeRef(column)
        if op in STRING_OPERATORS:
            if not isinstance(value, str):
                self.d.error(line, op, f"'{op}' must be a text value, got {_kind_name(value)}")
                return _INVALID
            if op == "matches":
                try:
                    re.compile(value)
                except re.error as exc:
                    self.d.error(line, op, f"'matches' is not a valid regular expression: {exc}")
                    return _INVALID
            return value
        if not _is_scalar(value):
            self.d.error(line, op, f"'{op}' must be a single value, got {_kind_name(value)}")
            return _INVALID
        return value

    # ------------------------------------------------------------ condition nodes

    def condition(self, value: Any, line: int) -> n.Node | None:
        if not isinstance(value, LocatedDict):
            self.d.error(
                line,
                "condition",
                f"a condition must be a mapping with one of: {', '.join(n.condition_kinds())}; "
                f"got {_kind_name(value)}",
            )
            return None
        kinds = [k for k in value if k in n.condition_kinds()]
        if len(kinds) != 1:
            if kinds:
                self.d.error(
                    value.line_of(kinds[1]),
                    kinds[1],
                    f"a condition has exactly one kind key, found {', '.join(kinds)}: "
                    "wrap them in 'all:' or 'any:'",
                )
            else:
                unknown = next(iter(value), "")
                self.d.error(
                    value.line_of(unknown) if unknown else value.line,
                    unknown,
                    f"unknown condition '{unknown}' (expected one of: {', '.join(n.condition_kinds())})",
                    closest(unknown, n.condition_kinds()),
                )
            return None
        kind = kinds[0]
        return getattr(self, f"node_{kind}")(value, value.line_of(kind))

    def _children(
        self, mapping: LocatedDict, key: str, line: int, parse: Any
    ) -> tuple[n.Node, ...] | None:
        if set(mapping) != {key}:
            self._unknown_keys(mapping, (key,), f"'{key}'")
        items = mapping[key]
        if not isinstance(items, LocatedList) or not items:
            self.d.error(line, key, f"'{key}' must be a non-empty list of conditions")
            return None
        children = [parse(item, items.line_of(i)) for i, item in enumerate(items)]
        if any(c is None for c in children):
            return None
        return tuple(children)

    def node_all(self, mapping: LocatedDict, line: int) -> n.Node | None:
        children = self._children(mapping, "all", line, self.condition)
        return n.AllOf(line=line, items=children) if children else None

    def node_any(self, mapping: LocatedDict, line: int) -> n.Node | None:
        children = self._children(mapping, "any", line, self.condition)
        return n.AnyOf(line=line, items=children) if children else None

    def node_not(self, mapping: LocatedDict, line: int) -> n.Node | None:
        self._unknown_keys(mapping, ("not",), "'not'")
        child = self.condition(mapping["not"], line)
        return n.Not(line=line, child=child) if child else None

    def node_attribute(self, mapping: LocatedDict, line: int) -> n.Node | None:
        column = mapping["attribute"]
        if not isinstance(column, str) or not COLUMN_PATTERN.match(column):
            self.d.error(
                line,
                "attribute",
                f"'attribute' must name a profile column (letters, digits, _), got {_kind_name(column)}",
            )
            return None
        predicate = self.predicate(
            mapping, ("attribute",), f"attribute '{column}'", allow_next=True
        )
        return (
            n.AttributeCondition(line=line, column=column, predicate=predicate)
            if predicate
            else None
        )

    def node_in_segment(self, mapping: LocatedDict, line: int) -> n.Node | None:
        self._unknown_keys(mapping, ("in_segment",), "'in_segment'")
        name = mapping["in_segment"]
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            self.d.error(
                line, "in_segment", f"'in_segment' must name a segment, got {_kind_name(name)}"
            )
            return None
        return n.InSegment(line=line, segment=name)

    def node_propensity(self, mapping: LocatedDict, line: int) -> n.Node | None:
        """``{propensity: model, bucket: high}`` or ``percentile:`` / ``score: {gte: 90}``."""
        self._unknown_keys(mapping, ("propensity", *PROPENSITY_FIELDS), "a propensity condition")
        model = mapping["propensity"]
        if not isinstance(model, str) or not NAME_PATTERN.match(model):
            self.d.error(
                line,
                "propensity",
                f"'propensity' must name a propensity model, got {_kind_name(model)}",
            )
            return None
        fields = [k for k in mapping if k in PROPENSITY_FIELDS]
        if len(fields) != 1:
            self.d.error(
                mapping.line_of(fields[1]) if fields else line,
                fields[1] if fields else "propensity",
                "a propensity condition compares exactly one of bucket, percentile or score, "
                "e.g. {propensity: repurchase_90d, bucket: high}",
            )
            return None
        field_name = fields[0]
        value, field_line = mapping[field_name], mapping.line_of(field_name)
        if field_name == "bucket":
            buckets = value if isinstance(value, list) else [value]
            unknown = [b for b in buckets if b not in PROPENSITY_BUCKETS]
            if not buckets or unknown:
                self.d.error(
                    field_line,
                    "bucket",
                    f"'bucket' is one of {', '.join(PROPENSITY_BUCKETS)} or a list of them, "
                    f"got {_kind_name(value)}",
                    closest(str(unknown[0]), PROPENSITY_BUCKETS) if unknown else None,
                )
                return None
            predicate = n.Predicate("in", tuple(buckets))
        else:
            spec = self._mapping(value, field_line, field_name, "a mapping such as {gte: 90}")
            if spec is None:
                return None
            predicate = self.predicate(
                spec, (), f"'{field_name}'", (*COMPARISON_OPERATORS, *LIST_OPERATORS, "between")
            )
            if predicate is None:
                return None
            values = predicate.value if isinstance(predicate.value, tuple) else (predicate.value,)
            if not _all_numbers(predicate.value) or not all(0 <= v <= 100 for v in values):
                self.d.error(
                    field_line,
                    field_name,
                    f"'{field_name}' compares with numbers from 0 to 100",
                )
                return None
        return n.PropensityCondition(line=line, model=model, field=field_name, predicate=predicate)

    def node_sql(self, mapping: LocatedDict, line: int) -> n.Node | None:
        self._unknown_keys(mapping, ("sql",), "'sql'")
        source = mapping["sql"]
        if not isinstance(source, str) or not source.strip():
            self.d.error(line, "sql", "'sql' must be a boolean SQL expression over profile columns")
            return None
        # The shape is checked here; the columns against the warehouse in the resolve pass.
        checked = check_sql(source, None)
        for message, suggestion in checked.problems:
            self.d.error(line, "sql", message, suggestion)
        if checked.problems:
            return None
        return n.SqlCondition(
            line=line, source=source, rendered=checked.rendered, columns=checked.columns
        )

    def matcher(self, mapping: LocatedDict, where_name: str) -> n.EventMatcher | None:
        event = mapping.get("event")
        line = mapping.line_of("event")
        types: tuple[str, ...] | None
        if event == "*":
            types = None
        elif isinstance(event, str) and event:
            types = (event,)
        elif isinstance(event, list) and event and all(isinstance(e, str) and e for e in event):
            if "*" in event:
                self.d.error(line, "event", "'*' already means every event type: use it alone")
                return None
            types = tuple(event)
        else:
            self.d.error(
                line,
                "event",
                f"'event' in {where_name} must be an event type, a list of types or \"*\", "
                f"got {_kind_name(event)}",
            )
            return None
        where = None
        if "where" in mapping:
            where = self.property_condition(mapping["where"], mapping.line_of("where"))
            if where is None:
                return None
        return n.EventMatcher(types, where)

    def property_condition(self, value: Any, line: int) -> n.Node | None:
        if not isinstance(value, LocatedDict):
            self.d.error(line, "where", f"'where' must be a mapping, got {_kind_name(value)}")
            return None
        for combinator, node_type in (("all", n.AllOf), ("any", n.AnyOf)):
            if combinator in value:
                children = self._children(
                    value, combinator, value.line_of(combinator), self.property_condition
                )
                return (
                    node_type(line=value.line_of(combinator), items=children) if children else None
                )
        if "not" in value:
            self._unknown_keys(value, ("not",), "'not'")
            child = self.property_condition(value["not"], value.line_of("not"))
            return n.Not(line=value.line_of("not"), child=child) if child else None
        if "property" not in value:
            first = next(iter(value), "")
            self.d.error(
                value.line,
                first,
                "a 'where' condition is {property: <name>, <operator>: <value>} "
                "or all/any/not of them",
                closest(first, ("property", "all", "any", "not")),
            )
            return None
        prop = value["property"]
        if not isinstance(prop, str) or not PROPERTY_PATTERN.match(prop):
            self.d.error(
                value.line_of("property"),
                "property",
                "'property' must name an event column or a dotted path in properties "
                f"(letters, digits, _ and .), got {_kind_name(prop)}",
            )
            return None
        predicate = self.predicate(
            value, ("property",), f"property '{prop}'", allow_attribute_value=True
        )
        return (
            n.PropertyCondition(line=value.line_of("property"), property=prop, predicate=predicate)
            if predicate
            else None
        )

    def metric(self, mapping: LocatedDict) -> n.Metric | type[_Invalid] | None:
        metrics = [k for k in mapping if k in METRICS]
        if not metrics:
            return None
        if len(metrics) > 1:
            self.d.error(
                mapping.line_of(metrics[1]),
                metrics[1],
                f"an event condition takes at most one metric, found {', '.join(metrics)}",
            )
            return _Invalid
        function = metrics[0]
        line = mapping.line_of(function)
        spec = self._mapping(mapping[function], line, function, "a mapping such as {gte: 3}")
        if spec is None:
            return _Invalid
        of = None
        subject: tuple[str, ...] = ()
        if function != "count":
            subject = ("of",)
            of = spec.get("of")
            if not isinstance(of, str) or not PROPERTY_PATTERN.match(of):
                self.d.error(spec.line_of("of"), "of", f"'{function}' needs 'of: <property>'")
                return _Invalid
        elif "of" in spec:
            self.d.error(spec.line_of("of"), "of", "'count' counts events and takes no 'of'")
            return _Invalid
        allowed = (
            NUMERIC_METRIC_OPERATORS
            if function in NUMERIC_METRICS
            else (*NUMERIC_METRIC_OPERATORS, "during")
        )
        predicate = self.predicate(spec, subject, f"metric '{function}'", allowed)
        if predicate is None:
            return _Invalid
        if function in NUMERIC_METRICS and not _all_numbers(predicate.value):
            self.d.error(line, function, f"'{function}' compares with numbers")
            return _Invalid
        return n.Metric(function, of, predicate)

    def node_event(self, mapping: LocatedDict, line: int) -> n.Node | None:
        self._unknown_keys(mapping, EVENT_KEYS, "an event condition")
        matcher = self.matcher(mapping, "an event condition")
        window = None
        if "during" in mapping:
            window = self.window(
                mapping["during"], mapping.line_of("during"), "during", allow_next=False
            )
        metric = self.metric(mapping)
        if matcher is None or metric is _Invalid or ("during" in mapping and window is None):
            return None
        if metric is None:
            metric = n.Metric("count", None, n.Predicate("gte", 1))
        return n.EventCondition(line=line, matcher=matcher, window=window, metric=metric)  # type: ignore[arg-type]

    def step(self, value: Any, line: int, index: int | None) -> n.SequenceStep | None:
        where_name = f"step {index + 1}" if index is not None else "'then_not'"
        mapping = self._mapping(
            value, line, "then_not" if index is None else "steps", "a mapping with 'event'"
        )
        if mapping is None:
            return None
        self._unknown_keys(mapping, STEP_KEYS, where_name)
        if "event" not in mapping:
            self.d.error(mapping.line, "event", f"{where_name} needs 'event'")
            return None
        matcher = self.matcher(mapping, where_name)
        within = None
        if "within" in mapping:
            if index == 0:
                self.d.error(
                    mapping.line_of("within"),
                    "within",
                    "the first step has no previous step: 'within' belongs on later steps",
                )
                return None
            within = self.duration(mapping["within"], mapping.line_of("within"), "within")
            if within is None:
                return None
        return (
            n.SequenceStep(matcher=matcher, within=within, line=mapping.line) if matcher else None
        )

    def node_sequence(self, mapping: LocatedDict, line: int) -> n.Node | None:
        self._unknown_keys(mapping, ("sequence",), "'sequence'")
        spec = self._mapping(mapping["sequence"], line, "sequence", "a mapping with 'steps'")
        if spec is None:
            return None
        self._unknown_keys(spec, SEQUENCE_KEYS, "'sequence'")
        steps_value = spec.get("steps")
        if not isinstance(steps_value, LocatedList) or not steps_value:
            self.d.error(
                spec.line_of("steps"),
                "steps",
                "'sequence' needs 'steps': a non-empty list of steps",
            )
            return None
        steps = [self.step(s, steps_value.line_of(i), i) for i, s in enumerate(steps_value)]
        window = None
        if "during" in spec:
            window = self.window(spec["during"], spec.line_of("during"), "during", allow_next=False)
        then_not = None
        if "then_not" in spec:
            then_not = self.step(spec["then_not"], spec.line_of("then_not"), None)
        if any(s is None for s in steps) or ("during" in spec and window is None):
            return None
        if "then_not" in spec and then_not is None:
            return None
        return n.SequenceCondition(
            line=line,
            steps=tuple(steps),  # type: ignore[arg-type]
            window=window,
            then_not=then_not,
        )

    def splits(self, doc: LocatedDict) -> tuple[n.Split, ...]:
        """``splits: [{name: treatment, percent: 90}, {name: holdout, percent: 10}]``."""
        if "splits" not in doc:
            return ()
        items, line = doc["splits"], doc.line_of("splits")
        if not isinstance(items, LocatedList) or len(items) < 2:
            self.d.error(
                line,
                "splits",
                "'splits' must list at least two splits: [{name: a, percent: 50}, ...]",
            )
            return ()
        splits: list[n.Split] = []
        for index, item in enumerate(items):
            item_line = items.line_of(index)
            if not isinstance(item, LocatedDict) or set(item) != {"name", "percent"}:
                self.d.error(item_line, "splits", "each split is {name: <name>, percent: <0-100>}")
                return ()
            name, percent = item["name"], item["percent"]
            if not isinstance(name, str) or not NAME_PATTERN.match(name):
                self.d.error(
                    item.line_of("name"),
                    "name",
                    f"a split name is lowercase letters, digits and _, got {_kind_name(name)}",
                )
                return ()
            if (
                not _is_number(percent)
                or not 0 < percent <= 100
                or round(percent * 100) != percent * 100
            ):
                self.d.error(
                    item.line_of("percent"),
                    "percent",
                    f"'percent' must be a number above 0 with at most 2 decimals, got {_kind_name(percent)}",
                )
                return ()
            if name in {s.name for s in splits}:
                self.d.error(item.line_of("name"), "name", f"split '{name}' is listed twice")
                return ()
            splits.append(n.Split(name, float(percent)))
        total = sum(s.percent for s in splits)
        if round(total * 100) != 10000:
            self.d.error(
                line, "splits", f"split percentages must add up to 100, they add up to {total:g}"
            )
            return ()
        return tuple(splits)

    # ------------------------------------------------------------ the file

    def document(self, doc: Any, path: Path, text: str) -> n.Definition | None:
        """A file defines a segment, or a propensity model when its first key says so."""
        if isinstance(doc, LocatedDict) and "propensity_model" in doc:
            return self.propensity_model(doc, path, text)
        return self.segment(doc, path, text)

    def _name(self, doc: LocatedDict, key: str, what: str, path: Path) -> str | None:
        name = doc.get(key)
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            self.d.error(
                doc.line_of(key),
                key,
                f"'{key}' must be a name matching ^[a-z][a-z0-9_]{{0,62}}$ "
                f"(lowercase letters, digits, underscores), got {_kind_name(name)}",
            )
            return None
        if name != path.stem:
            self.d.error(
                doc.line_of(key),
                key,
                f"{what} '{name}' must live in a file named {name}{path.suffix} "
                f"(one definition per file, named after it), not {path.name}",
            )
        return name

    def _names(
        self, doc: LocatedDict, key: str, pattern: re.Pattern[str], what: str
    ) -> tuple[str, ...]:
        values = doc.get(key, [])
        if not isinstance(values, list) or not all(
            isinstance(v, str) and pattern.match(v) for v in values
        ):
            self.d.error(doc.line_of(key), key, f"'{key}' must be a list of {what}")
            return ()
        if len(set(values)) != len(values):
            self.d.error(doc.line_of(key), key, f"'{key}' lists a name twice")
            return ()
        return tuple(values)

    def eligible(self, value: Any, line: int) -> n.Node | None:
        """A condition evaluated at the training cutoff and at as_of: no sequences or references."""
        condition = self.condition(value, line)
        if condition is None:
            return None
        for node in n.walk(condition):
            if node.condition and not node.eligible:
                self.d.error(
                    node.line,
                    node.kind,
                    f"'eligible' is evaluated at the training cutoff and at as_of, so it uses "
                    f"{', '.join(n.eligible_kinds())} conditions only, not '{node.kind}'",
                )
                return None
        return condition

    def propensity_model(self, doc: LocatedDict, path: Path, text: str) -> n.PropensityModel | None:
        self._unknown_keys(doc, PROPENSITY_MODEL_KEYS, "a propensity model file")
        name = self._name(doc, "propensity_model", "propensity model", path)
        description = doc.get("description")
        if not isinstance(description, str) or not description.strip():
            self.d.error(
                doc.line_of("description"),
                "description",
                "'description' is required: say what the model predicts",
            )
        goal = None
        if "goal" not in doc:
            self.d.error(
                doc.line, "goal", "'goal' is required: the event to predict, e.g. {event: purchase}"
            )
        else:
            spec = self._mapping(
                doc["goal"],
                doc.line_of("goal"),
                "goal",
                "an event matcher {event: ..., where: ...}",
            )
            if spec is not None:
                self._unknown_keys(spec, ("event", "where"), "'goal'")
                goal = self.matcher(spec, "'goal'")
        window = None
        if "prediction_window" not in doc:
            self.d.error(doc.line, "prediction_window", "'prediction_window' is required, e.g. 90d")
        else:
            window = self.duration(
                doc["prediction_window"], doc.line_of("prediction_window"), "prediction_window"
            )
            if window is not None and window.seconds < 86400:
                self.d.error(
                    doc.line_of("prediction_window"),
                    "prediction_window",
                    "'prediction_window' must be at least 1d",
                )
        direction = doc.get("direction", "conversion")
        if direction not in PROPENSITY_DIRECTIONS:
            self.d.error(
                doc.line_of("direction"),
                "direction",
                f"'direction' is conversion (the goal will happen) or churn (it will not), "
                f"got {_kind_name(direction)}",
                closest(str(direction), PROPENSITY_DIRECTIONS),
            )
        eligible = None
        if "eligible" in doc:
            eligible = self.eligible(doc["eligible"], doc.line_of("eligible"))
        attributes = self._names(doc, "attributes", COLUMN_PATTERN, "profile columns")
        custom_events = self._names(doc, "custom_events", re.compile(r"^\S+$"), "event types")
        value_property = doc.get("value_property", "revenue")
        if not isinstance(value_property, str) or not PROPERTY_PATTERN.match(value_property):
            self.d.error(
                doc.line_of("value_property"),
                "value_property",
                "'value_property' must name the goal events' money property, e.g. revenue",
            )
        owner = doc.get("owner")
        if owner is not None and not isinstance(owner, str):
            self.d.error(doc.line_of("owner"), "owner", "'owner' must be a name")
        if self.d.has_errors or name is None or goal is None or window is None:
            return None
        return n.PropensityModel(
            name=name,
            file=self.d.file,
            line=doc.line_of("propensity_model"),
            description=description.strip(),
            goal=goal,
            prediction_window=window,
            direction=direction,
            eligible=eligible,
            attributes=attributes,
            custom_events=custom_events,
            value_property=value_property,
            raw=_plain(doc),
            source_hash=hashlib.md5(text.encode("utf-8")).hexdigest(),
        )

    def segment(self, doc: Any, path: Path, text: str) -> n.SegmentDefinition | None:
        if not isinstance(doc, LocatedDict):
            self.d.error(
                1,
                "segment",
                "a segment file is a mapping with 'segment', 'description' and 'condition'",
            )
            return None
        self._unknown_keys(doc, SEGMENT_KEYS, "a segment file")
        name = self._name(doc, "segment", "segment", path)
        description = doc.get("description")
        if not isinstance(description, str) or not description.strip():
            self.d.error(
                doc.line_of("description"),
                "description",
                "'description' is required: say who is in the segment",
            )
        owner = doc.get("owner")
        if owner is not None and not isinstance(owner, str):
            self.d.error(doc.line_of("owner"), "owner", "'owner' must be a name")
        tags = doc.get("tags", [])
        if not isinstance(tags, list) or not all(
            isinstance(t, str) and TAG_PATTERN.match(t) for t in tags
        ):
            self.d.error(
                doc.line_of("tags"),
                "tags",
                "'tags' must be a list of names (letters, digits, _ and -), e.g. [email, vip]",
            )
            tags = []
        splits = self.splits(doc)
        if "condition" not in doc:
            self.d.error(
                doc.line, "condition", "'condition' is required: exactly one condition node"
            )
            return None
        condition = self.condition(doc["condition"], doc.line_of("condition"))
        if self.d.has_errors or condition is None:
            return None
        return n.SegmentDefinition(
            name=name,
            file=self.d.file,
            line=doc.line_of("segment"),
            description=description.strip(),
            owner=owner,
            tags=tuple(tags),
            condition=condition,
            raw=_plain(doc),
            # The md5 of the file's bytes: dbt's freshness check hashes the same bytes.
            source_hash=hashlib.md5(text.encode("utf-8")).hexdigest(),
            splits=splits,
        )


class _Invalid:
    """Marker for a value that already produced an error."""


_INVALID = _Invalid()


def _as_datetime(value: dt.date) -> dt.datetime:
    """A date or time as a naive UTC datetime, so that any two can be compared.

    >>> _as_datetime(dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    datetime.datetime(2024, 1, 1, 0, 0)
    """
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def _sortable(value: Any) -> Any:
    return _as_datetime(value) if isinstance(value, dt.datetime) else value


def _number_problem(value: Any) -> str | None:
    """Why a YAML number cannot be compared in SQL, or None.

    >>> _number_problem(float("nan")), _number_problem(2**70), _number_problem(3)
    ('must be a finite number, got nan', 'is out of range: integers have at most 19 digits', None)
    """
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        return "is out of range: integers have at most 19 digits"
    return None


def _comparable(a: Any, b: Any) -> bool:
    return (_is_number(a) and _is_number(b)) or (type(a) is type(b) and not isinstance(a, bool))


def _all_strings(value: Any) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    return all(isinstance(v, str) for v in values)


def _all_numbers(value: Any) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    return all(_is_number(v) for v in values)


def _plain(value: Any) -> Any:
    """The definition as plain JSON-able data (for the catalog)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def parse_file(path: Path, display: str | None = None) -> tuple[n.Definition | None, Diagnostics]:
    """Load and validate one file. Returns the definition (None on error) and its diagnostics."""
    parser = FileParser(display or str(path))
    try:
        content = path.read_bytes()
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        parser.d.error(1, "", f"cannot read the file: {exc}")
        return None, parser.d
    return parse_text(text, path, parser)


def parse_text(
    text: str, path: Path, parser: FileParser | None = None
) -> tuple[n.Definition | None, Diagnostics]:
    parser = parser or FileParser(str(path))
    if len(text) > MAX_CHARACTERS:
        parser.d.error(
            1, "", f"the file is larger than {MAX_CHARACTERS:,} characters: is it a definition?"
        )
        return None, parser.d
    try:
        doc = load_located(text)
    except DuplicateKeyError as exc:
        parser.d.error(
            exc.line, exc.key, f"duplicate key '{exc.key}': each key may appear once per mapping"
        )
        return None, parser.d
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        prefix = "" if isinstance(exc, UnreadableValue) else "invalid YAML: "
        parser.d.error(line, _key_before(text, mark), f"{prefix}{problem}")
        return None, parser.d
    return parser.document(doc, path, text), parser.d


def _key_before(text: str, mark: Any) -> str:
    r"""The last key written before a YAML error's position on its line, if any.

    >>> from types import SimpleNamespace as At
    >>> _key_before("a: 1\n  since: 2024-02-30", At(line=1, column=9))
    'since'
    """
    if mark is None:
        return ""
    lines = text.split("\n")
    before = lines[mark.line][: mark.column] if mark.line < len(lines) else ""
    keys = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*:", before)
    return keys[-1] if keys else ""
