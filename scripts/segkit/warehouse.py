"""What the event store holds: columns of raw.events / raw.profiles, JSON property paths, types.

The compiler checks definitions against this; when there is no warehouse yet, checks that need
it are skipped (and said so), and dbt's own run-time introspection still applies.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

DEFAULT_DUCKDB_PATH = "warehouse/segments.duckdb"
PROPERTY_SAMPLE_ROWS = 200_000


def warehouse_path(project_root: Path) -> Path:
    """The DuckDB file dbt writes to: ``SEGMENTS_DUCKDB_PATH`` or the default under warehouse/."""
    configured = os.environ.get("SEGMENTS_DUCKDB_PATH", DEFAULT_DUCKDB_PATH)
    path = Path(configured)
    return path if path.is_absolute() else project_root / path


def type_family(duckdb_type: str) -> str:
    """Collapse a DuckDB type name into the families the language reasons about.

    >>> type_family("DECIMAL(10,2)"), type_family("TIMESTAMP WITH TIME ZONE"), type_family("JSON")
    ('number', 'timestamp', 'json')
    """
    t = duckdb_type.upper()
    if t.startswith(
        (
            "TINYINT",
            "SMALLINT",
            "INTEGER",
            "BIGINT",
            "HUGEINT",
            "UTINYINT",
            "USMALLINT",
            "UINTEGER",
            "UBIGINT",
            "UHUGEINT",
            "FLOAT",
            "DOUBLE",
            "DECIMAL",
            "REAL",
            "NUMERIC",
        )
    ):
        return "number"
    if t.startswith("TIMESTAMP"):
        return "timestamp"
    if t == "DATE":
        return "date"
    if t.startswith("BOOL"):
        return "boolean"
    if t == "JSON":
        return "json"
    if t.startswith(("VARCHAR", "TEXT", "STRING", "CHAR", "UUID")):
        return "string"
    return "other"


@dataclass
class WarehouseSchema:
    """Column families of the two source tables, known JSON paths and seen event types."""

    profile_columns: dict[str, str] = field(default_factory=dict)
    event_columns: dict[str, str] = field(default_factory=dict)
    property_paths: dict[str, str] = field(default_factory=dict)
    event_types: set[str] = field(default_factory=set)
    database: Path | None = None

    def has_property(self, path: str) -> bool:
        """Whether any event has this JSON path. The known paths come from a sample of the
        events; a path outside it is looked up in all of them (only for such rare paths)."""
        if path in self.property_paths:
            return True
        if self.database is None or "properties" not in self.event_columns:
            return False
        con = duckdb.connect(str(self.database), read_only=True)
        try:
            found = con.execute(
                "select 1 from raw.events where json_extract(properties, ?) is not null limit 1",
                ["$." + path],
            ).fetchone()
        finally:
            con.close()
        return found is not None

    @property
    def event_properties(self) -> dict[str, str]:
        """Every addressable event property: typed columns first, then JSON paths."""
        columns = {c: f for c, f in self.event_columns.items() if c != "properties"}
        return {**self.property_paths, **columns}


def _json_paths(structure: object, prefix: str = "") -> dict[str, str]:
    """Flatten json_group_structure output into dotted paths with a type family."""
    paths: dict[str, str] = {}
    if isinstance(structure, dict):
        for key, value in structure.items():
            path = f"{prefix}.{key}" if prefix else key
            paths[path] = "json" if isinstance(value, dict | list) else type_family(str(value))
            paths.update(_json_paths(value, path))
    return paths


def read_schema(database: Path) -> WarehouseSchema | None:
    """Introspect the raw tables, or None when the warehouse or its raw tables do not exist."""
    if not database.exists():
        return None
    try:
        con = duckdb.connect(str(database), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute(
            "select table_name, column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name in ('events', 'profiles') "
            "order by table_name, ordinal_position"
        ).fetchall()
        if not any(r[0] == "events" for r in rows):
            return None
        schema = WarehouseSchema()
        for table, column, data_type in rows:
            target = schema.event_columns if table == "events" else schema.profile_columns
            target[column] = type_family(data_type)
        schema.profile_columns.setdefault("profile_id", "string")
        schema.database = database
        if "properties" in schema.event_columns:
            # A sample keeps this cheap on 100M events; has_property checks the rest on demand.
            (structure,) = con.execute(
                "select json_group_structure(properties) from (select properties from raw.events "
                f"where properties is not null using sample {PROPERTY_SAMPLE_ROWS} rows)"
            ).fetchone() or (None,)
            if structure:
                schema.property_paths = _json_paths(json.loads(structure))
        schema.event_types = {
            r[0] for r in con.execute("select distinct event_type from raw.events").fetchall()
        }
        return schema
    finally:
        con.close()
