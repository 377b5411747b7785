"""Rendering the project's macros with dbt, for the verbs that query without building.

``seg compile``, ``seg preview`` and ``seg explain`` hand a definition's data to the same macros
the models call, rendered by ``dbt compile --inline`` (so they cannot disagree with the tables).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .generate import jinja_literal
from .language import nodes as n

SPLIT_MARK = "-- segkit: next query"

# What renders macro calls into SQL: ``compile_queries`` (a dbt process per call) or the warm
# renderer of ``seg ui`` (``segkit.ui.rendering``), with the same arguments.
Renderer = Callable[[Path, list[str], dict, "str | None", str], list[str]]


def definition_call(
    macro: str,
    definition: n.SegmentDefinition,
    extra: dict[str, Any] | None = None,
    arguments: tuple[Any, ...] = (),
) -> str:
    """A call of a preview macro on one definition: the segment, its event conditions and its
    sequences as data (``extra`` adds keys to the segment), then any further ``arguments``."""

    def unique(items: list[dict]) -> list[dict]:
        return list({item["id"]: item for item in items}.values())

    segment = {
        "name": definition.name,
        "condition": definition.condition.to_data(),
        **(extra or {}),
    }
    aggregates = unique([e.aggregate_data() for e in definition.event_conditions()])
    sequences = unique([q.sequence_data() for q in definition.sequence_conditions()])
    values = [segment, aggregates, sequences, *arguments]
    return f"{{{{ {macro}({', '.join(jinja_literal(v) for v in values)}) }}}}"


def compile_queries(
    project_dir: Path,
    calls: list[str],
    variables: dict,
    as_of: str | None = None,
    target: str = "dev",
) -> list[str]:
    """Render macro calls with dbt (one `dbt compile --inline` for all of them).

    as_of goes in the environment (SEGMENTS_AS_OF), not in --vars: changed --vars make dbt
    re-parse the whole project. On the spark target dbt runs in this process, so that the
    queries reuse the Spark session it opens.
    """
    inline = f"\n{SPLIT_MARK}\n".join(calls)
    if target == "spark":
        from .spark import compile_inline

        return compile_inline(project_dir, inline, variables, as_of).split(SPLIT_MARK)
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "compile",
        "--quiet",
        "--output",
        "json",
        "--inline",
        inline,
        "--project-dir",
        str(project_dir),
        "--vars",
        json.dumps(variables),
    ]
    env = {**os.environ, "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(project_dir))}
    if as_of:
        env["SEGMENTS_AS_OF"] = as_of
    result = subprocess.run(command, cwd=project_dir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stdout[-3000:] + result.stderr[-1000:])
    return json.loads(result.stdout)["compiled"].split(SPLIT_MARK)


def compile_preview(
    args: Any,
    definition: n.SegmentDefinition,
    sample: float | None,
    macro: str = "segment_preview",
    profile_id: str | list[str] | None = None,
    extra: dict[str, Any] | None = None,
    arguments: tuple[Any, ...] = (),
    render: Renderer | None = None,
) -> str:
    """The preview (or explain) query, rendered by dbt from the same macros as the models."""
    variables: dict = (
        {"segments_sample_percent": sample, "segments_sample_seed": args.seed} if sample else {}
    )
    if profile_id is not None:
        variables["segments_explain_profile"] = profile_id
    return (render or compile_queries)(
        args.project_dir,
        [definition_call(macro, definition, extra, arguments)],
        variables,
        args.as_of,
        getattr(args, "dbt_target", "dev"),
    )[0]
