"""The loader: CSV, JSON-lines and Parquet files into raw.events / raw.profiles / raw.identities.

A load is one transaction per file: valid rows go to the raw table, invalid ones to
raw.<table>_rejected with file, line and reason, and the file's hash to raw.load_log, all or
nothing. Loading a file whose content was already loaded is a no-op.

Example::

    scripts/seg load events clicks.csv --map event_id=id --map profile_id=user_id \\
        --map event_type=action --map event_ts=time --timestamp-format '%d/%m/%Y %H:%M' \\
        --timezone Europe/Madrid
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import yaml

from .language.errors import closest
from .spark import add_target_option, copy_if_spark
from .store import IDENTITIES_DDL, REJECTED_DDL, connect, quote, table_columns
from .warehouse import warehouse_path

FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}
REQUIRED = {
    "events": ("event_id", "profile_id", "event_type", "event_ts"),
    "profiles": ("profile_id",),
    "identities": ("identity", "namespace", "linked_identity", "linked_namespace"),
}
OPTIONAL = {
    "events": ("properties", "session_id"),
    "profiles": ("updated_at",),
    "identities": ("observed_at",),
}


class LoadError(Exception):
    """A file that cannot be loaded at all; nothing was written."""


@dataclass
class Mapping:
    """How a file's columns become contract columns."""

    columns: dict[str, str] = field(default_factory=dict)  # contract column -> source column
    timestamp_format: str | None = None
    timezone: str | None = None
    extra: str = "properties"  # the other source columns: 'properties' or typed 'columns'
    file_format: str | None = None

    def source(self, contract: str) -> str:
        return self.columns.get(contract, contract)

    @classmethod
    def from_yaml(cls, path: Path) -> tuple[str | None, Mapping]:
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        allowed = {"target", "format", "columns", "timestamp_format", "timezone", "extra"}
        unknown = set(doc) - allowed
        if unknown:
            key = sorted(unknown)[0]
            hint = closest(key, allowed)
            raise LoadError(
                f"{path}: unknown key '{key}'" + (f" (did you mean '{hint}'?)" if hint else "")
            )
        return doc.get("target"), cls(
            columns=dict(doc.get("columns") or {}),
            timestamp_format=doc.get("timestamp_format"),
            timezone=doc.get("timezone"),
            extra=doc.get("extra", "properties"),
            file_format=doc.get("format"),
        )


