"""Condition nodes: one ``node_<kind>`` method per condition kind, and event matchers."""

from __future__ import annotations

from typing import Any

from . import nodes as n
from .errors import closest
from .parse_base import (
    COLUMN_PATTERN,
    INVALID,
    PROPERTY_PATTERN,
    Invalid,
    all_numbers,
    kind_name,
)
from .parse_values import ValueParser
from .sqlcheck import check_sql
from .vocabulary import (
    COMPARISON_OPERATORS,
    EVENT_KEYS,
    LIST_OPERATORS,
    METRICS,
    NAME_PATTERN,
    NUMERIC_METRIC_OPERATORS,
    NUMERIC_METRICS,
    PROPENSITY_BUCKETS,
    PROPENSITY_FIELDS,
    SEQUENCE_KEYS,
    STEP_KEYS,
)
from .yamlsource import LocatedDict, LocatedList


class ConditionParser(ValueParser):
    # ------------------------------------------------------------ condition nodes

    def condition(self, value: Any, line: int) -> n.Node | None:
        if not isinstance(value, LocatedDict):
            self.d.error(
                line,
                "condition",
                f"a condition must be a mapping with one of: {', '.join(n.condition_kinds())}; "
                f"got {kind_name(value)}",
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
                f"'attribute' must name a profile column (letters, digits, _), got {kind_name(column)}",
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
                line, "in_segment", f"'in_segment' must name a segment, got {kind_name(name)}"
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
                f"'propensity' must name a propensity model, got {kind_name(model)}",
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
                    f"got {kind_name(value)}",
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
            if not all_numbers(predicate.value) or not all(0 <= v <= 100 for v in values):
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
                f"got {kind_name(event)}",
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
            self.d.error(line, "where", f"'where' must be a mapping, got {kind_name(value)}")
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
                f"(letters, digits, _ and .), got {kind_name(prop)}",
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

    def metric(self, mapping: LocatedDict) -> n.Metric | Invalid | None:
        metrics = [k for k in mapping if k in METRICS]
        if not metrics:
            return None
        if len(metrics) > 1:
            self.d.error(
                mapping.line_of(metrics[1]),
                metrics[1],
                f"an event condition takes at most one metric, found {', '.join(metrics)}",
            )
            return INVALID
        function = metrics[0]
        line = mapping.line_of(function)
        spec = self._mapping(mapping[function], line, function, "a mapping such as {gte: 3}")
        if spec is None:
            return INVALID
        of = None
        subject: tuple[str, ...] = ()
        if function != "count":
            subject = ("of",)
            of = spec.get("of")
            if not isinstance(of, str) or not PROPERTY_PATTERN.match(of):
                self.d.error(spec.line_of("of"), "of", f"'{function}' needs 'of: <property>'")
                return INVALID
        elif "of" in spec:
            self.d.error(spec.line_of("of"), "of", "'count' counts events and takes no 'of'")
            return INVALID
        allowed = (
            NUMERIC_METRIC_OPERATORS
            if function in NUMERIC_METRICS
            else (*NUMERIC_METRIC_OPERATORS, "during")
        )
        predicate = self.predicate(spec, subject, f"metric '{function}'", allowed)
        if predicate is None:
            return INVALID
        if function in NUMERIC_METRICS and not all_numbers(predicate.value):
            self.d.error(line, function, f"'{function}' compares with numbers")
            return INVALID
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
        if matcher is None or metric is INVALID or ("during" in mapping and window is None):
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
