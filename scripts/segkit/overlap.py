"""``seg overlap``: how audiences intersect (counts and Jaccard index of current members)."""

from __future__ import annotations

import argparse
import json
import sys
from itertools import combinations
from pathlib import Path

import duckdb

from .warehouse import warehouse_path


def segment_name(value: str) -> str:
    """A segment named on the command line, by name or by its file.

    >>> segment_name("segments/vip.yml"), segment_name("vip")
    ('vip', 'vip')
    """
    return Path(value).stem if value.endswith((".yml", ".yaml")) else value


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
    names = [segment_name(n) for n in args.segments]
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
