"""Where the query verbs read: the DuckDB file, or Spark with ``--target spark``.

``seg preview``, ``explain`` and ``list`` render the project's macros with dbt and run the SQL
on the target's engine: on DuckDB through a read-only connection to the warehouse file (dbt in a
subprocess), on Spark in this process (dbt opens the session, the query reuses it). Either way
failures arrive as ``QueryError`` with the engine's message.

Example::

    scripts/seg preview vip_email_targets --target spark
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from .warehouse import warehouse_path


class QueryError(Exception):
    """The engine refused a query (a relation not built, a type error): its first line."""


# Told of each DuckDB connection while its query runs (then of None): the builder page uses it
# to interrupt an estimate a newer request has made stale.
connection_watcher: ContextVar[Callable[[Any], None] | None] = ContextVar(
    "connection_watcher", default=None
)


def run_query(project_dir: Path, target: str, sql: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of one query on the target's engine (raises QueryError)."""
    if target == "spark":
        return _spark_query(project_dir, sql)
    import duckdb

    database = warehouse_path(project_dir)
    if not database.exists():
        raise QueryError(f"no warehouse at {database}: run make demo or dbt build first")
    try:
        con = duckdb.connect(str(database), read_only=True)
        watcher = connection_watcher.get()
        try:
            # DuckDB's progress bar shows on a terminal while a big store is evaluated.
            con.execute(f"set enable_progress_bar = {'true' if sys.stderr.isatty() else 'false'}")
            if watcher:
                watcher(con)
            cursor = con.execute(sql)
            return [d[0] for d in cursor.description], cursor.fetchall()
        finally:
            if watcher:
                watcher(None)
            con.close()
    except duckdb.Error as exc:
        raise QueryError(_first_line(exc)) from exc


def query_records(project_dir: Path, target: str, sql: str) -> list[dict[str, Any]]:
    """The rows of a query as dicts by column name."""
    names, rows = run_query(project_dir, target, sql)
    return [dict(zip(names, row, strict=True)) for row in rows]


def _spark_query(project_dir: Path, sql: str) -> tuple[list[str], list[tuple]]:
    from . import spark

    try:
        return spark.query(project_dir, sql)
    except ImportError as exc:
        raise QueryError(f"{exc} (run make spark first?)") from exc
    except Exception as exc:  # pyspark's errors share no base class worth naming here
        raise QueryError(_first_line(exc)) from exc


def _first_line(exc: BaseException) -> str:
    """An engine's message without its stack or plan.

    >>> _first_line(ValueError("Table not found: x\\n  at plan..."))
    'Table not found: x'
    """
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
