"""A BI client for the serving-file test: SQLAlchemy + duckdb-engine, as Superset connects.

Runs until the stop file appears, querying the serving file the way a dashboard does, in one of
two modes: ``held`` keeps one connection open the whole time (a dashboard left open); ``fresh``
opens a new connection per round (a tool without idle pooled connections). DuckDB shares one
database instance between the connections of a process to the same file, so a process sees a
new publish once it has no connection left open. Every read is checked for internal consistency;
the outcome goes to a JSON file.

Usage: python bi_reader.py held|fresh SERVING_FILE STOP_FILE RESULT_FILE
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import sqlalchemy as sa

QUERIES = {
    "size_over_time": "select segment, evaluated_at, size from segmentation.segment_summary order by 1, 2",
    "entered_this_week": (
        "select segment, count(*) from segmentation.segment_membership_history "
        "where change = 'entered' and evaluated_at >= (select max(evaluated_at) - interval 7 day "
        "from segmentation.segment_summary) group by segment"
    ),
    "overlap": (
        "select count(*) from segments.iberian as a join segments.big_spenders as b using (profile_id)"
    ),
}


def check_snapshot(connection: sa.Connection) -> tuple[str, list[str]]:
    """Run the dashboard queries; return the evaluation seen and any inconsistency."""
    problems = []
    for sql in QUERIES.values():
        connection.execute(sa.text(sql)).fetchall()
    latest = connection.execute(
        sa.text("select max(evaluated_at) from segmentation.segment_summary")
    ).scalar()
    catalog = connection.execute(
        sa.text("select segment, size, evaluated_at from segmentation.segment_catalog")
    ).fetchall()
    for segment, size, evaluated_at in catalog:
        rows = connection.execute(sa.text(f'select count(*) from segments."{segment}"')).scalar()
        summary = connection.execute(
            sa.text(
                "select size from segmentation.segment_summary where segment = :s and evaluated_at = :t"
            ),
            {"s": segment, "t": latest},
        ).scalar()
        if not (rows == size == summary) or evaluated_at != latest:
            problems.append(f"{segment}: table {rows}, catalog {size}, summary {summary}")
    return str(latest), problems


def main(mode: str, serving: str, stop: str, result: str) -> None:
    engine = sa.create_engine(
        f"duckdb:///{serving}", connect_args={"read_only": True}, poolclass=sa.pool.NullPool
    )
    outcome: dict = {"rounds": 0, "errors": [], "inconsistent": [], "seen": []}
    held = engine.connect() if mode == "held" else None
    while not Path(stop).exists():
        try:
            if held is not None:
                seen, problems = check_snapshot(held)
            else:
                with engine.connect() as fresh:
                    seen, problems = check_snapshot(fresh)
            outcome["inconsistent"] += problems
            if not outcome["seen"] or outcome["seen"][-1] != seen:
                outcome["seen"].append(seen)
            outcome["rounds"] += 1
        except Exception as exc:  # every failure is a finding; the loop goes on
            outcome["errors"].append(f"{type(exc).__name__}: {exc}")
        time.sleep(0.02)
    if held is not None:
        held.close()
    Path(result).write_text(json.dumps(outcome))


if __name__ == "__main__":
    main(*sys.argv[1:5])
