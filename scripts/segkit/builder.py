"""Segment-builder verbs: ``seg new`` (scaffold), ``seg compile`` (the SQL that runs) and
``seg overlap`` (how audiences intersect)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from itertools import combinations
from pathlib import Path

import duckdb
import sqlglot

from .language.vocabulary import NAME_PATTERN
from .warehouse import warehouse_path

TEMPLATES = {
    "starter": """segment: {name}
description: Say in one sentence who is in this segment.
owner: your-team
tags: []
# A condition is one node: all / any / not, attribute, event, sequence, in_segment or sql.
# The whole language, with an example of each: docs/language.md
condition:
  all:
    # a profile attribute (a column of raw.profiles) with one operator
    - attribute: country
      in: [ES, MX]
    # behaviour: did it at least once in a window (add count/sum/avg/min/max/count_distinct)
    - event: purchase
      during: {{last: 90d}}
    # "did not": count equals 0, or wrap any condition in not
    - not:
        event: email_click
        during: {{last: 30d}}
""",
    "attribute": """segment: {name}
description: Gold and platinum members.
condition:
  attribute: loyalty_tier
  in: [gold, platinum]
""",
    "behaviour": """segment: {name}
description: Spent 300 or more on shoes in the last 90 days.
condition:
  event: purchase
  where: {{property: category, equals: shoes}}
  during: {{last: 90d}}
  sum: {{of: revenue, gte: 300}}
""",
    "sequence": """segment: {name}
description: Added to cart in the last 7 days and did not buy within a day.
condition:
  sequence:
    during: {{last: 7d}}
    steps:
      - event: add_to_cart
    then_not:
      event: purchase
      within: 24h
