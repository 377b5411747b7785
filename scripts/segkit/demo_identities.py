"""Identities for the demo store: customers' phones, emails and CRM ids, shared devices and junk.

Web and email events carry the customer's CRM id (they are logged in); most app users' app
events carry their phone's device id instead, and the phone is linked to the CRM id when they
log in (some never do: anonymous devices). Emails link to CRM ids at signup. Then what real
graphs hold: a phone shared with a family member (a second CRM id, skipped by
identity_limits), a broken SDK that reports the device id ``unknown`` and an in-store kiosk
that links to every customer who used it (both on the project's identity_blocklist), and QA
accounts on ``test@example.com``. Deterministic from the seed, like the rest of the store.
"""

from __future__ import annotations

import duckdb

from .demo_store_sql import DemoSpec, uniform_sql

JUNK_DEVICE = "unknown"
KIOSK = "kiosk-store-001"
QA_EMAIL = "test@example.com"


def add_identities(con: duckdb.DuckDBPyConnection, spec: DemoSpec) -> None:
    """Rewrite raw.events__demo / raw.profiles__demo with identity namespaces and write
    raw.identities__demo (the caller swaps them in)."""
    u = lambda *keys: uniform_sql(spec.seed, *keys)  # noqa: E731
    con.execute(f"""
        create or replace temp table demo_devices as
        select
            profile_id,
            'dev-' || substr(md5(concat_ws(':', {spec.seed}, profile_id, 'phone')), 1, 12) as device_id,
            min(event_ts) as first_seen,
            {u("profile_id", "'logs_in'")} < 0.9 as logs_in,
            {u("profile_id", "'shared'")} < 0.03 as is_shared
        from raw.events__demo
        where channel = 'app' and {u("profile_id", "'phone'")} < 0.6
        group by profile_id
    """)
    con.execute(f"""
        create or replace table raw.events__demo as
        select
            events.* exclude (profile_id),
            case
                when devices.device_id is null then events.profile_id
                when {u("events.session_id", "'sdk'")} < 0.01 then '{JUNK_DEVICE}'
                when {u("events.session_id", "'kiosk'")} < 0.004 then '{KIOSK}'
                else devices.device_id
            end as profile_id,
            case when devices.device_id is null then 'crm_id' else 'device' end as identity_namespace
        from raw.events__demo as events
        left join demo_devices as devices
            on devices.profile_id = events.profile_id and events.channel = 'app'
        order by events.event_ts, events.event_id
    """)
    con.execute("""
        create or replace table raw.profiles__demo as
        select *, 'crm_id' as identity_namespace from raw.profiles__demo order by profile_id
    """)
    customers = "(select profile_id, updated_at, email from raw.profiles__demo)"
    con.execute(f"""
        create or replace table raw.identities__demo as
        with logins as (
            select device_id as identity, 'device' as namespace, profile_id as linked_identity,
                   'crm_id' as linked_namespace,
                   first_seen + interval 3 minute as observed_at
            from demo_devices where logs_in
        ),
        emails as (
            select lower(email) as identity, 'email' as namespace, profile_id,
                   'crm_id' as linked_namespace, updated_at as observed_at
            from {customers} where email is not null
        ),
        phone_emails as (
            select devices.device_id, 'device', lower(customers.email), 'email',
                   devices.first_seen + interval 1 day
            from demo_devices as devices
            inner join {customers} as customers using (profile_id)
            where devices.logs_in and customers.email is not null
              and {u("devices.profile_id", "'phone_email'")} < 0.5
        ),
        numbered as (
            select profile_id, row_number() over (order by profile_id) as n, count(*) over () as total
            from {customers}
        ),
        family as (
            select devices.device_id, 'device', relative.profile_id, 'crm_id',
                   devices.first_seen + interval 30 day
            from demo_devices as devices
            inner join numbered as owner using (profile_id)
            inner join numbered as relative on relative.n = (owner.n % owner.total) + 1
            where devices.logs_in and devices.is_shared
        ),
        junk as (
            select case when {u("profile_id", "'junk'")} < 0.5 then '{JUNK_DEVICE}' else '{KIOSK}' end,
                   'device', profile_id, 'crm_id', updated_at + interval 10 day
            from {customers}
            where {u("profile_id", "'junk_pick'")} < 0.01
            union all
            select '{QA_EMAIL}', 'email', profile_id, 'crm_id', updated_at
            from {customers}
            where {u("profile_id", "'qa'")} < 0.001
        )
        select * from logins
        union all select * from emails
        union all select * from phone_emails
        union all select * from family
        union all select * from junk
        order by observed_at, namespace, identity
    """)
