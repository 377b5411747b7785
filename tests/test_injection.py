"""Hostile values are matched literally; hostile sql: strings are refused; raw tables untouched."""

from __future__ import annotations

import pytest
import yaml

from fixture_store import AS_OF_TEXT, EVENT_TYPES, EVENTS, HOSTILE, PROFILE_TYPES, PROFILES
from harness import TempProject
from segkit.language.sqlcheck import check_sql

pytestmark = pytest.mark.dbt

HOSTILE_VALUES = [
    HOSTILE,
    "x' or '1'='1",
    "\\'; select 1; --",
    "}} {{ ref('x') }} {% raw %}",
    "100% _sure_",
    "line\nbreak",
    'ñandú "quoted"',
]


def test_hostile_values_are_literals(project: TempProject) -> None:
    events = [*EVENTS]
    for i, value in enumerate(HOSTILE_VALUES):
        events.append(
            {
                "event_id": f"h{i}",
                "profile_id": f"hostile{i}",
                "event_type": "search",
                "event_ts": EVENTS[0]["event_ts"],
                "properties": {"term": value},
                "loaded_at": EVENTS[0]["event_ts"],
            }
        )
    project.write_store(events, PROFILES, EVENT_TYPES, PROFILE_TYPES)
    for i, value in enumerate(HOSTILE_VALUES):
        project.write_segment(
            f"exact_{i}",
            {
                "segment": f"exact_{i}",
                "description": value,
                "owner": value,
                "condition": {"event": "search", "where": {"property": "term", "equals": value}},
            },
        )
        project.write_segment(
            f"listed_{i}",
            {
                "segment": f"listed_{i}",
                "description": "d",
                "condition": {
                    "event": "search",
                    "where": {"property": "term", "in": [value, "nothing"]},
                },
            },
        )
    project.write_segment(
        "percent",
        {
            "segment": "percent",
            "description": "d",
            "condition": {"event": "search", "where": {"property": "term", "contains": "% _"}},
        },
    )
    project.write_segment(
        "email",
        {
            "segment": "email",
            "description": "d",
            "condition": {"attribute": "email", "starts_with": "O'Brien'); drop"},
        },
    )
    before = project.query(
        "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
    )
    project.generate()
    project.build(AS_OF_TEXT, tests=False)
    for i in range(len(HOSTILE_VALUES)):
        assert project.members(f"exact_{i}") == {f"hostile{i}"}
        assert project.members(f"listed_{i}") == {f"hostile{i}"}
    assert project.members("percent") == {"hostile4"}
    assert project.members("email") == {"dave"}
    catalog = {
        r[0]: r[1:]
        for r in project.query(
            "select segment, description, owner from segmentation.segment_catalog"
        )
    }
    assert [catalog[f"exact_{i}"] for i in range(len(HOSTILE_VALUES))] == [
        (v, v) for v in HOSTILE_VALUES
    ]
    # BI tools show the published tables' comments: the descriptions, verbatim
    comments = dict(
        project.query(
            "select table_name, comment from duckdb_tables() where schema_name = 'segments'"
        )
    )
    assert [comments[f"exact_{i}"] for i in range(len(HOSTILE_VALUES))] == HOSTILE_VALUES
    after = project.query(
        "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
    )
    assert after == before
    assert project.query("select count(*) from raw.events")[0][0] == len(events)


@pytest.mark.parametrize(
    "source",
    [
        "age > 1; drop table raw.events",
        "age > 1); drop table raw.events; --",
        "age in (select age from raw.profiles)",
        "exists (select 1)",
        "raw.profiles.age > 1",
        "read_csv('/etc/passwd') is not null",
        "getenv('HOME') = 'x'",
        "age > 1 union select 1",
        "*",
        "(select 1) = 1",
        "copy raw.events to '/tmp/x.csv'",
        "attach '/tmp/x.db' as x",
        "pragma version",
        "now() > signup_date",
        "email = 'x'); drop table raw.events; --",
    ],
)
def test_hostile_sql_is_refused(source: str) -> None:
    assert check_sql(source, ["age", "email", "signup_date"]).problems


def test_hostile_sql_never_reaches_a_file(project: TempProject) -> None:
    project.write_segment(
        "evil",
        yaml.safe_dump(
            {
                "segment": "evil",
                "description": "d",
                "condition": {"sql": "age > 1; drop table raw.events"},
            },
            sort_keys=False,
        ),
    )
    project_state = project.load()
    assert [str(d) for d in project_state.errors] == [
        "segments/evil.yml:4: exactly one expression is allowed, found 2 statements"
    ]
