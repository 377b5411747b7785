"""The loader: every format, a mapping, rejected rows with reasons, idempotence, all-or-nothing."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from segkit.cli import main
from segkit.ingest import LoadError, Mapping, load_file
from segkit.store import connect


@pytest.fixture
def con(tmp_path: Path):  # type: ignore[no-untyped-def]
    connection = connect(tmp_path / "wh" / "store.duckdb")
    yield connection
    connection.close()


def events_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute(
        "select event_id, profile_id, event_type, event_ts, properties::varchar, session_id "
        "from raw.events order by event_id"
    ).fetchall()


def test_csv_with_mapping_timezone_and_rejects(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "clicks.csv"
    path.write_text(
        "id,user,action,time,price,sid\n"
        "a1,u1,purchase,31/01/2024 10:00,19.5,s1\n"
        "a2,u1,page_view,31/01/2024 23:30,,s1\n"
        ",u2,page_view,01/02/2024 09:00,,s2\n"
        "a4,,page_view,01/02/2024 09:00,,s2\n"
        "a5,u2,,01/02/2024 09:00,,s2\n"
        "a6,u2,page_view,,,s2\n"
        "a7,u2,page_view,yesterday,,s2\n"
        "a1,u3,page_view,01/02/2024 09:00,,s3\n"
    )
    mapping = Mapping(
        columns={
            "event_id": "id",
            "profile_id": "user",
            "event_type": "action",
            "event_ts": "time",
            "session_id": "sid",
        },
        timestamp_format="%d/%m/%Y %H:%M",
        timezone="Europe/Madrid",
    )
    report = load_file(con, path, "events", mapping)
    assert (report.rows_loaded, report.rows_rejected) == (2, 6)
    assert events_rows(con) == [
        ("a1", "u1", "purchase", dt.datetime(2024, 1, 31, 9, 0), '{"price":19.5}', "s1"),
        ("a2", "u1", "page_view", dt.datetime(2024, 1, 31, 22, 30), "{}", "s1"),
    ]
    rejected = con.execute("select line, reason from raw.events_rejected order by line").fetchall()
    assert rejected == [
        (4, "missing event_id"),
        (5, "missing profile_id"),
        (6, "missing event_type"),
        (7, "missing event_ts"),
        (8, "unparsable event_ts 'yesterday'"),
        (9, "duplicate event_id (first at line 2)"),
    ]
    assert con.execute("select distinct file from raw.events_rejected").fetchall() == [(str(path),)]


def test_jsonl_keeps_nested_properties_and_offsets(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "events.jsonl"
    rows = [
        {
            "event_id": "j1",
            "profile_id": "u1",
            "event_type": "purchase",
            "event_ts": "2024-01-31T10:00:00+02:00",
            "properties": {"revenue": 20, "shipping": {"country": "ES"}},
        },
        {
            "event_id": "j2",
            "profile_id": "u1",
            "event_type": "search",
            "event_ts": "2024-01-31T10:00:00Z",
            "properties": {"term": "running shoes"},
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    report = load_file(con, path, "events", Mapping())
    assert (report.rows_loaded, report.rows_rejected) == (2, 0)
    assert events_rows(con) == [
        (
            "j1",
            "u1",
            "purchase",
            dt.datetime(2024, 1, 31, 8, 0),
            '{"revenue":20,"shipping":{"country":"ES"}}',
            None,
        ),
        ("j2", "u1", "search", dt.datetime(2024, 1, 31, 10, 0), '{"term":"running shoes"}', None),
    ]


def test_parquet_extra_columns_become_typed_columns(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "events.parquet"
    duckdb.execute(
        f"copy (select 'q' || i as event_id, 'u' || (i % 2) as profile_id, 'page_view' as event_type, "
        f"timestamp '2024-01-01' + to_hours(i) as event_ts, i * 1.5 as score, 'web' as channel "
        f"from range(5) t(i)) to '{path}' (format parquet)"
    )
    report = load_file(con, path, "events", Mapping(extra="columns"))
    assert (report.rows_loaded, report.rows_rejected) == (5, 0)
    typed = con.execute(
        "select event_id, score, channel from raw.events order by event_id"
    ).fetchall()
    assert typed[0] == ("q0", 0.0, "web") and typed[4] == ("q4", 6.0, "web")
    columns = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'raw' and table_name = 'events'"
        ).fetchall()
    )
    assert columns["score"] == "DECIMAL(12,1)" or columns["score"].startswith(("DOUBLE", "DECIMAL"))


def test_reloading_the_same_file_is_a_no_op(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("event_id,profile_id,event_type,event_ts\ne1,u1,view,2024-01-01 00:00:00\n")
    first = load_file(con, path, "events", Mapping())
    second = load_file(con, path, "events", Mapping())
    assert (first.rows_loaded, first.already_loaded) == (1, False)
    assert second.already_loaded and str(second).endswith(
        "already loaded into raw.events (nothing to do)"
    )
    assert con.execute("select count(*) from raw.events").fetchone() == (1,)
    # the same event in another file is a duplicate, rejected with a reason
    other = tmp_path / "f.csv"
    other.write_text("event_id,profile_id,event_type,event_ts\ne1,u1,view,2024-01-02 00:00:00\n")
    third = load_file(con, other, "events", Mapping())
    assert (third.rows_loaded, third.rows_rejected) == (0, 1)
    assert con.execute("select reason from raw.events_rejected").fetchall() == [
        ("duplicate event_id (already loaded)",)
    ]


def test_a_failing_file_loads_nothing(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    good = tmp_path / "good.csv"
    good.write_text(
        "event_id,profile_id,event_type,event_ts,items\ne1,u1,view,2024-01-01 00:00:00,3\n"
    )
    load_file(con, good, "events", Mapping(extra="columns"))
    # `items` is a number column now; a file whose items cannot be stored fails as a whole
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        json.dumps(
            {
                "event_id": "e2",
                "profile_id": "u1",
                "event_type": "view",
                "event_ts": "2024-01-02",
                "items": 1,
            }
        )
        + "\n"
        + json.dumps(
            {
                "event_id": "e3",
                "profile_id": "u1",
                "event_type": "view",
                "event_ts": "2024-01-02",
                "items": "many",
            }
        )
        + "\n"
    )
    with pytest.raises(LoadError, match="nothing was loaded"):
        load_file(con, bad, "events", Mapping(extra="columns"))
    assert con.execute("select count(*) from raw.events").fetchone() == (1,)
    assert con.execute("select count(*) from raw.events_rejected").fetchone() == (0,)
    assert con.execute("select count(*) from raw.load_log").fetchone() == (1,)


def test_missing_column_names_the_mapping_to_use(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "e.csv"
    path.write_text("event_id,profile,event_type,event_ts\ne1,u1,view,2024-01-01\n")
    with pytest.raises(
        LoadError,
        match=r"no column 'profile_id' for profile_id \(did you mean --map profile_id=profile\?\)",
    ):
        load_file(con, path, "events", Mapping())


def test_profiles_load_adds_attribute_columns(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "profiles.csv"
    path.write_text("id,country,age\nu1,ES,34\n,MX,20\nu1,FR,35\n")
    report = load_file(con, path, "profiles", Mapping(columns={"profile_id": "id"}))
    assert (report.rows_loaded, report.rows_rejected) == (1, 2)
    assert con.execute("select profile_id, country, age from raw.profiles").fetchall() == [
        ("u1", "ES", 34)
    ]
    assert con.execute(
        "select line, reason from raw.profiles_rejected order by line"
    ).fetchall() == [(3, "missing profile_id"), (4, "duplicate profile_id (first at line 2)")]


def test_cli_reports_rows_loaded_and_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "e.csv"
    path.write_text("id,who,what,when\ne1,u1,view,2024-01-01 00:00:00\ne2,u1,view,never\n")
    database = tmp_path / "wh" / "cli.duckdb"
    status = main(
        [
            "load",
            "events",
            str(path),
            "--map",
            "event_id=id",
            "--map",
            "profile_id=who",
            "--map",
            "event_type=what",
            "--map",
            "event_ts=when",
            "--database",
            str(database),
        ]
    )
    assert status == 0
    assert (
        capsys.readouterr().out.strip()
        == f"{path}: 1 rows loaded into raw.events, 1 rejected (see raw.events_rejected)"
    )
    assert main(["load", "events", str(tmp_path / "nope.csv"), "--database", str(database)]) == 1


def test_identity_links_load_with_rejects_and_are_idempotent(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "links.csv"
    path.write_text(
        "id,ns,linked,linked_ns,seen\n"
        "d1,device,C1,crm_id,2024-01-01 10:00\n"
        "d1,device,C1,crm_id,2024-01-02 10:00\n"
        "d2,device,,crm_id,\n"
        "d3,device,d3,device,\n"
        "d4,device,C2,crm_id,yesterday\n"
        "0042,device,a@x.io,email,\n"
    )
    mapping = Mapping(
        columns={
            "identity": "id",
            "namespace": "ns",
            "linked_identity": "linked",
            "linked_namespace": "linked_ns",
            "observed_at": "seen",
        }
    )
    report = load_file(con, path, "identities", mapping)
    assert (report.rows_loaded, report.rows_rejected) == (3, 3)
    # the same link seen twice is two observations; ids stay text (leading zeros kept)
    assert con.execute(
        "select * from raw.identities order by observed_at nulls first"
    ).fetchall() == [
        ("0042", "device", "a@x.io", "email", None),
        ("d1", "device", "C1", "crm_id", dt.datetime(2024, 1, 1, 10)),
        ("d1", "device", "C1", "crm_id", dt.datetime(2024, 1, 2, 10)),
    ]
    assert con.execute(
        "select line, reason from raw.identities_rejected order by line"
    ).fetchall() == [
        (4, "missing linked_identity"),
        (5, "links an identity to itself"),
        (6, "unparsable observed_at 'yesterday'"),
    ]
    assert load_file(con, path, "identities", mapping).already_loaded
