"""The builder page's warm renderer: the project's macros rendered by dbt in this process.

``seg preview`` starts a dbt process per call (5 s here, mostly start-up and parse). The page
parses the project once and then renders each macro call through dbt's Python API with that
manifest (~0.2 s), caching the SQL by (calls, vars, as_of).

dbt introspects the warehouse while rendering (the columns of the staging views), and a dbt
DuckDB connection opens its file for writing, which would block ``dbt build``. So dbt here
reads a *catalog copy*: a private DuckDB file with the same name (the SQL names the database
after the file) holding an empty table for every table and view of the warehouse. The queries
themselves run on the warehouse, opened read-only per request (``segkit.engine``).
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

import duckdb

from ..dbt_bridge import SPLIT_MARK

# The environment variable profiles.yml reads before SEGMENTS_DUCKDB_PATH: where dbt connects.
CATALOG_VARIABLE = "SEGMENTS_DBT_CATALOG_PATH"
CACHE_SIZE = 256


class WarehouseBusy(Exception):
    """The warehouse is locked by a running ``dbt build``."""


def copy_catalog(warehouse: Path, copy: Path) -> None:
    """An empty table per table and view of ``warehouse``, same schemas, columns and types."""
    try:
        source = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.IOException as exc:
        raise WarehouseBusy(str(exc).splitlines()[0]) from exc
    try:
        columns = source.execute(
            "select table_schema, table_name, column_name, data_type from "
            "information_schema.columns where table_catalog = current_database() "
            "order by table_schema, table_name, ordinal_position"
        ).fetchall()
    finally:
        source.close()
    tables: dict[tuple[str, str], list[str]] = {}
    for schema, table, column, data_type in columns:
        tables.setdefault((schema, table), []).append(f'"{column}" {data_type}')
    copy.unlink(missing_ok=True)
    target = duckdb.connect(str(copy))
    try:
        # Qualified by the database: a schema may share the file's name (segments.segments).
        (database,) = target.execute("select current_database()").fetchone()
        for schema in sorted({schema for schema, _ in tables}):
            target.execute(f'create schema if not exists "{database}"."{schema}"')
        for (schema, table), definitions in tables.items():
            target.execute(
                f'create table "{database}"."{schema}"."{table}" ({", ".join(definitions)})'
            )
    finally:
        target.close()


class WarmRenderer:
    """Renders macro calls like ``dbt_bridge.compile_queries``, in this process, one at a time."""

    def __init__(self, project_dir: Path, warehouse: Path) -> None:
        self.project_dir = project_dir
        self.warehouse = warehouse
        self._folder = Path(tempfile.mkdtemp(prefix="segments-ui-"))
        self.catalog = self._folder / warehouse.name
        self._copies = 0
        self._lock = threading.Lock()
        self._manifest: Any = None
        self._cache: OrderedDict[str, list[str]] = OrderedDict()
        self.renders = 0  # dbt invocations (the cache's misses), for the tests and the timings

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)

    def forget(self) -> None:
        """After the definitions or the warehouse changed: parse and copy the catalog again."""
        with self._lock:
            self._manifest = None
            self._cache.clear()

    def __call__(
        self,
        project_dir: Path,
        calls: list[str],
        variables: dict,
        as_of: str | None = None,
        target: str = "dev",
    ) -> list[str]:
        key = hashlib.sha256(
            json.dumps([calls, variables, as_of], default=str).encode()
        ).hexdigest()
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            queries = self._render(calls, variables, as_of)
            self._cache[key] = queries
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return queries

    def _render(self, calls: list[str], variables: dict, as_of: str | None) -> list[str]:
        from dbt.cli.main import dbtRunner

        arguments = ["--quiet", "--project-dir", str(self.project_dir)]
        with _environment(as_of, self.catalog, self.project_dir):
            if self._manifest is None:
                # A new folder each time: DuckDB keeps a file that dbt opened open in-process.
                self._copies += 1
                self.catalog = self._folder / str(self._copies) / self.warehouse.name
                self.catalog.parent.mkdir()
                copy_catalog(self.warehouse, self.catalog)
                os.environ[CATALOG_VARIABLE] = str(self.catalog)
                parsed = _quietly(lambda: dbtRunner().invoke(["parse", *arguments]))
                if not parsed.success:
                    raise RuntimeError(f"dbt parse failed: {parsed.exception}")
                self._manifest = parsed.result
            inline = f"\n{SPLIT_MARK}\n".join(calls)
            runner = dbtRunner(manifest=self._manifest)
            result = _quietly(
                lambda: runner.invoke(
                    ["compile", "--inline", inline, "--vars", json.dumps(variables), *arguments]
                )
            )
        self.renders += 1
        if not result.success:
            raise RuntimeError(str(result.exception or "dbt compile failed"))
        return result.result.results[0].node.compiled_code.split(SPLIT_MARK)


def _quietly(invoke: Any) -> Any:
    """dbt prints the compiled SQL: the page does not want it on its terminal."""
    with contextlib.redirect_stdout(io.StringIO()):
        return invoke()


@contextlib.contextmanager
def _environment(as_of: str | None, catalog: Path, project_dir: Path) -> Any:
    """dbt reads as_of, the catalog and the profiles folder from the environment."""
    saved = {
        name: os.environ.get(name)
        for name in ("SEGMENTS_AS_OF", CATALOG_VARIABLE, "DBT_PROFILES_DIR")
    }
    os.environ[CATALOG_VARIABLE] = str(catalog)
    os.environ.setdefault("DBT_PROFILES_DIR", str(project_dir))
    if as_of:
        os.environ["SEGMENTS_AS_OF"] = as_of
    else:
        os.environ.pop("SEGMENTS_AS_OF", None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
