"""A realistic synthetic online store, deterministic from a seed, written straight into raw.*.

Profiles have a hidden engagement level that drives how often they visit, how far down the
funnel (search -> product views -> cart -> checkout -> purchase) they go and how often they open
and click emails; about a quarter of them churn, and their visits thin out before they stop.
So recent activity really predicts later purchases, and declining activity predicts churn.

Everything is computed in DuckDB from ``hash(seed, ...)``, so 100M events take minutes, not
hours, and the same arguments always give the same store.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path

import duckdb

from .demo_identities import add_identities
from .demo_store_sql import (
    CHUNK_PROFILES,
    EMAIL_SHARE_LIMIT,
    EVENTS_PER_SESSION_ESTIMATE,
    DemoSpec,
    email_events_sql,
    profiles_sql,
    session_events_sql,
    sessions_sql,
    uniform_sql,
)
from .spark import add_target_option, copy_if_spark
from .store import connect
from .warehouse import warehouse_path


class DemoRefused(Exception):
    """The warehouse holds real (loaded) data."""


def generate(
    database: Path, spec: DemoSpec, quiet: bool = False, force: bool = False
) -> dict[str, int]:
    """Replace raw.events and raw.profiles with a demo store. Returns the row counts."""
    started = time.monotonic()
    con = connect(database)
    (loaded_files,) = con.execute("select count(*) from raw.load_log").fetchone()
    if loaded_files and not force:
        con.close()
        raise DemoRefused(
            f"{database} holds data loaded with scripts/seg load ({loaded_files} files): the demo "
            "would replace raw.events and raw.profiles. Use another SEGMENTS_DUCKDB_PATH, or --force."
        )
    try:
        con.execute("drop table if exists raw.events__demo")
        con.execute("drop table if exists raw.profiles__demo")
        con.execute("drop table if exists raw.identities__demo")
        # Profiles are generated in chunks so that 100M events fit in memory; each chunk gets
        # its share of the events, so the total is exact.
        for first in range(0, spec.profiles, CHUNK_PROFILES):
            last = min(spec.profiles, first + CHUNK_PROFILES)
            budget = spec.events * last // spec.profiles - spec.events * first // spec.profiles
            _generate_chunk(con, spec, first, last, budget)
        if spec.identities:
            add_identities(con, spec)
        con.execute("begin transaction")
        con.execute("drop table if exists raw.events")
        con.execute("drop table if exists raw.profiles")
        # a demo replaces the store: the links of an earlier one would stitch the new one
        con.execute("drop table if exists raw.identities")
        con.execute("alter table raw.events__demo rename to events")
        con.execute("alter table raw.profiles__demo rename to profiles")
        if spec.identities:
            con.execute("alter table raw.identities__demo rename to identities")
        con.execute("commit")
        counts = {
            name: con.execute(f"select count(*) from raw.{name}").fetchone()[0]
            for name in ("profiles", "events", *(("identities",) if spec.identities else ()))
        }
    finally:
        con.close()
    if not quiet:
        seconds = time.monotonic() - started
        links = f", {counts['identities']:,} identity links" if spec.identities else ""
        print(
            f"demo store: {counts['profiles']:,} profile rows, {counts['events']:,} events{links} "
            f"({spec.start:%Y-%m-%d} to {spec.end:%Y-%m-%d}, seed {spec.seed}) "
            f"in {seconds:.1f}s -> {database}"
        )
    return counts


def _generate_chunk(
    con: duckdb.DuckDBPyConnection, spec: DemoSpec, first: int, last: int, events: int
) -> None:
    """Profiles first..last-1 and exactly ``events`` events of theirs, appended to the staging tables."""
    con.execute(profiles_sql(spec, first, last))
    con.execute(email_events_sql(spec))
    email_budget = int(events * EMAIL_SHARE_LIMIT)
    (email_count,) = con.execute("select count(*) from demo_email_events").fetchone()
    if email_count > email_budget:
        # Keep whole sends (an open with its click), chosen by their random draw.
        con.execute(
            "create or replace temp table demo_email_events as "
            "select * from demo_email_events where keep_u < ?",
            [email_budget / email_count],
        )
        con.execute(
            "create or replace temp table demo_email_events as select * from "
            "demo_email_events qualify row_number() over (order by keep_u, event_id) <= ?",
            [email_budget],
        )
    (email_count,) = con.execute("select count(*) from demo_email_events").fetchone()
    session_budget = events - email_count
    sessions = max(1, int(session_budget / EVENTS_PER_SESSION_ESTIMATE * 1.15))
    while True:
        con.execute(sessions_sql(spec, sessions))
        con.execute(session_events_sql(spec))
        (candidates,) = con.execute("select count(*) from demo_session_events").fetchone()
        if candidates >= session_budget or sessions > events * 4:
            break
        sessions = int(sessions * 1.3) + 10
    _append_chunk(con, spec, session_budget)


def _append_chunk(con: duckdb.DuckDBPyConnection, spec: DemoSpec, session_budget: int) -> None:
    """Trim sessions to the exact event budget (whole sessions in a random order, the last one
    cut short) and append to raw.events__demo / raw.profiles__demo."""
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'raw' "
        "and table_name = 'events__demo'"
    ).fetchone()[0]
    into = "insert into raw.{0}__demo" if exists else "create table raw.{0}__demo as"
    con.execute(f"""
        {into.format("events")}
        with session_events as (
            select * exclude (order_u),
                   row_number() over (order by order_u, session_id, event_ts, event_id) as rank
            from demo_session_events
        ),
        kept as (
            select * exclude (rank) from session_events where rank <= {session_budget}
            union all
            select * exclude (keep_u) from demo_email_events
        )
        select
            event_id,
            profile_id,
            event_type,
            event_ts,
            properties,
            session_id,
            -- rows arrive minutes after the event; about 1% arrive days late
            event_ts + to_seconds(case
                when {uniform_sql(spec.seed, "event_id", "'late'")} < 0.01 then 3 * 86400
                else 60 + floor({uniform_sql(spec.seed, "event_id", "'delay'")} * 600)::bigint end)
                as loaded_at,
            channel
        from kept
        order by event_ts, event_id
    """)
    con.execute(f"""
        {into.format("profiles")}
        select
            profile_id,
            country,
            city,
            case
                when engagement + 0.2 * tier_noise > 0.85 then 'platinum'
                when engagement + 0.2 * tier_noise > 0.6 then 'gold'
                when engagement + 0.2 * tier_noise > 0.35 then 'silver'
                else 'bronze'
            end as loyalty_tier,
            date '{spec.start:%Y-%m-%d}' + signup_day as signup_date,
            email_opt_in,
            -- as CRMs hold them: mixed case, and missing for some (destinations skip those)
            case when {uniform_sql(spec.seed, "profile_id", "'email'")} < 0.97
                then 'Customer' || i || '@Example.com' end as email,
            date '1950-01-01' + floor(birth_u * 20800)::int as birth_date,
            -- memberships renew on a day within the year after the end of the history
            date '{spec.end:%Y-%m-%d}' + floor({uniform_sql(spec.seed, "profile_id", "'renewal'")} * 365)::int
                as renewal_date,
            timestamp '{spec.start:%Y-%m-%d %H:%M:%S}' + to_days(signup_day) as updated_at
        from demo_profiles
        where has_profile_row
        order by profile_id
    """)


def add_parser(verbs: argparse._SubParsersAction) -> None:
    demo = verbs.add_parser("demo", help="generate the demo store into raw.events / raw.profiles")
    demo.add_argument("--profiles", type=int, default=20_000, help="profiles (default 20000)")
    demo.add_argument("--events", type=int, default=1_000_000, help="events (default 1000000)")
    demo.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    demo.add_argument(
        "--end",
        type=dt.date.fromisoformat,
        default=dt.datetime.now(dt.UTC).date(),
        help="last day of history, YYYY-MM-DD (default: today, UTC)",
    )
    demo.add_argument("--days", type=int, default=730, help="days of history (default 730)")
    demo.add_argument(
        "--database",
        type=Path,
        default=None,
        help="DuckDB file (default: SEGMENTS_DUCKDB_PATH or warehouse/segments.duckdb)",
    )
    demo.add_argument(
        "--identities",
        action="store_true",
        help="customers on several devices, emails and CRM ids in raw.identities (docs/identity.md)",
    )
    demo.add_argument(
        "--force", action="store_true", help="replace raw tables even if files were loaded"
    )
    add_target_option(demo)
    demo.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.profiles < 1 or args.events < 1 or args.days < 28:
        print("seg demo: --profiles and --events must be positive and --days at least 28")
        return 2
    spec = DemoSpec(args.profiles, args.events, args.seed, args.end, args.days, args.identities)
    database = args.database or warehouse_path(args.project_dir)
    try:
        generate(database, spec, force=args.force)
    except DemoRefused as exc:
        print(f"seg demo: {exc}", file=sys.stderr)
        return 1
    return copy_if_spark(args, database, "demo")
