-- The benchmark's baseline: the demo segments written by hand in plain DuckDB SQL, one
-- `create table ... as` per segment, the way an analyst who knows the data would write them.
-- Written from the segment definitions and docs/language.md, not from the compiler's output.
-- {AS_OF} is replaced by a timestamp literal; `known` (every profile with a row or an event at
-- or before as_of) is created first. Assumes raw.profiles holds one row per profile (the demo
-- store does). Sums and averages are of exact decimals, as docs/language.md defines them (a
-- double sum's last bit depends on the order of addition). Statements are separated by lines
-- starting with `-- segment:`.

-- segment: known
create or replace table bench_hand.known as
select profile_id from raw.profiles
union
select profile_id from raw.events where event_ts <= {AS_OF};

-- segment: anonymous_visitors
create or replace table bench_hand.anonymous_visitors as
select known.profile_id
from bench_hand.known as known
left join raw.profiles as p on p.profile_id = known.profile_id
where p.country is null;

-- segment: app_only_users
create or replace table bench_hand.app_only_users as
select profile_id
from raw.events
where event_ts > {AS_OF} - interval 90 day and event_ts <= {AS_OF}
group by profile_id
having count(*) filter (where channel = 'app') > 0
   and count(*) filter (
       where event_type in ('page_view', 'search', 'product_view', 'add_to_cart', 'checkout', 'purchase')
         and channel <> 'app') = 0;

-- segment: bargain_buyers
create or replace table bench_hand.bargain_buyers as
select profile_id
from raw.events
where event_type = 'purchase' and event_ts > {AS_OF} - interval 365 day and event_ts <= {AS_OF}
group by profile_id
having avg(try_cast(properties->>'$.revenue' as decimal(38, 9))) <= 50;

-- segment: big_ticket_browsers
create or replace table bench_hand.big_ticket_browsers as
select profile_id
from raw.events
where event_type = 'product_view' and event_ts > {AS_OF} - interval 30 day and event_ts <= {AS_OF}
group by profile_id
having max(try_cast(properties->>'$.price' as double)) >= 180;

-- segment: buyers_this_month
create or replace table bench_hand.buyers_this_month as
select distinct profile_id
from raw.events
where event_type = 'purchase'
  and event_ts >= date_trunc('month', {AS_OF}) and event_ts <= {AS_OF};

-- segment: recent_big_spenders
create or replace table bench_hand.recent_big_spenders as
select profile_id
from raw.events
where event_type = 'purchase' and event_ts > {AS_OF} - interval 90 day and event_ts <= {AS_OF}
group by profile_id
having sum(try_cast(properties->>'$.revenue' as decimal(38, 9))) >= 500;

-- segment: cart_abandoners_es
create or replace table bench_hand.cart_abandoners_es as
with carts as (
    select profile_id, event_ts
    from raw.events
    where event_type = 'add_to_cart'
      and event_ts > {AS_OF} - interval 7 day and event_ts <= {AS_OF}
      and event_ts + interval 24 hour <= {AS_OF}
),
abandoned as (
    select distinct c.profile_id
    from carts as c
    where not exists (
        select 1 from raw.events as p
        where p.profile_id = c.profile_id and p.event_type = 'purchase'
          and p.event_ts > c.event_ts and p.event_ts <= c.event_ts + interval 24 hour
    )
)
select a.profile_id
from abandoned as a
join raw.profiles as pr on pr.profile_id = a.profile_id
where pr.country in ('ES', 'MX')
  and a.profile_id not in (select profile_id from bench_hand.recent_big_spenders);

-- segment: customers_over_a_year
create or replace table bench_hand.customers_over_a_year as
select distinct profile_id
from raw.events
where event_type = 'purchase'
  and cast(cast(event_ts as date) as timestamp) <= {AS_OF} - interval 365 day
  and event_ts <= {AS_OF};

-- segment: electronics_interest
create or replace table bench_hand.electronics_interest as
select distinct profile_id
from raw.events
where event_ts > {AS_OF} - interval 14 day and event_ts <= {AS_OF}
  and ((event_type = 'search' and properties->>'$.term' = 'headphones')
    or (event_type = 'product_view' and properties->>'$.category' = 'electronics'));

-- segment: email_dormant
create or replace table bench_hand.email_dormant as
select p.profile_id
from raw.profiles as p
where p.email_opt_in
  and not exists (
      select 1 from raw.events as e
      where e.profile_id = p.profile_id and e.event_type = 'email_open'
        and e.event_ts > {AS_OF} - interval 60 day and e.event_ts <= {AS_OF}
  );

-- segment: email_engaged
create or replace table bench_hand.email_engaged as
select p.profile_id
from raw.profiles as p
where p.email_opt_in
  and p.profile_id in (
      select profile_id from raw.events
      where event_type = 'email_click'
        and event_ts > {AS_OF} - interval 30 day and event_ts <= {AS_OF}
  );

-- segment: frequent_sessions
create or replace table bench_hand.frequent_sessions as
select profile_id
from raw.events
where event_ts > {AS_OF} - interval 30 day and event_ts <= {AS_OF}
group by profile_id
having count(distinct session_id) >= 4;

-- segment: high_value_checkouts
create or replace table bench_hand.high_value_checkouts as
select distinct profile_id
from raw.events
where event_type = 'checkout' and event_ts > {AS_OF} - interval 30 day and event_ts <= {AS_OF}
  and try_cast(properties->>'$.cart_value' as double) between 150 and 250;

-- segment: holiday_season_buyers
create or replace table bench_hand.holiday_season_buyers as
select distinct profile_id
from raw.events
where event_type = 'purchase'
  and event_ts >= timestamp '2025-11-20' and event_ts < timestamp '2026-01-01'
  and event_ts <= {AS_OF};

-- segment: lapsed_customers
create or replace table bench_hand.lapsed_customers as
select profile_id
from raw.events
where event_type = 'purchase' and event_ts <= {AS_OF}
group by profile_id
having min(event_ts) <= {AS_OF} - interval 180 day
   and max(event_ts) <= {AS_OF} - interval 180 day;

-- segment: last_month_window_shoppers
create or replace table bench_hand.last_month_window_shoppers as
select profile_id
from raw.events
where event_ts >= date_trunc('month', date_trunc('month', {AS_OF}) - interval 1 day)
  and event_ts < date_trunc('month', {AS_OF})
  and event_type in ('product_view', 'purchase')
group by profile_id
having count(*) filter (where event_type = 'product_view') >= 5
   and count(*) filter (where event_type = 'purchase') = 0;

-- segment: mid_age_gold_optins
create or replace table bench_hand.mid_age_gold_optins as
select profile_id
from raw.profiles
where email_opt_in and loyalty_tier in ('gold', 'platinum') and birth_date < date '1990-01-01';

-- segment: multi_category_buyers
create or replace table bench_hand.multi_category_buyers as
select profile_id
from raw.events
where event_type = 'purchase' and event_ts <= {AS_OF}
group by profile_id
having count(distinct properties->>'$.category') >= 3;

-- segment: new_this_quarter
create or replace table bench_hand.new_this_quarter as
select profile_id
from raw.profiles
where signup_date >= date_trunc('quarter', {AS_OF})
  and cast(signup_date as timestamp) <= {AS_OF};

-- segment: night_owls
create or replace table bench_hand.night_owls as
select profile_id
from raw.events
where event_type = 'page_view' and event_ts > {AS_OF} - interval 90 day and event_ts <= {AS_OF}
  and hour(event_ts) > 20
group by profile_id
having count(*) >= 5;

-- segment: outside_capitals
create or replace table bench_hand.outside_capitals as
select profile_id
from raw.profiles
where country is not null
  and city not in ('Madrid', 'Mexico City', 'London', 'Berlin', 'Paris', 'New York', 'Sao Paulo');

-- segment: paypal_regulars
create or replace table bench_hand.paypal_regulars as
select profile_id
from raw.events
where event_type = 'purchase' and event_ts <= {AS_OF} and properties->>'$.payment' = 'paypal'
group by profile_id
having count(*) >= 2;

-- segment: quick_converters
create or replace table bench_hand.quick_converters as
with recent as (
    select profile_id, event_type, event_ts
    from raw.events
    where event_ts > {AS_OF} - interval 90 day and event_ts <= {AS_OF}
      and event_type in ('product_view', 'search', 'add_to_cart', 'purchase')
),
looked as (
    select profile_id, event_ts from recent where event_type in ('product_view', 'search')
),
carted as (
    select distinct c.profile_id, c.event_ts
    from recent as c
    where c.event_type = 'add_to_cart'
      and exists (
          select 1 from looked as l
          where l.profile_id = c.profile_id
            and l.event_ts < c.event_ts and l.event_ts >= c.event_ts - interval 1 hour
      )
)
select distinct b.profile_id
from recent as b
where b.event_type = 'purchase'
  and exists (
      select 1 from carted as c
      where c.profile_id = b.profile_id
        and c.event_ts < b.event_ts and c.event_ts >= b.event_ts - interval 1 day
  );

-- segment: renewals_next_week
create or replace table bench_hand.renewals_next_week as
select profile_id
from raw.profiles
where cast(renewal_date as timestamp) >= {AS_OF}
  and cast(renewal_date as timestamp) < {AS_OF} + interval 7 day;

-- segment: running_shoes_searchers
create or replace table bench_hand.running_shoes_searchers as
with searches as (
    select profile_id, event_ts
    from raw.events
    where event_type = 'search'
      and event_ts > {AS_OF} - interval 30 day and event_ts <= {AS_OF}
      and contains(lower(properties->>'$.term'), 'running shoes')
)
select distinct s.profile_id
from searches as s
where not exists (
    select 1 from raw.events as p
    where p.profile_id = s.profile_id and p.event_type = 'purchase'
      and p.event_ts > s.event_ts and p.event_ts <= {AS_OF}
);

-- segment: saints_cities
create or replace table bench_hand.saints_cities as
select profile_id
from raw.profiles
where regexp_matches(city, '^(Sao|San) ');

-- segment: ships_abroad
create or replace table bench_hand.ships_abroad as
select distinct e.profile_id
from raw.events as e
join raw.profiles as p on p.profile_id = e.profile_id
where e.event_type = 'purchase'
  and e.event_ts > {AS_OF} - interval 365 day and e.event_ts <= {AS_OF}
  and e.properties->>'$.shipping.country' <> cast(p.country as varchar);

-- segment: trail_searchers_on_sale_pages
create or replace table bench_hand.trail_searchers_on_sale_pages as
select profile_id
from raw.events
where event_ts <= {AS_OF} and event_type in ('search', 'page_view')
group by profile_id
having count(*) filter (where event_type = 'search' and starts_with(properties->>'$.term', 'trail')) > 0
   and count(*) filter (where event_type = 'page_view' and ends_with(properties->>'$.page', '/sale')) > 0
   and count(*) filter (where event_type = 'search' and contains(properties->>'$.term', 'socks')) = 0
   and count(*) filter (where event_type = 'search' and not contains(properties->>'$.term', 'shoes')) = 0;

-- segment: weekend_browsers
create or replace table bench_hand.weekend_browsers as
select profile_id
from raw.events
where event_type = 'page_view' and event_ts > {AS_OF} - interval 30 day and event_ts <= {AS_OF}
  and isodow(event_ts) in (6, 7)
group by profile_id
having count(*) > 2;

-- segment: weekly_regulars
create or replace table bench_hand.weekly_regulars as
select profile_id
from raw.events
where event_ts > {AS_OF} - interval 28 day and event_ts <= {AS_OF}
group by profile_id
having count(distinct date_trunc('week', event_ts)) >= 3;

-- segment: vip_email_targets
create or replace table bench_hand.vip_email_targets as
select profile_id from bench_hand.weekly_regulars
intersect
select profile_id from bench_hand.email_engaged
intersect
select profile_id from bench_hand.recent_big_spenders;

-- segment: winback_candidates
create or replace table bench_hand.winback_candidates as
select profile_id
from raw.events
where event_type = 'purchase' and event_ts > {AS_OF} - interval 120 day and event_ts <= {AS_OF}
group by profile_id
having count(*) filter (where event_ts <= {AS_OF} - interval 60 day) > 0
   and count(*) filter (where event_ts > {AS_OF} - interval 60 day) = 0;

-- segment: young_premium
create or replace table bench_hand.young_premium as
select profile_id
from raw.profiles
where birth_date >= date '1995-01-01' and loyalty_tier <> 'bronze';
