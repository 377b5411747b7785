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
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .store import connect
from .warehouse import warehouse_path

SEARCH_TERMS = [
    ("running shoes", "shoes"),
    ("trail running shoes", "shoes"),
    ("sneakers", "shoes"),
    ("hiking boots", "shoes"),
    ("yoga mat", "fitness"),
    ("dumbbells", "fitness"),
    ("rain jacket", "apparel"),
    ("running shorts", "apparel"),
    ("wool socks", "apparel"),
    ("smart watch", "electronics"),
    ("headphones", "electronics"),
    ("water bottle", "accessories"),
]
CATEGORIES = ["shoes", "fitness", "apparel", "electronics", "accessories"]
COUNTRIES = [  # code, share, cities
    ("US", 0.25, ["New York", "Austin", "Seattle"]),
    ("ES", 0.20, ["Madrid", "Barcelona", "Valencia"]),
    ("MX", 0.15, ["Mexico City", "Guadalajara", "Monterrey"]),
    ("GB", 0.10, ["London", "Manchester", "Leeds"]),
    ("DE", 0.10, ["Berlin", "Munich", "Hamburg"]),
    ("FR", 0.10, ["Paris", "Lyon", "Marseille"]),
    ("BR", 0.10, ["Sao Paulo", "Rio de Janeiro", "Curitiba"]),
]
EVENTS_PER_SESSION_ESTIMATE = 5.0
EMAIL_SHARE_LIMIT = 0.2
CHUNK_PROFILES = 100_000


@dataclass(frozen=True)
class DemoSpec:
    profiles: int = 20_000
    events: int = 1_000_000
    seed: int = 42
    end: dt.date = dt.date(2026, 11, 29)
    days: int = 730

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time()) - dt.timedelta(days=self.days)


def _u(seed: int, *keys: str) -> str:
    """SQL for a uniform number in [0, 1) drawn deterministically from the seed and the keys.

    The keys are joined into one string before hashing: DuckDB's multi-argument hash combines
    its arguments' hashes weakly, and draws that differ only in their last key correlate.
    """
    return f"(hash(concat_ws(':', {seed}, {', '.join(keys)})) / 18446744073709551616.0)"


def _pick(u: str, options: list[str]) -> str:
    """SQL picking one of the quoted options uniformly with the uniform number u."""
    items = ", ".join(f"'{o}'" for o in options)
    return f"([{items}])[1 + least(floor({u} * {len(options)}), {len(options) - 1})::int]"


def _profiles_sql(spec: DemoSpec, first: int, last: int) -> str:
    s = spec.seed
    u = lambda key: _u(s, "i", f"'{key}'")  # noqa: E731 - a local shorthand for many draws
    country_cases, threshold = [], 0.0
    for code, share, _cities in COUNTRIES:
        threshold += share
        country_cases.append(f"when {u('country')} < {threshold:.4f} then '{code}'")
    city_cases = [f"when '{code}' then {_pick(u('city'), cities)}" for code, _, cities in COUNTRIES]
    return f"""
    create or replace temp table demo_profiles as
    with base as (
        select
            i,
            'p' || lpad(i::varchar, 7, '0') as profile_id,
            pow({u("engagement")}, 1.6) as engagement,
            {u("churn")} < 0.25 as is_churner,
            case {" ".join(country_cases)} else 'US' end as country,
            floor({u("signup")} * {spec.days} * 0.97)::int as signup_day,
            {u("churn_day")} as churn_position,
            {u("opt_in")} < 0.6 as email_opt_in,
            {u("row")} >= 0.02 as has_profile_row,
            {u("active")} >= 0.05 as has_events,
            {u("tier")} as tier_noise,
            {_pick(u("category"), CATEGORIES)} as favourite_category,
            {u("birth")} as birth_u
        from range({first}, {last}) as t(i)
    )
    select
        *,
        case country {" ".join(city_cases)} end as city,
        case
            when is_churner then least({spec.days}, signup_day
                + greatest(30, floor(({spec.days} - signup_day) * (0.3 + 0.6 * churn_position)))::int)
            else {spec.days}
        end as active_until_day
    from base
    """


