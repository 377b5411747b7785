"""``seg explain``: why a profile is or is not a member, node by node.

The compiler numbers the condition's nodes once (``explain_nodes``); the explain macro renders a
verdict and an observation column per numbered node, and ``explanation`` puts the tree back
together from the same numbers.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .console import colour
from .dbt_bridge import Renderer, compile_preview, definition_call
from .engine import QueryError, query_records
from .language import nodes as n

# The keys of a node's data that an explanation shows beside its verdict.
SHOWN_KEYS = ("kind", "column", "op", "value", "segment", "function")


def explain_nodes(condition: n.Node) -> list[n.Node]:
    """The nodes an explanation has a verdict for, in pre-order; a node's id is its position.

    >>> tree = n.AllOf(line=1, items=(n.InSegment(line=2, segment="a"), n.Not(line=3,
    ...     child=n.InSegment(line=4, segment="b"))))
    >>> [node.describe() for node in explain_nodes(tree)]
    ['all', 'in segment a', 'not', 'in segment b']
    """
    found = [condition]
    for child in condition.children():
        found.extend(explain_nodes(child))
    return found


def node_depths(condition: n.Node) -> list[int]:
    """Each explained node's depth in the tree, by id.

    >>> node_depths(n.Not(line=1, child=n.InSegment(line=2, segment="a")))
    [0, 1]
    """
    return [0] + [depth + 1 for child in condition.children() for depth in node_depths(child)]


def explain_data(definition: n.SegmentDefinition) -> dict[str, Any]:
    """What the explain macro receives besides the condition: the numbered nodes."""
    nodes = explain_nodes(definition.condition)
    return {"nodes": [{"id": i, "node": node.to_data()} for i, node in enumerate(nodes)]}


def explain_call(definition: n.SegmentDefinition) -> str:
    return definition_call("segment_explain", definition, explain_data(definition))


def explanation(condition: n.Node, row: dict[str, Any]) -> dict[str, Any]:
    """The condition tree with each node's id, verdict, description and observation."""
    ids = {id(node): i for i, node in enumerate(explain_nodes(condition))}

    def described(node: n.Node) -> dict[str, Any]:
        index = ids[id(node)]
        data = node.to_data()
        shown: dict[str, Any] = {"id": index, **{k: data[k] for k in SHOWN_KEYS if k in data}}
        shown["description"] = node.describe()
        shown["holds"] = bool(row[f"node_{index}"])
        prefix = f"observed_{index}__"
        fields = {key.removeprefix(prefix): v for key, v in row.items() if key.startswith(prefix)}
        if row[f"observed_{index}"] is not None or fields:
            shown["observed"] = {"text": row[f"observed_{index}"], **observation(fields)}
        children = [described(child) for child in node.children()]
        if children:
            shown["children"] = children
        return shown

    return described(condition)


def observation(fields: dict[str, Any]) -> dict[str, Any]:
    """A node's typed observation fields, the window's bounds and the steps grouped.

    >>> observation({"value": 6, "window_lower": "a", "window_upper": "b", "step_1_last": "t",
    ...              "step_1_chain_ends": 2})
    {'value': 6, 'window': {'lower': 'a', 'upper': 'b'}, 'steps': [{'step': 1, 'last': 't', 'chain_ends': 2}]}
    """
    grouped: dict[str, Any] = {}
    steps: dict[int, dict[str, Any]] = {}
    for key, value in fields.items():
        if key.startswith("window_"):
            grouped.setdefault("window", {})[key.removeprefix("window_")] = value
        elif key.startswith("step_"):
            number, name = key.removeprefix("step_").split("_", 1)
            steps.setdefault(int(number), {"step": int(number)})[name] = value
        else:
            grouped[key] = value
    if steps:
        grouped["steps"] = [steps[number] for number in sorted(steps)]
    return grouped


def stitched_identities(args: argparse.Namespace, asked: str) -> tuple[str, list[dict[str, Any]]]:
    """The stitched profile of an id (a profile id, or any identity of one: a device, an email)
    and its identities from segmentation.identity_map; (asked, []) when profiles are not stitched."""
    if args.dbt_target == "spark":
        return asked, []  # stitching runs on DuckDB only (docs/identity.md)
    literal = "'" + asked.replace("'", "''") + "'"
    try:
        rows = query_records(
            args.project_dir,
            args.dbt_target,
            "select namespace, identity, profile_id from segmentation.identity_map "
            "where profile_id in (select profile_id from segmentation.identity_map "
            f"where identity = {literal} or profile_id = {literal}) order by namespace, identity",
        )
    except QueryError:
        return asked, []  # a warehouse built before stitching existed
    profiles = {row["profile_id"] for row in rows}
    profile_id = asked if asked in profiles or len(profiles) != 1 else profiles.pop()
    identities = [
        {"namespace": row["namespace"], "identity": row["identity"]}
        for row in rows
        if row["profile_id"] == profile_id
    ]
    return profile_id, identities


def explain(
    args: argparse.Namespace, definition: n.SegmentDefinition, render: Renderer | None = None
) -> dict[str, Any]:
    """The explanation of ``args.profile_id`` as data (raises RuntimeError, QueryError). An
    identity stitched into a profile (a device, an email) explains that profile."""
    profile_id, identities = stitched_identities(args, args.profile_id)
    sql = compile_preview(
        args,
        definition,
        None,
        "segment_explain",
        profile_id,
        explain_data(definition),
        render=render,
    )
    rows = query_records(args.project_dir, args.dbt_target, sql)
    result: dict[str, Any] = {"profile_id": profile_id}
    if profile_id != args.profile_id:
        result["asked"] = args.profile_id
    if identities:
        result["identities"] = identities
    if not rows:
        return {**result, "member": False, "evaluated": False, "condition": None}
    tree = explanation(definition.condition, rows[0])
    return {**result, "member": tree["holds"], "evaluated": True, "condition": tree}


def print_tree(node: dict[str, Any], depth: int = 0) -> None:
    mark = colour("\u2713", "32") if node["holds"] else colour("\u2717", "31")
    text = node.get("observed", {}).get("text")
    observed = f"   [{text}]" if text is not None else ""
    print(f"{'  ' * depth}{mark} {node['description']}{observed}")
    for child in node.get("children", []):
        print_tree(child, depth + 1)


def print_explanation(result: dict[str, Any], segment: str) -> None:
    verdict = "is a member of" if result["member"] else "is not a member of"
    if "asked" in result:
        print(f"{result['asked']} is stitched into profile {result['profile_id']}")
    print(f"{result['profile_id']} {verdict} {segment}")
    if result.get("identities"):
        listed = ", ".join(f"{i['namespace']}:{i['identity']}" for i in result["identities"])
        print(f"identities: {listed}")
    if not result["evaluated"]:
        print(
            f"{result['profile_id']} is not evaluated at this as_of: no raw.profiles row and no "
            "event at or before as_of"
        )
    else:
        print_tree(result["condition"])


def cmd_explain(args: argparse.Namespace) -> int:
    from .builder import load_definition

    definition = load_definition(args)
    if definition is None:
        return 1
    try:
        result = explain(args, definition)
    except RuntimeError as exc:
        print(f"seg explain: dbt could not compile the explanation:\n{exc}", file=sys.stderr)
        return 1
    except QueryError as exc:
        print(f"seg explain: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2, default=str))
    else:
        print_explanation(result, definition.name)
    return 0
