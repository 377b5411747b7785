"""dbt integration: exact members of hand-written segments on the tiny hand-made store."""

from __future__ import annotations

import pytest

from fixture_store import AS_OF_TEXT, EVENT_TYPES, EVENTS, HOSTILE, PROFILE_TYPES, PROFILES
from harness import TempProject

pytestmark = pytest.mark.dbt

SEGMENTS: dict[str, tuple[str, set[str]]] = {
    "running_shoes_searchers": (
        """
segment: running_shoes_searchers
description: Searched for running shoes in the last 30 days, no purchase since.
condition:
  sequence:
    during: {last: 30d}
    steps:
      - event: search
        where: {property: term, contains: running shoes, ignore_case: true}
    then_not:
      event: purchase
""",
        {"alice"},
    ),
    "iberian_or_mexican": (
        """
segment: iberian_or_mexican
description: Lives in Spain or Mexico.
condition: {attribute: country, in: [ES, MX]}
""",
        {"alice", "bob", "dave"},
    ),
    "not_gold": (
        """
segment: not_gold
description: Not gold (profiles without a tier, or without a profile row, count as not gold).
condition:
  not: {attribute: loyalty_tier, equals: gold}
""",
        {"bob", "carol", "dave", "erin", "frank"},
    ),
    "big_spenders_90d": (
        """
segment: big_spenders_90d
description: Spent 300 or more in the last 90 days.
condition:
  event: purchase
  during: {last: 90d}
  sum: {of: revenue, gte: 300}
""",
        {"alice"},
    ),
    "active_last_hour": (
        """
segment: active_last_hour
description: Any event in the last hour (an event exactly at as_of counts, one after never).
condition: {event: "*", during: {last: 1h}}
""",
        {"erin"},
    ),
    "never_active": (
        """
segment: never_active
description: No event at all.
condition: {event: "*", count: {equals: 0}}
""",
        {"frank"},
    ),
    "hostile_email": (
        """
segment: hostile_email
description: Matches a hostile string literally.
condition:
  attribute: email
  equals: "O'Brien'); drop table raw.events; --"
""",
        {"dave"},
    ),
    "bought_out_of_state": (
        """
segment: bought_out_of_state
description: A purchase shipped to another state than the home state.
condition:
  event: purchase
  where: {property: state, not_equals: {attribute: home_state}}
""",
        {"alice", "carol"},
    ),
    "fast_converters": (
        """
segment: fast_converters
description: Added to cart, then bought within a day.
condition:
  sequence:
    steps:
      - event: add_to_cart
      - event: purchase
        within: 1d
""",
        {"carol"},
    ),
    "spanish_non_big_spenders": (
        """
segment: spanish_non_big_spenders
description: In Spain or Mexico and not a big spender.
condition:
  all:
    - in_segment: iberian_or_mexican
    - not: {in_segment: big_spenders_90d}
""",
        {"bob", "dave"},
    ),
    "adults_by_sql": (
        """
segment: adults_by_sql
description: Adults, by the sql escape hatch.
condition: {sql: "age >= 18 and coalesce(is_vip, false) = false"}
""",
        {"carol", "frank"},
    ),
    "example_addresses": (
        """
segment: example_addresses
description: An address at example.com (like is case-sensitive; BOB@EXAMPLE.COM is not one).
condition: {attribute: email, like: "%@example.com"}
""",
        {"alice", "frank"},
    ),
    "like_quotes_and_single_characters": (
        """
segment: like_quotes_and_single_characters
description: like patterns with a quote, and _ for one character, ignoring case.
condition:
  any:
    - {attribute: email, like: "O'Brien'); drop%"}
    - {attribute: email, like: "_ob@%", ignore_case: true}
""",
        {"bob", "dave"},
    ),
    "weekly_visitors": (
        """
segment: weekly_visitors
description: Page views in at least 3 distinct weeks of the last 4 weeks.
condition:
  event: page_view
  during: {last: 4w}
  count_distinct: {of: event_week, gte: 3}
""",
        {"carol"},
    ),
}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> TempProject:
    project = TempProject(tmp_path_factory.mktemp("segments_dbt") / "project")
    project.write_store(EVENTS, PROFILES, EVENT_TYPES, PROFILE_TYPES)
    for name, (text, _) in SEGMENTS.items():
        project.write_segment(name, text)
    project.generate()
    project.build(AS_OF_TEXT)
    return project


@pytest.mark.parametrize("segment", sorted(SEGMENTS))
def test_exact_members(built: TempProject, segment: str) -> None:
    assert built.members(segment) == SEGMENTS[segment][1]


def test_segment_tables_have_the_documented_columns(built: TempProject) -> None:
    rows = built.query(
        "select column_name from information_schema.columns "
        "where table_schema = 'segments' and table_name = 'not_gold' order by ordinal_position"
    )
    assert [r[0] for r in rows] == ["profile_id", "qualified_at", "evaluated_at", "split"]
    evaluated = built.query('select distinct evaluated_at, qualified_at from segments."not_gold"')
    assert [(str(a), str(b)) for a, b in evaluated] == [
        ("2024-03-15 12:00:00", "2024-03-15 12:00:00")
    ]


def test_catalog_lists_every_segment_with_its_size(built: TempProject) -> None:
    rows = built.query(
        "select segment, size, depends_on from segmentation.segment_catalog order by 1"
    )
    assert {r[0]: r[1] for r in rows} == {k: len(v[1]) for k, v in SEGMENTS.items()}
    depends = {r[0]: r[2] for r in rows}
    assert depends["spanish_non_big_spenders"] == ["big_spenders_90d", "iberian_or_mexican"]


def test_hostile_values_leave_raw_tables_untouched(built: TempProject) -> None:
    assert built.query("select count(*) from raw.events")[0][0] == len(EVENTS)
    assert built.query("select count(*) from raw.profiles where email = ?", [HOSTILE])[0][0] == 1
