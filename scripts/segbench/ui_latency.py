"""The builder page's latencies: validation, estimates and explanations on a big demo store.

    .venv/bin/python scripts/segbench/ui_latency.py --events 10000000

Generates the demo store (100 events a profile), builds it once with the demo segments (not
the propensity models: training is not what this measures), then times the page's service
in this process, as ``seg ui`` runs it: for each of eight demo definitions used as drafts
(their text changed so nothing is cached), validation, the first estimate (rendered by the
warm dbt, then run), the same estimate again (render cached), a 10% sampled estimate and an
explanation of one member. The baseline in the same run: ``seg preview`` of the same draft as
a command (a dbt process per call, what the page replaces). Writes
``scripts/segbench/results/ui_latency.{json,md}``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]

from harness import TempProject  # noqa: E402
from segbench.results_table import write_rows  # noqa: E402
from segkit.ui.rendering import WarmRenderer  # noqa: E402
from segkit.ui.service import Builder  # noqa: E402

DRAFTS = (
    "running_shoes_searchers",
    "cart_abandoners_es",
    "weekly_regulars",
    "recent_big_spenders",
    "email_engaged",
    "vip_email_targets",
    "big_ticket_browsers",
    "winback_candidates",
)
EVENTS_PER_PROFILE = 100


def timed(work: Callable[..., Any], *arguments: Any, **keywords: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work(*arguments, **keywords)
    return time.perf_counter() - started, result


def draft_text(name: str) -> str:
    """A demo definition as a draft the page has not seen (its description changed)."""
    text = (ROOT / "segments" / f"{name}.yml").read_text()
    return text.replace("description: ", "description: (draft) ", 1)


def build(events: int, scratch: Path) -> TempProject:
    project = TempProject(scratch / "project")
    env = {**os.environ, "SEGMENTS_DUCKDB_PATH": str(project.database)}
    subprocess.run(
        [
            sys.executable,
            "-m",
            "segkit.cli",
            "demo",
            "--profiles",
            str(events // EVENTS_PER_PROFILE),
            "--events",
            str(events),
        ],
        env={**env, "PYTHONPATH": str(ROOT / "scripts")},
        cwd=ROOT,
        check=True,
    )
    for path in sorted((ROOT / "segments").glob("*.yml")):
        text = path.read_text()
        if "propensity" not in text:
            shutil.copy(path, project.root / "segments")
    project.generate()
    project.build(os.environ.get("SEGMENTS_BENCH_AS_OF", "2026-11-29T00:00:00"), tests=False)
    return project


def measure(events: int, scratch: Path) -> list[dict[str, object]]:
    started = time.perf_counter()
    project = build(events, scratch)
    print(f"store built in {time.perf_counter() - started:.0f} s", flush=True)
    os.environ["SEGMENTS_DUCKDB_PATH"] = str(project.database)
    renderer = WarmRenderer(project.root, project.database)
    builder = Builder(project.root, project.database, renderer)
    startup, _ = timed(lambda: builder.preview(draft_text("weekly_regulars")))
    timings: dict[str, list[float]] = {
        "validate": [],
        "estimate (new draft)": [],
        "estimate (same draft again)": [],
        "estimate, 10% sample (new draft)": [],
        "explain a member": [],
    }
    for name in DRAFTS:
        text = draft_text(name)
        timings["validate"].append(timed(builder.validate, text)[0])
        seconds, estimate = timed(builder.preview, text)
        timings["estimate (new draft)"].append(seconds)
        timings["estimate (same draft again)"].append(timed(builder.preview, text)[0])
        sampled = text.replace("(draft)", "(sampled draft)")
        timings["estimate, 10% sample (new draft)"].append(
            timed(builder.preview, sampled, sample=10)[0]
        )
        if estimate["profiles"]:
            member = estimate["profiles"][0]
            timings["explain a member"].append(timed(builder.explain, text, None, member)[0])
    draft = scratch / "draft.yml"
    draft.write_text(
        draft_text(DRAFTS[0]).replace("segment: running_shoes_searchers", "segment: draft")
    )
    command = [
        sys.executable,
        "-m",
        "segkit.cli",
        "--project-dir",
        str(project.root),
        "preview",
        str(draft),
    ]
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts"), "DBT_PROFILES_DIR": str(project.root)}
    baseline, _ = timed(lambda: subprocess.run(command, env=env, check=True, capture_output=True))
    renderer.close()
    rows: list[dict[str, object]] = [
        {
            "operation": "first estimate after start (parse + catalog copy)",
            "p50 s": round(startup, 3),
            "max s": round(startup, 3),
            "n": 1,
            "vs seg preview": round(startup / baseline, 3),
        }
    ]
    for operation, values in timings.items():
        median = statistics.median(values)
        rows.append(
            {
                "operation": operation,
                "p50 s": round(median, 3),
                "max s": round(max(values), 3),
                "n": len(values),
                "vs seg preview": round(median / baseline, 3),
            }
        )
    rows.append(
        {
            "operation": "baseline: seg preview (a dbt process)",
            "p50 s": round(baseline, 3),
            "max s": round(baseline, 3),
            "n": 1,
            "vs seg preview": 1.0,
        }
    )
    for row in rows:
        row["events"] = f"{events:,}"
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ui-latency-", dir=ROOT / "warehouse") as scratch:
        rows = measure(args.events, Path(scratch))
    print(write_rows("ui_latency", rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
