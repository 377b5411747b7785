"""Run the real dbt project on a temporary DuckDB file, with segments written by the test.

The project (dbt_project.yml, profiles.yml, macros, models, data tests) is copied into a temporary
folder so that tests never touch the checkout's generated models or warehouse.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import yaml

from segkit.generate import render, write
from segkit.language.resolve import Project, load_project
from segkit.store import ensure_raw_schema
from segkit.warehouse import read_schema

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).parent / "dbt"
COPIED = ("dbt_project.yml", "profiles.yml", "macros", "models", "data-tests")

EVENT_COLUMNS = {
    "event_id": "varchar",
    "profile_id": "varchar",
    "event_type": "varchar",
    "event_ts": "timestamp",
    "properties": "json",
    "session_id": "varchar",
    "loaded_at": "timestamp",
}
IDENTITY_COLUMNS = {
    "identity": "varchar",
    "namespace": "varchar",
    "linked_identity": "varchar",
    "linked_namespace": "varchar",
    "observed_at": "timestamp",
}


def identity_link(
    identity: str,
    namespace: str,
    linked: str,
    linked_namespace: str,
    observed: Any = None,
) -> dict[str, Any]:
    """A raw.identities row."""
    return {
        "identity": identity,
        "namespace": namespace,
        "linked_identity": linked,
        "linked_namespace": linked_namespace,
        "observed_at": observed,
    }


class DbtFailed(AssertionError):
    pass


class TempProject:
    """A copy of the project with its own warehouse and segments."""

    def __init__(self, folder: Path):
        self.root = folder
        folder.mkdir(parents=True, exist_ok=True)
        for name in COPIED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, folder / name, ignore=shutil.ignore_patterns("__pycache__"))
            else:
                shutil.copy(source, folder / name)
        segments = folder / "segments"
        segments.mkdir(exist_ok=True)
        (folder / "warehouse").mkdir(exist_ok=True)
        self.database = folder / "warehouse" / "test.duckdb"

    # ------------------------------------------------------------ data

    def connect(self) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(str(self.database))
        con.execute("set TimeZone = 'UTC'")
        return con

    def write_store(
        self,
        events: list[dict[str, Any]],
        profiles: list[dict[str, Any]],
        event_types: dict[str, str] | None = None,
        profile_types: dict[str, str] | None = None,
    ) -> None:
        """Replace raw.events / raw.profiles with these rows (typed columns as given)."""
        event_types = {**EVENT_COLUMNS, **(event_types or {})}
        profile_types = {"profile_id": "varchar", **(profile_types or {})}
        con = self.connect()
        try:
            con.execute("create schema if not exists raw")
            con.execute("drop table if exists raw.events")
            con.execute("drop table if exists raw.profiles")
            _create_and_fill(con, "raw.events", event_types, events)
            _create_and_fill(con, "raw.profiles", profile_types, profiles)
            ensure_raw_schema(con)
        finally:
            con.close()

    def write_identities(self, links: list[dict[str, Any]], *, append: bool = False) -> None:
        """Replace (or add to) raw.identities: links {identity, namespace, linked_identity,
        linked_namespace, observed_at}."""
        con = self.connect()
        try:
            if not append:
                con.execute("drop table if exists raw.identities")
                _create_and_fill(con, "raw.identities", IDENTITY_COLUMNS, links)
            elif links:
                con.executemany(
                    "insert into raw.identities values (?, ?, ?, ?, ?)",
                    [[link.get(name) for name in IDENTITY_COLUMNS] for link in links],
                )
        finally:
            con.close()

    def query(self, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
        con = duckdb.connect(str(self.database), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def members(self, segment: str) -> set[str]:
        return {r[0] for r in self.query(f'select profile_id from segments."{segment}"')}

    # ------------------------------------------------------------ segments

    def write_segment(self, name: str, definition: str | dict[str, Any]) -> Path:
        text = (
            definition
            if isinstance(definition, str)
            else yaml.safe_dump(definition, sort_keys=False)
        )
        path = self.root / "segments" / f"{name}.yml"
        path.write_text(text, encoding="utf-8")
        return path

    def clear_segments(self) -> None:
        for path in (self.root / "segments").glob("*.yml"):
            path.unlink()

    def load(self) -> Project:
        return load_project(self.root, None, read_schema(self.database))

    def generate(self) -> Project:
        project = self.load()
        if project.errors:
            raise AssertionError("\n".join(str(d) for d in project.errors))
        write(self.root, render(project))
        return project

    # ------------------------------------------------------------ dbt

    def dbt(
        self,
        *args: str,
        as_of: str | None = None,
        check: bool = True,
        extra_vars: dict[str, Any] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "SEGMENTS_DUCKDB_PATH": str(self.database),
            "DBT_PROFILES_DIR": str(self.root),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            # Customer AI's Python models import segkit from the checkout.
            "PYTHONPATH": str(ROOT / "scripts"),
        }
        # as_of as the README recommends (SEGMENTS_AS_OF keeps dbt's parse between runs); never
        # one inherited from the shell.
        for name in ("SEGMENTS_AS_OF", "SEGMENTS_FULL_EVALUATION"):
            env.pop(name, None)
        if as_of is not None:
            env["SEGMENTS_AS_OF"] = as_of
        command = [str(DBT), *args, "--project-dir", str(self.root)]
        variables = {**(extra_vars or {})}
        if variables:
            command += ["--vars", json.dumps(variables)]
        if os.environ.get("SEGMENTS_NO_DBT"):
            raise AssertionError(os.environ["SEGMENTS_NO_DBT"])
        result = subprocess.run(
            command, cwd=self.root, env=env, capture_output=True, text=True, timeout=900
        )
        if check and result.returncode != 0:
            raise DbtFailed(
                f"dbt {' '.join(args)} failed:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
            )
        return result

    def build(self, as_of: str, *, tests: bool = True) -> subprocess.CompletedProcess[str]:
        return self.dbt("build" if tests else "run", as_of=as_of)


def _create_and_fill(
    con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str], rows: list[dict[str, Any]]
) -> None:
    columns = ", ".join(f'"{name}" {sql_type}' for name, sql_type in types.items())
    con.execute(f"create table {table} ({columns})")
    if not rows:
        return
    names = list(types)
    placeholders = ", ".join("?" for _ in names)
    values = []
    for row in rows:
        item = []
        for name in names:
            value = row.get(name)
            if types[name] == "json" and value is not None and not isinstance(value, str):
                value = json.dumps(value)
            item.append(value)
        values.append(item)
    con.executemany(f"insert into {table} values ({placeholders})", values)


@contextlib.contextmanager
def warehouse_in_environment(database: Path) -> Iterator[None]:
    """SEGMENTS_DUCKDB_PATH points at ``database`` for the in-process verbs, then is restored."""
    saved = os.environ.get("SEGMENTS_DUCKDB_PATH")
    os.environ["SEGMENTS_DUCKDB_PATH"] = str(database)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SEGMENTS_DUCKDB_PATH")
        else:
            os.environ["SEGMENTS_DUCKDB_PATH"] = saved
