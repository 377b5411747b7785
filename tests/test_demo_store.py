"""The demo store generator: deterministic for a seed, contract-conformant, sizes as asked."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from segkit.demo_store import DemoSpec, generate

SPEC = DemoSpec(profiles=600, events=30_000, seed=7, end=dt.date(2024, 6, 30), days=365)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    database = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    generate(database, SPEC, quiet=True)
    return database


def fetch(database: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(database), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_sizes_are_as_asked(store: Path) -> None:
    assert fetch(store, "select count(*) from raw.events") == [(SPEC.events,)]
    profile_rows = fetch(store, "select count(*) from raw.profiles")[0][0]
    # about 2% of profiles are anonymous (events, no profile row): the rest have a row
    assert 0.95 * SPEC.profiles <= profile_rows < SPEC.profiles
    assert (
        fetch(
            store,
            "select count(*) from raw.profiles where profile_id not in "
            "(select profile_id from raw.events)",
        )[0][0]
        > 0
    )


def test_deterministic_for_a_seed(store: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.duckdb"
    generate(again, SPEC, quiet=True)
    digest = (
        "select md5(string_agg(event_id || event_type || event_ts::varchar || "
        "coalesce(properties::varchar, ''), ',' order by event_id)) from raw.events"
    )
    assert fetch(again, digest) == fetch(store, digest)
    other = tmp_path / "other.duckdb"
    generate(
        other, DemoSpec(SPEC.profiles, SPEC.events, SPEC.seed + 1, SPEC.end, SPEC.days), quiet=True
    )
    assert fetch(other, digest) != fetch(store, digest)


def test_contract_conformant(store: Path) -> None:
    columns = dict(
        fetch(
            store,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'events'",
        )
    )
    assert {
        k: columns[k]
        for k in (
            "event_id",
            "profile_id",
            "event_type",
            "event_ts",
            "properties",
            "session_id",
            "loaded_at",
        )
    } == {
        "event_id": "VARCHAR",
        "profile_id": "VARCHAR",
        "event_type": "VARCHAR",
        "event_ts": "TIMESTAMP",
        "properties": "JSON",
        "session_id": "VARCHAR",
        "loaded_at": "TIMESTAMP",
    }
    assert fetch(store, "select count(*) - count(distinct event_id) from raw.events") == [(0,)]
    assert fetch(
        store,
        "select count(*) from raw.events where event_id is null or profile_id is null "
        "or event_type is null or event_ts is null",
    ) == [(0,)]
    start, end = fetch(store, "select min(event_ts), max(event_ts) from raw.events")[0]
    assert dt.datetime(2023, 6, 30) <= start and end < dt.datetime(2024, 6, 30)
    assert fetch(store, "select count(*) from raw.events where loaded_at < event_ts") == [(0,)]


def test_realistic_funnel_and_signal(store: Path) -> None:
    types = dict(fetch(store, "select event_type, count(*) from raw.events group by 1"))
    assert set(types) == {
        "page_view",
        "search",
        "product_view",
        "add_to_cart",
        "checkout",
        "purchase",
        "email_open",
        "email_click",
    }
    assert types["page_view"] > types["product_view"] > types["add_to_cart"] > types["purchase"]
    terms = {
        r[0]
        for r in fetch(
            store, "select distinct properties->>'term' from raw.events where event_type = 'search'"
        )
    }
    assert "running shoes" in terms
    # profiles who bought in the first half buy again in the second half more often than others
    (repeat_rate, other_rate) = fetch(
        store,
        """
        with halves as (
            select profile_id,
                   count(*) filter (where event_ts < timestamp '2024-01-01') > 0 as early,
                   count(*) filter (where event_ts >= timestamp '2024-01-01') > 0 as late
            from raw.events where event_type = 'purchase' group by 1
        ), everyone as (
            select distinct e.profile_id, coalesce(h.early, false) as early, coalesce(h.late, false) as late
            from raw.events e left join halves h using (profile_id)
        )
        select avg(late::int) filter (where early), avg(late::int) filter (where not early) from everyone
    """,
    )[0]
    assert repeat_rate > other_rate * 1.3
