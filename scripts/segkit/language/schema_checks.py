"""What the schema pass checks of a node's parts: columns, JSON properties, types, event types.

Each condition kind's ``check_schema`` calls these (``kinds.py``); they read the warehouse's
``WarehouseSchema`` and add diagnostics, never raise.
"""

from __future__ import annotations

from ..warehouse import WarehouseSchema
from .errors import Diagnostics, closest
from .values import AttributeRef, EventMatcher, Predicate
from .vocabulary import STRING_OPERATORS, VIRTUAL_PROPERTIES


def type_problem(family: str, predicate: Predicate, subject: str) -> str | None:
    """Whether an operator and its value fit a column of the given type family."""
    op, value = predicate.op, predicate.value
    values = value if isinstance(value, tuple) else (value,)
    if op == "exists":
        return None
    if op == "during":
        if family not in ("date", "timestamp", "json"):
            return f"'during' needs a date or timestamp, but {subject} is {family}"
        return None
    if op in STRING_OPERATORS and family not in ("string", "json"):
        return f"'{op}' works on text, but {subject} is {family}"
    if isinstance(value, AttributeRef):
        return None
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if family == "number" and len(numbers) != len(values):
        return f"{subject} is a number: compare it with numbers"
    if family == "string" and numbers:
        return f"{subject} is text: write the value in quotes ('{numbers[0]}')"
    if family == "boolean" and not all(isinstance(v, bool) for v in values):
        return f"{subject} is true/false: compare it with true or false"
    return None


def property_family(name: str, properties: dict[str, str]) -> str | None:
    if name in VIRTUAL_PROPERTIES:
        return VIRTUAL_PROPERTIES[name]
    return properties.get(name)


def check_property(
    d: Diagnostics, line: int, name: str, properties: dict[str, str], schema: WarehouseSchema
) -> None:
    if name == "session" and "session_id" not in schema.event_columns:
        d.error(line, name, "the 'session' property needs a session_id column in raw.events")
    elif (
        name not in properties and name not in VIRTUAL_PROPERTIES and not schema.has_property(name)
    ):
        d.error(
            line,
            name,
            f"unknown event property '{name}'",
            closest(name, [*properties, *VIRTUAL_PROPERTIES]),
        )


def check_event_types(
    d: Diagnostics, line: int, matcher: EventMatcher, schema: WarehouseSchema
) -> None:
    for event_type in matcher.event_types or ():
        if event_type not in schema.event_types:
            d.warning(
                line,
                event_type,
                f"event type '{event_type}' was never seen in raw.events",
                closest(event_type, schema.event_types),
            )
