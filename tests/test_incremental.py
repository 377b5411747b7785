"""Incremental evaluation equals full evaluation: random sequences of loads (new events, late
events with old timestamps, attribute changes) and evaluations (as_of moving by an hour to weeks,
across month and year ends, re-runs), run both ways on two copies; every table must match, and so
must every event condition's value (the incremental run updates the counting state with the
events that entered and left each window; the full run counts again)."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness import TempProject, identity_link
from language_strategies import (
    AS_OFS,
    COUNTRIES,
    EVENT_COLUMN_TYPES,
    EVENT_TYPES,
    PROFILE_TYPES,
    conditions,
    dbt_examples,
    stores,
)

pytestmark = pytest.mark.dbt

SEGMENTS = 24
STEPS = 4
EXAMPLES = int(os.environ.get("SEGMENTS_INCREMENTAL_EXAMPLES", "1"))
PROFILE_TYPES_WITH_UPDATES = {**PROFILE_TYPES, "updated_at": "timestamp"}
COMPARED = {
    "members": "select segment, profile_id, split from intermediate.int_segment_members__unioned",
    "membership": "select * from segmentation.segment_membership",
    "history": "select * from segmentation.segment_membership_history",
    "sequence verdicts": "select * exclude (state_as_of, state_loaded_until) "
    "from intermediate.int_sequence_conditions__matched",
    "spans": "select * from segmentation.segment_membership_spans",
    "summary": "select * from segmentation.segment_summary",
    "identity map": "select * from segmentation.identity_map",
    "rejected links": "select * from segmentation.identity_rejected_links",
}


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    as_of = draw(st.sampled_from(AS_OFS))
    events, profiles = draw(stores(as_of))
    # Most CRM extracts have no updated_at: their rows are rewritten in place, found by hashes.
    dated = draw(st.booleans())
    # stitched profiles (raw.identities, links arriving at every step): the first value, so
    # that the one example CI draws has them
    stitched = draw(st.sampled_from([True, False]))
    for e in events:
        e["loaded_at"] = as_of - dt.timedelta(minutes=1)
    for p in profiles:
        if dated:
            p["updated_at"] = as_of - dt.timedelta(days=30)
    definitions: list[tuple[str, dict]] = []
    for index in range(SEGMENTS):
        names = [name for name, _ in definitions]
        definitions.append((f"seg_{index:02d}", draw(conditions(as_of, names))))
    steps, moment = [], as_of
    for step in range(STEPS):
        moment = moment + draw(
            st.sampled_from(
                [
                    dt.timedelta(0),
                    dt.timedelta(hours=1),
                    dt.timedelta(days=1),
                    dt.timedelta(days=3),
                    dt.timedelta(days=16),
                    dt.timedelta(days=40),
                ]
            )
        )
        new_events = []
        for i in range(draw(st.integers(0, 6))):
            age = draw(
                st.sampled_from([0, 60, 3600, 86400, 7 * 86400, 45 * 86400])
            )  # late arrivals too
            new_events.append(
                {
                    "event_id": f"step{step}-{i}",
                    "profile_id": f"p{draw(st.integers(0, 35)):02d}",
                    "event_type": draw(st.sampled_from(EVENT_TYPES)),
                    "event_ts": moment - dt.timedelta(seconds=age),
                    "properties": {"revenue": draw(st.sampled_from([5, 20, 100]))},
                    "loaded_at": moment - dt.timedelta(seconds=30),
                    "channel": "web",
                }
            )
        updates = [
            (
                f"p{draw(st.integers(0, 35)):02d}",
                draw(st.sampled_from(COUNTRIES)),
                draw(st.integers(10, 80)),
            )
            for _ in range(draw(st.integers(0, 3)))
        ]
        deletes = [f"p{draw(st.integers(0, 35)):02d}" for _ in range(draw(st.integers(0, 1)))]
        links = draw(new_links(moment, step)) if stitched else []
        steps.append(
            {
                "as_of": moment,
                "events": new_events,
                "updates": updates,
                "deletes": deletes,
                "links": links,
            }
        )
    return {
        "events": events,
        "profiles": profiles,
        "definitions": definitions,
        "steps": steps,
        "dated": dated,
        "stitched": stitched,
    }


@st.composite
def new_links(draw: st.DrawFn, moment: dt.datetime, step: int) -> list[dict[str, Any]]:
    """Identity links arriving at a step: devices joined to each other and to CRM ids (the
    project's limit of one CRM id per profile skips some). The simplest draw links p00 (C0's
    from the start) to p17, p16, ... (every store has p00-p17) at successive steps: a profile
    absorbed at every step. Some links arrive late (observed_at NULL), which can change which
    link of a component is over the limit."""
    links = []
    for _ in range(draw(st.integers(1, 4))):
        device = f"p{draw(st.integers(0, 35)):02d}"
        other = (
            (f"C{draw(st.integers(0, 4))}", "crm_id")
            if draw(st.booleans())
            else (f"p{(17 - step - draw(st.integers(0, 17))) % 18:02d}", "device")
        )
        # some arrive late: observed_at NULL applies before every link stitched so far
        observed = draw(st.sampled_from([moment - dt.timedelta(seconds=10), None]))
        links.append(identity_link(device, "device", *other, observed))
    return links


def insert_events(con: Any, events: list[dict[str, Any]]) -> None:
    """Append events to raw.events, each with the columns it has (properties as JSON)."""
    for e in events:
        row = {k: json.dumps(v) if k == "properties" else v for k, v in e.items()}
        con.execute(
            f"insert into raw.events ({', '.join(row)}) values ({', '.join('?' for _ in row)})",
            list(row.values()),
        )


def apply_step(project: TempProject, step: dict[str, Any], dated: bool = True) -> None:
    """New events; profile rows deleted; attribute changes, as a new version stamped with
    updated_at in a dated store, rewritten in place (or added) otherwise."""
    con = project.connect()
    insert_events(con, step["events"])
    con.close()
    if step.get("links"):
        project.write_identities(step["links"], append=True)
    con = project.connect()
    for profile_id in step.get("deletes", []):
        con.execute("delete from raw.profiles where profile_id = ?", [profile_id])
    for profile_id, country, age in step["updates"]:
        if dated:
            con.execute(
                "insert into raw.profiles (profile_id, country, age, updated_at) "
                "values (?, ?, ?, ?)",
                [profile_id, country, age, step["as_of"] - dt.timedelta(seconds=20)],
            )
            continue
        con.execute("delete from raw.profiles where profile_id = ?", [profile_id])
        con.execute(
            "insert into raw.profiles (profile_id, country, age) values (?, ?, ?)",
            [profile_id, country, age],
        )
    con.close()


def condition_values_sql(project: TempProject) -> str:
    """Every event condition's value per profile (not the state_ columns: the counting's bookkeeping)."""
    columns = [
        name
        for (name,) in project.query(
            "select column_name from information_schema.columns "
            "where table_name = 'int_event_conditions__aggregated' "
            "and column_name not like 'state\\_%' escape '\\' order by column_name"
        )
    ]
    return f"select {', '.join(columns)} from intermediate.int_event_conditions__aggregated"


def published_tables_sql(project: TempProject) -> str:
    """Every row of every published segment table, with its table's name."""
    tables = project.query(
        "select table_name from information_schema.tables where table_schema = 'segments'"
    )
    selects = [
        f"select '{name}' as segment_table, * from segments.\"{name}\"" for (name,) in tables
    ]
    return " union all ".join(selects) or "select null where false"


