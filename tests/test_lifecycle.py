"""Membership over time: statuses, qualified_at, history, summary and the evaluation log over a
scripted series of evaluations (late event, exit by time, re-entry, definition change, re-run,
refused earlier as_of, --full-refresh); splits."""

from __future__ import annotations

import datetime as dt

import pytest

from harness import TempProject

pytestmark = pytest.mark.dbt

T1 = dt.datetime(2024, 3, 10)
T2, T3, T4, T5 = (T1 + dt.timedelta(days=d) for d in (3, 6, 8, 9))
ACTIVE = "segment: active\ndescription: Any event in the last {days}.\ncondition: {{event: '*', during: {{last: {days}}}}}\n"


def event(event_id: str, profile: str, ts: dt.datetime, loaded: dt.datetime | None = None) -> dict:
    return {
        "event_id": event_id,
        "profile_id": profile,
        "event_type": "visit",
        "event_ts": ts,
        "loaded_at": loaded or ts,
    }


def add_events(project: TempProject, *events: dict) -> None:
    con = project.connect()
    for e in events:
        con.execute(
            "insert into raw.events (event_id, profile_id, event_type, event_ts, loaded_at) "
            "values (?, ?, ?, ?, ?)",
            [e["event_id"], e["profile_id"], e["event_type"], e["event_ts"], e["loaded_at"]],
        )
    con.close()


def membership(project: TempProject) -> set[tuple]:
    return set(
        project.query(
            "select profile_id, status, qualified_at, exited_at from segmentation.segment_membership "
            "where segment = 'active'"
        )
    )


def segment_rows(project: TempProject) -> set[tuple]:
    return set(
        project.query('select profile_id, qualified_at, evaluated_at from segments."active"')
    )


@pytest.fixture(scope="module")
def series(tmp_path_factory: pytest.TempPathFactory) -> dict:
    project = TempProject(tmp_path_factory.mktemp("lifecycle") / "project")
    project.write_store(
        [
            event("a1", "a", T1 - dt.timedelta(hours=23)),
            event("b1", "b", T1 - dt.timedelta(days=2)),
        ],
        [],
    )
    project.write_segment("active", ACTIVE.format(days="7d"))
    project.generate()
    seen: dict = {"project": project}

    project.build(T1.isoformat(), tests=False)
    seen["e1"] = (membership(project), segment_rows(project))

    # a new event for c, and a late-arriving event for d (old timestamp, loaded now)
    add_events(
        project,
        event("c1", "c", T2 - dt.timedelta(hours=1)),
        event("d1", "d", T1 - dt.timedelta(hours=20), loaded=T2 - dt.timedelta(hours=1)),
    )
    project.build(T2.isoformat(), tests=False)
    seen["e2"] = (membership(project), segment_rows(project))

    project.build(T3.isoformat(), tests=False)  # no new events: b exits because time passed
    seen["e3"] = (membership(project), segment_rows(project))

    add_events(project, event("b2", "b", T4 - dt.timedelta(hours=1)))
    project.build(T4.isoformat(), tests=False)  # b re-enters: a new streak
    seen["e4"] = (membership(project), segment_rows(project))
    seen["history_e4"] = project.query(
        "select * from segmentation.segment_membership_history order by all"
    )

    project.build(T4.isoformat(), tests=False)  # idempotent re-run
    seen["e4_again"] = (membership(project), segment_rows(project))
    seen["history_e4_again"] = project.query(
        "select * from segmentation.segment_membership_history order by all"
    )

    refused = project.dbt("build", as_of=T3.isoformat(), check=False)
    seen["refused"] = refused
    seen["after_refusal"] = (membership(project), segment_rows(project))
    seen["history_after_refusal"] = project.query(
        "select * from segmentation.segment_membership_history order by all"
    )

    project.write_segment("active", ACTIVE.format(days="14d"))  # a definition change
    project.generate()
    project.build(T5.isoformat(), tests=False)
    seen["e5"] = (membership(project), segment_rows(project))
    seen["history_e5"] = project.query(
        "select * from segmentation.segment_membership_history order by all"
    )

    project.dbt("build", "--full-refresh", as_of=T5.isoformat())
    seen["e5_refreshed"] = (membership(project), segment_rows(project))
    seen["history_refreshed"] = project.query(
        "select * from segmentation.segment_membership_history order by all"
    )
    return seen


