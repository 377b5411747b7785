"""The benchmark's segment packs.

* The **50 pack**: the demo segments under ``segments/`` (every node kind: attributes, counts and
  aggregates over several windows, count_distinct, sequences with and without then_not, segment
  references, sql) except those on Customer AI scores, plus variations up to 50. The variations
  are also written by hand (``VARIATIONS``: the YAML and the SQL side by side), so the whole pack
  has a hand-written baseline.
* The **500 pack**: the same templates over a larger grid of parameters (engine only), for the
  cost of many segments.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Variation:
    name: str
    definition: dict[str, object]
    hand_sql: str  # the select of members; {AS_OF} is replaced by a timestamp literal


def _spend(days: int, at_least: int) -> Variation:
    return Variation(
        f"spend_{days}d_{at_least}",
        {
            "event": "purchase",
            "during": {"last": f"{days}d"},
            "sum": {"of": "revenue", "gte": at_least},
        },
        f"""select profile_id from raw.events
where event_type = 'purchase' and event_ts > {{AS_OF}} - interval {days} day and event_ts <= {{AS_OF}}
group by profile_id having sum(try_cast(properties->>'$.revenue' as decimal(38, 9))) >= {at_least}""",
    )


def _active(days: int, at_least: int) -> Variation:
    return Variation(
        f"active_{days}d_{at_least}",
        {"event": "*", "during": {"last": f"{days}d"}, "count": {"gte": at_least}},
        f"""select profile_id from raw.events
where event_ts > {{AS_OF}} - interval {days} day and event_ts <= {{AS_OF}}
group by profile_id having count(*) >= {at_least}""",
    )


def _category(category: str, days: int) -> Variation:
    return Variation(
        f"views_{category}_{days}d",
        {
            "event": "product_view",
            "during": {"last": f"{days}d"},
            "where": {"property": "category", "equals": category},
        },
        f"""select distinct profile_id from raw.events
where event_type = 'product_view' and event_ts > {{AS_OF}} - interval {days} day
  and event_ts <= {{AS_OF}} and properties->>'$.category' = '{category}'""",
    )


def _country_tier(country: str, tier: str) -> Variation:
    return Variation(
        f"tier_{tier}_{country.lower()}",
        {
            "all": [
                {"attribute": "country", "equals": country},
                {"attribute": "loyalty_tier", "equals": tier},
            ]
        },
        f"""select profile_id from raw.profiles where country = '{country}' and loyalty_tier = '{tier}'""",
    )


def _sessions(days: int, at_least: int) -> Variation:
    return Variation(
        f"sessions_{days}d_{at_least}",
        {
            "event": "*",
            "during": {"last": f"{days}d"},
            "count_distinct": {"of": "session", "gte": at_least},
        },
        f"""select profile_id from raw.events
where event_ts > {{AS_OF}} - interval {days} day and event_ts <= {{AS_OF}}
group by profile_id having count(distinct session_id) >= {at_least}""",
    )


def _search_then_buy(days: int, hours: int) -> Variation:
    return Variation(
        f"search_then_buy_{days}d_{hours}h",
        {
            "sequence": {
                "during": {"last": f"{days}d"},
                "steps": [{"event": "search"}, {"event": "purchase", "within": f"{hours}h"}],
            }
        },
        f"""select distinct b.profile_id from raw.events as b
where b.event_type = 'purchase' and b.event_ts > {{AS_OF}} - interval {days} day and b.event_ts <= {{AS_OF}}
  and exists (
      select 1 from raw.events as s
      where s.profile_id = b.profile_id and s.event_type = 'search'
        and s.event_ts > {{AS_OF}} - interval {days} day
        and s.event_ts < b.event_ts and s.event_ts >= b.event_ts - interval {hours} hour)""",
    )


def _viewed_not_bought(days: int) -> Variation:
    return Variation(
        f"viewed_not_bought_{days}d",
        {
            "sequence": {
                "during": {"last": f"{days}d"},
                "steps": [{"event": "product_view"}],
                "then_not": {"event": "purchase", "within": "48h"},
            }
        },
        f"""select distinct v.profile_id from raw.events as v