def evaluate_from_scratch(project: TempProject, as_of: dt.datetime) -> None:
    """The reference: a full evaluation that also writes every published row again
    (--full-refresh; a plain full evaluation carries the published tables forward)."""
    project.dbt("run", "--full-refresh", as_of=as_of.isoformat())


def snapshot(project: TempProject) -> dict[str, set]:
    queries = {
        **COMPARED,
        "condition values": condition_values_sql(project),
        "published tables": published_tables_sql(project),
    }
    return {name: set(project.query(sql)) for name, sql in queries.items()}


def assert_same_tables(incremental: TempProject, full: TempProject, context: str) -> None:
    """Every compared table of the two projects holds the same rows."""
    got, expected = snapshot(incremental), snapshot(full)
    for table in expected:
        assert got[table] == expected[table], (
            f"{context}: {table} differs; "
            f"incremental-only {sorted(got[table] - expected[table])[:5]}, "
            f"full-only {sorted(expected[table] - got[table])[:5]}"
        )


@dbt_examples(EXAMPLES)
@given(scenario=scenarios())
def test_incremental_equals_full(scenario: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        incremental, full = (TempProject(Path(folder) / name) for name in ("incremental", "full"))
        first = scenario["steps"][0]["as_of"] - dt.timedelta(days=1)
        for project in (incremental, full):
            project.write_store(
                scenario["events"],
                scenario["profiles"],
                EVENT_COLUMN_TYPES,
                PROFILE_TYPES_WITH_UPDATES if scenario["dated"] else PROFILE_TYPES,
            )
            if scenario["stitched"]:
                project.write_identities([identity_link("p00", "device", "C0", "crm_id")])
            for name, condition in scenario["definitions"]:
                project.write_segment(
                    name, {"segment": name, "description": "generated", "condition": condition}
                )
            project.generate()
            project.dbt("run", as_of=first.isoformat())
        modes = []
        for number, step in enumerate(scenario["steps"], start=1):
            for project in (incremental, full):
                apply_step(project, step, scenario["dated"])
            incremental.dbt("run", as_of=step["as_of"].isoformat())
            evaluate_from_scratch(full, step["as_of"])
            modes.append(
                incremental.query(
                    "select mode, profiles_evaluated from segmentation.evaluation_log "
                    "order by started_at desc limit 1"
                )[0]
            )
            assert_same_tables(incremental, full, f"step {number} (as_of {step['as_of']})")
        assert all(mode == "incremental" for mode, _ in modes), modes


def write_one_visit(project: TempProject, day: dt.datetime, with_profile: bool) -> None:
    """A store with one visit by a, loaded when it happened (and a's profile row, updated then)."""
    project.write_store(
        [
            {
                "event_id": "e1",
                "profile_id": "a",
                "event_type": "visit",
                "event_ts": day,
                "loaded_at": day,
            }
        ],
        [{"profile_id": "a", "updated_at": day}] if with_profile else [],
        None,
        {"updated_at": "timestamp"},
    )


def test_changes_that_cannot_be_incremental_fall_back_to_full(project: TempProject) -> None:
    write_one_visit(project, dt.datetime(2024, 1, 1), with_profile=True)
    project.write_segment(
        "visitors",
        "segment: visitors\ndescription: d\ncondition: {event: visit, during: {last: 7d}}\n",
    )
    project.generate()

    def last() -> tuple:
        return project.query(
            "select mode, mode_reason from segmentation.evaluation_log order by started_at desc limit 1"
        )[0]

    project.dbt("run", as_of="2024-01-02T00:00:00")
    assert last() == ("full", "first evaluation")
    project.dbt("run", as_of="2024-01-03T00:00:00")
    assert last() == ("incremental", "only profiles that can have changed")
    project.write_segment(
        "visitors",
        "segment: visitors\ndescription: d\ncondition: {event: visit, during: {last: 8d}}\n",
    )
    project.generate()
    project.dbt("run", as_of="2024-01-04T00:00:00")
    assert last() == ("full", "definitions changed since the previous evaluation")
    project.dbt("run", "--full-refresh", as_of="2024-01-05T00:00:00")
    assert last() == ("full", "--full-refresh")
    con = project.connect()
    con.execute("alter table raw.events drop column loaded_at")
    con.close()
    project.dbt("run", as_of="2024-01-06T00:00:00")
    assert last() == ("full", "raw.events has no loaded_at column")
    assert project.members("visitors") == {"a"}


def test_loads_with_the_same_coarse_timestamp_are_not_missed(project: TempProject) -> None:
    day = dt.datetime(2024, 1, 1)
    write_one_visit(project, day, with_profile=False)
    project.write_segment(
        "visitors", "segment: visitors\ndescription: d\ncondition: {event: visit}\n"
    )
    project.generate()
    project.dbt("run", as_of="2024-01-02T00:00:00")
    con = project.connect()  # a second load stamped with the same (daily) loaded_at
    con.execute(
        "insert into raw.events (event_id, profile_id, event_type, event_ts, loaded_at) "
        "values ('e2', 'b', 'visit', ?, ?)",
        [day, day],
    )
    con.execute("insert into raw.profiles (profile_id, updated_at) values ('c', null)")
    con.close()
    project.dbt("run", as_of="2024-01-02T00:00:00")
    assert project.query("select mode from segmentation.evaluation_log")[0] == ("incremental",)
    assert project.members("visitors") == {"a", "b"}


def test_rerunning_the_latest_as_of_keeps_changes_of_profiles_not_re_evaluated(
    project: TempProject,
) -> None:
    """The re-run undoes the evaluation's spans first; a exited by time alone, so the re-run
    (incremental, nothing arrived) does not re-evaluate a, yet its exit must stay recorded."""
    day = dt.datetime(2024, 1, 1)
    write_one_visit(project, day, with_profile=True)
    project.write_segment(
        "visitors",
        "segment: visitors\ndescription: d\ncondition: {event: visit, during: {last: 7d}}\n",
    )
    project.generate()
    lifecycle = {key: COMPARED[key] for key in ("membership", "history", "spans")}
    project.dbt("run", as_of="2024-01-02T00:00:00")
    evaluations = (
        "select mode, profiles_evaluated from segmentation.evaluation_log order by started_at"
    )
    project.dbt("run", as_of="2024-01-09T00:00:00")
    assert project.query(evaluations) == [("full", 1), ("incremental", 1)]
    first = {table: project.query(sql + " order by all") for table, sql in lifecycle.items()}
    project.dbt("run", as_of="2024-01-09T00:00:00")  # replaces the evaluation's log row
    assert project.query(evaluations) == [("full", 1), ("incremental", 0)]
    again = {table: project.query(sql + " order by all") for table, sql in lifecycle.items()}
    assert again == first
    entered, exited = dt.datetime(2024, 1, 2), dt.datetime(2024, 1, 9)
    assert first["history"] == [  # (profile, segment, change, split, evaluated_at, reason)
        ("a", "visitors", "entered", None, entered, None),
        ("a", "visitors", "exited", None, exited, None),
    ]
    assert first["spans"] == [("visitors", "a", entered, exited, None)]
    assert first["membership"] == [("a", "visitors", "exited", entered, exited, exited, None)]


@pytest.mark.parametrize("full", [False, True], ids=["incremental", "full"])
def test_membership_and_segment_tables_take_exactly_each_evaluations_changes(
    project: TempProject, full: bool
) -> None:
    """segment_membership and segments.<name> are carried forward from the previous evaluation
    (only this evaluation's entries and exits are written), by incremental and full evaluations
    alike: every evaluation's rows, statuses and evaluated_at must be exactly those of a rewrite,
    including the previous exits leaving."""
    day = dt.datetime(2024, 1, 10)
    visits = [("a", 0), ("b", 1), ("c", 2), ("a", 3)]  # (profile, days before `day`)
    project.write_store(
        [
            {
                "event_id": f"e{number}",
                "profile_id": profile_id,
                "event_type": "visit",
                "event_ts": day - dt.timedelta(days=days),
                "loaded_at": day - dt.timedelta(days=days),
            }
            for number, (profile_id, days) in enumerate(visits)
        ],
        [{"profile_id": profile_id, "updated_at": day} for profile_id in "abc"],
        None,
        {"updated_at": "timestamp"},
    )
    project.write_segment(
        "recent",
        "segment: recent\ndescription: d\ncondition: {event: visit, during: {last: 2d}}\n",
    )
    project.generate()
    d10, d11, d12, d13 = (day + dt.timedelta(days=n) for n in range(4))
    mode = "full" if full else "incremental"

    def evaluate(as_of: dt.datetime) -> tuple[list, list, str]:
        project.dbt("run", as_of=as_of.isoformat(), extra_vars={"full_evaluation": full})
        membership = project.query(
            "select profile_id, status, qualified_at, exited_at, evaluated_at "
            "from segmentation.segment_membership order by all"
        )
        table = project.query("select * from segments.recent order by all")
        logged_mode = project.query(
            "select mode from segmentation.evaluation_log order by started_at desc limit 1"
        )[0][0]
        return membership, table, logged_mode

    assert evaluate(d10) == (
        [("a", "realized", d10, None, d10), ("b", "realized", d10, None, d10)],
        [("a", d10, d10, None), ("b", d10, d10, None)],
        "full",
    )
    assert evaluate(d11) == (
        [("a", "existing", d10, None, d11), ("b", "exited", d10, d11, d11)],
        [("a", d10, d11, None)],
        mode,
    )
    con = project.connect()
    con.execute(
        "insert into raw.events (event_id, profile_id, event_type, event_ts, loaded_at) "
        "values ('e4', 'c', 'visit', ?, ?)",
        [d12, d12],
    )
    con.close()
    assert evaluate(d12) == (
        [("a", "exited", d10, d12, d12), ("c", "realized", d12, None, d12)],
        [("c", d12, d12, None)],
        mode,
    )
    assert evaluate(d13) == (
        [("c", "existing", d12, None, d13)],
        [("c", d12, d13, None)],
        mode,
    )
    # a re-run of the latest as_of writes every row again: the same tables
    assert evaluate(d13) == (
        [("c", "existing", d12, None, d13)],
        [("c", d12, d13, None)],
        mode,
    )


def evaluate_side_by_side(
    folder: Path,
    events: list[dict[str, Any]],
    profile_ids: str,
    segments: dict[str, str],
    first_as_of: dt.datetime,
    later: list[tuple[dt.datetime, list[dict[str, Any]]]],
) -> TempProject:
    """Evaluate the same store and segments incrementally and fully, at first_as_of and then at
    each later as_of after its arrivals, asserting after each that both agree on every compared
    table and every condition value; returns the incremental project."""
    projects = [TempProject(folder / name) for name in ("incremental", "full")]
    for project in projects:
        project.write_store(
            events,
            [
                {"profile_id": p, "updated_at": first_as_of - dt.timedelta(days=60)}
                for p in profile_ids
            ],
            None,
            {"updated_at": "timestamp"},
        )
        for name, condition in segments.items():
            project.write_segment(
                name, f"segment: {name}\ndescription: d\ncondition: {condition}\n"
            )
        project.generate()
        project.dbt("run", as_of=first_as_of.isoformat())
    incremental, full = projects
    for as_of, arrivals in later:
        for project in projects:
            con = project.connect()
            insert_events(con, arrivals)
            con.close()
        incremental.dbt("run", as_of=as_of.isoformat())
        evaluate_from_scratch(full, as_of)
        assert incremental.query(
            "select mode from segmentation.evaluation_log order by started_at desc limit 1"
        ) == [("incremental",)]
        got, expected = snapshot(incremental), snapshot(full)
        for table in expected:
            assert got[table] == expected[table], (
                f"as_of {as_of}: {table} differs; incremental-only "
                f"{sorted(got[table] - expected[table])}, full-only {sorted(expected[table] - got[table])}"
            )
    return incremental


EDGE_SEGMENTS = {
    "count_7d": "{event: purchase, during: {last: 7d}, count: {gte: 2}}",
    "sum_7d": "{event: purchase, during: {last: 7d}, sum: {of: revenue, gte: 100}}",
    "avg_7d": "{event: purchase, during: {last: 7d}, avg: {of: revenue, gte: 30}}",
    "max_7d": "{event: purchase, during: {last: 7d}, max: {of: revenue, gte: 50}}",
    "min_7d": "{event: purchase, during: {last: 7d}, min: {of: revenue, lte: 10}}",
    "distinct_7d": "{event: purchase, during: {last: 7d}, count_distinct: {of: category, gte: 2}}",
    "before_30d": "{event: purchase, during: {before: 30d}}",
    "this_month": "{event: purchase, during: {this: month}, count: {gte: 2}}",
    "first_cheap": "{event: purchase, min: {of: revenue, lte: 10}}",
}


def test_updated_counts_equal_recounted_ones_at_every_window_edge() -> None:
    """Events leave and enter each window (the extreme of a max leaves, the last of a category
    leaves, a month rolls over, a future-dated event becomes due), others arrive late: the
    incremental evaluation updates the counting state and must agree with a full recount."""
    t0 = dt.datetime(2024, 1, 30, 12)
    loaded = t0 - dt.timedelta(hours=1)

    def purchase(n: str, profile: str, age_days: float, revenue: float, category: str) -> dict:
        return {
            "event_id": n,
            "profile_id": profile,
            "event_type": "purchase",
            "event_ts": t0 - dt.timedelta(days=age_days),
            "properties": {"revenue": revenue, "category": category},
            "loaded_at": loaded,
        }

    events = [
        purchase("a1", "a", 6.5, 60.0, "shoes"),  # leaves last 7d on day 1: the max and a category
        purchase("a2", "a", 2.0, 45.5, "socks"),
        purchase("a3", "a", 1.0, 5.25, "socks"),
        purchase("b1", "b", 29.5, 8.0, "hats"),  # enters before 30d on day 1
        purchase("b2", "b", 6.9, 70.0, "hats"),
        purchase("b3", "b", -0.5, 30.0, "shoes"),  # dated after as_of: becomes due on day 1
        purchase("c1", "c", 0.2, 20.0, "socks"),
        purchase("c2", "c", 3.0, 20.0, "socks"),
    ]
    later = [
        # day 1: a late arrival dated in the past and a new one
        (
            t0 + dt.timedelta(days=1),
            [
                {
                    **purchase("c3", "c", 5.0, 99.99, "shoes"),
                    "loaded_at": t0 + dt.timedelta(hours=20),
                },
                {
                    **purchase("d1", "d", -0.9, 10.0, "hats"),
                    "loaded_at": t0 + dt.timedelta(hours=21),
                },
            ],
        ),
        # day 3: February; one more purchase for a
        (
            t0 + dt.timedelta(days=3),
            [
                {
                    **purchase("a4", "a", -2.5, 15.0, "hats"),
                    "loaded_at": t0 + dt.timedelta(days=2, hours=20),
                }
            ],
        ),
    ]
    with tempfile.TemporaryDirectory() as folder:
        incremental = evaluate_side_by_side(Path(folder), events, "abcd", EDGE_SEGMENTS, t0, later)
        # the days above did move the windows: members changed on the way
        assert incremental.members("max_7d") == set() and incremental.members("before_30d") == {"b"}


SEQUENCE_SEGMENTS = {
    "cart_not_bought": "{sequence: {during: {last: 7d}, steps: [{event: add_to_cart}], "
    "then_not: {event: purchase, within: 24h}}}",
    "viewed_carted_bought": "{sequence: {during: {last: 7d}, steps: [{event: product_view}, "
    "{event: add_to_cart, within: 1h}, {event: purchase, within: 1d}]}}",
    "searched_never_bought": "{sequence: {steps: [{event: search}], then_not: {event: purchase}}}",
    "viewed_then_bought_long_ago": "{sequence: {during: {before: 10d}, "
    "steps: [{event: product_view}, {event: purchase}]}}",
}


def test_sequence_verdicts_are_matched_again_exactly_where_they_can_change() -> None:
    """Only the profiles with an event of a sequence's types that arrived or lies in one of its
    moved bands are matched again; each case below changes a verdict without the profile having
    another reason to, and must agree with a full evaluation."""
    t0 = dt.datetime(2024, 1, 30, 12)
    loaded = t0 - dt.timedelta(hours=1)

    def event(n: str, profile: str, event_type: str, age_days: float, **extra: Any) -> dict:
        return {
            "event_id": n,
            "profile_id": profile,
            "event_type": event_type,
            "event_ts": t0 - dt.timedelta(days=age_days),
            "loaded_at": loaded,
            **extra,
        }

    events = [
        event("p1", "p", "add_to_cart", 0.5),  # its 24h then_not deadline passes on day 1
        event("q1", "q", "add_to_cart", 6.5),  # leaves last 7d on day 1
        event("r1", "r", "add_to_cart", 3.0),  # a purchase within 24h arrives late on day 1
        event("s1", "s", "product_view", 2.0),
        event("s2", "s", "add_to_cart", 2.0 - 0.5 / 24),  # the late purchase completes the chain
        event("u1", "u", "search", 10.0),
        event("u2", "u", "purchase", -2.0),  # dated after as_of: becomes due on day 3
        event("v1", "v", "product_view", 9.5),  # both mature into "before 10d" on day 1
        event("v2", "v", "purchase", 9.2),
    ]
    later = [
        (
            t0 + dt.timedelta(days=1),
            [
                event("r2", "r", "purchase", 2.5, loaded_at=t0 + dt.timedelta(hours=20)),
                event("s3", "s", "purchase", 2.0 - 5 / 24, loaded_at=t0 + dt.timedelta(hours=21)),
            ],
        ),
        (t0 + dt.timedelta(days=3), []),
    ]
    with tempfile.TemporaryDirectory() as folder:
        incremental = evaluate_side_by_side(
            Path(folder), events, "pqrsuv", SEQUENCE_SEGMENTS, t0, later
        )
        members = {name: incremental.members(name) for name in SEQUENCE_SEGMENTS}
    assert members == {
        "cart_not_bought": {"p"},
        "viewed_carted_bought": {"s"},
        "searched_never_bought": set(),
        "viewed_then_bought_long_ago": {"v"},
    }
