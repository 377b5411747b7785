"""The identity graph resolved into stitched profiles, with the namespace limits applied in order.

Nodes are numbered in the order that chooses a component's profile id (namespace priority, then
identity value), so a component's stitched id is its smallest node. Links apply in their given
order; a link that would give a profile more identities of a limited namespace than its limit is
skipped. Components are found set-based (scipy's connected components); only the components
whose nodes break a limit are replayed link by link, because only there can order matter: in a
component within every limit no union can exceed one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True)
class Stitched:
    """`profile_node[n]`: the stitched node of node n; `component_node[n]`: the smallest node
    connected to n by any link, skipped or not (what incremental stitching re-stitches
    together); `skipped[i]`: link i broke a limit, then `skipped_by[i]` is the index of the
    limit it broke (-1 for links applied)."""

    profile_node: np.ndarray
    component_node: np.ndarray
    skipped: np.ndarray
    skipped_by: np.ndarray


def stitch(
    node_count: int,
    sources: np.ndarray,
    targets: np.ndarray,
    node_limit: np.ndarray,
    limits: list[int],
) -> Stitched:
    """Resolve links (in application order) between nodes 0..node_count-1.

    `node_limit[n]` is the index in `limits` of node n's namespace, or -1 when it has no limit.

    Two CRM ids may not share a profile (limit 1): the link joining them is skipped, the later
    device link still applies.

    >>> result = stitch(4, np.array([0, 1, 2]), np.array([2, 2, 3]), np.array([0, 0, -1, -1]), [1])
    >>> result.profile_node.tolist(), result.skipped.tolist(), result.skipped_by.tolist()
    ([0, 1, 0, 0], [False, True, False], [-1, 0, -1])
    >>> result.component_node.tolist()
    [0, 0, 0, 0]

    Without limits every connected set is one profile:

    >>> stitch(3, np.array([2]), np.array([1]), np.array([-1, -1, -1]), []).profile_node.tolist()
    [0, 1, 1]
    """
    sources = np.asarray(sources, dtype=np.int64)
    targets = np.asarray(targets, dtype=np.int64)
    node_limit = np.asarray(node_limit, dtype=np.int64)
    skipped = np.zeros(len(sources), dtype=bool)
    skipped_by = np.full(len(sources), -1, dtype=np.int64)
    if node_count == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Stitched(empty, empty, skipped, skipped_by)
    graph = coo_matrix(
        (np.ones(len(sources), dtype=np.int8), (sources, targets)), shape=(node_count, node_count)
    )
    _, labels = connected_components(graph, directed=False)
    component_node = _smallest_node_per_label(labels)
    profile_node = component_node.copy()
    breaking = np.zeros(labels.max() + 1, dtype=bool)
    for index, limit in enumerate(limits):
        counts = np.bincount(labels[node_limit == index], minlength=len(breaking))
        breaking |= counts > limit
    if breaking.any():
        _replay(
            labels,
            breaking,
            sources,
            targets,
            node_limit,
            limits,
            profile_node,
            skipped,
            skipped_by,
        )
    return Stitched(profile_node, component_node, skipped, skipped_by)


def _smallest_node_per_label(labels: np.ndarray) -> np.ndarray:
    """Each node's smallest fellow node (of the same label)."""
    _, first = np.unique(labels, return_index=True)
    smallest = np.empty(labels.max() + 1, dtype=np.int64)
    smallest[labels[first]] = first
    return smallest[labels]


def _replay(
    labels: np.ndarray,
    breaking: np.ndarray,
    sources: np.ndarray,
    targets: np.ndarray,
    node_limit: np.ndarray,
    limits: list[int],
    profile_node: np.ndarray,
    skipped: np.ndarray,
    skipped_by: np.ndarray,
) -> None:
    """Union-find, link by link, over the components that break a limit (in place)."""
    nodes = np.flatnonzero(breaking[labels])
    local = {int(node): index for index, node in enumerate(nodes)}
    parent = list(range(len(nodes)))
    counts = [[0] * len(limits) for _ in nodes]
    for index, node in enumerate(nodes):
        if node_limit[node] >= 0:
            counts[index][node_limit[node]] = 1

    def find(item: int) -> int:
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    for link in np.flatnonzero(breaking[labels[sources]]):
        first, second = find(local[int(sources[link])]), find(local[int(targets[link])])
        if first == second:
            continue
        merged = [a + b for a, b in zip(counts[first], counts[second], strict=True)]
        broken = next(
            (i for i, (n, limit) in enumerate(zip(merged, limits, strict=True)) if n > limit), None
        )
        if broken is not None:
            skipped[link] = True
            skipped_by[link] = broken
            continue
        # the smaller local index is the smaller node: roots stay each set's smallest node
        root, child = min(first, second), max(first, second)
        parent[child] = root
        counts[root] = merged
    for index, node in enumerate(nodes):
        profile_node[node] = nodes[find(index)]
