"""seg backfill: history over past evaluations, built in a copy and swapped in only when complete."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from harness import TempProject
from segkit.cli import main
from test_lifecycle import ACTIVE, T1, T2, T3, T4, event

pytestmark = pytest.mark.dbt


def test_backfill_rebuilds_history_in_order_and_swaps_it_in(tmp_path) -> None:  # type: ignore[no-untyped-def]

    events = [
        event("a1", "a", T1 - dt.timedelta(hours=23)),
        event("b1", "b", T1 - dt.timedelta(days=2)),
        event("c1", "c", T2 - dt.timedelta(hours=1)),
    ]
    reference = TempProject(tmp_path / "reference")
    backfilled = TempProject(tmp_path / "backfilled")
    for project in (reference, backfilled):
        project.write_store(events, [])
        project.write_segment("active", ACTIVE.format(days="7d"))
        project.generate()
    for moment in (T1, T2, T3):
        reference.build(moment.isoformat(), tests=False)
    backfilled.build(T4.isoformat(), tests=False)  # an existing evaluation after the range

    history = "select * from segmentation.segment_membership_history order by all"
    before = backfilled.query(history)
    con = backfilled.connect()
    con.execute("alter table raw.events rename column event_type to kind")  # every evaluation fails
    con.close()
    args = [
        "--project-dir",
        str(backfilled.root),
        "backfill",
        "--from",
        T1.isoformat(),
        "--to",
        T3.isoformat(),
        "--every",
        "3d",
    ]
    os_env = {"SEGMENTS_DUCKDB_PATH": str(backfilled.database)}

    saved = {k: os.environ.get(k) for k in os_env}
    os.environ.update(os_env)
    try:
        assert main(args) == 1
        assert backfilled.query(history) == before  # a failed backfill changes nothing
        con = backfilled.connect()
        con.execute("alter table raw.events rename column kind to event_type")
        con.close()
        assert main(args) == 0
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    assert backfilled.query(history) == reference.query(history)
    assert backfilled.members("active") == reference.members("active")
    log = backfilled.query("select as_of, status from segmentation.evaluation_log order by 1")
    assert log == [(T1, "success"), (T2, "success"), (T3, "success")]
    assert (
        backfilled.dbt("run", as_of=T2.isoformat(), check=False).returncode != 0
    )  # still forward-only