where v.event_type = 'product_view' and v.event_ts > {{AS_OF}} - interval {days} day
  and v.event_ts <= {{AS_OF}} and v.event_ts + interval 48 hour <= {{AS_OF}}
  and not exists (
      select 1 from raw.events as p
      where p.profile_id = v.profile_id and p.event_type = 'purchase'
        and p.event_ts > v.event_ts and p.event_ts <= v.event_ts + interval 48 hour)""",
    )


VARIATIONS = [
    _spend(30, 200),
    _spend(180, 1000),
    _spend(365, 1500),
    _active(7, 10),
    _active(60, 40),
    _active(180, 100),
    _category("shoes", 30),
    _category("fitness", 60),
    _category("apparel", 90),
    _country_tier("US", "gold"),
    _country_tier("DE", "platinum"),
    _sessions(7, 2),
    _sessions(90, 10),
    _search_then_buy(30, 2),
    _search_then_buy(90, 24),
    _viewed_not_bought(14),
    _viewed_not_bought(60),
]


def many_variations(count: int = 500) -> list[Variation]:
    """``count`` distinct variations over a grid of the templates' parameters."""
    grids = [
        (_spend, itertools.product((7, 14, 30, 60, 90, 180, 365), range(100, 2100, 100))),
        (_active, itertools.product((1, 3, 7, 14, 30, 60, 90, 180, 365), range(5, 105, 5))),
        (
            _category,
            itertools.product(
                ("shoes", "fitness", "apparel", "electronics", "accessories"),
                (7, 14, 30, 60, 90, 180, 365),
            ),
        ),
        (
            _country_tier,
            itertools.product(
                ("US", "ES", "MX", "GB", "DE", "FR", "BR"), ("bronze", "silver", "gold", "platinum")
            ),
        ),
        (_sessions, itertools.product((7, 14, 30, 60, 90), range(1, 21))),
        (_search_then_buy, itertools.product((14, 30, 60, 90), (1, 2, 6, 12, 24, 48))),
        (_viewed_not_bought, ((d,) for d in (7, 14, 21, 30, 45, 60, 90))),
    ]
    pools = [[make(*args) for args in grid] for make, grid in grids]
    chosen: list[Variation] = []
    # Round-robin over the templates so every node kind is in the mix.
    for group in itertools.zip_longest(*pools):
        chosen.extend(v for v in group if v is not None)
    if len(chosen) < count:
        raise ValueError(f"the grid holds {len(chosen)} variations, fewer than {count}")
    return chosen[:count]


def demo_segments() -> dict[str, str]:
    """The demo segment files (name -> YAML text) that do not use Customer AI scores."""
    found = {}
    for path in sorted((ROOT / "segments").glob("*.yml")):
        text = path.read_text(encoding="utf-8")
        doc = yaml.safe_load(text)
        if "segment" in doc and "propensity" not in text:
            found[path.stem] = text
    return found


def segment_yaml(variation: Variation) -> str:
    return yaml.safe_dump(
        {
            "segment": variation.name,
            "description": f"benchmark variation {variation.name}",
            "tags": ["benchmark"],
            "condition": variation.definition,
        },
        sort_keys=False,
    )


def pack(size: int) -> dict[str, str]:
    """The 50 pack (size 50) or the many-segments pack (any other size): name -> YAML."""
    if size == 50:
        files = demo_segments()
        files.update({v.name: segment_yaml(v) for v in VARIATIONS})
        return files
    return {v.name: segment_yaml(v) for v in many_variations(size)}


def hand_written_statements() -> list[tuple[str, str]]:
    """(name, SQL) of the 50 pack's hand-written baseline, in an order that respects references."""
    text = (Path(__file__).parent / "hand_written.sql").read_text(encoding="utf-8")
    statements = []
    for chunk in text.split("-- segment: ")[1:]:
        name, sql = chunk.split("\n", 1)
        statements.append((name.strip(), sql.strip().rstrip(";")))
    statements += [
        (v.name, f"create or replace table bench_hand.{v.name} as\n{v.hand_sql}")
        for v in VARIATIONS
    ]
    return statements