def _sessions_sql(spec: DemoSpec, sessions: int) -> str:
    s = spec.seed
    pu = lambda key: _u(s, "p.i", f"'{key}'")  # noqa: E731
    su = lambda key: _u(s, "p.i", "p.n", f"'{key}'")  # noqa: E731
    terms = [t for t, _ in SEARCH_TERMS]
    term_category = " ".join(f"when '{t}' then '{c}'" for t, c in SEARCH_TERMS)
    return f"""
    create or replace temp table demo_sessions as
    with weights as (
        select sum(0.2 + 3 * engagement * engagement) as total
        from demo_profiles where has_events
    ),
    counts as (
        select
            p.*,
            floor({sessions} * (0.2 + 3 * p.engagement * p.engagement) / weights.total
                  + {pu("round")})::int as session_count
        from demo_profiles as p, weights
        where p.has_events
    ),
    expanded as (
        select p.*, k.n
        from counts as p, range(p.session_count) as k(n)
    ),
    placed as (
        select
            p.*,
            {su("position")} as position_u,
            {su("season")} as season_u,
            {su("hour")} as hour_u,
            {su("search")} < 0.35 as has_search,
            {_pick(su("term"), terms)} as term,
            1 + least(floor({su("pages")} * 4), 3)::int as page_views,
            least(floor({su("products")} * 4), 3)::int as product_views,
            {su("cart")} as cart_u,
            {su("checkout")} as checkout_u,
            {su("purchase")} as purchase_u,
            {su("channel")} < 0.4 as is_app,
            {su("order")} as order_u
        from expanded as p
    ),
    timed as (
        select
            *,
            -- churners' visits thin out before they stop: density falls towards the end
            signup_day + floor((active_until_day - signup_day) * case
                when is_churner then 1 - sqrt(1 - position_u) else position_u end)::int as raw_day
        from placed
    )
    select
        profile_id,
        i as profile_index,
        n as session_index,
        'p' || i || 's' || n as session_id,
        engagement,
        -- seasonality: a share of autumn visits move into the November-December peak
        timestamp '{spec.start:%Y-%m-%d %H:%M:%S}'
            + to_days(case
                when season_u < 0.3 and month(date '{spec.start:%Y-%m-%d}' + raw_day) in (9, 10)
                     and raw_day + 50 < active_until_day then raw_day + 50
                else raw_day end)
            + to_seconds(floor(3600 * (7 + 16 * pow(hour_u, 0.8)))::bigint) as started_at,
        country as home_country,
        case when has_search then term else null end as search_term,
        case when has_search then case term {term_category} end else favourite_category end
            as category,
        page_views,
        case when has_search then greatest(product_views, 1) else product_views end
            as product_views,
        has_search,
        is_app,
        order_u
    from timed
    """


def _session_events_sql(spec: DemoSpec) -> str:
    s = spec.seed
    eu = lambda key: _u(s, "session_id", "position", f"'{key}'")  # noqa: E731
    return f"""
    create or replace temp table demo_session_events as
    with funnel as (
        select
            *,
            product_views > 0 and {_u(s, "session_id", "'cart'")} < 0.12 + 0.45 * engagement
                as has_cart,
            {_u(s, "session_id", "'checkout'")} < 0.65 as checkout_draw,
            {_u(s, "session_id", "'purchase'")} < 0.45 + 0.45 * engagement as purchase_draw
        from demo_sessions
    ),
    steps as (
        select
            *,
            list_concat(
                list_transform(range(page_views), lambda x: 'page_view'),
                case when has_search then ['search'] else [] end,
                list_transform(range(product_views), lambda x: 'product_view'),
                case when has_cart then ['add_to_cart'] else [] end,
                case when has_cart and checkout_draw then ['checkout'] else [] end,
                case when has_cart and checkout_draw and purchase_draw then ['purchase'] else [] end
            ) as event_types
        from funnel
    ),
    unnested as (
        select
            profile_id, session_id, started_at, search_term, category, is_app, order_u, home_country,
            unnest(event_types) as event_type,
            unnest(range(len(event_types))) as position
        from steps
    )
    select
        profile_id || '-' || session_id || '-' || position as event_id,
        profile_id,
        event_type,
        started_at + to_seconds((position * 40 + floor({eu("gap")} * 80))::bigint) as event_ts,
        case event_type
            when 'page_view' then json_object('page', ['/', '/sale', '/new', '/c/' || category][1 + position % 4])
            when 'search' then json_object('term', search_term)
            when 'product_view' then json_object(
                'category', category,
                'product_id', category || '-' || (1 + floor({eu("product")} * 40))::int,
                'price', round(5 + pow({eu("price")}, 2) * 195, 2))
            when 'add_to_cart' then json_object(
                'category', category,
                'price', round(5 + pow({eu("price")}, 2) * 195, 2))
            when 'checkout' then json_object('cart_value', round(10 + {eu("value")} * 240, 2))
            when 'purchase' then json_object(
                'category', category,
                'revenue', round(10 + pow({eu("value")}, 1.5) * 290, 2),
                'items', 1 + floor({eu("items")} * 4)::int,
                'payment', ['card', 'paypal', 'card', 'wallet'][1 + floor({eu("pay")} * 4)::int],
                'shipping', json_object('country', case when {eu("ship")} < 0.1
                    then {_pick(eu("abroad"), [c for c, _, _ in COUNTRIES])} else home_country end))
        end as properties,
        session_id,
        case when is_app then 'app' else 'web' end as channel,
        order_u
    from unnested
    """


