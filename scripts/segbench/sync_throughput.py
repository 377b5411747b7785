"""Activation throughput: ``seg sync`` of 1M changes to a local webhook and a local PostgreSQL.

    .venv/bin/python scripts/segbench/sync_throughput.py --changes 1000000

A scratch warehouse holds what two evaluations leave behind: ``--changes`` members at the first
(the first sync sends them as a snapshot), then as many changes at the second (half exits, half
entries: the second sync sends them as changes). Each is synced to a webhook receiver in its own
process on loopback (it verifies every signature and parses every body, as tests/receiver.py
does) and to a throw-away PostgreSQL server (tests/postgres_server.py). The baseline, in the same
run, is the transport alone: the same number of changes POSTed in batches of the same size by a
bare loop, and COPYed into a table in one statement. PostgreSQL runs with fsync off (a test
server), batches of 500 and of 5,000 (its default). Writes
``scripts/segbench/results/sync_throughput.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import hmac
import http.client
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

import duckdb  # noqa: E402
import psycopg  # noqa: E402

from postgres_server import postgres_server  # noqa: E402
from segkit.activation.definitions import Destination, Identifier  # noqa: E402
from segkit.activation.sync import sync  # noqa: E402

RESULTS = ROOT / "scripts" / "segbench" / "results"
T1, T2 = dt.datetime(2024, 3, 10), dt.datetime(2024, 3, 11)
SECRET = "bench-secret"
RECEIVER = (
    "import sys, time; sys.path.insert(0, {tests!r}); from receiver import Receiver; "
    "r = Receiver({secret!r}, lifetime=3600); print(r.url, flush=True); time.sleep(3600)"
)


def scratch_warehouse(path: Path, changes: int) -> None:
    """The tables a sync reads, as two evaluations leave them."""
    half = changes // 2
    con = duckdb.connect(str(path))
    con.execute("create schema segmentation; create schema intermediate")
    con.execute(
        "create table segmentation.evaluation_log as select * from (values "
        "('e1', ?::timestamp, 'success'), ('e2', ?::timestamp, 'success')) "
        "as t(evaluation_id, as_of, status)",
        [T1, T2],
    )
    # members 0..changes-1 enter at T1; the first half exit at T2; as many new ones enter
    con.execute(
        f"""
        create table segmentation.segment_membership_spans as
        select 'audience' as segment, 'p' || lpad(i::varchar, 8, '0') as profile_id,
               ?::timestamp as entered_at,
               case when i < {half} then ?::timestamp end as exited_at
        from range({changes}) as t(i)
        union all
        select 'audience', 'p' || lpad(i::varchar, 8, '0'), ?::timestamp, null
        from range({changes}, {changes + changes - half}) as t(i)
        """,
        [T1, T2, T2],
    )
    con.execute(
        """
        create table segmentation.segment_membership_history as
        select profile_id, segment, 'entered' as change, null as split, entered_at as evaluated_at
        from segmentation.segment_membership_spans
        union all
        select profile_id, segment, 'exited', null, exited_at
        from segmentation.segment_membership_spans where exited_at is not null
        """
    )
    con.execute(
        f"""
        create table intermediate.int_profiles__deduplicated as
        select 'p' || lpad(i::varchar, 8, '0') as profile_id,
               'Customer' || i || '@Example.com' as email,
               (['ES', 'FR', 'DE', 'IT'])[1 + i % 4] as country,
               (['bronze', 'silver', 'gold'])[1 + i % 3] as loyalty_tier
        from range({changes * 2}) as t(i)
        """
    )
    con.close()


def destination(kind: str, settings: dict, batch_size: int = 500) -> Destination:
    return Destination(
        name=f"bench_{kind}",
        type=kind,
        file=f"bench_{kind}.yml",
        segments=("audience",),
        identifiers=(Identifier("email", "email", "email", "sha256"),),
        traits=("country", "loyalty_tier"),
        batch_size=batch_size,
        settings=settings,
    )


def timed_syncs(database: Path, target: Destination, changes: int) -> dict[str, float]:
    """Seconds of the snapshot sync (after the first evaluation) and the changes sync."""
    figures = {}
    columns = {"email": "string", "country": "string", "loyalty_tier": "string"}
    for label, keep_until in (("snapshot", T1), ("changes", T2)):
        con = duckdb.connect(str(database))
        # the first sync sees only the first evaluation
        con.execute(
            "update segmentation.evaluation_log set status = case when as_of <= ? then 'success' else 'running' end",
            [keep_until],
        )
        started = time.monotonic()
        (summary,) = sync(con, [target], ROOT, columns)
        figures[f"{label}_seconds"] = round(time.monotonic() - started, 2)
        con.close()
        if not summary.ok or summary.planned != changes:
            raise SystemExit(f"{target.name} {label}: {summary}")
    return figures


def bare_posts(url: str, changes: int, batch: int) -> float:
    """The baseline: the same number of changes POSTed in batches by a bare loop."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port)
    record = {
        "profile_id": "p00000000",
        "action": "entered",
        "identifiers": {"email": "0" * 64},
        "traits": {"country": "ES", "loyalty_tier": "gold"},
    }
    started = time.monotonic()
    for number in range(-(-changes // batch)):
        body = json.dumps(
            {"segment": "audience", "batch": number, "changes": [record] * batch}
        ).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        connection.request(
            "POST",
            parts.path,
            body=body,
            headers={
                "Idempotency-Key": f"bare-{number}",
                "X-Segments-Signature": signature,
                "Content-Type": "application/json",
            },
        )
        connection.getresponse().read()
    return round(time.monotonic() - started, 2)


def bare_copy(dsn: str, changes: int) -> float:
    with psycopg.connect(dsn) as con:
        con.execute(
            "create table bare (segment text, profile_id text, email text, country text, loyalty_tier text)"
        )
        started = time.monotonic()
        with con.cursor().copy("copy bare from stdin") as copy:
            for i in range(changes):
                copy.write_row(("audience", f"p{i:08d}", "0" * 64, "ES", "gold"))
        con.commit()
        return round(time.monotonic() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--changes", type=int, default=1_000_000)
    args = parser.parse_args()
    changes = args.changes
    rows = []
    with tempfile.TemporaryDirectory(prefix="sync-bench-") as scratch:
        receiver = subprocess.Popen(
            [sys.executable, "-c", RECEIVER.format(tests=str(ROOT / "tests"), secret=SECRET)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            url = receiver.stdout.readline().strip()
            os.environ["BENCH_WEBHOOK_SECRET"] = SECRET
            webhook = destination(
                "webhook",
                {
                    "url": url,
                    "secret_env": "BENCH_WEBHOOK_SECRET",
                    "timeout": 30,
                    "max_attempts": 3,
                },
            )
            database = Path(scratch) / "webhook.duckdb"
            scratch_warehouse(database, changes)
            figures = timed_syncs(database, webhook, changes)
            baseline = bare_posts(url, changes, 500)
            rows.append(
                {"destination": "webhook (batches of 500)", **figures, "baseline_seconds": baseline}
            )
        finally:
            receiver.kill()
        with postgres_server() as dsn:
            os.environ["BENCH_POSTGRES_URL"] = dsn
            baseline = bare_copy(dsn, changes)
            for batch_size in (500, 5000):
                table = destination(
                    "postgres",
                    {"connection_env": "BENCH_POSTGRES_URL", "table": f"members_{batch_size}"},
                    batch_size,
                )
                database = Path(scratch) / f"postgres_{batch_size}.duckdb"
                scratch_warehouse(database, changes)
                figures = timed_syncs(database, table, changes)
                rows.append(
                    {
                        "destination": f"postgres (batches of {batch_size})",
                        **figures,
                        "baseline_seconds": baseline,
                    }
                )
    for row in rows:
        for label in ("snapshot", "changes"):
            row[f"{label}_changes_per_second"] = round(changes / row[f"{label}_seconds"])
        row["changes_vs_baseline"] = round(row["changes_seconds"] / row["baseline_seconds"], 2)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    result = {"changes": changes, "commit": commit, "cores": os.cpu_count(), "rows": rows}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sync_throughput.json").write_text(json.dumps(result, indent=2))
    lines = [
        f"# Sync throughput, {changes:,} changes (commit {commit}, {os.cpu_count()} cores)",
        "",
        "Command: `.venv/bin/python scripts/segbench/sync_throughput.py --changes "
        + str(changes)
        + "`",
        "",
        "| destination | snapshot s | snapshot changes/s | changes s | changes/s | transport alone s | changes / transport alone |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['destination']} | {r['snapshot_seconds']} | {r['snapshot_changes_per_second']:,} | "
            f"{r['changes_seconds']} | {r['changes_changes_per_second']:,} | {r['baseline_seconds']} | {r['changes_vs_baseline']} |"
        )
    (RESULTS / "sync_throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
