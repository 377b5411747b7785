"""BI tools on the serving file: a reader that never blocks a build, consistent snapshots,
untouched on failure; dbt contracts on every BI-facing model; Parquet export."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from fixture_store import AS_OF, EVENT_TYPES, EVENTS, PROFILE_TYPES, PROFILES
from harness import TempProject
from segkit.publish import PublishError, publish

pytestmark = pytest.mark.dbt

SEGMENTS = {
    "iberian": "segment: iberian\ndescription: Spain or Mexico.\ncondition: {attribute: country, in: [ES, MX]}\n",
    "big_spenders": (
        "segment: big_spenders\ndescription: Spent 100 or more in the last 90 days.\n"
        "condition: {event: purchase, during: {last: 90d}, sum: {of: revenue, gte: 100}}\n"
    ),
    "active": "segment: active\ndescription: Active in the last 7 days.\ncondition: {event: '*', during: {last: 7d}}\n",
}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def latest_evaluation(serving: Path) -> str:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return str(
            con.execute("select max(evaluated_at) from segmentation.segment_summary").fetchone()[0]
        )
    finally:
        con.close()


@pytest.fixture
def built(project: TempProject) -> TempProject:
    project.write_store(EVENTS, PROFILES, EVENT_TYPES, PROFILE_TYPES)
    for name, text in SEGMENTS.items():
        project.write_segment(name, text)
    project.generate()
    project.build(AS_OF.isoformat())
    return project


def test_reader_never_blocks_builds_and_sees_consistent_snapshots(
    built: TempProject, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    publish(built.database, serving)
    stop = tmp_path / "stop"
    readers = {
        mode: subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).parent / "bi_reader.py"),
                mode,
                str(serving),
                str(stop),
                str(tmp_path / f"{mode}.json"),
            ]
        )
        for mode in ("held", "fresh")
    }
    published = [str(AS_OF)]
    try:
        for day in (1, 2, 3):
            moment = AS_OF + dt.timedelta(days=day)
            con = built.connect()
            con.execute(
                "insert into raw.events (event_id, profile_id, event_type, event_ts, loaded_at) "
                "values (?, 'frank', 'purchase', ?, ?)",
                [f"new{day}", moment, moment],
            )
            con.close()
            built.build(moment.isoformat())  # raises if the reader blocked the build
            publish(built.database, serving)
            published.append(str(moment))
            assert latest_evaluation(serving) == str(moment)  # a new connection sees it at once
            time.sleep(1)  # let the readers query this snapshot
    finally:
        stop.touch()
        for reader in readers.values():
            reader.wait(timeout=120)
    held, fresh = (json.loads((tmp_path / f"{m}.json").read_text()) for m in ("held", "fresh"))
    for outcome in (held, fresh):
        assert outcome["errors"] == []
        assert outcome["inconsistent"] == []
        assert outcome["rounds"] > 3
    assert held["seen"] == [published[0]]  # the open dashboard keeps its consistent snapshot
    assert fresh["seen"] == published  # new connections see every publish, in order


def test_failed_build_or_publish_leaves_the_serving_file_identical(
    built: TempProject, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    publish(built.database, serving)
    before = sha256(serving)
    con = built.connect()
    con.execute("alter table raw.events rename column event_type to kind")
    con.close()
    # the CI one-liner: dbt build && scripts/seg publish
    failed = built.dbt("build", as_of=(AS_OF + dt.timedelta(days=1)).isoformat(), check=False)
    assert failed.returncode != 0
    assert sha256(serving) == before
    with pytest.raises(PublishError):
        publish(tmp_path / "missing.duckdb", serving)
    empty = tmp_path / "empty.duckdb"
    duckdb.connect(str(empty)).close()
    with pytest.raises(PublishError, match="no segmentation tables"):
        publish(empty, serving)
    assert sha256(serving) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_serving_file_holds_only_bi_relations_and_parquet_export(
    built: TempProject, tmp_path: Path
) -> None:
    serving = tmp_path / "serving.duckdb"
    relations = publish(
        built.database, serving, storage_version="v1.0.0", parquet_dir=tmp_path / "parquet"
    )
    con = duckdb.connect(str(serving), read_only=True)
    try:
        schemas = {
            r[0]
            for r in con.execute(
                "select distinct table_schema from information_schema.tables"
            ).fetchall()
        }
        assert schemas == {"segments", "segmentation"}
        assert con.execute('select count(*) from segments."iberian"').fetchone() == (3,)
    finally:
        con.close()
    files = sorted(p.name for p in (tmp_path / "parquet").iterdir())
    assert files == sorted(f"{s}.{t}.parquet" for s, t in relations)
    assert duckdb.execute(
        f"select count(*) from '{tmp_path / 'parquet' / 'segments.iberian.parquet'}'"
    ).fetchone() == (3,)


def test_contract_violations_fail_the_build(built: TempProject) -> None:
    summary = built.root / "models" / "marts" / "history" / "segment_summary.sql"
    summary.write_text(
        summary.read_text().replace(
            "cast(coalesce(sizes.size, 0) as bigint) as size",
            "cast(coalesce(sizes.size, 0) as varchar) as size",
        )
    )
    result = built.dbt("run", as_of=(AS_OF + dt.timedelta(days=1)).isoformat(), check=False)
    assert result.returncode != 0
    assert "contract" in result.stdout.lower()