def test_first_evaluation_everyone_is_realized(series: dict) -> None:
    assert series["e1"] == (
        {("a", "realized", T1, None), ("b", "realized", T1, None)},
        {("a", T1, T1), ("b", T1, T1)},
    )


def test_late_arriving_event_and_new_profile_enter(series: dict) -> None:
    members, table = series["e2"]
    assert members == {
        ("a", "existing", T1, None),
        ("b", "existing", T1, None),
        ("c", "realized", T2, None),
        ("d", "realized", T2, None),
    }
    assert table == {("a", T1, T2), ("b", T1, T2), ("c", T2, T2), ("d", T2, T2)}


def test_exit_by_time_passing_without_new_events(series: dict) -> None:
    members, table = series["e3"]
    assert members == {
        ("a", "existing", T1, None),
        ("b", "exited", T1, T3),
        ("c", "existing", T2, None),
        ("d", "existing", T2, None),
    }
    assert table == {("a", T1, T3), ("c", T2, T3), ("d", T2, T3)}


def test_re_entry_starts_a_new_streak(series: dict) -> None:
    members, table = series["e4"]
    assert members == {
        ("b", "realized", T4, None),
        ("c", "existing", T2, None),
        ("a", "exited", T1, T4),
        ("d", "exited", T2, T4),
    }
    assert table == {("b", T4, T4), ("c", T2, T4)}


def test_history_is_the_exact_change_log(series: dict) -> None:
    assert [(r[0], r[2], r[4]) for r in series["history_e4"]] == sorted(
        [
            ("a", "entered", T1),
            ("b", "entered", T1),
            ("c", "entered", T2),
            ("d", "entered", T2),
            ("b", "exited", T3),
            ("a", "exited", T4),
            ("d", "exited", T4),
            ("b", "entered", T4),
        ],
        key=lambda r: (r[0], "active", r[1], None, r[2]),
    )


def test_re_running_the_latest_as_of_is_idempotent(series: dict) -> None:
    assert series["e4_again"] == series["e4"]
    assert series["history_e4_again"] == series["history_e4"]


def test_an_earlier_as_of_is_refused_and_changes_nothing(series: dict) -> None:
    refused = series["refused"]
    assert refused.returncode != 0
    assert "is earlier than the latest evaluation (2024-03-18 00:00:00)" in refused.stdout
    assert series["after_refusal"] == series["e4"]
    assert series["history_after_refusal"] == series["history_e4"]


def test_definition_change_starts_a_version_and_keeps_history(series: dict) -> None:
    project = series["project"]
    members, _ = series["e5"]
    # 14 days: a (T1-23h) and d (T1-20h) are back; nothing before T5 is rewritten
    assert members == {
        ("a", "realized", T5, None),
        ("b", "existing", T4, None),
        ("c", "existing", T2, None),
        ("d", "realized", T5, None),
    }
    assert series["history_e5"][: len(series["history_e4"])] != [] and set(
        series["history_e4"]
    ) <= set(series["history_e5"])
    catalog = project.query(
        "select definition_version, definition_changed_at from segmentation.segment_catalog"
    )
    assert catalog == [(2, T5)]
    versions = project.query(
        "select first_evaluated_at from segmentation.segment_definition_versions order by 1"
    )
    assert versions == [(T1,), (T5,)]


def test_full_refresh_keeps_history_and_gives_the_same_membership(series: dict) -> None:
    assert series["history_refreshed"] == series["history_e5"]
    assert series["e5_refreshed"] == series["e5"]


