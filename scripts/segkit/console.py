"""What the verbs share to talk to a terminal: plain tables, colours, reading built tables."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .engine import QueryError, run_query


def table(headers: list[str], rows: list[list[str]]) -> str:
    """A plain text table (right-aligned numbers).

    >>> print(table(["segment", "size"], [["vip", "1,200"], ["lapsed", "35"]]))
    segment  size
    -------  -----
    vip      1,200
    lapsed      35
    """
    widths = [
        max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)
    ]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if c.replace(",", "").isdigit() else c.ljust(w)
            for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def colour(text: str, code: str) -> str:
    """ANSI colour on a terminal (unless NO_COLOR is set), plain text otherwise."""
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        return f"\033[{code}m{text}\033[0m"
    return text


def read_built(
    project_dir: Path, verb: str, relation: str, sql: str, target: str = "dev"
) -> list[tuple] | None:
    """Rows of a query over a built table, or None after saying what to build first."""
    try:
        return run_query(project_dir, target, sql)[1]
    except QueryError as exc:
        missing = str(exc).startswith("no warehouse")
        reason = exc if missing else f"{relation} is not built yet: run dbt build ({exc})"
        print(f"seg {verb}: {reason}", file=sys.stderr)
        return None
