"""A tiny hand-made event store whose expected segment members are worked out by hand."""

from __future__ import annotations

import datetime as dt
from typing import Any

AS_OF = dt.datetime(2024, 3, 15, 12, 0, 0)
AS_OF_TEXT = "2024-03-15T12:00:00"
HOSTILE = "O'Brien'); drop table raw.events; --"

PROFILE_TYPES = {
    "country": "varchar",
    "loyalty_tier": "varchar",
    "age": "integer",
    "score": "double",
    "signup_date": "date",
    "is_vip": "boolean",
    "email": "varchar",
    "home_state": "varchar",
    "updated_at": "timestamp",
}
EVENT_TYPES = {"channel": "varchar"}


def _at(**delta: float) -> dt.datetime:
    return AS_OF - dt.timedelta(**delta)


PROFILES: list[dict[str, Any]] = [
    {
        "profile_id": "alice",
        "country": "ES",
        "loyalty_tier": "gold",
        "age": 34,
        "score": 0.9,
        "signup_date": dt.date(2024, 3, 10),
        "is_vip": True,
        "email": "alice@example.com",
        "home_state": "CA",
    },
    {
        "profile_id": "bob",
        "country": "MX",
        "loyalty_tier": "silver",
        "age": 17,
        "score": 0.2,
        "signup_date": dt.date(2023, 1, 1),
        "is_vip": False,
        "email": "BOB@EXAMPLE.COM",
        "home_state": "NY",
    },
    {
        "profile_id": "carol",
        "country": "US",
        "loyalty_tier": None,
        "age": 50,
        "score": None,
        "signup_date": dt.date(2024, 2, 20),
        "is_vip": None,
        "email": None,
        "home_state": "TX",
    },
    {
        "profile_id": "dave",
        "country": "ES",
        "loyalty_tier": "bronze",
        "age": None,
        "score": 0.5,
        "signup_date": dt.date(2022, 6, 30),
        "is_vip": False,
        "email": HOSTILE,
        "home_state": None,
    },
    {
        "profile_id": "frank",
        "country": "GB",
        "loyalty_tier": "bronze",
        "age": 41,
        "score": 0.1,
        "signup_date": dt.date(2021, 5, 5),
        "is_vip": False,
        "email": "frank@example.com",
        "home_state": "WA",
    },
    # an older attribute row of alice: the newer one (by updated_at) wins
    {
        "profile_id": "alice",
        "country": "FR",
        "loyalty_tier": "bronze",
        "age": 33,
        "score": 0.1,
        "signup_date": dt.date(2024, 3, 10),
        "is_vip": False,
        "email": "old@example.com",
        "home_state": "CA",
        "updated_at": dt.datetime(2020, 1, 1),
    },
]
for _row in PROFILES:
    _row.setdefault("updated_at", dt.datetime(2024, 1, 1))

_EVENTS: list[tuple[str, str, dt.datetime, dict[str, Any] | None, str | None]] = [
    ("alice", "search", _at(days=2), {"term": "Running Shoes"}, "s1"),
    ("alice", "purchase", _at(days=10), {"revenue": 120, "state": "CA", "category": "shoes"}, "s2"),
    (
        "alice",
        "purchase",
        _at(days=40),
        {"revenue": 250.5, "state": "NV", "category": "apparel"},
        "s3",
    ),
    ("alice", "add_to_cart", _at(days=1), {"category": "shoes"}, "s4"),
    ("bob", "search", _at(days=5), {"term": "running shoes"}, "s5"),
    ("bob", "purchase", _at(days=4), {"revenue": 80, "state": "NY"}, "s5"),
    ("carol", "add_to_cart", _at(hours=3), {"category": "shoes"}, "s6"),
    (
        "carol",
        "purchase",
        _at(hours=1),
        {"revenue": 30, "state": "CA", "shipping": {"country": "MX"}},
        "s6",
    ),
    ("carol", "page_view", _at(days=1), None, "s7"),
    ("carol", "page_view", _at(days=8), None, "s8"),
    ("carol", "page_view", _at(days=15), None, "s9"),
    ("erin", "page_view", AS_OF, {"page": "/"}, None),
    ("erin", "page_view", AS_OF + dt.timedelta(seconds=1), {"page": "/future"}, None),
    ("dave", "search", _at(days=31), {"term": "trail running shoes"}, "s10"),
    ("dave", "email_click", _at(days=3), {"campaign": HOSTILE}, None),
]

EVENTS: list[dict[str, Any]] = [
    {
        "event_id": f"e{i}",
        "profile_id": p,
        "event_type": t,
        "event_ts": ts,
        "properties": props,
        "session_id": session,
        "loaded_at": ts,
        "channel": "web" if i % 2 else "app",
    }
    for i, (p, t, ts, props, session) in enumerate(_EVENTS)
]
