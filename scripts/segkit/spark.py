"""The Spark target: the raw tables copied from the loader's DuckDB file, and dbt in-process.

The loader validates files into the DuckDB warehouse as on the default target (same contract,
same rejects); on `--target spark` it then exports the raw tables as Parquet and replaces the
Spark raw tables with them, each in one Delta transaction. dbt runs in this process
(`dbtRunner`), so one JVM serves every command of a session.

Example::

    scripts/seg load events clicks.csv --target spark
    scripts/seg generate && .venv/bin/dbt build --target spark
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import duckdb

from .store import quote, table_columns

RAW_TABLES = (
    "events",
    "profiles",
    "identities",
    "events_rejected",
    "profiles_rejected",
    "identities_rejected",
    "load_log",
)


def spark_column(name: str, duckdb_type: str) -> str:
    """The select item that gives a raw column the type Spark reads back as DuckDB's.

    Naive timestamps are written as UTC instants (Spark's TIMESTAMP), JSON as text:

    >>> spark_column("event_ts", "TIMESTAMP")
    'cast("event_ts" as timestamptz) as "event_ts"'
    >>> spark_column("properties", "JSON")
    'cast("properties" as varchar) as "properties"'
    >>> spark_column("country", "VARCHAR")
    '"country"'
    """
    if duckdb_type == "TIMESTAMP":
        return f"cast({quote(name)} as timestamptz) as {quote(name)}"
    if duckdb_type == "JSON":
        return f"cast({quote(name)} as varchar) as {quote(name)}"
    return quote(name)


def export_raw(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    """Write every raw table that exists as `<folder>/<table>.parquet`; return their names."""
    exported = []
    for table in RAW_TABLES:
        columns = table_columns(con, table)
        if not columns:
            continue
        items = ", ".join(spark_column(name, kind) for name, kind in columns.items())
        target = folder / f"{table}.parquet"
        con.execute(f"copy (select {items} from raw.{quote(table)}) to '{target}' (format parquet)")
        exported.append(table)
    return exported


def run_dbt(
    project_dir: Path, *args: str, as_of: str | None = None, swallow_stdout: bool = False
) -> Any:
    """One dbt command on the spark target in this process (as_of in the environment, as
    everywhere); dbt's result. `swallow_stdout`: an inline compile prints its SQL even when
    quiet, and the caller gets it as the result."""
    from dbt.cli.main import dbtRunner

    os.environ.setdefault("DBT_PROFILES_DIR", str(project_dir))
    os.environ.setdefault("DBT_PROJECT_DIR", str(project_dir))
    previous = os.environ.get("SEGMENTS_AS_OF")
    if as_of:
        os.environ["SEGMENTS_AS_OF"] = as_of
    output = io.StringIO() if swallow_stdout else sys.stdout
    try:
        with contextlib.redirect_stdout(output):
            return dbtRunner().invoke(
                [*args, "--project-dir", str(project_dir), "--target", "spark", "--quiet"]
            )
    finally:
        if previous is None:
            os.environ.pop("SEGMENTS_AS_OF", None)
        else:
            os.environ["SEGMENTS_AS_OF"] = previous


def _invoke(project_dir: Path, *args: str, as_of: str | None = None) -> Any:
    """run_dbt with its output swallowed; raises RuntimeError when dbt fails."""
    result = run_dbt(project_dir, *args, as_of=as_of, swallow_stdout=True)
    if not result.success:
        raise RuntimeError(str(result.exception or f"dbt {args[0]} failed on the spark target"))
    return result


def open_session(project_dir: Path) -> Any:
    """dbt's Spark session, with the profile's settings (Delta, the warehouse folder, the
    metastore): opened by running one query through dbt unless this process has it already."""
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is None:
        _invoke(project_dir, "show", "--inline", "select 1", "--limit", "1", "--no-populate-cache")
    return SparkSession.builder.getOrCreate()


def compile_inline(project_dir: Path, inline: str, variables: dict, as_of: str | None) -> str:
    """Render SQL with Jinja (the project's macros) on the spark target, in this process.

    Listing every relation first (dbt's cache) costs ~5 s on Spark and no macro here needs it.
    """
    open_session(project_dir)
    result = _invoke(
        project_dir,
        *("compile", "--inline", inline, "--vars", json.dumps(variables), "--no-populate-cache"),
        as_of=as_of,
    )
    return result.result.results[0].node.compiled_code


def query(project_dir: Path, sql: str) -> tuple[list[str], list[tuple]]:
    """Column names and rows of a query on dbt's Spark session."""
    frame = open_session(project_dir).sql(sql)
    return list(frame.columns), [tuple(row) for row in frame.collect()]


def copy_raw_to_spark(database: Path, project_dir: Path) -> list[str]:
    """Replace the Spark raw tables with the DuckDB warehouse's; the tables copied."""
    with tempfile.TemporaryDirectory(prefix="segments-raw-") as folder:
        con = duckdb.connect(str(database), read_only=True)
        try:
            con.execute("set TimeZone = 'UTC'")
            tables = export_raw(con, Path(folder))
        finally:
            con.close()
        # a raw table the warehouse no longer has goes on Spark too (a demo drops raw.identities)
        absent = [table for table in RAW_TABLES if table not in tables]
        arguments = json.dumps({"folder": folder, "tables": tables, "absent": absent})
        if not run_dbt(
            project_dir, "run-operation", "segments_replace_raw_tables", "--args", arguments
        ).success:
            raise RuntimeError("the Spark raw tables could not be replaced (dbt's log says why)")
    return tables


def export_parquet(project_dir: Path, folder: Path, schemas: tuple[str, ...]) -> list[str]:
    """Write every relation of these Spark schemas to `<folder>/<schema>.<name>.parquet`.

    Spark writes each relation as one file in a scratch folder beside `folder`; each file is then
    renamed to its place, so a reader sees the previous file or the new one. Returns the
    relations written, as "schema.name".
    """
    folder.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".segments-export-", dir=folder))
    try:
        arguments = json.dumps({"folder": str(scratch), "schemas": list(schemas)})
        if not run_dbt(
            project_dir, "run-operation", "segments_export_parquet", "--args", arguments
        ).success:
            raise RuntimeError(
                "the Parquet export failed (dbt's log says why); nothing was replaced"
            )
        written = sorted(path.name for path in scratch.iterdir() if path.is_dir())
        for name in written:
            parts = list((scratch / name).glob("part-*.parquet"))
            if len(parts) != 1:
                raise RuntimeError(f"Spark wrote {len(parts)} Parquet files for {name}, expected 1")
            os.replace(parts[0], folder / f"{name}.parquet")
        return written
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def add_target_option(
    parser: argparse.ArgumentParser,
    purpose: str = "dbt target whose raw tables receive the rows",
) -> None:
    """`--target dev|spark` (dev, DuckDB, by default)."""
    parser.add_argument(
        "--target",
        dest="dbt_target",
        choices=["dev", "spark"],
        default="dev",
        help=f"{purpose} (default dev, DuckDB)",
    )


def copy_if_spark(args: argparse.Namespace, database: Path, verb: str) -> int:
    """Copy the raw tables to Spark when `--target spark` was given; an exit status."""
    if args.dbt_target != "spark":
        return 0
    try:
        tables = copy_raw_to_spark(database, args.project_dir)
    except (RuntimeError, ImportError) as exc:
        print(f"seg {verb}: {exc} (run make spark first?)", file=sys.stderr)
        return 1
    print(f"copied raw.{', raw.'.join(tables)} to Spark")
    return 0
