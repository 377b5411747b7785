"""Every demo segment in segments/ on a small demo store: exact members, checked against the
independent evaluator (and, for the sql: segment, against the same rule written in SQL)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import duckdb
import pytest
import yaml

from evaluator import Store
from harness import ROOT, TempProject
from segkit.demo_store import DemoSpec, generate

pytestmark = pytest.mark.dbt

AS_OF = dt.datetime(2026, 1, 15, 9, 0, 0)
SPEC = DemoSpec(profiles=1500, events=60_000, seed=11, end=dt.date(2026, 1, 15), days=400)
FILES = {p.stem: yaml.safe_load(p.read_text()) for p in sorted((ROOT / "segments").glob("*.yml"))}
DEFINITIONS = {name: doc for name, doc in FILES.items() if "segment" in doc}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[TempProject, Store]:
    project = TempProject(tmp_path_factory.mktemp("demo_segments") / "project")
    generate(project.database, SPEC, quiet=True)
    for name in FILES:
        shutil.copy(ROOT / "segments" / f"{name}.yml", project.root / "segments" / f"{name}.yml")
    project.generate()
    project.build(AS_OF.isoformat())
    con = duckdb.connect(str(project.database), read_only=True)
    try:
        events = [
            {
                "event_id": r[0],
                "profile_id": r[1],
                "event_type": r[2],
                "event_ts": r[3],
                "properties": json.loads(r[4]) if r[4] else None,
                "session_id": r[5],
                "channel": r[6],
            }
            for r in con.execute(
                "select event_id, profile_id, event_type, event_ts, properties, "
                "session_id, channel from raw.events"
            ).fetchall()
        ]
        cursor = con.execute("select * from raw.profiles")
        names = [d[0] for d in cursor.description]
        profiles = {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}
        scores = con.execute(
            "select model, profile_id, bucket, percentile, score from segmentation.propensity_scores"
        ).fetchall()
    finally:
        con.close()
    store = Store(events, profiles, AS_OF, ("channel",))
    for model, profile_id, bucket, percentile, score in scores:
        store.propensity.setdefault(model, {})[profile_id] = {
            "bucket": bucket,
            "percentile": percentile,
            "score": score,
        }
    pending = [n for n in DEFINITIONS if "sql:" not in yaml.safe_dump(DEFINITIONS[n])]
    while pending:  # referenced segments first
        name = next(
            n for n in pending if not set(_references(DEFINITIONS[n])) - set(store.segments)
        )
        store.members(name, DEFINITIONS[name]["condition"])
        pending.remove(name)
    return project, store


def _references(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [node["in_segment"]] if "in_segment" in node else []
        return found + [r for value in node.values() for r in _references(value)]
    if isinstance(node, list):
        return [r for value in node for r in _references(value)]
    return []


@pytest.mark.parametrize(
    "segment", [n for n in DEFINITIONS if "sql:" not in yaml.safe_dump(DEFINITIONS[n])]
)
def test_demo_segment_members_match_the_evaluator(
    built: tuple[TempProject, Store], segment: str
) -> None:
    project, store = built
    assert project.members(segment) == store.segments[segment]


def test_sql_segment_matches_its_rule(built: tuple[TempProject, Store]) -> None:
    project, _ = built
    expected = {
        r[0]
        for r in project.query(
            "select profile_id from raw.profiles where email_opt_in and loyalty_tier in ('gold', 'platinum') "
            "and birth_date < date '1990-01-01'"
        )
    }
    assert expected and project.members("mid_age_gold_optins") == expected


def test_every_demo_segment_is_non_trivial(built: tuple[TempProject, Store]) -> None:
    project, store = built
    everyone = len(store.profile_ids)
    sizes = {name: len(project.members(name)) for name in DEFINITIONS}
    trivial = {name: size for name, size in sizes.items() if size in (0, everyone)}
    assert not trivial, trivial


def test_explain_agrees_with_the_tables_for_every_demo_segment(
    built: tuple[TempProject, Store], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A member and a non-member of every demo segment, explained with one dbt compile."""
    from segkit.dbt_bridge import compile_queries
    from segkit.explain import explain_call
    from segkit.language.resolve import load_project

    project, store = built
    monkeypatch.setenv("SEGMENTS_DUCKDB_PATH", str(project.database))
    monkeypatch.setenv("DBT_PROFILES_DIR", str(project.root))
    definitions = load_project(project.root).segments
    picks = {}
    for name in sorted(DEFINITIONS):
        members = project.members(name)
        outsiders = sorted(set(store.profile_ids) - members)
        picks[name] = [
            p for p in (min(members, default=None), outsiders[0] if outsiders else None) if p
        ]
    profiles = sorted({p for chosen in picks.values() for p in chosen})
    queries = compile_queries(
        project.root,
        [explain_call(definitions[n]) for n in sorted(DEFINITIONS)],
        {"as_of": AS_OF.isoformat(), "segments_explain_profile": profiles},
    )
    con = duckdb.connect(str(project.database), read_only=True)
    try:
        for name, sql in zip(sorted(DEFINITIONS), queries, strict=True):
            verdicts = dict(con.execute(f"select profile_id, node_0 from ({sql})").fetchall())
            for profile_id in picks[name]:
                assert verdicts[profile_id] == (profile_id in project.members(name)), (
                    name,
                    profile_id,
                )
    finally:
        con.close()