@dataclass
class LoadReport:
    file: str
    target: str
    rows_loaded: int
    rows_rejected: int
    already_loaded: bool = False

    def __str__(self) -> str:
        if self.already_loaded:
            return f"{self.file}: already loaded into raw.{self.target} (nothing to do)"
        return (
            f"{self.file}: {self.rows_loaded:,} rows loaded into raw.{self.target}, "
            f"{self.rows_rejected:,} rejected (see raw.{self.target}_rejected)"
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _reader(path: Path, file_format: str, text_columns: list[str]) -> str:
    """SQL reading the file with a 1-based line (or row) number in __line."""
    literal = "'" + str(path).replace("'", "''") + "'"
    if file_format == "csv":
        types = ", ".join(f"'{c}': 'VARCHAR'" for c in text_columns)
        return (
            f"select *, row_number() over () + 1 as __line from read_csv({literal}, "
            f"header = true, types = {{{types}}})"
        )
    if file_format == "jsonl":
        return (
            f"select *, row_number() over () as __line from read_json({literal}, "
            "format = 'newline_delimited')"
        )
    return f"select * exclude (file_row_number), file_row_number + 1 as __line from read_parquet({literal}, file_row_number = true)"


def _timestamp_sql(column: str, mapping: Mapping) -> str:
    """SQL parsing a text timestamp into a UTC TIMESTAMP (NULL when unparsable)."""
    text = f"cast({column} as varchar)"
    if mapping.timestamp_format:
        fmt = "'" + mapping.timestamp_format.replace("'", "''") + "'"
        parsed = f"try_strptime({text}, {fmt})"
        if "%z" in mapping.timestamp_format or "%Z" in mapping.timestamp_format:
            return f"timezone('UTC', {parsed})"
        naive = parsed
    else:
        naive = f"try_cast({text} as timestamp)"
        if not mapping.timezone:
            return f"timezone('UTC', try_cast({text} as timestamptz))"
    if mapping.timezone:
        zone = "'" + mapping.timezone.replace("'", "''") + "'"
        return f"timezone('UTC', timezone({zone}, {naive}))"
    return naive


def load_file(
    con: duckdb.DuckDBPyConnection, path: Path, target: str, mapping: Mapping
) -> LoadReport:
    """Load one file into raw.<target>, all or nothing. Raises LoadError when it cannot."""
    if target not in REQUIRED:
        raise LoadError(f"unknown target '{target}': expected events, profiles or identities")
    if not path.is_file():
        raise LoadError(f"{path}: no such file")
    file_format = mapping.file_format or FORMATS.get(path.suffix.lower())
    if file_format not in ("csv", "jsonl", "parquet"):
        raise LoadError(
            f"{path}: cannot tell the format from '{path.suffix}': pass --format csv|jsonl|parquet"
        )
    if mapping.extra not in ("properties", "columns"):
        raise LoadError(f"extra must be 'properties' or 'columns', got '{mapping.extra}'")
    sha = file_sha256(path)
    done = con.execute(
        "select count(*) from raw.load_log where file_sha256 = ? and target = ?", [sha, target]
    ).fetchone()[0]
    if done:
        return LoadReport(str(path), target, 0, 0, already_loaded=True)

    read_as_text = ("event_id", "profile_id", "event_ts", "updated_at")
    read_as_text += ("identity", "linked_identity", "observed_at")
    text_columns = [mapping.source(c) for c in read_as_text]
    try:
        con.execute(f"create or replace temp table incoming as {_reader(path, file_format, [])}")
        present = [
            r[0] for r in con.execute("select column_name from (describe incoming)").fetchall()
        ]
        text_columns = [c for c in text_columns if c in present]
        if file_format == "csv" and text_columns:
            con.execute(
                f"create or replace temp table incoming as {_reader(path, file_format, text_columns)}"
            )
    except duckdb.Error as exc:
        raise LoadError(f"{path}: cannot read it as {file_format}: {exc}") from exc

    present = [r[0] for r in con.execute("select column_name from (describe incoming)").fetchall()]
    missing = [c for c in REQUIRED[target] if mapping.source(c) not in present]
    if missing:
        column = missing[0]
        source = mapping.source(column)
        hint = closest(source, present)
        raise LoadError(
            f"{path}: no column '{source}' for {column}"
            + (f" (did you mean --map {column}={hint}?)" if hint else "")
            + f"; the file has: {', '.join(c for c in present if c != '__line')}"
        )
    mapped = {
        mapping.source(c)
        for c in (*REQUIRED[target], *OPTIONAL[target])
        if mapping.source(c) in present
    }
    extras = [c for c in present if c not in mapped and c != "__line"]
    try:
        con.execute("begin transaction")
        loader = {
            "events": _load_events,
            "profiles": _load_profiles,
            "identities": _load_identities,
        }
        report = loader[target](con, path, mapping, present, extras)
        con.execute(
            "insert into raw.load_log values (?, ?, ?, ?, ?, current_timestamp::timestamp)",
            [str(path), sha, target, report.rows_loaded, report.rows_rejected],
        )
        con.execute("commit")
    except Exception as exc:
        con.execute("rollback")
        if isinstance(exc, LoadError):
            raise
        raise LoadError(f"{path}: nothing was loaded: {exc}") from exc
    finally:
        con.execute("drop table if exists incoming")
    return report


def _add_columns(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> None:
    """Extra source columns become typed columns of the raw table (added when missing)."""
    existing = table_columns(con, table)
    types = dict(con.execute("select column_name, column_type from (describe incoming)").fetchall())
    for column in columns:
        if column not in existing:
            con.execute(f"alter table raw.{table} add column {quote(column)} {types[column]}")


def _insert(con: duckdb.DuckDBPyConnection, table: str, select: dict[str, str]) -> None:
    names = ", ".join(quote(c) for c in select)
    con.execute(
        f"insert into raw.{table} ({names}) select {', '.join(select.values())} from checked where reason is null"
    )


def _reject(con: duckdb.DuckDBPyConnection, table: str, path: Path) -> int:
    literal = "'" + str(path).replace("'", "''") + "'"
    con.execute(
        f"insert into raw.{table}_rejected select {literal}, __line, reason, "
        "to_json(original), current_timestamp::timestamp from checked where reason is not null"
    )
    return con.execute("select count(*) from checked where reason is not null").fetchone()[0]


def _load_events(con, path, mapping, present, extras) -> LoadReport:  # type: ignore[no-untyped-def]
    s = {c: quote(mapping.source(c)) for c in REQUIRED["events"]}
    ts = _timestamp_sql(s["event_ts"], mapping)
    props_source = mapping.source("properties")
    # Readers unify the keys of all rows, so a key missing in a row reads as null: merging into
    # an empty object drops null keys (missing and null are the same to the language).
    props = (
        f"json_merge_patch('{{}}'::json, cast({quote(props_source)} as json))"
        if props_source in present
        else "null::json"
    )
    if mapping.extra == "properties" and extras:
        packed = ", ".join(f"{quote(c)} := {quote(c)}" for c in extras)
        props = f"json_merge_patch(coalesce({props}, '{{}}'::json), to_json(struct_pack({packed})))"
    session_source = mapping.source("session_id")
    session = f"cast({quote(session_source)} as varchar)" if session_source in present else "null"
    con.execute(f"""
        create or replace temp table checked as
        with typed as (
            select
                __line,
                incoming as original,
                nullif(trim(cast({s["event_id"]} as varchar)), '') as event_id,
                nullif(trim(cast({s["profile_id"]} as varchar)), '') as profile_id,
                nullif(trim(cast({s["event_type"]} as varchar)), '') as event_type,
                nullif(trim(cast({s["event_ts"]} as varchar)), '') as event_ts_text,
                {ts} as event_ts,
                {props} as properties,
                {session} as session_id
                {"".join(f", {quote(c)}" for c in extras) if mapping.extra == "columns" else ""}
            from incoming
        ),
        ranked as (
            select *, min(__line) over (partition by event_id) as first_line
            from typed
        )
        select
            ranked.*,
            case
                when ranked.event_id is null then 'missing event_id'
                when ranked.profile_id is null then 'missing profile_id'
                when ranked.event_type is null then 'missing event_type'
                when ranked.event_ts_text is null then 'missing event_ts'
                when ranked.event_ts is null then 'unparsable event_ts ''' || ranked.event_ts_text || ''''
                when ranked.first_line < ranked.__line
                    then 'duplicate event_id (first at line ' || ranked.first_line || ')'
                when exists (select 1 from raw.events as loaded where loaded.event_id = ranked.event_id)
                    then 'duplicate event_id (already loaded)'
            end as reason
        from ranked
    """)
    if mapping.extra == "columns":
        _add_columns(con, "events", extras)
    select = {
        "event_id": "event_id",
        "profile_id": "profile_id",
        "event_type": "event_type",
        "event_ts": "event_ts",
        "properties": "properties",
        "session_id": "session_id",
        "loaded_at": "current_timestamp::timestamp",
    }
    if mapping.extra == "columns":
        select.update({c: quote(c) for c in extras})
    _insert(con, "events", select)
    rejected = _reject(con, "events", path)
    loaded = con.execute("select count(*) from checked where reason is null").fetchone()[0]
    return LoadReport(str(path), "events", loaded, rejected)


def _load_profiles(con, path, mapping, present, extras) -> LoadReport:  # type: ignore[no-untyped-def]
    profile = quote(mapping.source("profile_id"))
    updated_source = mapping.source("updated_at")
    updated = (
        _timestamp_sql(quote(updated_source), mapping)
        if updated_source in present
        else "current_timestamp::timestamp"
    )
    con.execute(f"""
        create or replace temp table checked as
        with typed as (
            select
                __line,
                incoming as original,
                nullif(trim(cast({profile} as varchar)), '') as profile_id,
                {updated} as updated_at
                {"".join(f", {quote(c)}" for c in extras)}
            from incoming
        ),
        ranked as (
            select *, min(__line) over (partition by profile_id) as first_line from typed
        )
        select
            ranked.*,
            case
                when profile_id is null then 'missing profile_id'
                when updated_at is null then 'unparsable updated_at'
                when first_line < __line then 'duplicate profile_id (first at line ' || first_line || ')'
            end as reason
        from ranked
    """)
    _add_columns(con, "profiles", extras)
    select = {
        "profile_id": "profile_id",
        "updated_at": "updated_at",
        **{c: quote(c) for c in extras},
    }
    _insert(con, "profiles", select)
    rejected = _reject(con, "profiles", path)
    loaded = con.execute("select count(*) from checked where reason is null").fetchone()[0]
    return LoadReport(str(path), "profiles", loaded, rejected)


def _load_identities(con, path, mapping, present, extras) -> LoadReport:  # type: ignore[no-untyped-def]
    """Links between two identities; the same link seen again is kept (links are observations),
    a link of an identity to itself is refused. Other columns are not kept."""
    con.execute(IDENTITIES_DDL)
    con.execute(REJECTED_DDL.format(table="identities"))
    s = {c: quote(mapping.source(c)) for c in REQUIRED["identities"]}
    observed_source = mapping.source("observed_at")
    observed, observed_text = "null", "null"
    if observed_source in present:
        observed = _timestamp_sql(quote(observed_source), mapping)
        observed_text = f"nullif(trim(cast({quote(observed_source)} as varchar)), '')"
    texts = ", ".join(f"nullif(trim(cast({s[c]} as varchar)), '') as {c}" for c in s)
    missing = " ".join(f"when {c} is null then 'missing {c}'" for c in s)
    con.execute(f"""
        create or replace temp table checked as
        with typed as (
            select __line, incoming as original, {texts},
                {observed_text} as observed_at_text, {observed} as observed_at
            from incoming
        )
        select
            typed.*,
            case
                {missing}
                when observed_at_text is not null and observed_at is null
                    then 'unparsable observed_at ''' || observed_at_text || ''''
                when identity = linked_identity and namespace = linked_namespace
                    then 'links an identity to itself'
            end as reason
        from typed
    """)
    _insert(con, "identities", {c: c for c in (*REQUIRED["identities"], "observed_at")})
    rejected = _reject(con, "identities", path)
    loaded = con.execute("select count(*) from checked where reason is null").fetchone()[0]
    return LoadReport(str(path), "identities", loaded, rejected)


def add_parser(verbs: argparse._SubParsersAction) -> None:
    load = verbs.add_parser(
        "load",
        help="load CSV / JSON-lines / Parquet files into raw.*",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    load.add_argument(
        "target", choices=["events", "profiles", "identities"], help="which raw table"
    )
    load.add_argument("files", nargs="+", type=Path, help="files to load (one transaction each)")
    load.add_argument(
        "--format", choices=["csv", "jsonl", "parquet"], help="default: from the suffix"
    )
    load.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="CONTRACT=SOURCE",
        help="contract column from a differently named source column",
    )
    load.add_argument("--mapping", type=Path, help="a YAML file with columns/timestamp_format/...")
    load.add_argument(
        "--timestamp-format", help="strptime format of the timestamps, e.g. %%d/%%m/%%Y %%H:%%M"
    )
    load.add_argument("--timezone", help="time zone of naive timestamps (converted to UTC)")
    load.add_argument(
        "--extra",
        choices=["properties", "columns"],
        help="other source columns go into properties JSON (default) or typed columns",
    )
    load.add_argument("--database", type=Path, help="DuckDB file (default: SEGMENTS_DUCKDB_PATH)")
    add_target_option(load)
    load.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    mapping = Mapping()
    if args.mapping:
        try:
            _, mapping = Mapping.from_yaml(args.mapping)
        except (LoadError, OSError, yaml.YAMLError) as exc:
            print(f"seg load: {exc}", file=sys.stderr)
            return 1
    for item in args.map:
        contract, sep, source = item.partition("=")
        if not sep or contract not in (*REQUIRED[args.target], *OPTIONAL[args.target]):
            allowed = ", ".join((*REQUIRED[args.target], *OPTIONAL[args.target]))
            print(
                f"seg load: --map takes CONTRACT=SOURCE with CONTRACT one of {allowed}; got '{item}'",
                file=sys.stderr,
            )
            return 2
        mapping.columns[contract] = source
    mapping.timestamp_format = args.timestamp_format or mapping.timestamp_format
    mapping.timezone = args.timezone or mapping.timezone
    mapping.extra = args.extra or mapping.extra
    mapping.file_format = args.format or mapping.file_format
    database = args.database or warehouse_path(args.project_dir)
    con = connect(database)
    status = 0
    try:
        for path in args.files:
            try:
                print(load_file(con, path, args.target, mapping))
            except LoadError as exc:
                print(f"seg load: {exc}", file=sys.stderr)
                status = 1
    finally:
        con.close()
    return status or copy_if_spark(args, database, "load")
