"""The body of the dbt Python model int_identity_graph__resolved: DuckDB relations in, Arrow out."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from .stitching import stitch

RESOLVED_SCHEMA = pa.schema(
    [
        ("item", pa.string()),
        ("item_id", pa.int64()),
        ("profile_node_id", pa.int64()),
        ("component_node_id", pa.int64()),
        ("limited_namespace", pa.string()),
        ("namespace_limit", pa.int64()),
    ]
)


def resolve_identity_graph(links: Any, nodes: Any) -> pa.Table:
    """`item = 'node'`: node `item_id` belongs to the profile named after node `profile_node_id`,
    in the component (of all links, skipped or not) of node `component_node_id`;
    `item = 'skipped_link'`: link `item_id` (its link_order) was skipped, as it would have given
    the profile of node `profile_node_id` more `limited_namespace` identities than its limit."""
    limited_rows = (
        nodes.filter("namespace_limit is not null")
        .aggregate("namespace, min(namespace_limit) as namespace_limit")
        .order("namespace")
        .fetchall()
    )
    limited = [name for name, _ in limited_rows]
    limits = [int(limit) for _, limit in limited_rows]
    positions = ", ".join("'" + name.replace("'", "''") + "'" for name in limited)
    node_limit = (
        nodes.order("node_id")
        .project(
            f"coalesce(list_position([{positions}]::varchar[], namespace) - 1, -1) as node_limit"
        )
        .to_arrow_table()
        .column("node_limit")
        .to_numpy()
    )
    link_table = (
        links.filter("rejected_reason is null")
        .order("link_order")
        .project("link_order, source_node_id, target_node_id")
        .to_arrow_table()
    )
    sources = link_table.column("source_node_id").to_numpy()
    targets = link_table.column("target_node_id").to_numpy()
    result = stitch(len(node_limit), sources, targets, node_limit, limits)
    skipped = np.flatnonzero(result.skipped)
    broken = result.skipped_by[skipped]
    node_count = len(node_limit)
    items = pa.DictionaryArray.from_arrays(
        np.concatenate([np.zeros(node_count, np.int8), np.ones(len(skipped), np.int8)]),
        pa.array(["node", "skipped_link"]),
    )
    return pa.table(
        {
            "item": items.cast(pa.string()),
            "item_id": np.concatenate(
                [np.arange(node_count), link_table.column("link_order").to_numpy()[skipped]]
            ),
            "profile_node_id": np.concatenate(
                [result.profile_node, result.profile_node[sources[skipped]]]
            ),
            "component_node_id": np.concatenate(
                [result.component_node, result.component_node[sources[skipped]]]
            ),
            "limited_namespace": _after_nulls(
                node_count, [limited[i] for i in broken], pa.string()
            ),
            "namespace_limit": _after_nulls(node_count, [limits[i] for i in broken], pa.int64()),
        },
        schema=RESOLVED_SCHEMA,
    )


def _after_nulls(count: int, values: list[Any], value_type: pa.DataType) -> pa.Array:
    return pa.concat_arrays([pa.nulls(count, value_type), pa.array(values, value_type)])
