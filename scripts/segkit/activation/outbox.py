"""The sync's state in the warehouse: what each destination was sent and what is still owed.

Planning writes each evaluation's changes for a (destination, segment) into ``sync_outbox`` in
batches, with the batch's row in ``sync_batches`` and the stream's position in ``sync_state``, in
one transaction. Delivery reads a batch back from the outbox, so that every retry, in this run or
after a crash, sends the same rows under the same idempotency key; a batch is marked
acknowledged (its outbox rows deleted, ``sync_log`` written, the stream's acknowledged position
moved) only after the destination acknowledged it, again in one transaction. A kill -9 at any
point therefore loses nothing and re-sends only what was not acknowledged.

A stream starts with a snapshot (the members at the latest evaluation), and starts again with
one when the destination's definition changed, on ``--full``, or when the evaluation it stopped
at was re-run or rebuilt (its changes were replaced, so they cannot be continued from).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import duckdb

from ..store import quote
from .definitions import Destination

STATE_TABLES = {
    "sync_state": """(
        destination varchar, segment varchar, definition_hash varchar,
        planned_until timestamp, planned_evaluation_id varchar,
        acknowledged_until timestamp, updated_at timestamp,
        primary key (destination, segment))""",
    "sync_batches": """(
        idempotency_key varchar, batch_sequence bigint, destination varchar,
        segment varchar, evaluated_at timestamp, evaluation_id varchar, kind varchar, batch integer,
        batches integer, changes integer, status varchar, attempts integer, sent integer,
        skipped integer, planned_at timestamp, finished_at timestamp)""",
    "sync_outbox": """(
        batch_sequence bigint, position integer, profile_id varchar, action varchar,
        attributes json)""",
    "sync_log": """(
        idempotency_key varchar, destination varchar, segment varchar,
        evaluated_at timestamp, batch integer, status varchar, attempts integer,
        http_status integer, latency_ms double, sent integer, skipped integer,
        message varchar, logged_at timestamp)""",
    "sync_dead_letters": """(
        idempotency_key varchar, destination varchar, segment varchar,
        evaluated_at timestamp, batch integer, http_status integer, response varchar,
        payload varchar, failed_at timestamp)""",
}
# Batches still owed, in the order they are delivered (per segment, oldest evaluation first).
PENDING = "pending"


class SyncStateError(Exception):
    """The warehouse cannot be synced from (no evaluation yet, a build holding it …)."""


@dataclass(frozen=True)
class Batch:
    idempotency_key: str
    # the batch's number among all planned: the outbox is read and emptied by it, and it
    # grows with planning order, so those reads skip the rest of the outbox
    sequence: int
    destination: str
    segment: str
    evaluated_at: dt.datetime
    kind: str
    batch: int
    batches: int
    changes: int
    attempts: int


@dataclass(frozen=True)
class Change:
    profile_id: str
    action: str
    attributes: dict[str, Any]


def ensure_state_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists segmentation")
    for table, columns in STATE_TABLES.items():
        con.execute(f"create table if not exists segmentation.{table} {columns}")


def successful_evaluations(con: duckdb.DuckDBPyConnection) -> list[tuple[dt.datetime, str]]:
    """(as_of, evaluation_id) of every evaluation that succeeded, oldest first."""
    try:
        return con.execute(
            "select as_of, evaluation_id from segmentation.evaluation_log "
            "where status = 'success' order by as_of"
        ).fetchall()
    except duckdb.CatalogException:
        return []


def unit_key(
    destination: Destination, segment: str, kind: str, evaluation_id: str, planned_at: dt.datetime
) -> str:
    """The idempotency key's stem for one evaluation's changes (or one snapshot) of a stream.

    Changes are keyed by what they are (the same on every retry and re-plan); a snapshot also
    by when it was planned, so that a later snapshot is never taken for a repeat of this one.

    >>> from segkit.activation.definitions import Destination, Identifier
    >>> crm = Destination("crm", "webhook", "crm.yml", ("vip",), (Identifier("email", "email"),))
    >>> t = dt.datetime(2024, 3, 10)
    >>> unit_key(crm, "vip", "changes", "e1", t) == unit_key(crm, "vip", "changes", "e1", t + dt.timedelta(1))
    True
    >>> unit_key(crm, "vip", "snapshot", "e1", t) == unit_key(crm, "vip", "snapshot", "e1", t + dt.timedelta(1))
    False
    """
    parts = [destination.name, destination.definition_hash(segment), segment, kind, evaluation_id]
    if kind == "snapshot":
        parts.append(planned_at.isoformat())
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def plan(con: duckdb.DuckDBPyConnection, destination: Destination, full: bool = False) -> int:
    """Plans every change owed to the destination into batches, in one transaction; returns
    how many changes it planned."""
    evaluations = successful_evaluations(con)
    if not evaluations:
        raise SyncStateError("no successful evaluation yet: run dbt build first")
    ids = dict(evaluations)
    latest_as_of, latest_id = evaluations[-1]
    planned_at = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    planned = 0
    con.execute("begin transaction")
    try:
        _forget_unlisted(con, destination, planned_at)
        for segment in destination.segments:
            state = con.execute(
                "select definition_hash, planned_until, planned_evaluation_id "
                "from segmentation.sync_state where destination = ? and segment = ?",
                [destination.name, segment],
            ).fetchone()
            reason = _snapshot_reason(state, destination.definition_hash(segment), full, ids)
            if reason is not None:
                _supersede(con, destination.name, planned_at, "segment = ?", [segment])
                units = [("snapshot", latest_as_of, latest_id)]
            else:
                units = [("changes", *e) for e in evaluations if e[0] > state[1]]
            if not units:
                continue
            planned += sum(
                _plan_unit(con, destination, segment, kind, as_of, evaluation_id, planned_at)
                for kind, as_of, evaluation_id in units
            )
            _save_state(
                con,
                destination,
                segment,
                latest_as_of,
                latest_id,
                planned_at,
                reset=reason is not None,
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return planned


def _forget_unlisted(
    con: duckdb.DuckDBPyConnection, destination: Destination, now: dt.datetime
) -> None:
    """A segment taken off the destination stops streaming; listed again, it starts with a
    snapshot."""
    listed = list(destination.segments)
    _supersede(con, destination.name, now, "segment <> all(?)", [listed])
    con.execute(
        "delete from segmentation.sync_state where destination = ? and segment <> all(?)",
        [destination.name, listed],
    )


def _supersede(
    con: duckdb.DuckDBPyConnection,
    destination: str,
    now: dt.datetime,
    which: str,
    values: list[Any],
) -> None:
    """Pending batches of the chosen segments will never be sent (a snapshot replaces them)."""
    where = f"destination = ? and status = ? and {which}"
    con.execute(
        "delete from segmentation.sync_outbox where batch_sequence in (select batch_sequence "
        f"from segmentation.sync_batches where {where})",
        [destination, PENDING, *values],
    )
    con.execute(
        f"update segmentation.sync_batches set status = 'superseded', finished_at = ? where {where}",
        [now, destination, PENDING, *values],
    )


def _snapshot_reason(
    state: tuple[Any, ...] | None, definition_hash: str, full: bool, ids: dict[dt.datetime, str]
) -> str | None:
    if state is None:
        return "first sync of this segment"
    if full:
        return "--full"
    if state[0] != definition_hash:
        return "the destination's definition changed"
    if ids.get(state[1]) != state[2]:
        return f"the evaluation at {state[1]} was re-run or rebuilt since it was planned"
    return None


def _plan_unit(
    con: duckdb.DuckDBPyConnection,
    destination: Destination,
    segment: str,
    kind: str,
    as_of: dt.datetime,
    evaluation_id: str,
    planned_at: dt.datetime,
) -> int:
    """Writes one evaluation's changes (or the members, for a snapshot) as numbered batches."""
    stem = unit_key(destination, segment, kind, evaluation_id, planned_at)
    size = destination.batch_size if _splits_into_batches(destination, kind) else 2**31 - 1
    rows = MEMBERS_AT if kind == "snapshot" else CHANGES_AT
    (base,) = con.execute(
        "select coalesce(max(batch_sequence), 0) from segmentation.sync_batches"
    ).fetchone()
    con.execute(
        f"""
        insert into segmentation.sync_outbox
        with changes as ({rows}),
        numbered as (
            select *, row_number() over (order by profile_id) as position from changes
        )
        select
            $base + (position - 1) // $size + 1 as batch_sequence,
            position::integer as position,
            numbered.profile_id,
            numbered.action,
            {_attributes_json(destination)} as attributes
        from numbered
        {PROFILES_JOIN}
        order by position
        """,
        {"segment": segment, "as_of": as_of, "base": base, "size": size},
    )
    (changes,) = con.execute(
        "select count(*) from segmentation.sync_outbox where batch_sequence > ?", [base]
    ).fetchone()
    if changes == 0 and kind == "changes" and destination.type != "file":
        return 0  # nothing to tell a webhook or a table; a file folder gets its empty file
    batches = max(1, -(-changes // size))
    con.execute(
        """
        insert into segmentation.sync_batches
        select
            $stem || '-' || batch, $base + batch, $destination, $segment, $as_of,
            $evaluation_id, $kind,
            batch, $batches, least($size, $changes - (batch - 1) * $size), $pending, 0, 0, 0,
            $planned_at, null
        from range(1, $batches + 1) as batches(batch)
        """,
        {
            "stem": stem,
            "base": base,
            "destination": destination.name,
            "segment": segment,
            "as_of": as_of,
            "evaluation_id": evaluation_id,
            "kind": kind,
            "batches": batches,
            "size": size,
            "changes": changes,
            "pending": PENDING,
            "planned_at": planned_at,
        },
    )
    return changes


MEMBERS_AT = (
    "select profile_id, 'entered' as action from segmentation.segment_membership_spans "
    "where segment = $segment and entered_at <= $as_of "
    "and (exited_at is null or exited_at > $as_of)"
)
CHANGES_AT = (
    "select profile_id, change as action from segmentation.segment_membership_history "
    "where segment = $segment and evaluated_at = $as_of"
)
# Attributes as they are now: a profile deleted since has none (its exit is still delivered).
PROFILES_JOIN = (
    "left join intermediate.int_profiles__deduplicated as profiles "
    "on profiles.profile_id = numbered.profile_id"
)


def _attributes_json(destination: Destination) -> str:
    fields = ", ".join(f"{_sql_text(a)}: profiles.{quote(a)}" for a in destination.attributes)
    return f"to_json({{{fields}}})"


def members_at(
    con: duckdb.DuckDBPyConnection, destination: Destination, batch: Batch
) -> Iterator[Change]:
    """The segment's members at the batch's evaluation, with their attributes, by profile_id."""
    rows = con.execute(
        f"""
        with numbered as ({MEMBERS_AT})
        select numbered.profile_id, numbered.action, {_attributes_json(destination)}
        from numbered
        {PROFILES_JOIN}
        order by numbered.profile_id
        """,
        {"segment": batch.segment, "as_of": batch.evaluated_at},
    ).fetchall()
    return _changes(rows)


def _changes(rows: list[tuple[Any, ...]]) -> Iterator[Change]:
    for profile_id, action, attributes in rows:
        yield Change(profile_id, action, json.loads(attributes) if attributes else {})


def _splits_into_batches(destination: Destination, kind: str) -> bool:
    """A file is one evaluation's changes; a PostgreSQL snapshot replaces the table in one
    transaction; everything else goes in batches of ``batch_size``."""
    return destination.type == "webhook" or (destination.type == "postgres" and kind == "changes")


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _save_state(
    con: duckdb.DuckDBPyConnection,
    destination: Destination,
    segment: str,
    as_of: dt.datetime,
    evaluation_id: str,
    now: dt.datetime,
    reset: bool,
) -> None:
    con.execute(
        """
        insert into segmentation.sync_state as state
        values ($destination, $segment, $hash, $as_of, $evaluation_id, null, $now)
        on conflict (destination, segment) do update set
            definition_hash = excluded.definition_hash,
            planned_until = excluded.planned_until,
            planned_evaluation_id = excluded.planned_evaluation_id,
            acknowledged_until = case when $reset then null else state.acknowledged_until end,
            updated_at = excluded.updated_at
        """,
        {
            "destination": destination.name,
            "segment": segment,
            "hash": destination.definition_hash(segment),
            "as_of": as_of,
            "evaluation_id": evaluation_id,
            "now": now,
            "reset": reset,
        },
    )


def pending_batches(con: duckdb.DuckDBPyConnection, destination: str) -> list[Batch]:
    rows = con.execute(
        "select idempotency_key, batch_sequence, destination, segment, evaluated_at, kind, batch, "
        "batches, changes, attempts from segmentation.sync_batches where destination = ? and status = ? "
        "order by segment, evaluated_at, batch",
        [destination, PENDING],
    ).fetchall()
    return [Batch(*row) for row in rows]


def batch_changes(con: duckdb.DuckDBPyConnection, batch: Batch) -> Iterator[Change]:
    rows = con.execute(
        "select profile_id, action, attributes from segmentation.sync_outbox "
        "where batch_sequence = ? order by position",
        [batch.sequence],
    ).fetchall()
    return _changes(rows)


@dataclass(frozen=True)
class Outcome:
    """How a delivery ended: ``acknowledged``, ``dead_letter`` (refused for good) or
    ``failed`` (still owed: retried on the next sync)."""

    status: str
    attempts: int
    sent: int = 0
    skipped: int = 0
    http_status: int | None = None
    latency_ms: float = 0.0
    message: str = ""
    response: str = ""
    payload: str = ""


def finish_batch(con: duckdb.DuckDBPyConnection, batch: Batch, outcome: Outcome) -> None:
    """Records a delivery, in one transaction; an acknowledged or dead-lettered batch is done."""
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    done = outcome.status != "failed"
    con.execute("begin transaction")
    try:
        con.execute(
            "update segmentation.sync_batches set status = ?, attempts = attempts + ?, sent = ?, "
            "skipped = ?, finished_at = ? where idempotency_key = ?",
            [
                outcome.status if done else PENDING,
                outcome.attempts,
                outcome.sent,
                outcome.skipped,
                now if done else None,
                batch.idempotency_key,
            ],
        )
        con.execute(
            "insert into segmentation.sync_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch.idempotency_key,
                batch.destination,
                batch.segment,
                batch.evaluated_at,
                batch.batch,
                outcome.status,
                outcome.attempts,
                outcome.http_status,
                outcome.latency_ms,
                outcome.sent,
                outcome.skipped,
                outcome.message,
                now,
            ],
        )
        if outcome.status == "dead_letter":
            con.execute(
                "insert into segmentation.sync_dead_letters values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    batch.idempotency_key,
                    batch.destination,
                    batch.segment,
                    batch.evaluated_at,
                    batch.batch,
                    outcome.http_status,
                    outcome.response,
                    outcome.payload,
                    now,
                ],
            )
        if done:
            con.execute(
                "delete from segmentation.sync_outbox where batch_sequence = ?", [batch.sequence]
            )
            if batch.batch == batch.batches:
                con.execute(
                    "update segmentation.sync_state set acknowledged_until = ?, updated_at = ? "
                    "where destination = ? and segment = ?",
                    [batch.evaluated_at, now, batch.destination, batch.segment],
                )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
