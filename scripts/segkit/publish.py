"""``seg publish``: a serving file for BI tools that never blocks a build.

DuckDB allows one writer per file, and a writer cannot open a file a reader holds. So BI tools
never open the warehouse: they open a *serving file* (``SEGMENTS_SERVING_PATH``, default
``warehouse/serving.duckdb``) read-only. Publishing copies the BI-facing relations (``segments.*``
and ``segmentation.*``, not the raw events) into a new file beside it, closes and fsyncs it and
atomically renames it over the serving file. A reader that is connected keeps reading its
consistent old snapshot; the next connection sees the new one; a failed publish leaves the
serving file untouched. ``--parquet DIR`` also writes one Parquet file per relation.

On ``--target spark`` the Delta tables are already what readers query (each commit is atomic);
``--parquet DIR`` exports them as the same files for readers outside Spark.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

from .durable import replace_durably, temporary_beside
from .spark import add_target_option, export_parquet
from .store import quote
from .warehouse import warehouse_path

PUBLISHED_SCHEMAS = ("segments", "segmentation")
DEFAULT_SERVING_PATH = "warehouse/serving.duckdb"


class PublishError(Exception):
    pass


def serving_path(project_root: Path) -> Path:
    path = Path(os.environ.get("SEGMENTS_SERVING_PATH", DEFAULT_SERVING_PATH))
    return path if path.is_absolute() else project_root / path


def published_relations(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    schemas = ", ".join(f"'{s}'" for s in PUBLISHED_SCHEMAS)
    return con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in ({schemas}) order by 1, 2",
        [catalog],
    ).fetchall()


def publish(
    warehouse: Path,
    serving: Path,
    storage_version: str | None = None,
    parquet_dir: Path | None = None,
) -> list[tuple[str, str]]:
    """Publish the BI-facing relations; returns them. Raises PublishError, changing nothing."""
    if not warehouse.exists():
        raise PublishError(f"no warehouse at {warehouse}: run dbt build first")
    serving.parent.mkdir(parents=True, exist_ok=True)
    staging = temporary_beside(serving)
    for leftover in (staging, Path(f"{staging}.wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        try:
            con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        except duckdb.Error as exc:
            raise PublishError(
                f"cannot open {warehouse} (is a build still running?): {exc}"
            ) from exc
        relations = published_relations(con, "warehouse")
        if not any(schema == "segmentation" for schema, _ in relations):
            raise PublishError(f"{warehouse} has no segmentation tables yet: run dbt build first")
        options = f" (storage_version '{storage_version}')" if storage_version else ""
        con.execute(f"attach '{staging}' as serving{options}")
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema serving.{quote(schema)}")
        for schema, table in relations:
            con.execute(
                f"create table serving.{quote(schema)}.{quote(table)} as "
                f"select * from warehouse.{quote(schema)}.{quote(table)}"
            )
        if parquet_dir is not None:
            _export_parquet(con, relations, parquet_dir)
        con.execute("detach serving")
        con.execute("detach warehouse")
    except duckdb.Error as exc:
        staging.unlink(missing_ok=True)
        raise PublishError(f"publishing failed, the serving file was not changed: {exc}") from exc
    except PublishError:
        staging.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    Path(f"{staging}.wal").unlink(missing_ok=True)
    replace_durably(staging, serving)
    return relations


def _export_parquet(
    con: duckdb.DuckDBPyConnection, relations: list[tuple[str, str]], folder: Path
) -> None:
    """One Parquet file per relation, written under a temporary name and renamed."""
    folder.mkdir(parents=True, exist_ok=True)
    for schema, table in relations:
        final = folder / f"{schema}.{table}.parquet"
        temporary = temporary_beside(final)
        con.execute(
            f"copy (select * from warehouse.{quote(schema)}.{quote(table)}) "
            f"to '{temporary}' (format parquet)"
        )
        os.replace(temporary, final)


def add_parser(verbs: argparse._SubParsersAction) -> None:
    verb = verbs.add_parser(
        "publish",
        help="publish the membership tables to the BI serving file",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verb.add_argument(
        "--parquet",
        type=Path,
        metavar="DIR",
        help="also write one Parquet file per relation into DIR",
    )
    verb.add_argument(
        "--storage-version",
        default=os.environ.get("SEGMENTS_SERVING_STORAGE_VERSION"),
        help="DuckDB storage version of the serving file for older drivers, e.g. v1.0.0 "
        "(default: SEGMENTS_SERVING_STORAGE_VERSION or this DuckDB's)",
    )
    add_target_option(verb, "dbt target whose tables are published")
    verb.set_defaults(func=_run)


def _publish_from_spark(args: argparse.Namespace) -> int:
    if args.parquet is None:
        print(
            "seg publish: on --target spark the Delta tables are what readers query; "
            "give --parquet DIR to export them as Parquet files",
            file=sys.stderr,
        )
        return 2
    started = time.monotonic()
    try:
        written = export_parquet(args.project_dir, args.parquet.resolve(), PUBLISHED_SCHEMAS)
    except (RuntimeError, ImportError) as exc:
        print(f"seg publish: {exc}", file=sys.stderr)
        return 1
    print(
        f"exported {len(written)} Spark relations to {args.parquet}/ "
        f"in {time.monotonic() - started:.1f}s"
    )
    return 0


def _run(args: argparse.Namespace) -> int:
    if args.dbt_target == "spark":
        return _publish_from_spark(args)
    started = time.monotonic()
    serving = serving_path(args.project_dir)
    try:
        relations = publish(
            warehouse_path(args.project_dir), serving, args.storage_version, args.parquet
        )
    except PublishError as exc:
        print(f"seg publish: {exc}", file=sys.stderr)
        return 1
    extra = f" and {args.parquet}/" if args.parquet else ""
    print(
        f"published {len(relations)} relations to {serving}{extra} in {time.monotonic() - started:.1f}s"
    )
    return 0
