"""The differential test: compiled SQL (through dbt) and the independent evaluator agree.

Each hypothesis example is a batch: one random store around one as_of and a few dozen random
segment definitions (later ones may refer to earlier ones). One dbt run evaluates the whole batch;
every (segment, profile) verdict must equal the evaluator's. Examples are derandomized so CI is
reproducible; SEGMENTS_DIFFERENTIAL_EXAMPLES raises the number of batches for a longer soak.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from evaluator import Store
from harness import TempProject
from language_strategies import (
    AS_OFS,
    EVENT_COLUMN_TYPES,
    PROFILE_TYPES,
    conditions,
    dbt_examples,
    stores,
)

SEGMENTS_PER_BATCH = 60
BATCHES = int(os.environ.get("SEGMENTS_DIFFERENTIAL_EXAMPLES", "7"))


@st.composite
def batches(draw: st.DrawFn):  # type: ignore[no-untyped-def]
    as_of = draw(st.sampled_from(AS_OFS))
    events, profiles = draw(stores(as_of))
    definitions: list[tuple[str, dict]] = []
    for index in range(SEGMENTS_PER_BATCH):
        names = [name for name, _ in definitions]
        definitions.append((f"seg_{index:03d}", draw(conditions(as_of, names))))
    return as_of, events, profiles, definitions


@dbt_examples(BATCHES)
@given(batch=batches())
def test_compiled_sql_agrees_with_the_evaluator(batch) -> None:  # type: ignore[no-untyped-def]
    as_of, events, profiles, definitions = batch
    with tempfile.TemporaryDirectory() as folder:
        project = TempProject(Path(folder) / "project")
        project.write_store(events, profiles, EVENT_COLUMN_TYPES, PROFILE_TYPES)
        for name, condition in definitions:
            project.write_segment(
                name, {"segment": name, "description": "generated", "condition": condition}
            )
        project.generate()
        project.dbt("run", as_of=as_of.isoformat())
        store = Store(
            events, {p["profile_id"]: p for p in profiles}, as_of, tuple(EVENT_COLUMN_TYPES)
        )
        disagreements = []
        for name, condition in definitions:
            expected = store.members(name, condition)
            actual = project.members(name)
            if expected != actual:
                disagreements.append(
                    f"{name}: sql-only={sorted(actual - expected)} evaluator-only={sorted(expected - actual)}\n"
                    + yaml.safe_dump(condition, sort_keys=False)
                )
        assert not disagreements, f"as_of {as_of}:\n" + "\n".join(disagreements[:5])
