"""An independent reference for identity stitching: links applied one by one, in order, with
plain sets (no numbering, no components found first), per the rules of docs/identity.md."""

from __future__ import annotations

import datetime as dt
from typing import Any

Node = tuple[str, str]  # (namespace, identity)


def link_order_key(link: dict[str, Any]) -> tuple:
    observed = link["observed_at"]
    return (
        observed is not None,
        observed or dt.datetime.min,
        link["namespace"],
        link["identity"],
        link["linked_namespace"],
        link["linked_identity"],
    )


def stitch_reference(
    links: list[dict[str, Any]],
    recorded: set[Node],
    priorities: list[str],
    blocklist: set[str],
    limits: dict[str, int],
) -> tuple[dict[Node, str], list[tuple[dict[str, Any], str]]]:
    """({node: stitched profile_id} for every node, [(link, reason kind)] rejected)."""
    profile_of: dict[Node, frozenset[Node]] = {}
    rejected: list[tuple[dict[str, Any], str]] = []

    def members(node: Node) -> frozenset[Node]:
        return profile_of.setdefault(node, frozenset([node]))

    for link in sorted(links, key=link_order_key):
        one = (link["namespace"], link["identity"])
        other = (link["linked_namespace"], link["linked_identity"])
        members(one), members(other)
        if link["identity"] in blocklist or link["linked_identity"] in blocklist:
            rejected.append((link, "blocklisted"))
            continue
        joined = members(one) | members(other)
        if members(one) == members(other):
            continue
        if any(sum(1 for ns, _ in joined if ns == name) > limit for name, limit in limits.items()):
            rejected.append((link, "over identity_limits"))
            continue
        for node in joined:
            profile_of[node] = joined
    for node in recorded:
        members(node)

    def rank(node: Node) -> tuple:
        namespace, identity = node
        listed = priorities.index(namespace) if namespace in priorities else len(priorities)
        return (listed, namespace, identity)

    return {node: min(group, key=rank)[1] for node, group in profile_of.items()}, rejected
