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
    name = _segment_name(args.segment)
    model = f"int_segment_members__{name}"
    if not (
        args.project_dir / "models" / "intermediate" / "segment_members" / f"{model}.sql"
    ).exists():
        print(
            f"seg compile: no generated model for '{name}': run scripts/seg generate",
            file=sys.stderr,
        )
        return 1
    command = [
        str(Path(sys.executable).parent / "dbt"),
        "compile",
        "--quiet",
        "--select",
        model,
        "--project-dir",
        str(args.project_dir),
    ]
    if args.as_of:
        command += ["--vars", json.dumps({"as_of": args.as_of})]
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": os.environ.get("DBT_PROFILES_DIR", str(args.project_dir)),
    }
    result = subprocess.run(command, cwd=args.project_dir, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        print(f"seg compile: dbt compile failed:\n{result.stdout[-3000:]}", file=sys.stderr)
        return 1
    compiled = next((args.project_dir / "target" / "compiled").rglob(f"{model}.sql"))
    sql = compiled.read_text()
    print(
        sqlglot.transpile(sql, read="duckdb", write="duckdb", pretty=True)[0]
        if args.pretty
        else sql
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
    compile_.add_argument("--as-of", help="evaluation time (ISO); default: now")
    compile_.add_argument("--raw", dest="pretty", action="store_false", help="as dbt compiled it")
    compile_.set_defaults(func=cmd_compile)

    overlap_ = verbs.add_parser("overlap", help="pairwise overlap of segments (counts and Jaccard)")
    overlap_.add_argument("segments", nargs="+", help="two or more segment names")
    overlap_.add_argument("--json", action="store_true", help="machine-readable output")
    overlap_.set_defaults(func=cmd_overlap)
