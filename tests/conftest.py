from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "scripts", ROOT / "tests"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from harness import TempProject  # noqa: E402


@pytest.fixture
def project(tmp_path: Path) -> TempProject:
    return TempProject(tmp_path / "project")
