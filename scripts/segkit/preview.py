"""``seg preview``: a draft's size and example members, exact or estimated from a sample."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .dbt_bridge import Renderer, compile_preview
from .engine import QueryError, query_records
from .explain import explain_data, explain_nodes, node_depths
from .language import nodes as n


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


def estimate(members: int, evaluated: int, population: int | None) -> dict[str, Any]:
    """The size: exact (population None) or scaled from a sample with its 95% interval.

    >>> estimate(50, 100, 1000)["size"], estimate(7, 20, None)["ci_high"]
    (500, 7)
    """
    if population is None:
        return {"size": members, "ci_low": members, "ci_high": members, "sampled": False}
    low, high = wilson(members, evaluated)
    return {
        "size": round(population * members / evaluated) if evaluated else 0,
        "ci_low": round(population * low),
        "ci_high": round(population * high),
        "sampled": True,
        "sample_size": evaluated,
    }


def preview(
    args: argparse.Namespace, definition: n.SegmentDefinition, render: Renderer | None = None
) -> dict[str, Any]:
    """Size, examples and how many profiles each node of the condition holds for (the funnel of
    the definition, ids as in ``seg explain``), as data. Raises RuntimeError from dbt,
    QueryError from the engine."""
    examples = max(int(args.limit), 1)
    sql = compile_preview(
        args,
        definition,
        args.sample,
        "segment_preview_summary",
        extra=explain_data(definition),
        arguments=(examples, bool(args.sample)),
        render=render,
    )
    (row,) = query_records(args.project_dir, args.dbt_target, sql)
    population = row["population"] if args.sample else None
    depths = node_depths(definition.condition)
    nodes = [
        {
            "id": index,
            "depth": depths[index],
            "kind": node.kind,
            "description": node.describe(),
            "count": row[f"node_{index}"],
            **(
                {"estimate": estimate(row[f"node_{index}"], row["evaluated"], population)["size"]}
                if args.sample
                else {}
            ),
        }
        for index, node in enumerate(explain_nodes(definition.condition))
    ]
    return {
        **estimate(row["members"], row["evaluated"], population),
        "profiles": list(row["examples"])[: int(args.limit)],
        "nodes": nodes,
        "members_evaluated": row["members"],
        "evaluated": row["evaluated"],
    }


def print_nodes(nodes: list[dict[str, Any]]) -> None:
    """The count of every node, indented as the condition tree."""
    for entry in nodes:
        print(f"{entry['count']:>10,}  {'  ' * entry['depth']}{entry['description']}")


def print_preview(result: dict[str, Any], segment: str) -> None:
    members, evaluated = result["members_evaluated"], result["evaluated"]
    if result["sampled"]:
        print(
            f"{segment}: about {result['size']:,} members (95% CI {result['ci_low']:,} to "
            f"{result['ci_high']:,}; {members:,} of {evaluated:,} sampled profiles)"
        )
    else:
        print(f"{segment}: {members:,} members of {evaluated:,} profiles")
    if result["profiles"]:
        print("examples: " + ", ".join(result["profiles"]))


def cmd_preview(args: argparse.Namespace) -> int:
    from .builder import load_definition

    definition = load_definition(args)
    if definition is None:
        return 1
    if args.sample is not None and not 0 < args.sample <= 100:
        print("seg preview: --sample is a percentage above 0 and at most 100", file=sys.stderr)
        return 2
    try:
        result = preview(args, definition)
    except RuntimeError as exc:
        print(
            f"seg preview: dbt could not compile the preview (has the project been built once?):\n{exc}",
            file=sys.stderr,
        )
        return 1
    except QueryError as exc:
        print(f"seg preview: {exc}", file=sys.stderr)
        return 1
    if args.json:
        shown = {k: v for k, v in result.items() if k not in ("members_evaluated", "evaluated")}
        print(json.dumps(shown, indent=2))
    else:
        print_preview(result, definition.name)
        if args.nodes:
            print_nodes(result["nodes"])
    return 0
