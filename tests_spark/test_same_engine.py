"""The same YAML on Spark and on DuckDB: identical members, statuses, history and spans.

The demo segments (Customer AI's in a test of their own: on Spark they are trained before the
build, by `seg models train`) on a small demo store, evaluated twice on both engines with late events between the evaluations; and a
derandomized batch of the differential test's random definitions, checked against DuckDB and the
independent evaluator.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml
from hypothesis import given
from spark_harness import SparkProject, spark_session

from harness import ROOT, DbtFailed
from language_strategies import dbt_examples
from segkit.cli import main
from segkit.demo_store import DemoSpec, generate
from test_differential import batches, disagreements_with_the_evaluator, write_batch

FIRST = dt.datetime(2026, 1, 14, 9, 0, 0)
SECOND = dt.datetime(2026, 1, 15, 9, 0, 0)
SPEC = DemoSpec(profiles=300, events=12_000, seed=5, end=dt.date(2026, 1, 14), days=200)
# enough buyers for a model to train (at least 50 of each label)
AI_SPEC = DemoSpec(profiles=1500, events=45_000, seed=5, end=dt.date(2026, 1, 14), days=300)
CUSTOMER_AI = {"churn_risk_60d", "churn_risk_high", "likely_repurchasers", "repurchase_90d"}
SEGMENTS = sorted(p.stem for p in (ROOT / "segments").glob("*.yml") if p.stem not in CUSTOMER_AI)
DEFINITIONS = [
    s for s in SEGMENTS if "segment" in yaml.safe_load((ROOT / "segments" / f"{s}.yml").read_text())
]

LIFECYCLE = {
    "segmentation.segment_membership": "profile_id, segment, status, qualified_at, exited_at, evaluated_at, split",
    "segmentation.segment_membership_history": "segment, profile_id, change, split, evaluated_at",
    "segmentation.segment_membership_spans": "segment, profile_id, entered_at, exited_at, split",
    "segmentation.segment_summary": "segment, evaluated_at, size, entered, exited",
}


def _late_events(project: SparkProject) -> None:
    """New events loaded after the first evaluation, most of them dated before it (late)."""
    con = project.connect()
    try:
        con.execute(
            """
            insert into raw.events
            select
                'late-' || event_id, profile_id, event_type,
                event_ts + interval 1 day - interval 3 hour, properties, session_id,
                (select max(loaded_at) from raw.events) + interval 1 hour, channel
            from raw.events
            where event_ts >= timestamp '2026-01-12 00:00:00'
            """
        )
    finally:
        con.close()


def _duckdb_rows(project: SparkProject, table: str, columns: str) -> list[tuple]:
    return sorted(project.query(f"select {columns} from {table}"), key=repr)


def _spark_rows(project: SparkProject, table: str, columns: str) -> list[tuple]:
    return sorted(project.spark_query(f"select {columns} from {table}"), key=repr)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> SparkProject:
    project = SparkProject(tmp_path_factory.mktemp("spark_demo") / "project")
    generate(project.database, SPEC, quiet=True)
    for name in SEGMENTS:
        shutil.copy(ROOT / "segments" / f"{name}.yml", project.root / "segments" / f"{name}.yml")
    project.generate()
    project.reset_spark()
    project.copy_store_to_spark()
    project.build(FIRST.isoformat())
    project.spark_dbt("build", as_of=FIRST.isoformat())
    return project


def test_every_demo_segment_has_the_same_members_on_both_engines(demo: SparkProject) -> None:
    different = {
        name: (sorted(demo.members(name) ^ demo.spark_members(name))[:5])
        for name in DEFINITIONS
        if demo.members(name) != demo.spark_members(name)
    }
    assert not different, different
    assert sum(len(demo.members(name)) > 0 for name in DEFINITIONS) >= len(DEFINITIONS) - 2


def test_the_spark_raw_tables_are_the_loaders(demo: SparkProject) -> None:
    """Same rows, timestamps as UTC wall-clock times, JSON properties as text."""
    con = duckdb.connect(str(demo.database), read_only=True)
    try:
        expected = con.execute(
            "select count(*), min(event_ts), max(loaded_at), count(properties) from raw.events"
        ).fetchall()[0]
    finally:
        con.close()
    assert (
        demo.spark_query(
            "select count(*), min(event_ts), max(loaded_at), count(properties) from raw.events"
        )[0]
        == expected
    )


def _seg(project: SparkProject, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """A seg verb on both targets: its output on Spark, after checking DuckDB's is the same."""
    outputs = []
    for target in ("dev", "spark"):
        status = main(["--project-dir", str(project.root), *args, "--target", target])
        out, err = capsys.readouterr()
        assert status == 0, f"seg {' '.join(args)} --target {target}: {err}"
        outputs.append(out)
    assert outputs[0] == outputs[1], f"seg {' '.join(args)}: DuckDB and Spark differ"
    return outputs[1]


