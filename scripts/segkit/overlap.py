"""``seg overlap``: how audiences intersect (counts and Jaccard index of current members)."""

from __future__ import annotations

import argparse
import json
import sys
from itertools import combinations
from pathlib import Path

from .engine import QueryError, run_query
from .language.vocabulary import NAME_PATTERN
from .warehouse import warehouse_path


def segment_name(value: str) -> str:
    """A segment named on the command line, by name or by its file.

    >>> segment_name("segments/vip.yml"), segment_name("vip")
    ('vip', 'vip')
    """
    return Path(value).stem if value.endswith((".yml", ".yaml")) else value


def overlap_sql(tables: dict[str, str]) -> str:
    """One query: each segment's size and each pair's shared members, as (a, b, members) rows.

    >>> print(overlap_sql({"a": "segments.a", "b": "segments.b"}))
    with s0 as (select profile_id from segments.a), s1 as (select profile_id from segments.b)
    select 'a' as a, 'a' as b, count(*) as members from s0
    union all
    select 'b' as a, 'b' as b, count(*) as members from s1
    union all
    select 'a' as a, 'b' as b, count(*) as members from s0 join s1 using (profile_id)
    """
    names = list(tables)
    ctes = ", ".join(f"s{i} as (select profile_id from {tables[n]})" for i, n in enumerate(names))
    counted = [(n, n, f"s{i}") for i, n in enumerate(names)]
    counted += [
        (names[i], names[j], f"s{i} join s{j} using (profile_id)")
        for i, j in combinations(range(len(names)), 2)
    ]
    selects = [
        f"select '{a}' as a, '{b}' as b, count(*) as members from {f}" for a, b, f in counted
    ]
    return f"with {ctes}\n" + "\nunion all\n".join(selects)


def segment_table(project_dir: Path, target: str, name: str) -> str:
    """The published table of a segment, quoted for the target's engine."""
    if target == "spark":
        return f"segments.`{name}`"
    # fully qualified: the default warehouse file is itself called "segments"
    return f'"{warehouse_path(project_dir).stem}"."segments"."{name}"'


def overlap(project_dir: Path, target: str, names: list[str]) -> dict:
    """Sizes and pairwise intersections (count and Jaccard) of current members."""
    tables = {n: segment_table(project_dir, target, n) for n in names}
    counts = {(a, b): c for a, b, c in run_query(project_dir, target, overlap_sql(tables))[1]}
    sizes = {n: counts[(n, n)] for n in names}
    pairs = []
    for a, b in combinations(names, 2):
        both = counts[(a, b)]
        union = sizes[a] + sizes[b] - both
        pairs.append(
            {
                "a": a,
                "b": b,
                "intersection": both,
                "jaccard": round(both / union, 4) if union else 0.0,
            }
        )
    return {"sizes": sizes, "pairs": pairs}


def cmd_overlap(args: argparse.Namespace) -> int:
    names = [segment_name(n) for n in args.segments]
    if len(names) < 2:
        print("seg overlap: name at least two segments", file=sys.stderr)
        return 2
    bad = [n for n in names if not NAME_PATTERN.match(n)]
    if bad:
        print(f"seg overlap: not a segment name: {', '.join(bad)}", file=sys.stderr)
        return 2
    try:
        found = overlap(args.project_dir, args.dbt_target, names)
    except QueryError as exc:
        print(f"seg overlap: {exc} (is every segment built? run dbt build)", file=sys.stderr)
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