def _email_events_sql(spec: DemoSpec) -> str:
    s = spec.seed
    cu = lambda key: _u(s, "p.i", "c.n", f"'{key}'")  # noqa: E731
    campaigns = spec.days // 14
    return f"""
    create or replace temp table demo_email_events as
    with sends as (
        select
            p.profile_id,
            p.engagement,
            p.is_churner,
            c.n as campaign,
            c.n * 14 + 3 as send_day,
            p.signup_day,
            p.active_until_day,
            {cu("open")} as open_u,
            {cu("click")} as click_u,
            {cu("time")} as time_u,
            {cu("keep")} as keep_u
        from demo_profiles as p, range({campaigns}) as c(n)
        where p.email_opt_in and p.has_events
    ),
    opened as (
        select *
        from sends
        where send_day between signup_day and active_until_day
          and open_u < 0.08 + 0.5 * engagement
    ),
    events as (
        select profile_id, campaign, keep_u, 'email_open' as event_type,
               send_day, 9 * 3600 + floor(time_u * 12 * 3600)::bigint as second_of_day
        from opened
        union all
        select profile_id, campaign, keep_u, 'email_click' as event_type,
               send_day, 9 * 3600 + floor(time_u * 12 * 3600)::bigint + 120
        from opened
        where click_u < 0.1 + 0.4 * engagement
    )
    select
        profile_id || '-m' || campaign || '-' || event_type as event_id,
        profile_id,
        event_type,
        timestamp '{spec.start:%Y-%m-%d %H:%M:%S}' + to_days(send_day) + to_seconds(second_of_day)
            as event_ts,
        json_object('campaign', 'newsletter-' || lpad(campaign::varchar, 3, '0')) as properties,
        cast(null as varchar) as session_id,
        'email' as channel,
        keep_u
    from events
    """


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
        # Profiles are generated in chunks so that 100M events fit in memory; each chunk gets
        # its share of the events, so the total is exact.
        for first in range(0, spec.profiles, CHUNK_PROFILES):
            last = min(spec.profiles, first + CHUNK_PROFILES)
            budget = spec.events * last // spec.profiles - spec.events * first // spec.profiles
            _generate_chunk(con, spec, first, last, budget)
        con.execute("begin transaction")
        con.execute("drop table if exists raw.events")
        con.execute("drop table if exists raw.profiles")
        con.execute("alter table raw.events__demo rename to events")
        con.execute("alter table raw.profiles__demo rename to profiles")
        con.execute("commit")
        counts = {
            "profiles": con.execute("select count(*) from raw.profiles").fetchone()[0],
            "events": con.execute("select count(*) from raw.events").fetchone()[0],
        }
    finally:
        con.close()
    if not quiet:
        seconds = time.monotonic() - started
        print(
            f"demo store: {counts['profiles']:,} profile rows, {counts['events']:,} events "
            f"({spec.start:%Y-%m-%d} to {spec.end:%Y-%m-%d}, seed {spec.seed}) "
            f"in {seconds:.1f}s -> {database}"
        )
    return counts


def _generate_chunk(
    con: duckdb.DuckDBPyConnection, spec: DemoSpec, first: int, last: int, events: int
) -> None:
    """Profiles first..last-1 and exactly ``events`` events of theirs, appended to the staging tables."""
    con.execute(_profiles_sql(spec, first, last))
    con.execute(_email_events_sql(spec))
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
        con.execute(_sessions_sql(spec, sessions))
        con.execute(_session_events_sql(spec))
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
                when {_u(spec.seed, "event_id", "'late'")} < 0.01 then 3 * 86400
                else 60 + floor({_u(spec.seed, "event_id", "'delay'")} * 600)::bigint end)
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
            date '1950-01-01' + floor(birth_u * 20800)::int as birth_date,
            -- memberships renew on a day within the year after the end of the history
            date '{spec.end:%Y-%m-%d}' + floor({_u(spec.seed, "profile_id", "'renewal'")} * 365)::int
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
        "--force", action="store_true", help="replace raw tables even if files were loaded"
    )
    demo.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.profiles < 1 or args.events < 1 or args.days < 28:
        print("seg demo: --profiles and --events must be positive and --days at least 28")
        return 2
    spec = DemoSpec(args.profiles, args.events, args.seed, args.end, args.days)
    try:
        generate(args.database or warehouse_path(args.project_dir), spec, force=args.force)
    except DemoRefused as exc:
        print(f"seg demo: {exc}", file=sys.stderr)
        return 1
    return 0
