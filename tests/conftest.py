from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "scripts", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from harness import TempProject  # noqa: E402


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that is not marked ``dbt`` is a ``unit`` test (``pytest -m unit``)."""
    for item in items:
        if item.get_closest_marker("dbt") is None:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def _unit_tests_run_no_dbt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A unit test that starts dbt fails at once, so that the markers stay true."""
    if request.node.get_closest_marker("dbt") is None:
        monkeypatch.setenv("SEGMENTS_NO_DBT", "a unit test must not run dbt: mark it dbt")


@pytest.fixture
def project(tmp_path: Path) -> TempProject:
    return TempProject(tmp_path / "project")