""",
}


def cmd_new(args: argparse.Namespace) -> int:
    if not NAME_PATTERN.match(args.name):
        print(
            f"seg new: '{args.name}' is not a segment name: lowercase letters, digits and _, "
            "starting with a letter",
            file=sys.stderr,
        )
        return 2
    path = args.project_dir / "segments" / f"{args.name}.yml"
    if path.exists():
        print(f"seg new: {path.relative_to(args.project_dir)} already exists", file=sys.stderr)
        return 1
    path.write_text(TEMPLATES[args.template].format(name=args.name), encoding="utf-8")
    print(
        f"wrote {path.relative_to(args.project_dir)}: edit it, then scripts/seg validate and "
        "scripts/seg generate"
    )
    return 0


def _segment_name(value: str) -> str:
    return Path(value).stem if value.endswith((".yml", ".yaml")) else value


def cmd_compile(args: argparse.Namespace) -> int:
    """The SQL that evaluates one segment over the shared scans (as the build does, alone)."""
    from .generate import _jinja_literal, evaluation_data

    definition = _definition(args)
    if definition is None:
        return 1
    call = f"{{{{ evaluate_segments({_jinja_literal(evaluation_data([definition]))}) }}}}"
    try:
        (sql,) = compile_queries(args.project_dir, [call], {}, args.as_of)
    except RuntimeError as exc:
        print(f"seg compile: dbt compile failed:\n{exc}", file=sys.stderr)
        return 1
    print(
        sqlglot.transpile(sql, read="duckdb", write="duckdb", pretty=True)[0]
        if args.pretty
        else sql.strip()
    )
    return 0


def overlap(database: Path, names: list[str]) -> dict:
    """Sizes and pairwise intersections (count and Jaccard) of current members."""
    con = duckdb.connect(str(database), read_only=True)
    try:
        # Fully qualified: the default warehouse file is itself called "segments".
        (catalog,) = con.execute("select current_database()").fetchone()

        def table(name: str) -> str:
            return f'"{catalog}"."segments"."{name}"'

        sizes = {n: con.execute(f"select count(*) from {table(n)}").fetchone()[0] for n in names}
        pairs = []
        for a, b in combinations(names, 2):
            both = con.execute(
                f"select count(*) from {table(a)} as a join {table(b)} as b using (profile_id)"
            ).fetchone()[0]
            union = sizes[a] + sizes[b] - both
            pairs.append(
                {
                    "a": a,
                    "b": b,
                    "intersection": both,
                    "jaccard": round(both / union, 4) if union else 0.0,
                }
            )
    finally:
        con.close()
    return {"sizes": sizes, "pairs": pairs}


def cmd_overlap(args: argparse.Namespace) -> int:
    names = [_segment_name(n) for n in args.segments]
    if len(names) < 2:
        print("seg overlap: name at least two segments", file=sys.stderr)
        return 2
    database = warehouse_path(args.project_dir)
    try:
        found = overlap(database, names)
    except duckdb.Error as exc:
        print(
            f"seg overlap: {exc}".splitlines()[0] + " (is every segment built? run dbt build)",
            file=sys.stderr,
        )
        return 1
    if args.json:
        print(json.dumps(found, indent=2))
        return 0
    cells = {(p["a"], p["b"]): p for p in found["pairs"]}
    cells.update({(b, a): p for (a, b), p in list(cells.items())})
    width = max(len(n) for n in names) + 2
    print("".ljust(width) + "".join(n[: width - 2].rjust(width) for n in names))
    for row in names:
        line = row.ljust(width)
        for column in names:
            if row == column:
                text = f"{found['sizes'][row]:,}"
            else:
                pair = cells[(row, column)]
                text = f"{pair['intersection']:,} ({pair['jaccard']:.0%})"
            line += text.rjust(width)
        print(line)
    print("\ndiagonal: size; elsewhere: members in both (Jaccard index)")
    return 0


def _definition(args: argparse.Namespace):  # type: ignore[no-untyped-def]
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


SPLIT_MARK = "-- segkit: next query"


def _macro_call(macro: str, definition) -> str:  # type: ignore[no-untyped-def]
    from .generate import _jinja_literal

    def unique(items: list[dict]) -> list[dict]:
        return list({item["id"]: item for item in items}.values())

    segment = {"name": definition.name, "condition": definition.condition.to_data()}
    aggregates = unique([e.aggregate_data() for e in definition.event_conditions()])
    sequences = unique([q.sequence_data() for q in definition.sequence_conditions()])
    return (
        f"{{{{ {macro}({_jinja_literal(segment)}, {_jinja_literal(aggregates)}, "
        f"{_jinja_literal(sequences)}) }}}}"
    )


def compile_queries(
    project_dir: Path, calls: list[str], variables: dict, as_of: str | None = None
) -> list[str]:
    """Render macro calls with dbt (one `dbt compile --inline` for all of them).

    as_of goes in the environment (SEGMENTS_AS_OF), not in --vars: changed --vars make dbt
    re-parse the whole project.
    """
    inline = f"\n{SPLIT_MARK}\n".join(calls)
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
    args: argparse.Namespace,
    definition,  # type: ignore[no-untyped-def]
    sample: float | None,
    macro: str = "segment_preview",
    profile_id: str | list[str] | None = None,
) -> str:
    """The preview (or explain) query, rendered by dbt from the same macros as the models."""
    variables: dict = (
        {"segments_sample_percent": sample, "segments_sample_seed": args.seed} if sample else {}
    )
    if profile_id is not None:
        variables["segments_explain_profile"] = profile_id
    return compile_queries(
        args.project_dir, [_macro_call(macro, definition)], variables, args.as_of
    )[0]


def wilson(members: int, sampled: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson score interval of a proportion.

    >>> [round(x, 3) for x in wilson(50, 100)]
    [0.404, 0.596]
    """
    if sampled == 0:
        return 0.0, 1.0
    p = members / sampled
    denominator = 1 + z * z / sampled
    centre = (p + z * z / (2 * sampled)) / denominator
    half = z * ((p * (1 - p) / sampled + z * z / (4 * sampled * sampled)) ** 0.5) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def cmd_preview(args: argparse.Namespace) -> int:
    definition = _definition(args)
    if definition is None:
        return 1
    if args.sample is not None and not 0 < args.sample <= 100:
        print("seg preview: --sample is a percentage above 0 and at most 100", file=sys.stderr)
        return 2
    try:
        sql = compile_preview(args, definition, args.sample)
    except RuntimeError as exc:
        print(
            f"seg preview: dbt could not compile the preview (has the project been built once?):\n{exc}",
            file=sys.stderr,
        )
        return 1
    con = duckdb.connect(str(warehouse_path(args.project_dir)), read_only=True)
    # DuckDB's progress bar shows on a terminal while a big store is evaluated.
    con.execute(f"set enable_progress_bar = {'true' if sys.stderr.isatty() else 'false'}")
    try:
        (catalog,) = con.execute("select current_database()").fetchone()
        # evaluate once, then count and pick examples from the result
        con.execute(f"create temp table preview as {sql}")
        members, evaluated = con.execute(
            "select count(*) filter (where is_member), count(*) from preview"
        ).fetchone()
        examples = [
            r[0]
            for r in con.execute(
                "select profile_id from preview where is_member order by profile_id limit ?",
                [int(args.limit)],
            ).fetchall()
        ]
        population = evaluated
        if args.sample:
            moment = (
                f"cast('{args.as_of}' as timestamp)"
                if args.as_of
                else "current_timestamp::timestamp"
            )
            (population,) = con.execute(
                f'select count(*) from (select profile_id from "{catalog}".staging.stg_raw__profiles '
                f'union select profile_id from "{catalog}".staging.stg_raw__events '
                f"where event_ts <= {moment})"
            ).fetchone()
    except duckdb.Error as exc:
        print(f"seg preview: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    if args.sample:
        low, high = wilson(members, evaluated)
        size = round(population * members / evaluated) if evaluated else 0
        result = {
            "size": size,
            "ci_low": round(population * low),
            "ci_high": round(population * high),
            "sampled": True,
            "sample_size": evaluated,
            "profiles": examples,
        }
    else:
        result = {
            "size": members,
            "ci_low": members,
            "ci_high": members,
            "sampled": False,
            "profiles": examples,
        }
    if args.json:
        print(json.dumps(result, indent=2))
    elif args.sample:
        print(
            f"{definition.name}: about {result['size']:,} members (95% CI {result['ci_low']:,} to "
            f"{result['ci_high']:,}; {members:,} of {evaluated:,} sampled profiles)"
        )
    else:
        print(f"{definition.name}: {members:,} members of {evaluated:,} profiles")
    if not args.json and examples:
        print("examples: " + ", ".join(examples))
    return 0


def _tree(node: dict, row: dict, counter: list[int]) -> dict:
    """The condition tree with each node's verdict and observation, in the macro's pre-order."""
    index = counter[0]
    counter[0] += 1
    described = {
        key: node[key]
        for key in ("kind", "column", "op", "value", "segment", "function")
        if key in node
    }
    described["holds"] = bool(row[f"node_{index}"])
    if row[f"observed_{index}"] is not None:
        described["observed"] = row[f"observed_{index}"]
    children = [_tree(c, row, counter) for c in node.get("children", [])]
    if node["kind"] == "not":
        children = [_tree(node["child"], row, counter)]
    if children:
        described["children"] = children
    return described


def _describe(node: dict) -> str:
    kind = node["kind"]
    if kind in ("all", "any", "not"):
        return kind
    if kind == "attribute":
        return f"attribute {node['column']} {node['op']} {node['value']}"
    if kind == "event":
        return f"event {node['function']} {node['op']} {node['value']}"
    if kind == "in_segment":
        return f"in segment {node['segment']}"
    return kind


def _colour(text: str, code: str) -> str:
    """ANSI colour on a terminal (unless NO_COLOR is set), plain text otherwise."""
    if sys.stdout.isatty() and not os.environ.get("NO_COLOR"):
        return f"\033[{code}m{text}\033[0m"
    return text


def _print_tree(node: dict, depth: int = 0) -> None:
    mark = _colour("\u2713", "32") if node["holds"] else _colour("\u2717", "31")
    observed = f"   [{node['observed']}]" if "observed" in node else ""
    print(f"{'  ' * depth}{mark} {_describe(node)}{observed}")
    for child in node.get("children", []):
        _print_tree(child, depth + 1)


def cmd_explain(args: argparse.Namespace) -> int:
    definition = _definition(args)
    if definition is None:
        return 1
    try:
        sql = compile_preview(args, definition, None, "segment_explain", args.profile_id)
    except RuntimeError as exc:
        print(f"seg explain: dbt could not compile the explanation:\n{exc}", file=sys.stderr)
        return 1
    con = duckdb.connect(str(warehouse_path(args.project_dir)), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        found = cursor.fetchone()
    except duckdb.Error as exc:
        print(f"seg explain: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    if found is None:
        result = {
            "member": False,
            "profile_id": args.profile_id,
            "evaluated": False,
            "condition": None,
        }
        message = (
            f"{args.profile_id} is not evaluated at this as_of: no raw.profiles row and no "
            "event at or before as_of"
        )
    else:
        row = dict(zip(names, found, strict=True))
        tree = _tree(definition.condition.to_data(), row, [0])
        result = {
            "member": tree["holds"],
            "profile_id": args.profile_id,
            "evaluated": True,
            "condition": tree,
        }
        message = ""
    if args.json:
        print(json.dumps(result, indent=2, default=str))
        return 0
    verdict = "is a member of" if result["member"] else "is not a member of"
    print(f"{args.profile_id} {verdict} {definition.name}")
    if message:
        print(message)
    else:
        _print_tree(result["condition"])
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
    preview.add_argument("--json", action="store_true", help="machine-readable output")
    preview.set_defaults(func=cmd_preview)

    explain = verbs.add_parser("explain", help="why a profile is or is not a member, node by node")
    explain.add_argument("segment", help="segment name or a (draft) YAML file")
    explain.add_argument("profile_id", help="the profile")
    explain.add_argument("--as-of", help="evaluation time (ISO); default: SEGMENTS_AS_OF, else now")
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.set_defaults(func=cmd_explain, seed=0)

    overlap_ = verbs.add_parser("overlap", help="pairwise overlap of segments (counts and Jaccard)")
    overlap_.add_argument("segments", nargs="+", help="two or more segment names")
    overlap_.add_argument("--json", action="store_true", help="machine-readable output")
    overlap_.set_defaults(func=cmd_overlap)
