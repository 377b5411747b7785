"""What every part of the parser shares: the file's diagnostics, key checks, durations and
timestamps, and the small predicates on YAML values."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from . import nodes as n
from .errors import Diagnostics, closest
from .yamlsource import LocatedDict

DURATION_PATTERN = re.compile(r"^([0-9]+)([mhdw])$")
# Longer windows are surely typos, and their bounds would overflow a timestamp.
MAX_DURATION = n.Duration(36500, "d")
# The widest integer both engines compare exactly (BIGINT).
MAX_INTEGER = 2**63 - 1
TAG_PATTERN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
COLUMN_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PROPERTY_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")


def kind_name(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing"
    return f"{type(value).__name__} {value!r}"


def is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool | dt.date) and value is not None


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class ParserBase:
    """Parses one file. ``d`` holds every finding; a part returns None after reporting one."""

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
        self.d.error(line, key, f"'{key}' must be {what}, got {kind_name(value)}")
        return None

    def duration(self, value: Any, line: int, key: str) -> n.Duration | None:
        match = DURATION_PATTERN.match(str(value)) if isinstance(value, str | int) else None
        if match is None or int(match.group(1)) <= 0:
            self.d.error(
                line,
                key,
                f"'{key}' must be a duration such as 30m, 12h, 7d or 4w, got {kind_name(value)}",
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
            line, key, f"'{key}' must be a date (2024-01-31) or timestamp, got {kind_name(value)}"
        )
        return None


class Invalid:
    """Marker for a value that already produced an error."""


INVALID = Invalid()


def as_datetime(value: dt.date) -> dt.datetime:
    """A date or time as a naive UTC datetime, so that any two can be compared.

    >>> as_datetime(dt.datetime(2024, 1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
    datetime.datetime(2024, 1, 1, 0, 0)
    """
    if not isinstance(value, dt.datetime):
        return dt.datetime.combine(value, dt.time())
    if value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def ends_with_lone_escape(pattern: str) -> bool:
    r"""Whether a ``like`` pattern ends in an escape with nothing to escape.

    >>> ends_with_lone_escape("100\\"), ends_with_lone_escape("100\\\\"), ends_with_lone_escape("a%")
    (True, False, False)
    """
    return (len(pattern) - len(pattern.rstrip("\\"))) % 2 == 1


def sortable(value: Any) -> Any:
    return as_datetime(value) if isinstance(value, dt.datetime) else value


def number_problem(value: Any) -> str | None:
    """Why a YAML number cannot be compared in SQL, or None.

    >>> number_problem(float("nan")), number_problem(2**70), number_problem(3)
    ('must be a finite number, got nan', 'is out of range: integers have at most 19 digits', None)
    """
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number, got {value}"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INTEGER:
        return "is out of range: integers have at most 19 digits"
    return None


def comparable(a: Any, b: Any) -> bool:
    return (is_number(a) and is_number(b)) or (type(a) is type(b) and not isinstance(a, bool))


def all_strings(value: Any) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    return all(isinstance(v, str) for v in values)


def all_numbers(value: Any) -> bool:
    values = value if isinstance(value, tuple) else (value,)
    return all(is_number(v) for v in values)


def plain(value: Any) -> Any:
    """The definition as plain JSON-able data (for the catalog)."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
