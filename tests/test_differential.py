"""The differential test: compiled SQL (through dbt) and the independent evaluator agree.

Each hypothesis example is a batch: one random store around one as_of and a few dozen random
segment definitions (later ones may refer to earlier ones). One dbt run evaluates the whole batch;
every (segment, profile) verdict must equal the evaluator's. Examples are derandomized so CI is
reproducible; SEGMENTS_DIFFERENTIAL_EXAMPLES raises the number of batches for a longer soak.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
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

pytestmark = pytest.mark.dbt

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


def write_batch(
    project: TempProject,
    events: list[dict[str, Any]],
    profiles: list[dict[str, Any]],
    definitions: list[tuple[str, dict[str, Any]]],
) -> None:
    """The batch's store and definitions in the project, models generated."""
    project.write_store(events, profiles, EVENT_COLUMN_TYPES, PROFILE_TYPES)
    for name, condition in definitions:
        project.write_segment(
            name, {"segment": name, "description": "generated", "condition": condition}
        )
    project.generate()


def disagreements_with_the_evaluator(
    as_of: dt.datetime,
    events: list[dict[str, Any]],
    profiles: list[dict[str, Any]],
    definitions: list[tuple[str, dict[str, Any]]],
    members: Callable[[str], set[str]],
) -> list[str]:
    """The segments whose members (read by `members`) are not the evaluator's."""
    store = Store(events, {p["profile_id"]: p for p in profiles}, as_of, tuple(EVENT_COLUMN_TYPES))
    disagreements = []
    for name, condition in definitions:
        expected = store.members(name, condition)
        actual = members(name)
        if expected != actual:
            disagreements.append(
                f"{name}: sql-only={sorted(actual - expected)} evaluator-only={sorted(expected - actual)}\n"
                + yaml.safe_dump(condition, sort_keys=False)
            )
    return disagreements


def _disagreements(
    folder: Path,
    as_of: dt.datetime,
    events: list[dict[str, Any]],
    profiles: list[dict[str, Any]],
    definitions: list[tuple[str, dict[str, Any]]],
) -> tuple[TempProject, list[str]]:
    """Evaluate the definitions with dbt and with the evaluator; the segments they disagree on."""
    project = TempProject(folder / "project")
    write_batch(project, events, profiles, definitions)
    project.dbt("run", as_of=as_of.isoformat())
    return project, disagreements_with_the_evaluator(
        as_of, events, profiles, definitions, project.members
    )


@dbt_examples(BATCHES)
@given(batch=batches())
def test_compiled_sql_agrees_with_the_evaluator(batch) -> None:  # type: ignore[no-untyped-def]
    as_of, events, profiles, definitions = batch
    with tempfile.TemporaryDirectory() as folder:
        _, disagreements = _disagreements(Path(folder), as_of, events, profiles, definitions)
        assert not disagreements, f"as_of {as_of}:\n" + "\n".join(disagreements[:5])


def test_sequence_steps_on_the_first_moment_of_an_inclusive_window_count(tmp_path: Path) -> None:
    """Windows that include their start (this / previous period, since a date): a step event
    exactly on that start is in the window, one a second earlier is not. The random batches
    seldom put a whole chain on such an edge; sequences read only the events from the window's
    start on, so the edge is where an off-by-one would hide."""
    as_of = dt.datetime(2026, 3, 15, 12)
    month_start, previous_month_start = dt.datetime(2026, 3, 1), dt.datetime(2026, 2, 1)
    second = dt.timedelta(seconds=1)

    def event(profile_id: str, event_type: str, ts: dt.datetime) -> dict[str, Any]:
        return {
            "event_id": f"{profile_id}-{event_type}-{ts:%d%H%M%S}",
            "profile_id": profile_id,
            "event_type": event_type,
            "event_ts": ts,
            "loaded_at": ts,
        }

    events = [
        event("on_this_start", "search", month_start),
        event("on_this_start", "purchase", month_start + dt.timedelta(hours=1)),
        event("before_this_start", "search", month_start - second),
        event("before_this_start", "purchase", month_start + dt.timedelta(hours=1)),
        event("on_previous_start", "search", previous_month_start),
        event("on_previous_start", "purchase", previous_month_start + dt.timedelta(hours=1)),
        event("before_previous_start", "search", previous_month_start - second),
        event("before_previous_start", "purchase", previous_month_start + second),
        event("cart_on_this_start", "add_to_cart", month_start),
        event("cart_then_bought", "add_to_cart", month_start),
        event("cart_then_bought", "purchase", month_start + second),
    ]
    searched_then_bought = [{"event": "search"}, {"event": "purchase"}]
    windows = {
        "this_month": {"this": "month"},
        "previous_month": {"previous": "month"},
        "since_month_start": {"since": month_start.date()},
    }
    definitions = [
        (f"searched_then_bought_{name}", {"sequence": {"steps": searched_then_bought, "during": w}})
        for name, w in windows.items()
    ] + [
        (
            "carted_not_bought_this_month",
            {
                "sequence": {
                    "steps": [{"event": "add_to_cart"}],
                    "during": windows["this_month"],
                    "then_not": {"event": "purchase"},
                }
            },
        )
    ]
    project, disagreements = _disagreements(tmp_path, as_of, events, [], definitions)
    assert not disagreements, "\n".join(disagreements)
    assert project.members("searched_then_bought_this_month") == {"on_this_start"}
    assert project.members("searched_then_bought_since_month_start") == {"on_this_start"}
    assert project.members("searched_then_bought_previous_month") == {"on_previous_start"}
    assert project.members("carted_not_bought_this_month") == {"cart_on_this_start"}
