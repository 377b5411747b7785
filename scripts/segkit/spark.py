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
import json
import os
import sys
import tempfile
from pathlib import Path

import duckdb

from .store import quote, table_columns

RAW_TABLES = ("events", "profiles", "events_rejected", "profiles_rejected", "load_log")


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


def run_dbt(project_dir: Path, *args: str) -> bool:
    """Run one dbt command in this process on the spark target; whether it succeeded."""
    from dbt.cli.main import dbtRunner

    os.environ.setdefault("DBT_PROFILES_DIR", str(project_dir))
    os.environ.setdefault("DBT_PROJECT_DIR", str(project_dir))
    result = dbtRunner().invoke(
        [*args, "--project-dir", str(project_dir), "--target", "spark", "--quiet"]
    )
    return bool(result.success)


def copy_raw_to_spark(database: Path, project_dir: Path) -> list[str]:
    """Replace the Spark raw tables with the DuckDB warehouse's; the tables copied."""
    with tempfile.TemporaryDirectory(prefix="segments-raw-") as folder:
        con = duckdb.connect(str(database), read_only=True)
        try:
            con.execute("set TimeZone = 'UTC'")
            tables = export_raw(con, Path(folder))
        finally:
            con.close()
        arguments = json.dumps({"folder": folder, "tables": tables})
        if not run_dbt(
            project_dir, "run-operation", "segments_replace_raw_tables", "--args", arguments
        ):
            raise RuntimeError("the Spark raw tables could not be replaced (dbt's log says why)")
    return tables


def add_target_option(parser: argparse.ArgumentParser) -> None:
    """`--target spark`: after writing the DuckDB raw tables, copy them to Spark."""
    parser.add_argument(
        "--target",
        dest="dbt_target",
        choices=["dev", "spark"],
        default="dev",
        help="dbt target whose raw tables receive the rows (default dev, DuckDB)",
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
