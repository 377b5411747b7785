"""The raw schema of the event store: creating its tables, shared by the loader and the demo."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

EVENTS_DDL = """
create table if not exists raw.events (
    event_id varchar not null,
    profile_id varchar not null,
    event_type varchar not null,
    event_ts timestamp not null,
    properties json,
    session_id varchar,
    loaded_at timestamp
)
"""

PROFILES_DDL = """
create table if not exists raw.profiles (
    profile_id varchar not null,
    updated_at timestamp
)
"""

# Optional: created by the first identities load (its presence with rows turns stitching on).
IDENTITIES_DDL = """
create table if not exists raw.identities (
    identity varchar not null,
    namespace varchar not null,
    linked_identity varchar not null,
    linked_namespace varchar not null,
    observed_at timestamp
)
"""

REJECTED_DDL = """
create table if not exists raw.{table}_rejected (
    file varchar not null,
    line bigint not null,
    reason varchar not null,
    record json,
    rejected_at timestamp not null
)
"""

LOAD_LOG_DDL = """
create table if not exists raw.load_log (
    file varchar not null,
    file_sha256 varchar not null,
    target varchar not null,
    rows_loaded bigint not null,
    rows_rejected bigint not null,
    loaded_at timestamp not null
)
"""


def connect(database: Path) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating its folder), in UTC, with the raw tables present."""
    database.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(database))
    con.execute("set TimeZone = 'UTC'")
    # DuckDB's own progress bar is the progress display on large loads; only on a terminal.
    con.execute(f"set enable_progress_bar = {'true' if sys.stderr.isatty() else 'false'}")
    ensure_raw_schema(con)
    return con


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists raw")
    con.execute(EVENTS_DDL)
    con.execute(PROFILES_DDL)
    con.execute(REJECTED_DDL.format(table="events"))
    con.execute(REJECTED_DDL.format(table="profiles"))
    con.execute(LOAD_LOG_DDL)


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    rows = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [table],
    ).fetchall()
    return {name: data_type for name, data_type in rows}


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted, with embedded double quotes doubled.

    >>> quote("country")
    '"country"'
    """
    return '"' + identifier.replace('"', '""') + '"'
