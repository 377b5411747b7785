"""The segment-builder verbs: ``seg new``, ``compile``, ``preview``, ``explain``, ``overlap``.

Each verb lives in its own module (``scaffold``, ``preview``, ``explain``, ``overlap``) with pure
functions that return data and printers that only print; this module loads the definition a verb
names and registers the verbs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import sqlglot

from .dbt_bridge import Renderer, compile_queries
from .explain import cmd_explain
from .generate import evaluation_data, jinja_literal
from .language import nodes as n
from .overlap import cmd_overlap
from .preview import cmd_preview
from .scaffold import TEMPLATES, cmd_new
from .spark import add_target_option
from .warehouse import warehouse_path


def load_definition(args: argparse.Namespace) -> n.SegmentDefinition | None:
    """The validated definition named on the command line (a name or a draft file)."""
    from .language.resolve import load_project
    from .warehouse import read_schema

    value = args.segment
    path = (
        Path(value)
        if value.endswith((".yml", ".yaml"))
        else args.project_dir / "segments" / f"{value}.yml"
    )
    if not path.exists():
        print(f"seg: no definition {path}", file=sys.stderr)
        return None
    project = load_project(
        args.project_dir, [path.resolve()], read_schema(warehouse_path(args.project_dir))
    )
    for diagnostic in project.diagnostics:
        print(diagnostic, file=sys.stderr)
    name = next((d.name for d in project.segments.values() if Path(d.file).name == path.name), None)
    if project.errors or name is None:
        return None
    return project.segments[name]


def compiled_sql(
    args: argparse.Namespace,
    definition: n.SegmentDefinition,
    pretty: bool = True,
    render: Renderer | None = None,
) -> str:
    """The SQL that evaluates one segment over the shared scans (as the build does, alone);
    raises RuntimeError when dbt cannot render it."""
    call = f"{{{{ evaluate_segments({jinja_literal(evaluation_data([definition]))}) }}}}"
    (sql,) = (render or compile_queries)(args.project_dir, [call], {}, args.as_of, args.dbt_target)
    dialect = "spark" if args.dbt_target == "spark" else "duckdb"
    return (
        sqlglot.transpile(sql, read=dialect, write=dialect, pretty=True)[0]
        if pretty
        else sql.strip()
    )


def cmd_compile(args: argparse.Namespace) -> int:
    definition = load_definition(args)
    if definition is None:
        return 1
    try:
        print(compiled_sql(args, definition, args.pretty))
    except RuntimeError as exc:
        print(f"seg compile: dbt compile failed:\n{exc}", file=sys.stderr)
        return 1
    return 0


def add_parsers(verbs: argparse._SubParsersAction) -> None:
    new = verbs.add_parser("new", help="scaffold a segment definition with the building blocks")
    new.add_argument("name", help="segment name (lowercase, digits, _)")
    new.add_argument(
        "--from",
        dest="template",
        choices=sorted(TEMPLATES),
        default="starter",
        help="template (default: starter)",
    )
    new.set_defaults(func=cmd_new)

    compile_ = verbs.add_parser("compile", help="print the SQL that evaluates a segment")
    compile_.add_argument("segment", help="segment name or its YAML file")
    compile_.add_argument(
        "--as-of", help="evaluation time (ISO); default: SEGMENTS_AS_OF, else now"
    )
    compile_.add_argument("--raw", dest="pretty", action="store_false", help="as dbt compiled it")
    add_target_option(compile_, "dbt target whose SQL is printed")
    compile_.set_defaults(func=cmd_compile)

    preview = verbs.add_parser(
        "preview", help="audience size and examples, without building anything"
    )
    preview.add_argument("segment", help="segment name or a (draft) YAML file")
    preview.add_argument("--as-of", help="evaluation time (ISO); default: SEGMENTS_AS_OF, else now")
    preview.add_argument(
        "--sample",
        type=float,
        metavar="PCT",
        help="evaluate a random PCT%% of profiles and estimate with a 95%% interval",
    )
    preview.add_argument("--seed", type=int, default=0, help="which random sample (default 0)")
    preview.add_argument("--limit", type=int, default=10, help="example profiles (default 10)")
    preview.add_argument(
        "--nodes", action="store_true", help="also how many profiles each condition holds for"
    )
    preview.add_argument("--json", action="store_true", help="machine-readable output")
    add_target_option(preview, "dbt target to evaluate on")
    preview.set_defaults(func=cmd_preview)

    explain = verbs.add_parser("explain", help="why a profile is or is not a member, node by node")
    explain.add_argument("segment", help="segment name or a (draft) YAML file")
    explain.add_argument("profile_id", help="the profile")
    explain.add_argument("--as-of", help="evaluation time (ISO); default: SEGMENTS_AS_OF, else now")
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    add_target_option(explain, "dbt target to evaluate on")
    explain.set_defaults(func=cmd_explain, seed=0)

    overlap_ = verbs.add_parser("overlap", help="pairwise overlap of segments (counts and Jaccard)")
    overlap_.add_argument("segments", nargs="+", help="two or more segment names")
    overlap_.add_argument("--json", action="store_true", help="machine-readable output")
    add_target_option(overlap_, "dbt target whose members are compared")
    overlap_.set_defaults(func=cmd_overlap)
