"""Windows and predicates: the operator and its value, and the window forms."""

from __future__ import annotations

import re
from typing import Any

from . import nodes as n
from .errors import closest
from .parse_base import (
    COLUMN_PATTERN,
    INVALID,
    ParserBase,
    all_strings,
    as_datetime,
    comparable,
    ends_with_lone_escape,
    is_scalar,
    kind_name,
    number_problem,
    sortable,
)
from .vocabulary import (
    ATTRIBUTE_VALUE_OPERATORS,
    CALENDAR_PERIODS_HINT,
    CASE_OPERATORS,
    LIST_OPERATORS,
    OPERATOR_SYNONYMS,
    OPERATORS,
    STRING_OPERATORS,
    WINDOW_KEYS,
)
from .yamlsource import LocatedDict


class ValueParser(ParserBase):
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
                    f"'{form}' must be one of {CALENDAR_PERIODS_HINT}, got {kind_name(period)}",
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
        if since is not None and until is not None and as_datetime(since) >= as_datetime(until):
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
        if value is INVALID:
            return None
        if ignore_case and not all_strings(value):
            self.d.error(line, op, f"'ignore_case' needs text values for '{op}'")
            return None
        return n.Predicate(op, value, bool(ignore_case))

    def operator_value(
        self, op: str, value: Any, line: int, allow_attribute_value: bool, allow_next: bool
    ) -> Any:
        checked = self._operator_value(op, value, line, allow_attribute_value, allow_next)
        values = checked if isinstance(checked, tuple) else (checked,)
        problem = next((p for p in map(number_problem, values) if p), None)
        if problem:
            self.d.error(line, op, f"'{op}' {problem}")
            return INVALID
        return checked

    def _operator_value(
        self, op: str, value: Any, line: int, allow_attribute_value: bool, allow_next: bool
    ) -> Any:
        if op == "during":
            window = self.window(value, line, op, allow_next)
            return window if window is not None else INVALID
        if op == "exists":
            if not isinstance(value, bool):
                self.d.error(line, op, f"'exists' must be true or false, got {kind_name(value)}")
                return INVALID
            return value
        if op in LIST_OPERATORS:
            if not isinstance(value, list) or not value or not all(is_scalar(v) for v in value):
                self.d.error(
                    line, op, f"'{op}' must be a non-empty list of values, got {kind_name(value)}"
                )
                return INVALID
            return tuple(value)
        if op == "between":
            if (
                not isinstance(value, list)
                or len(value) != 2
                or not all(is_scalar(v) for v in value)
            ):
                self.d.error(
                    line, op, f"'between' must be a list [low, high], got {kind_name(value)}"
                )
                return INVALID
            low, high = value
            if comparable(low, high) and sortable(low) > sortable(high):
                self.d.error(line, op, f"'between' needs low <= high, got [{low}, {high}]")
                return INVALID
            return tuple(value)
        if isinstance(value, LocatedDict) and allow_attribute_value and set(value) == {"attribute"}:
            if op not in ATTRIBUTE_VALUE_OPERATORS:
                self.d.error(
                    line,
                    op,
                    f"{{attribute: ...}} values work with {', '.join(ATTRIBUTE_VALUE_OPERATORS)}",
                )
                return INVALID
            column = value["attribute"]
            if not isinstance(column, str) or not COLUMN_PATTERN.match(column):
                self.d.error(
                    value.line_of("attribute"),
                    "attribute",
                    "'attribute' must name a profile column",
                )
                return INVALID
            return n.AttributeRef(column)
        if op in STRING_OPERATORS:
            if not isinstance(value, str):
                self.d.error(line, op, f"'{op}' must be a text value, got {kind_name(value)}")
                return INVALID
            if op == "like" and ends_with_lone_escape(value):
                self.d.error(
                    line,
                    op,
                    "'like' pattern ends with a lone escape '\\': write '\\\\' for a backslash",
                )
                return INVALID
            if op == "matches":
                try:
                    re.compile(value)
                except re.error as exc:
                    self.d.error(line, op, f"'matches' is not a valid regular expression: {exc}")
                    return INVALID
            return value
        if not is_scalar(value):
            self.d.error(line, op, f"'{op}' must be a single value, got {kind_name(value)}")
            return INVALID
        return value
