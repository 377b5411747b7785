"""``seg sync``: deliver every evaluation's entries and exits to each destination, in order.

For each destination (``destinations/*.yml``) and segment it lists, the changes of every
successful evaluation since the last one planned are written to the warehouse's outbox as
batches, then delivered oldest first. A segment's stream stops at a batch the destination
could not take (retried on the next sync, so order is kept); a batch it refused for good goes
to ``segmentation.sync_dead_letters`` and the stream goes on. Run it after ``dbt build``.

Exit codes: 0 everything delivered, 1 something owed or refused (see the summary), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import duckdb

from ..language.errors import DefinitionError, Diagnostic
from ..language.resolve import Project, load_project
from ..warehouse import read_schema, warehouse_path
from . import outbox
from .definitions import Destination, load_destinations
from .files import FileWriter
from .outbox import Batch, Outcome, SyncStateError
from .payloads import prepare

DESTINATIONS_DIR = "destinations"


class Sender(Protocol):
    def deliver(self, batch: Batch, records: list[dict[str, Any]], skipped: int) -> Outcome: ...

    def close(self) -> None: ...


@dataclass
class Summary:
    """What one sync did for one destination."""

    destination: str
    planned: int = 0
    batches: int = 0
    sent: int = 0
    skipped: int = 0
    retried: int = 0
    failed: int = 0
    dead_letters: int = 0
    problem: str = ""

    @property
    def ok(self) -> bool:
        return not (self.failed or self.dead_letters or self.problem)


def load(project_root: Path) -> tuple[list[Destination], dict[str, str]]:
    """The project's destinations, validated against its segments and raw.profiles."""
    project = load_project(project_root, None, read_schema(warehouse_path(project_root)))
    return _destinations(project_root, project), _profile_columns(project) or {}


def destination_diagnostics(project_root: Path, project: Project) -> list[Diagnostic]:
    """What ``seg validate`` adds for the destinations of an already loaded project."""
    try:
        _destinations(project_root, project)
    except DefinitionError as exc:
        return exc.diagnostics
    return []


def _destinations(project_root: Path, project: Project) -> list[Destination]:
    return load_destinations(
        project_root / DESTINATIONS_DIR,
        set(project.segments),
        _profile_columns(project),
        project_root,
    )


def _profile_columns(project: Project) -> dict[str, str] | None:
    return project.schema.profile_columns if project.schema is not None else None