def test_summary_and_evaluation_log(series: dict) -> None:
    project = series["project"]
    summary = project.query(
        "select evaluated_at, size, entered, exited from segmentation.segment_summary order by 1"
    )
    assert summary == [(T1, 2, 2, 0), (T2, 4, 2, 0), (T3, 3, 0, 1), (T4, 2, 1, 2), (T5, 4, 2, 0)]
    log = project.query(
        "select as_of, status, mode, segments_evaluated, profiles_evaluated "
        "from segmentation.evaluation_log order by as_of"
    )
    # The store has no updated_at: its evaluations are incremental all the same (profile
    # fingerprints), re-evaluating c and d (arrivals), then b (its visit left the window), then
    # nobody at the re-run of T4 (its log row replaces the first run's, which re-evaluated a, b
    # and d); the definition change makes T5 full.
    assert log == [
        (T1, "success", "full", 1, 2),
        (T2, "success", "incremental", 1, 2),
        (T3, "success", "incremental", 1, 1),
        (T4, "success", "incremental", 1, 0),
        (T5, "success", "full", 1, 4),
    ]


def test_members_as_of_a_past_evaluation_from_the_spans(series: dict) -> None:
    project = series["project"]

    def as_of(moment: dt.datetime) -> set[str]:
        return {
            r[0]
            for r in project.query(
                "select profile_id from segmentation.segment_membership_spans where segment = 'active' "
                "and entered_at <= ? and (exited_at is null or exited_at > ?)",
                [moment, moment],
            )
        }

    assert as_of(T1) == {"a", "b"}
    assert as_of(T2) == {"a", "b", "c", "d"}
    assert as_of(T3 + dt.timedelta(hours=5)) == {"a", "c", "d"}
    assert as_of(T4) == {"b", "c"}


def test_a_failed_run_is_logged_with_its_error(series: dict) -> None:
    project = series["project"]
    con = project.connect()
    con.execute("alter table raw.events rename column event_type to kind")
    con.close()
    try:
        result = project.dbt("run", as_of=(T5 + dt.timedelta(days=1)).isoformat(), check=False)
        assert result.returncode != 0
        status, message = project.query(
            "select status, error_message from segmentation.evaluation_log "
            "order by as_of desc limit 1"
        )[0]
        assert status == "error" and "stg_raw__events" in message
        assert membership(project) == series["e5"][0]
    finally:
        con = project.connect()
        con.execute("alter table raw.events rename column kind to event_type")
        con.close()


def test_as_of_from_the_environment_keeps_the_parse_and_a_var_overrides_it(
    project: TempProject,
) -> None:
    """as_of as `--vars` or as SEGMENTS_AS_OF evaluates at that moment; changing SEGMENTS_AS_OF
    between runs keeps dbt's parse (a changed --vars re-parses the whole project); the var wins
    over the environment; an unreadable as_of or full_evaluation names where it came from and
    changes nothing."""
    project.write_store(
        [
            event("a1", "a", T1 - dt.timedelta(hours=23)),
            event("b1", "b", T1 - dt.timedelta(days=2)),
        ],
        [],
    )
    project.write_segment("active", ACTIVE.format(days="7d"))
    project.generate()

    def members() -> set[str]:
        return {p for p, status, _, _ in membership(project) if status != "exited"}

    def reparsed() -> bool:
        log = (project.root / "logs" / "dbt.log").read_text(encoding="utf-8")
        return "Unable to do partial parsing" in log.rsplit("Running with dbt", 1)[1]

    project.dbt("run", extra_vars={"as_of": T1.isoformat()})
    assert members() == {"a", "b"}
    project.dbt("run", as_of=T3.isoformat())  # from a var to none: one re-parse
    assert members() == {"a"}
    project.dbt("run", as_of=(T3 + dt.timedelta(minutes=30)).isoformat())
    assert not reparsed() and members() == {"a"}
    project.dbt("run", as_of=T5.isoformat(), extra_vars={"as_of": T4.isoformat()})
    assert members() == set()
    assert project.query("select max(as_of) from segmentation.evaluation_log") == [(T4,)]
    failed = project.dbt("run", as_of="next tuesday", check=False)
    assert failed.returncode != 0 and "SEGMENTS_AS_OF" in failed.stdout
    unsure = project.dbt(
        "run", as_of=T5.isoformat(), extra_vars={"full_evaluation": "maybe"}, check=False
    )
    assert unsure.returncode != 0 and "SEGMENTS_FULL_EVALUATION" in unsure.stdout
    assert project.query("select max(as_of) from segmentation.evaluation_log") == [(T4,)]


