"""The fixed vocabulary of the language: key names users, docs and tests write."""

from __future__ import annotations

import re

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")

SEGMENT_KEYS = ("segment", "description", "owner", "tags", "condition", "splits")
PROPENSITY_MODEL_KEYS = (
    "propensity_model",
    "description",
    "owner",
    "goal",
    "prediction_window",
    "direction",
    "eligible",
    "attributes",
    "custom_events",
    "value_property",
)
PROPENSITY_DIRECTIONS = ("conversion", "churn")
# What a `propensity` condition compares: the bucket by name, percentile and score by number.
PROPENSITY_FIELDS = ("bucket", "percentile", "score")
PROPENSITY_BUCKETS = ("high", "medium", "low")
COMPARISON_OPERATORS = ("equals", "not_equals", "gt", "gte", "lt", "lte")
STRING_OPERATORS = ("contains", "not_contains", "starts_with", "ends_with", "matches", "like")
LIST_OPERATORS = ("in", "not_in")
OPERATORS = (
    *COMPARISON_OPERATORS,
    *LIST_OPERATORS,
    "between",
    *STRING_OPERATORS,
    "exists",
    "during",
)
# Operators that accept ignore_case: true (they compare text).
CASE_OPERATORS = ("equals", "not_equals", *LIST_OPERATORS, *STRING_OPERATORS)
# Operators whose value may be {attribute: column} inside an event `where`.
ATTRIBUTE_VALUE_OPERATORS = COMPARISON_OPERATORS

METRICS = ("count", "sum", "avg", "min", "max", "count_distinct")
NUMERIC_METRICS = ("count", "sum", "avg", "count_distinct")
NUMERIC_METRIC_OPERATORS = (*COMPARISON_OPERATORS, *LIST_OPERATORS, "between")

EVENT_KEYS = ("event", "where", "during", *METRICS)
SEQUENCE_KEYS = ("steps", "during", "then_not")
STEP_KEYS = ("event", "where", "within")

WINDOW_KEYS = ("last", "before", "from", "to", "since", "until", "this", "previous", "next")

# Virtual event properties, computed from event_ts / session_id.
CALENDAR_PERIODS_HINT = "day, week, month, quarter, year"

VIRTUAL_PROPERTIES = {
    "event_date": "date",
    "event_week": "date",
    "event_month": "date",
    "event_hour": "number",
    "event_dow": "number",
    "session": "string",
}

# Words people write for an operator, mapped to the operator (for "did you mean").
OPERATOR_SYNONYMS = {
    "greater_than": "gt",
    "more_than": "gt",
    "above": "gt",
    "over": "gt",
    "greater_than_or_equal": "gte",
    "at_least": "gte",
    "min": "gte",
    "ge": "gte",
    "less_than": "lt",
    "below": "lt",
    "under": "lt",
    "less_than_or_equal": "lte",
    "at_most": "lte",
    "max": "lte",
    "le": "lte",
    "eq": "equals",
    "is": "equals",
    "equal": "equals",
    "=": "equals",
    "==": "equals",
    "ne": "not_equals",
    "neq": "not_equals",
    "not_equal": "not_equals",
    "is_not": "not_equals",
    "one_of": "in",
    "any_of": "in",
    "not_one_of": "not_in",
    "none_of": "not_in",
    "ilike": "like",
    "wildcard": "like",
    "includes": "contains",
    "regex": "matches",
    "regexp": "matches",
    "startswith": "starts_with",
    "begins_with": "starts_with",
    "endswith": "ends_with",
    "is_null": "exists",
    "is_set": "exists",
    "present": "exists",
    "range": "between",
    "within": "during",
    "in_window": "during",
}
