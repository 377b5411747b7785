"""The state an incremental evaluation relies on, each piece checked where skipping it would
give a wrong verdict: profile fingerprints (attribute changes without updated_at, deleted profile
rows), the counts of events the baseline counted (deleted, rewritten or backdated events make the
run full, with the reason), and the evaluation log's runs that never finished."""

from __future__ import annotations

import datetime as dt

import pytest

from harness import TempProject

pytestmark = pytest.mark.dbt

DAY = dt.datetime(2024, 3, 1)
SEGMENTS = {
    "spanish": "segment: spanish\ndescription: d\ncondition: {attribute: country, equals: ES}\n",
    "spanish_visitors": (
        "segment: spanish_visitors\ndescription: d\ncondition:\n  all:\n"
        "    - {attribute: country, equals: ES}\n    - {event: visit, during: {last: 30d}}\n"
    ),
}


def visit(event_id: str, profile_id: str, at: dt.datetime) -> dict:
    return {
        "event_id": event_id,
        "profile_id": profile_id,
        "event_type": "visit",
        "event_ts": at,
        "loaded_at": at,
    }


def add_visit(
    project: TempProject, event_id: str, profile_id: str, at: dt.datetime, loaded: dt.datetime
) -> None:
    con = project.connect()
    con.execute(
        "insert into raw.events (event_id, profile_id, event_type, event_ts, loaded_at) "
        "values (?, ?, 'visit', ?, ?)",
        [event_id, profile_id, at, loaded],
    )
    con.close()


def last_run(project: TempProject) -> tuple:
    return project.query(
        "select mode, mode_reason, status from segmentation.evaluation_log "
        "order by started_at desc limit 1"
    )[0]


@pytest.fixture
def store(project: TempProject) -> TempProject:
    """Profiles without updated_at (as most CRM extracts), three visits, evaluated on day 1."""
    project.write_store(
        [visit("e1", "a", DAY), visit("e2", "b", DAY), visit("e3", "c", DAY)],
        [
            {"profile_id": "a", "country": "ES"},
            {"profile_id": "b", "country": "MX"},
            {"profile_id": "c", "country": "ES"},
        ],
        None,
        {"country": "varchar"},
    )
    for name, text in SEGMENTS.items():
        project.write_segment(name, text)
    project.generate()
    project.dbt("run", as_of=(DAY + dt.timedelta(days=1)).isoformat())
    assert last_run(project)[0] == "full"
    return project


def test_attribute_changes_without_updated_at_are_found_by_their_fingerprints(
    store: TempProject,
) -> None:
    con = store.connect()
    con.execute("update raw.profiles set country = 'ES' where profile_id = 'b'")  # rewritten
    con.execute("delete from raw.profiles where profile_id = 'c'")  # deleted, still visits
    con.execute("insert into raw.profiles (profile_id, country) values ('d', 'ES')")  # new
    con.close()
    store.dbt("run", as_of=(DAY + dt.timedelta(days=2)).isoformat())
    assert last_run(store) == ("incremental", "only profiles that can have changed", "success")
    reasons = dict(store.query("select profile_id, reason from intermediate.int_profiles__changed"))
    assert reasons == {
        "b": "attributes changed",
        "c": "profile row deleted",
        "d": "attributes changed",
    }
    assert store.members("spanish") == {"a", "b", "d"}
    assert store.members("spanish_visitors") == {"a", "b"}
    # Nothing moved but the attributes: the fingerprints alone say who changed.
    con = store.connect()
    con.execute("update raw.profiles set country = 'MX' where profile_id = 'a'")
    con.close()
    store.dbt("run", as_of=(DAY + dt.timedelta(days=3)).isoformat())
    assert last_run(store)[0] == "incremental"
    assert dict(
        store.query("select profile_id, reason from intermediate.int_profiles__changed")
    ) == {"a": "attributes changed"}
    assert store.members("spanish") == {"b", "d"}
    assert store.query(
        "select profile_id, change from segmentation.segment_membership_history "
        "where segment = 'spanish' order by evaluated_at, profile_id"
    ) == [
        ("a", "entered"),
        ("c", "entered"),
        ("b", "entered"),
        ("c", "exited"),
        ("d", "entered"),
        ("a", "exited"),
    ]


def test_deleted_or_backdated_events_make_the_evaluation_full(store: TempProject) -> None:
    con = store.connect()
    con.execute("delete from raw.events where event_id = 'e3'")
    con.close()
    store.dbt("run", as_of=(DAY + dt.timedelta(days=2)).isoformat())
    assert last_run(store) == (
        "full",
        "events the previous evaluation counted were deleted or rewritten",
        "success",
    )
    assert store.members("spanish_visitors") == {"a"}
    # Stamped as if it had arrived before the previous evaluation: an update would miss it.
    add_visit(store, "e4", "c", DAY, DAY - dt.timedelta(hours=1))
    store.dbt("run", as_of=(DAY + dt.timedelta(days=3)).isoformat())
    assert last_run(store) == (
        "full",
        "events arrived with a loaded_at before the previous evaluation's",
        "success",
    )
    assert store.members("spanish_visitors") == {"a", "c"}
    store.dbt("run", as_of=(DAY + dt.timedelta(days=4)).isoformat())
    assert last_run(store)[0] == "incremental"


def test_a_run_that_never_finished_is_marked_interrupted(store: TempProject) -> None:
    # What a build killed with kill -9 leaves: its row still 'running'.
    con = store.connect()
    con.execute("update segmentation.evaluation_log set status = 'running', finished_at = null")
    con.close()
    store.dbt("run", as_of=(DAY + dt.timedelta(days=2)).isoformat())
    rows = store.query(
        "select status, error_message from segmentation.evaluation_log order by started_at"
    )
    assert rows == [
        ("interrupted", "the run ended without recording how (killed, or the machine stopped)"),
        ("success", None),
    ]
    assert last_run(store)[:2] == ("full", "the previous evaluation did not succeed")


def test_arrivals_are_checked_against_the_hashes_of_the_ids_already_checked(
    store: TempProject,
) -> None:
    """e1-e3 were checked at day 1; e4 arrives and is checked at day 2 (the ids table gains
    e1-e3, loaded before day 2's latest stamp); then e1 arrives again: only the table of hashes
    knows it, since the first e1 is neither an arrival nor read as text any more."""
    ids_test = ["--select", "test_name:unique_since_last_evaluation"]
    add_visit(store, "e4", "a", DAY + dt.timedelta(hours=30), DAY + dt.timedelta(hours=30))
    store.dbt("build", as_of=(DAY + dt.timedelta(days=2)).isoformat())
    assert last_run(store)[0] == "incremental"
    assert store.query(
        "select count(*) filter (where key_hash is not null), max(checked_until) "
        "from intermediate.int_event_ids__checked"
    ) == [(3, DAY + dt.timedelta(hours=30))]
    add_visit(store, "e1", "a", DAY + dt.timedelta(hours=40), DAY + dt.timedelta(hours=40))
    failed = store.dbt(
        "test", *ids_test, as_of=(DAY + dt.timedelta(days=3)).isoformat(), check=False
    )
    assert failed.returncode != 0 and "Got 1 result" in failed.stdout
    compiled = next((store.root / "target" / "compiled").rglob("unique_since_last_evaluation*.sql"))
    assert "int_event_ids__checked" in compiled.read_text()
