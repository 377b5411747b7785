"""The SQL that draws the demo store: profiles, sessions with their funnel events, emails.

Every value comes from ``hash(seed, ...)`` (``_u``), so the same spec always draws the same store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

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
    # devices, emails and CRM ids in raw.identities (segkit.demo_identities)
    identities: bool = False

    @property
    def start(self) -> dt.datetime:
        return dt.datetime.combine(self.end, dt.time()) - dt.timedelta(days=self.days)


def uniform_sql(seed: int, *keys: str) -> str:
    """SQL for a uniform number in [0, 1) drawn deterministically from the seed and the keys.

    The keys are joined into one string before hashing: DuckDB's multi-argument hash combines
    its arguments' hashes weakly, and draws that differ only in their last key correlate.
    """
    return f"(hash(concat_ws(':', {seed}, {', '.join(keys)})) / 18446744073709551616.0)"


def pick_sql(u: str, options: list[str]) -> str:
    """SQL picking one of the quoted options uniformly with the uniform number u."""
    items = ", ".join(f"'{o}'" for o in options)
    return f"([{items}])[1 + least(floor({u} * {len(options)}), {len(options) - 1})::int]"


def profiles_sql(spec: DemoSpec, first: int, last: int) -> str:
    s = spec.seed
    u = lambda key: uniform_sql(s, "i", f"'{key}'")  # noqa: E731 - a local shorthand for many draws
    country_cases, threshold = [], 0.0
    for code, share, _cities in COUNTRIES:
        threshold += share
        country_cases.append(f"when {u('country')} < {threshold:.4f} then '{code}'")
    city_cases = [
        f"when '{code}' then {pick_sql(u('city'), cities)}" for code, _, cities in COUNTRIES
    ]
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
            {pick_sql(u("category"), CATEGORIES)} as favourite_category,
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


def sessions_sql(spec: DemoSpec, sessions: int) -> str:
    s = spec.seed
    pu = lambda key: uniform_sql(s, "p.i", f"'{key}'")  # noqa: E731
    su = lambda key: uniform_sql(s, "p.i", "p.n", f"'{key}'")  # noqa: E731
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
            {pick_sql(su("term"), terms)} as term,
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


def session_events_sql(spec: DemoSpec) -> str:
    s = spec.seed
    eu = lambda key: uniform_sql(s, "session_id", "position", f"'{key}'")  # noqa: E731
    return f"""
    create or replace temp table demo_session_events as
    with funnel as (
        select
            *,
            product_views > 0 and {uniform_sql(s, "session_id", "'cart'")} < 0.12 + 0.45 * engagement
                as has_cart,
            {uniform_sql(s, "session_id", "'checkout'")} < 0.65 as checkout_draw,
            {uniform_sql(s, "session_id", "'purchase'")} < 0.45 + 0.45 * engagement as purchase_draw
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
                    then {pick_sql(eu("abroad"), [c for c, _, _ in COUNTRIES])} else home_country end))
        end as properties,
        session_id,
        case when is_app then 'app' else 'web' end as channel,
        order_u
    from unnested
    """


def email_events_sql(spec: DemoSpec) -> str:
    s = spec.seed
    cu = lambda key: uniform_sql(s, "p.i", "c.n", f"'{key}'")  # noqa: E731
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