def sync(
    con: duckdb.DuckDBPyConnection,
    destinations: list[Destination],
    project_root: Path,
    profile_columns: dict[str, str],
    full: bool = False,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[Summary]:
    outbox.ensure_state_tables(con)
    summaries = []
    for destination in destinations:
        summary = Summary(destination.name)
        summaries.append(summary)
        try:
            summary.planned = outbox.plan(con, destination, full)
        except SyncStateError as exc:
            summary.problem = str(exc)
            continue
        except duckdb.Error as exc:
            # e.g. a warehouse built before the lifecycle tables existed: nothing was planned
            first_line = str(exc).splitlines()[0]
            summary.problem = f"cannot read what to send ({first_line}): run dbt build first"
            continue
        try:
            sender = _sender(con, destination, project_root, profile_columns)
        except ValueError as exc:
            summary.problem = str(exc)
            continue
        try:
            _deliver(con, destination, sender, summary, progress)
        finally:
            sender.close()
    return summaries


def _deliver(
    con: duckdb.DuckDBPyConnection,
    destination: Destination,
    sender: Sender,
    summary: Summary,
    progress: Callable[[str, int, int], None] | None,
) -> None:
    pending = outbox.pending_batches(con, destination.name)
    stopped: set[str] = set()
    for index, batch in enumerate(pending, 1):
        if batch.segment in stopped:
            continue
        prepared = prepare(destination, outbox.batch_changes(con, batch))
        started = time.monotonic()
        outcome = sender.deliver(batch, prepared.records, prepared.skipped)
        outcome = replace(outcome, latency_ms=(time.monotonic() - started) * 1000)
        if outcome.status == "dead_letter" and not outcome.payload:
            outcome = _with_payload(outcome, prepared.records)
        outbox.finish_batch(con, batch, outcome)
        summary.batches += 1
        summary.sent += outcome.sent
        summary.skipped += outcome.skipped
        summary.retried += outcome.attempts - 1
        if outcome.status == "failed":
            summary.failed += 1
            summary.problem = summary.problem or outcome.message
            stopped.add(batch.segment)  # later batches wait: a stream is delivered in order
        elif outcome.status == "dead_letter":
            summary.dead_letters += 1
        if progress is not None:
            progress(destination.name, index, len(pending))


def _with_payload(outcome: Outcome, records: list[dict[str, Any]]) -> Outcome:
    return replace(outcome, payload=json.dumps(records, separators=(",", ":"), default=str))


def _sender(
    con: duckdb.DuckDBPyConnection,
    destination: Destination,
    project_root: Path,
    profile_columns: dict[str, str],
) -> Sender:
    if destination.type == "webhook":
        from .webhook import WebhookSender

        return WebhookSender(destination)
    if destination.type == "postgres":
        from .postgres import PostgresWriter

        return PostgresWriter(destination, profile_columns)

    def members(batch: Batch) -> list[dict[str, Any]]:
        return prepare(destination, outbox.members_at(con, destination, batch)).records

    return FileWriter(destination, project_root, members)


# ------------------------------------------------------------------ the command


def _progress_bar() -> Callable[[str, int, int], None] | None:
    if not sys.stderr.isatty():
        return None
    last = [0.0]

    def show(name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if done != total and now - last[0] < 0.2:
            return
        last[0] = now
        width = 30
        filled = width * done // max(total, 1)
        end = "\n" if done == total else ""
        print(
            f"\r{name:<24} [{'#' * filled}{'.' * (width - filled)}] {done}/{total} batches",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show


def format_summary(summaries: list[Summary]) -> str:
    """The table printed at the end of a sync.

    >>> print(format_summary([Summary("crm", planned=3, batches=1, sent=2, skipped=1)]))
    destination  changes  batches     sent  skipped  retried   failed  dead letters
    crm                3        1        2        1        0        0             0
    """
    header = (
        "destination",
        "changes",
        "batches",
        "sent",
        "skipped",
        "retried",
        "failed",
        "dead letters",
    )
    rows = [
        (
            s.destination,
            s.planned,
            s.batches,
            s.sent,
            s.skipped,
            s.retried,
            s.failed,
            s.dead_letters,
        )
        for s in summaries
    ]
    first = max([len(header[0]), *(len(r[0]) for r in rows)])
    widths = [max(len(h), 7) for h in header[1:]]

    def line(cells: tuple) -> str:
        rest = "  ".join(f"{c:>{w}}" for c, w in zip(cells[1:], widths, strict=True))
        return f"{cells[0]:<{first}}  {rest}"

    lines = [line(header), *(line(r) for r in rows)]
    return "\n".join(line.rstrip() for line in lines)


def _run(args: argparse.Namespace) -> int:
    root = args.project_dir
    try:
        destinations, columns = load(root)
    except DefinitionError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic, file=sys.stderr)
        print("nothing synced: fix the destinations above first", file=sys.stderr)
        return 1
    if args.destination:
        chosen = [d for d in destinations if d.name == args.destination]
        if not chosen:
            names = ", ".join(d.name for d in destinations) or f"none in {DESTINATIONS_DIR}/"
            print(
                f"seg sync: no destination '{args.destination}' (destinations: {names})",
                file=sys.stderr,
            )
            return 2
        destinations = chosen
    if not destinations:
        print(f"seg sync: no destinations: add one under {DESTINATIONS_DIR}/ (docs/activation.md)")
        return 0
    database = warehouse_path(root)
    if not database.exists():
        print(f"seg sync: no warehouse at {database}: run dbt build first", file=sys.stderr)
        return 1
    try:
        con = duckdb.connect(str(database))
    except duckdb.Error as exc:
        print(
            f"seg sync: cannot open {database} (is a build still running?): {exc}", file=sys.stderr
        )
        return 1
    started = time.monotonic()
    try:
        summaries = sync(con, destinations, root, columns, args.full, _progress_bar())
    finally:
        con.close()
    print(format_summary(summaries))
    for summary in summaries:
        if summary.problem:
            print(f"{summary.destination}: {summary.problem}", file=sys.stderr)
        if summary.dead_letters:
            print(
                f"{summary.destination}: {summary.dead_letters} batches refused: see "
                "segmentation.sync_dead_letters",
                file=sys.stderr,
            )
    print(f"synced {len(summaries)} destinations in {time.monotonic() - started:.1f}s")
    return 0 if all(s.ok for s in summaries) else 1


def add_parser(verbs: argparse._SubParsersAction) -> None:
    verb = verbs.add_parser(
        "sync",
        help="deliver each evaluation's entries and exits to the destinations",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verb.add_argument("--destination", metavar="NAME", help="only this destination")
    verb.add_argument(
        "--full",
        action="store_true",
        help="send the current members as a snapshot instead of the changes",
    )
    verb.set_defaults(func=_run)
