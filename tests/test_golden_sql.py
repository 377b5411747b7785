"""Golden tests: YAML in, SQL out, compared after normalising with sqlglot, and executed.

Set SEGMENTS_UPDATE_GOLDEN=1 to rewrite the expected SQL after an intended change; review the
diff like any other code change.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest
import sqlglot

from fixture_store import AS_OF_TEXT, EVENT_TYPES, EVENTS, PROFILE_TYPES, PROFILES
from harness import TempProject

pytestmark = pytest.mark.dbt

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.stem for p in GOLDEN.glob("*.yml"))
SHARED = ["int_event_conditions__aggregated", "int_sequence_conditions__matched"]
MEMBERS = "int_segment_members__unioned"


def normalise(sql: str) -> str:
    return sqlglot.transpile(sql, read="duckdb", write="duckdb", pretty=True)[0]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory: pytest.TempPathFactory) -> TempProject:
    project = TempProject(tmp_path_factory.mktemp("golden") / "project")
    project.write_store(EVENTS, PROFILES, EVENT_TYPES, PROFILE_TYPES)
    for case in CASES:
        project.write_segment(case, (GOLDEN / f"{case}.yml").read_text())
    project.generate()
    project.build(AS_OF_TEXT, tests=False)
    return project


def compiled_sql(project: TempProject, model: str) -> str:
    found = list((project.root / "target" / "compiled").rglob(f"{model}.sql"))
    assert len(found) == 1, found
    return found[0].read_text()


MODELS = [MEMBERS, *SHARED]


@pytest.mark.parametrize("model", MODELS)
def test_compiled_sql_matches_golden(compiled: TempProject, model: str) -> None:
    actual = normalise(compiled_sql(compiled, model))
    expected_path = GOLDEN / f"{model}.sql"
    if os.environ.get("SEGMENTS_UPDATE_GOLDEN"):
        expected_path.write_text(actual + "\n")
    assert actual == normalise(expected_path.read_text())


@pytest.mark.parametrize("segment", CASES)
def test_golden_sql_executes_to_the_built_members(compiled: TempProject, segment: str) -> None:
    sql = (GOLDEN / f"{MEMBERS}.sql").read_text()
    con = duckdb.connect(str(compiled.database), read_only=True)
    try:
        rows = {
            r[0]
            for r in con.execute(
                f"select profile_id from ({sql}) where segment = ?", [segment]
            ).fetchall()
        }
    finally:
        con.close()
    assert rows == compiled.members(segment)
