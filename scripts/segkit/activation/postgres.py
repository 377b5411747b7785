"""PostgreSQL delivery: a members table per destination, changed in one transaction per batch.

The table (``table:``, default ``segment_members``) has one row per (segment, profile_id) with a
column per identifier and trait and the evaluation that last changed the row. A batch deletes
its exits and upserts its entries; a snapshot replaces its segment's rows. The batch's
idempotency key is recorded in ``<table>_applied_batches`` in the same transaction, so a batch
re-sent after a crash is recognised and not applied twice. Segments no longer listed by the
destination are removed from the table.
"""

from __future__ import annotations

import os
from typing import Any

from .definitions import Destination
from .outbox import Batch, Outcome

SQL_TYPES = {
    "number": "numeric",
    "boolean": "boolean",
    "timestamp": "timestamp",
    "date": "date",
}


class PostgresWriter:
    def __init__(self, destination: Destination, profile_columns: dict[str, str]):
        import psycopg  # only destinations of this type need the driver

        name = destination.settings["connection_env"]
        dsn = os.environ.get(name)
        if not dsn:
            raise ValueError(
                f"{destination.file}: connection_env: the environment variable {name} is not "
                "set (the PostgreSQL connection string, e.g. postgresql://user@127.0.0.1/crm)"
            )
        self.destination = destination
        self.dsn = dsn
        self.table = destination.settings["table"]
        self.applied = f"{self.table}_applied_batches"
        self.columns = [(i.name, "text") for i in destination.identifiers] + [
            (t, SQL_TYPES.get(profile_columns.get(t, ""), "text")) for t in destination.traits
        ]
        try:
            self.connection = psycopg.connect(dsn, connect_timeout=10)
        except psycopg.Error as exc:
            raise ValueError(
                f"{destination.file}: cannot connect to PostgreSQL ({name}): {exc}"
            ) from exc
        self._prepare_tables()

    def _prepare_tables(self) -> None:
        expected = ["segment", "profile_id", *(c for c, _ in self.columns), "evaluated_at"]
        schema, _, table = self.table.rpartition(".")
        with self.connection.transaction(), self.connection.cursor() as cur:
            cur.execute(
                "select column_name from information_schema.columns where table_name = %s "
                "and table_schema = coalesce(nullif(%s, ''), current_schema()) "
                "order by ordinal_position",
                [table, schema],
            )
            found = [row[0] for row in cur.fetchall()]
            if found and found != expected:
                # the identifiers or traits changed: every segment gets a snapshot
                cur.execute(f"drop table {self.table}")
                cur.execute(f"drop table if exists {self.applied}")
            columns = "".join(f", {_ident(c)} {t}" for c, t in self.columns)
            cur.execute(
                f"create table if not exists {self.table} (segment text not null, "
                f"profile_id text not null{columns}, evaluated_at timestamp not null, "
                "primary key (segment, profile_id))"
            )
            cur.execute(
                f"create table if not exists {self.applied} (idempotency_key text primary key, "
                "segment text not null, evaluated_at timestamp not null, "
                "applied_at timestamptz not null default now())"
            )
            cur.execute(
                f"delete from {self.table} where segment <> all(%s)",
                [list(self.destination.segments)],
            )

    def deliver(self, batch: Batch, records: list[dict[str, Any]], skipped: int) -> Outcome:
        import psycopg

        try:
            return self._apply(batch, records, skipped)
        except psycopg.DataError as exc:
            # a value the table's column refuses: retrying cannot help
            return Outcome(
                "dead_letter", 1, 0, skipped, message=f"refused: {exc}", response=str(exc)
            )
        except psycopg.Error as exc:
            if self.connection.closed:
                self.connection = psycopg.connect(self.dsn, connect_timeout=10)
            return Outcome("failed", 1, 0, skipped, message=f"{type(exc).__name__}: {exc}")

    def _apply(self, batch: Batch, records: list[dict[str, Any]], skipped: int) -> Outcome:
        names = [c for c, _ in self.columns]
        incoming = ", ".join(f"{_ident(c)} text" for c in names)
        casts = ", ".join(f"{_ident(c)}::{t}" for c, t in self.columns)
        updates = ", ".join(f"{_ident(c)} = excluded.{_ident(c)}" for c in [*names, "evaluated_at"])
        with self.connection.transaction(), self.connection.cursor() as cur:
            cur.execute(
                f"select 1 from {self.applied} where idempotency_key = %s", [batch.idempotency_key]
            )
            if cur.fetchone() is not None:
                return Outcome("acknowledged", 1, len(records), skipped, message="already applied")
            cur.execute(
                f"create temporary table incoming (profile_id text, action text"
                f"{', ' + incoming if incoming else ''}) on commit drop"
            )
            with cur.copy(
                f"copy incoming (profile_id, action{''.join(', ' + _ident(c) for c in names)}) from stdin"
            ) as copy:
                for record in records:
                    values = {**record["identifiers"], **record["traits"]}
                    copy.write_row(
                        [
                            record["profile_id"],
                            record["action"],
                            *(_text(values.get(c)) for c in names),
                        ]
                    )
            if batch.kind == "snapshot":
                cur.execute(f"delete from {self.table} where segment = %s", [batch.segment])
            else:
                cur.execute(
                    f"delete from {self.table} as members using incoming where members.segment = %s "
                    "and members.profile_id = incoming.profile_id and incoming.action = 'exited'",
                    [batch.segment],
                )
            cur.execute(
                f"insert into {self.table} select %s, profile_id{', ' + casts if casts else ''}, %s "
                "from incoming where action = 'entered' "
                f"on conflict (segment, profile_id) do update set {updates}",
                [batch.segment, batch.evaluated_at],
            )
            cur.execute(
                f"insert into {self.applied} (idempotency_key, segment, evaluated_at) values (%s, %s, %s)",
                [batch.idempotency_key, batch.segment, batch.evaluated_at],
            )
        return Outcome("acknowledged", 1, len(records), skipped)

    def close(self) -> None:
        self.connection.close()


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
