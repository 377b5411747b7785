"""Splits: stable, close to the declared percentages on 100k ids, independent across segments."""

from __future__ import annotations

import pytest

from harness import TempProject

pytestmark = pytest.mark.dbt

SPLIT = """segment: {name}
description: Everyone, split for an experiment.
splits: [{{name: treatment, percent: {treatment}}}, {{name: holdout, percent: {holdout}}}]
condition: {{attribute: profile_id, exists: true}}
"""


def test_splits_are_stable_close_to_percentages_and_independent(project: TempProject) -> None:
    project.write_store([], [])
    con = project.connect()
    con.execute("insert into raw.profiles select 'user-' || i from range(100000) as t(i)")
    con.close()
    project.write_segment(
        "experiment_a", SPLIT.format(name="experiment_a", treatment=90, holdout=10)
    )
    project.write_segment(
        "experiment_b", SPLIT.format(name="experiment_b", treatment=50, holdout=50)
    )
    project.generate()
    project.build("2024-01-01T00:00:00", tests=False)

    def splits(name: str) -> dict[str, str]:
        return dict(project.query(f'select profile_id, split from segments."{name}"'))

    a, b = splits("experiment_a"), splits("experiment_b")
    share_a = sum(v == "treatment" for v in a.values()) / len(a)
    share_b = sum(v == "treatment" for v in b.values()) / len(b)
    assert abs(share_a - 0.9) < 0.005 and abs(share_b - 0.5) < 0.005
    both = sum(a[p] == "treatment" and b[p] == "treatment" for p in a) / len(a)
    assert abs(both - share_a * share_b) < 0.005  # independent across segments
    history_splits = dict(
        project.query(
            "select profile_id, split from segmentation.segment_membership_history "
            "where segment = 'experiment_a'"
        )
    )
    assert history_splits == a

    project.build("2024-01-02T00:00:00", tests=False)
    assert splits("experiment_a") == a  # stable across evaluations

    project.write_segment(
        "experiment_a", SPLIT.format(name="experiment_a", treatment=80, holdout=20)
    )
    project.generate()
    project.build("2024-01-03T00:00:00", tests=False)
    changed = splits("experiment_a")
    moved = {p for p in a if a[p] != changed[p]}
    assert all(a[p] == "treatment" and changed[p] == "holdout" for p in moved)  # the minimum moves
    assert abs(len(moved) / len(a) - 0.1) < 0.005
