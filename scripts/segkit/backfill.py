"""``seg backfill``: rebuild the membership history over a range of past evaluations.

Evaluations only move forward, so past dates cannot be inserted into an existing history. A
backfill copies the warehouse, drops every derived table in the copy, evaluates every as_of in
the range in order there with ``dbt build``, and only when all of them succeeded replaces the
derived tables of the real warehouse with the copy's, in one transaction. A failure anywhere
leaves the real warehouse untouched.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from .language.nodes import DURATION_UNITS
from .language.parse_base import DURATION_PATTERN
from .store import quote
from .warehouse import warehouse_path

DERIVED_SCHEMAS = ("segments", "segmentation", "intermediate")


class BackfillError(Exception):
    pass


def evaluation_times(
    start: dt.datetime, end: dt.datetime, every: dt.timedelta
) -> list[dt.datetime]:
    """``start``, ``start + every``, ... up to and including ``end``.

    >>> [t.day for t in evaluation_times(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 3), dt.timedelta(days=1))]
    [1, 2, 3]
    """
    if end < start:
        raise BackfillError("--to must not be before --from")
    times, moment = [], start
    while moment <= end:
        times.append(moment)
        moment += every
    return times


def _derived_tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    schemas = ", ".join(f"'{s}'" for s in DERIVED_SCHEMAS)
    return con.execute(
        f"select table_schema, table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in ({schemas}) and table_type = 'BASE TABLE'",
        [catalog],
    ).fetchall()


def backfill(project_dir: Path, database: Path, times: list[dt.datetime], dbt: Path) -> None:
    workdir = database.parent / f"{database.stem}__backfill"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    copy = workdir / database.name
    try:
        shutil.copy2(database, copy)
        con = duckdb.connect(str(copy))
        for schema, table in _derived_tables(con, copy.stem):
            con.execute(f"drop table {quote(schema)}.{quote(table)}")
        con.close()
        env = {
            **os.environ,
            "SEGMENTS_DUCKDB_PATH": str(copy),
            "DBT_PROFILES_DIR": str(project_dir),
            # the dbt Python models (identity stitching, Customer AI) import this package
            "PYTHONPATH": os.pathsep.join(
                [str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")]
            ).rstrip(os.pathsep),
        }
        for moment in times:
            print(f"backfill: evaluating as of {moment.isoformat()}", flush=True)
            # as_of in the environment, not --vars: dbt keeps its parse between evaluations.
            result = subprocess.run(
                [str(dbt), "build", "--quiet", "--project-dir", str(project_dir)],
                cwd=project_dir,
                env={**env, "SEGMENTS_AS_OF": moment.isoformat()},
                capture_output=True,
                text=True,
            )
            if result.returncode != 0:
                raise BackfillError(
                    f"the evaluation as of {moment.isoformat()} failed; the warehouse was not "
                    f"changed:\n{result.stdout[-3000:]}{result.stderr[-2000:]}"
                )
        _swap_in(database, copy)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _swap_in(database: Path, copy: Path) -> None:
    """Replace the derived tables of the warehouse with the copy's, all in one transaction."""
    con = duckdb.connect(str(database))
    try:
        con.execute(f"attach '{copy}' as backfilled (read_only)")
        target = database.stem
        new_tables = _derived_tables(con, "backfilled")
        con.execute("begin transaction")
        for schema, table in _derived_tables(con, target):
            con.execute(f"drop table {quote(target)}.{quote(schema)}.{quote(table)}")
        for schema, table in new_tables:
            con.execute(f"create schema if not exists {quote(target)}.{quote(schema)}")
            con.execute(
                f"create table {quote(target)}.{quote(schema)}.{quote(table)} as "
                f"select * from backfilled.{quote(schema)}.{quote(table)}"
            )
        con.execute("commit")
        con.execute("detach backfilled")
    finally:
        con.close()


def _moment(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def add_parser(verbs: argparse._SubParsersAction) -> None:
    verb = verbs.add_parser(
        "backfill",
        help="rebuild membership history over past evaluations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verb.add_argument("--from", dest="start", required=True, type=_moment, help="first as_of (ISO)")
    verb.add_argument("--to", dest="end", required=True, type=_moment, help="last as_of (ISO)")
    verb.add_argument("--every", default="1d", help="step between evaluations (default 1d)")
    verb.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    match = DURATION_PATTERN.match(args.every)
    if not match:
        print(
            f"seg backfill: --every must be a duration such as 1d or 12h, got '{args.every}'",
            file=sys.stderr,
        )
        return 2
    every = dt.timedelta(seconds=int(match.group(1)) * DURATION_UNITS[match.group(2)])
    database = warehouse_path(args.project_dir)
    if not database.exists():
        print(f"seg backfill: no warehouse at {database}", file=sys.stderr)
        return 1
    try:
        times = evaluation_times(args.start, args.end, every)
        backfill(args.project_dir, database, times, Path(sys.executable).parent / "dbt")
    except BackfillError as exc:
        print(f"seg backfill: {exc}", file=sys.stderr)
        return 1
    print(f"backfill: {len(times)} evaluations from {times[0]} to {times[-1]} swapped in")
    return 0