def test_state_key_tests_check_the_rows_written_since_the_last_evaluation(
    project: TempProject,
) -> None:
    """The change log's key test reads only the rows written since the latest successful
    evaluation (its own rows too when that as_of runs again): a duplicate written now fails it, a
    row from an earlier evaluation is not read again; likewise an event id that arrives again
    after an evaluation fails the event ids' test."""
    project.write_store([event("a1", "a", T1 - dt.timedelta(hours=1))], [])
    project.write_segment("active", ACTIVE.format(days="7d"))
    project.generate()
    project.build(T1.isoformat(), tests=False)
    project.build(T2.isoformat(), tests=False)
    key_test = ["--select", "test_name:unique_combination,segment_membership_history"]

    def duplicate(moment: dt.datetime) -> None:
        con = project.connect()
        con.execute(
            "insert into segmentation.segment_membership_history "
            "select * from segmentation.segment_membership_history where evaluated_at = ?",
            [moment],
        )
        con.close()

    duplicate(T1)  # checked at T1's evaluation: not read again
    assert project.dbt("test", *key_test, as_of=T2.isoformat(), check=False).returncode == 0
    duplicate(T2)  # checked at T2's evaluation: the next as_of does not read it again
    assert project.dbt("test", *key_test, as_of=T3.isoformat(), check=False).returncode == 0
    project.build(T4.isoformat(), tests=False)  # a exits
    duplicate(T4)
    failed = project.dbt("test", *key_test, as_of=T4.isoformat(), check=False)
    assert failed.returncode != 0 and "Got 1 result" in failed.stdout
    # an event id loaded again after the evaluation: the arrivals are checked against all rows
    add_events(project, event("a1", "a", T4 - dt.timedelta(hours=2), loaded=T4))
    ids_test = ["--select", "test_name:unique_since_last_evaluation"]
    failed = project.dbt("test", *ids_test, as_of=T4.isoformat(), check=False)
    assert failed.returncode != 0 and "Got 1 result" in failed.stdout


def test_key_tests_report_each_repeated_key_once(project: TempProject) -> None:
    """Before any evaluation every event id is checked: two ids loaded twice and three times
    are two failing rows; a repeated (segment, profile) among 200 members is one."""
    day = T1 - dt.timedelta(hours=3)
    events = [event(f"e{i}", f"p{i}", day) for i in range(200)]
    events += [event("e7", "p7", day), event("e9", "p9", day), event("e9", "p9", day)]
    project.write_store(events, [])
    project.write_segment("active", ACTIVE.format(days="7d"))
    project.generate()
    failed = project.dbt("build", "--select", "stg_raw__events", as_of=T1.isoformat(), check=False)
    assert failed.returncode != 0 and "Got 2 results" in failed.stdout
    project.build(T1.isoformat(), tests=False)
    con = project.connect()
    con.execute(
        "insert into intermediate.int_segment_members__unioned "
        "select * from intermediate.int_segment_members__unioned where profile_id = 'p42'"
    )
    con.close()
    key_test = ["--select", "test_name:unique_combination,int_segment_members__unioned"]
    failed = project.dbt("test", *key_test, as_of=T1.isoformat(), check=False)
    assert failed.returncode != 0 and "Got 1 result" in failed.stdout