def test_the_query_verbs_read_spark(
    demo: SparkProject, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """seg preview / explain / list / overlap on Spark say what they say on DuckDB, seg compile
    prints Spark SQL, and publish exports Spark's tables as the Parquet files DuckDB's publish
    writes."""
    monkeypatch.setenv("SEGMENTS_DUCKDB_PATH", str(demo.database))
    members = sorted(demo.spark_members("weekly_regulars"))
    preview = json.loads(
        _seg(demo, capsys, "preview", "weekly_regulars", "--as-of", FIRST.isoformat(), "--json")
    )
    assert (preview["size"], preview["profiles"]) == (len(members), members[:10])
    # A sample is drawn by a hash of the profile id, which differs between the engines: each
    # engine's interval covers the true size, the samples are not the same profiles.
    status = main(
        [
            "--project-dir",
            str(demo.root),
            "preview",
            "weekly_regulars",
            "--target",
            "spark",
            "--as-of",
            FIRST.isoformat(),
            "--sample",
            "30",
            "--json",
        ]
    )
    sampled = json.loads(capsys.readouterr().out)
    assert status == 0 and sampled["sampled"]
    assert sampled["ci_low"] <= len(members) <= sampled["ci_high"]
    explained = json.loads(
        _seg(
            demo,
            capsys,
            "explain",
            "weekly_regulars",
            members[0],
            "--as-of",
            FIRST.isoformat(),
            "--json",
        )
    )
    assert explained["member"] is True and explained["condition"]["holds"] is True
    listed = {r["segment"]: r["size"] for r in json.loads(_seg(demo, capsys, "list", "--json"))}
    assert listed["weekly_regulars"] == len(members) and set(DEFINITIONS) <= set(listed)
    overlap = json.loads(
        _seg(demo, capsys, "overlap", "weekly_regulars", "running_shoes_searchers", "--json")
    )
    assert overlap["sizes"]["weekly_regulars"] == len(members)
    # the SQL seg compile prints for Spark evaluates the segment there
    arguments = ["compile", "weekly_regulars", "--as-of", FIRST.isoformat(), "--raw"]
    assert main(["--project-dir", str(demo.root), *arguments, "--target", "spark"]) == 0
    compiled = capsys.readouterr().out
    assert {row[1] for row in demo.spark_query(compiled)} == set(members)

    folder = demo.root / "exported"
    assert (
        main(
            [
                "--project-dir",
                str(demo.root),
                "publish",
                "--target",
                "spark",
                "--parquet",
                str(folder),
            ]
        )
        == 0
    )
    con = duckdb.connect()
    exported = {
        r[0]
        for r in con.execute(
            f"select profile_id from '{folder}/segments.weekly_regulars.parquet'"
        ).fetchall()
    }
    history = con.execute(
        f"select count(*) from '{folder}/segmentation.segment_membership_history.parquet'"
    ).fetchall()[0][0]
    assert exported == set(members)
    assert (
        history
        == demo.spark_query("select count(*) from segmentation.segment_membership_history")[0][0]
    )
    assert not [p.name for p in folder.iterdir() if not p.name.endswith(".parquet")]


def test_a_second_evaluation_with_late_events_keeps_the_engines_identical(
    demo: SparkProject,
) -> None:
    _late_events(demo)
    demo.copy_store_to_spark()
    demo.build(SECOND.isoformat())
    demo.spark_dbt("build", as_of=SECOND.isoformat())
    for table, columns in LIFECYCLE.items():
        duck = _duckdb_rows(demo, table, columns)
        spark = _spark_rows(demo, table, columns)
        assert duck == spark, (
            f"{table}: duckdb-only {sorted(set(duck) - set(spark))[:3]}, spark-only {sorted(set(spark) - set(duck))[:3]}"
        )
    modes = "select mode, status, mode_reason from segmentation.evaluation_log order by as_of"
    assert demo.query(modes) == demo.spark_query(modes)
    assert [m[0] for m in demo.spark_query(modes)] == ["full", "incremental"]
    changed = demo.query(
        "select count(*) from segmentation.segment_membership where status <> 'existing'"
    )[0][0]
    assert changed > 0  # the late events moved someone


@dbt_examples(2)
@given(batch=batches())
def test_random_definitions_have_the_evaluators_members_on_spark(batch, tmp_path_factory) -> None:  # type: ignore[no-untyped-def]
    as_of, events, profiles, definitions = batch
    project = SparkProject(Path(tmp_path_factory.mktemp("spark_differential")) / "project")
    write_batch(project, events, profiles, definitions)
    project.reset_spark()
    project.copy_store_to_spark()
    project.dbt("run", as_of=as_of.isoformat())
    project.spark_dbt("run", as_of=as_of.isoformat())
    wrong = disagreements_with_the_evaluator(
        as_of, events, profiles, definitions, project.spark_members
    )
    wrong += [
        f"{name}: duckdb and spark differ"
        for name, _ in definitions
        if project.members(name) != project.spark_members(name)
    ]
    assert not wrong, f"as_of {as_of}:\n" + "\n".join(wrong[:5])


def test_customer_ai_trained_before_the_build_scores_as_on_duckdb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """dbt-spark runs no Python models outside Databricks: `seg models train --target spark`
    trains and scores before the build, which stops (writing nothing) until it has, or when the
    scores are for another as_of; then scores and the segments on them equal DuckDB's."""
    project = SparkProject(tmp_path / "project")
    generate(project.database, AI_SPEC, quiet=True)
    for name in ("repurchase_90d", "likely_repurchasers"):
        shutil.copy(ROOT / "segments" / f"{name}.yml", project.root / "segments")
    project.generate()
    project.reset_spark()
    project.copy_store_to_spark()
    with pytest.raises(DbtFailed) as failure:
        project.spark_dbt("build", as_of=FIRST.isoformat())
    assert "have not been yet: run scripts/seg models train --target spark" in str(failure.value)
    for schema in ("segmentation", "segments"):
        if project.spark_query(f"show schemas like '{schema}'"):  # dbt may create the schemas
            # (the run's session also lists its temporary views, which are no tables)
            tables = [r for r in project.spark_query(f"show tables in {schema}") if not r[2]]
            assert tables == [], schema

    monkeypatch.setenv("SEGMENTS_AS_OF", FIRST.isoformat())
    assert main(["--project-dir", str(project.root), "models", "train", "--target", "spark"]) == 0
    assert "repurchase_90d  trained" in capsys.readouterr().out
    with pytest.raises(DbtFailed) as stale:
        project.spark_dbt("build", as_of=SECOND.isoformat())
    assert "not for this evaluation's as_of" in str(stale.value)
    project.spark_dbt("build", as_of=FIRST.isoformat())
    project.build(FIRST.isoformat(), tests=False)

    columns = "model, profile_id, score, percentile, bucket"
    spark_scores = _spark_rows(project, "segmentation.propensity_scores", columns)
    assert len(spark_scores) > 100
    assert spark_scores == _duckdb_rows(project, "segmentation.propensity_scores", columns)
    probabilities = dict(
        project.query("select profile_id, probability from segmentation.propensity_scores")
    )
    for profile_id, probability in project.spark_query(
        "select profile_id, probability from segmentation.propensity_scores"
    ):
        assert abs(probability - probabilities[profile_id]) < 1e-9, profile_id
    members = project.spark_members("likely_repurchasers")
    assert members and members == project.members("likely_repurchasers")


def test_a_definition_changed_since_generation_stops_the_spark_build(tmp_path: Path) -> None:
    """The freshness check reads the definition files with Spark itself (text source)."""
    project = SparkProject(tmp_path / "project")
    shutil.copy(ROOT / "segments" / "night_owls.yml", project.root / "segments")
    project.generate()
    project.reset_spark()
    path = project.root / "segments" / "night_owls.yml"
    path.write_text(path.read_text() + "# edited after scripts/seg generate\n")
    with pytest.raises(DbtFailed) as failure:
        project.spark_dbt("build", as_of=FIRST.isoformat())
    assert "segments/night_owls.yml: changed since" in str(failure.value)


def test_identities_on_spark_stop_the_build_rather_than_segment_unstitched(tmp_path: Path) -> None:
    """Stitching is a dbt Python model, which the session method cannot run: a store with
    identity links is refused on Spark with the reason, and nothing is built."""
    project = SparkProject(tmp_path / "project")
    shutil.copy(ROOT / "segments" / "night_owls.yml", project.root / "segments")
    generate(
        project.database, DemoSpec(300, 6_000, 3, FIRST.date(), 60, identities=True), quiet=True
    )
    project.generate()
    project.reset_spark()
    project.copy_store_to_spark()
    assert project.spark_query("select count(*) from raw.identities")[0][0] > 0
    with pytest.raises(DbtFailed) as failure:
        project.spark_dbt("build", as_of=FIRST.isoformat())
    assert "identity stitching runs on DuckDB only" in str(failure.value)
    catalog = spark_session().catalog
    assert not catalog.databaseExists("segments") or catalog.listTables("segments") == []
    # a store without links (a demo replaces the store) is copied without them, and builds
    generate(project.database, DemoSpec(300, 6_000, 3, FIRST.date(), 60), quiet=True)
    project.copy_store_to_spark()
    assert project.spark_query("show tables in raw like 'identities'") == []
