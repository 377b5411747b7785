"""Hypothesis strategies: random event stores around an as_of, and random segment definitions.

Timestamps are drawn mostly from the edges that matter (as_of itself, one second either side of
every window bound and calendar period start) so that every boundary is exercised, and from a
small set so that equal timestamps occur. Values match the column types they are compared with.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from evaluator import period_start

AS_OFS = [
    dt.datetime(2024, 1, 1, 0, 0, 0),  # a Monday, a year, quarter, month and week start
    dt.datetime(2024, 3, 31, 23, 59, 59),  # end of a quarter
    dt.datetime(2023, 12, 31, 12, 0, 0),  # end of a year, a Sunday
    dt.datetime(2024, 2, 29, 6, 30, 0),  # leap day
    dt.datetime(2024, 7, 1, 0, 0, 1),  # one second into a quarter
    dt.datetime(2024, 5, 15, 18, 45, 0),
]
DURATIONS = ["90m", "1h", "1d", "7d", "30d", "2w"]
SECONDS = {"90m": 5400, "1h": 3600, "1d": 86400, "7d": 604800, "30d": 2592000, "2w": 1209600}
PERIODS = ["day", "week", "month", "quarter", "year"]
EVENT_TYPES = ["view", "cart", "purchase", "search", "email"]
CATEGORIES = ["shoes", "Shoes", "apparel", "tech", "shoes & socks", "o'reilly"]
COUNTRIES = ["ES", "MX", "US", "es", "GB"]
TERMS = ["running shoes", "Running Shoes", "trail running", "socks", "shoe"]

PROFILE_TYPES = {
    "country": "varchar",
    "age": "integer",
    "score": "double",
    "signup_date": "date",
    "last_order_at": "timestamp",
    "is_vip": "boolean",
    "favourite_category": "varchar",
}
EVENT_COLUMN_TYPES = {"channel": "varchar"}


def dbt_examples(count: int):  # type: ignore[no-untyped-def]
    """Hypothesis settings for examples that each run dbt: few, reproducible, no shrinking (a
    failure prints its example instead), no deadline."""
    return settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def edge_moments(as_of: dt.datetime) -> list[dt.datetime]:
    """Moments on and next to every window edge for this as_of."""
    one = dt.timedelta(seconds=1)
    centres = [as_of]
    centres += [as_of - dt.timedelta(seconds=s) for s in SECONDS.values()]
    centres += [as_of - dt.timedelta(seconds=s * 2) for s in SECONDS.values()]
    for period in PERIODS:
        start = period_start(period, as_of)
        centres += [start, period_start(period, start - one)]
    moments = []
    for centre in centres:
        moments += [centre - one, centre, centre + one]
    return sorted(set(moments))


@st.composite
def stores(
    draw: st.DrawFn, as_of: dt.datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    edges = edge_moments(as_of)
    moment = st.one_of(
        st.sampled_from(edges),
        st.integers(0, 400 * 86400).map(lambda s: as_of - dt.timedelta(seconds=s)),
    )
    maybe = lambda strategy: st.one_of(st.none(), strategy)  # noqa: E731
    profiles, events = [], []
    for i in range(draw(st.integers(18, 30))):
        profile_id = f"p{i:02d}"
        has_row = draw(st.integers(0, 9)) < 9  # the simplest draw (0) has a row
        if has_row:
            profiles.append(
                {
                    "profile_id": profile_id,
                    "country": draw(maybe(st.sampled_from(COUNTRIES))),
                    "age": draw(maybe(st.integers(10, 80))),
                    "score": draw(maybe(st.sampled_from([0.0, 0.5, 1.5, 99.25]))),
                    "signup_date": draw(maybe(st.sampled_from(edges).map(lambda t: t.date()))),
                    "last_order_at": draw(maybe(moment)),
                    "is_vip": draw(maybe(st.booleans())),
                    "favourite_category": draw(maybe(st.sampled_from(CATEGORIES))),
                }
            )
        for j in range(draw(st.integers(1 if has_row else 2, 7))):
            properties: dict[str, Any] = {}
            if draw(st.booleans()):
                properties["category"] = draw(maybe(st.sampled_from(CATEGORIES)))
            if draw(st.booleans()):
                properties["revenue"] = draw(maybe(st.sampled_from([0, 5, 19.99, 20, 100, 250.5])))
            if draw(st.booleans()):
                properties["term"] = draw(st.sampled_from(TERMS))
            if draw(st.integers(0, 3)) == 0:
                properties["shipping"] = {"country": draw(st.sampled_from(COUNTRIES))}
            ts = draw(moment)
            if draw(st.integers(0, 15)) == 15:  # now and then an event after as_of
                ts = as_of + dt.timedelta(seconds=draw(st.sampled_from([1, 3600, 86400])))
            events.append(
                {
                    "event_id": f"{profile_id}-{j}",
                    "profile_id": profile_id,
                    "event_type": draw(st.sampled_from(EVENT_TYPES)),
                    "event_ts": ts,
                    "properties": properties or None,
                    "session_id": draw(maybe(st.sampled_from(["s1", "s2", "s3"]))),
                    "loaded_at": ts,
                    "channel": draw(maybe(st.sampled_from(["web", "app"]))),
                }
            )
    return events, profiles


@st.composite
def windows(draw: st.DrawFn, as_of: dt.datetime, allow_next: bool = False) -> dict[str, Any]:
    kinds = ["last", "before", "between", "since", "until", "range", "this", "previous"]
    if allow_next:
        kinds.append("next")
    kind = draw(st.sampled_from(kinds))
    if kind in ("last", "before", "next"):
        return {kind: draw(st.sampled_from(DURATIONS))}
    if kind == "between":
        a, b = sorted(
            draw(
                st.lists(st.sampled_from(DURATIONS), min_size=2, max_size=2, unique_by=SECONDS.get)
            ),
            key=SECONDS.get,
        )
        return {"from": b, "to": a}
    if kind in ("this", "previous"):
        return {kind: draw(st.sampled_from(PERIODS))}
    edges = [t.date() for t in edge_moments(as_of)] + [as_of.date() + dt.timedelta(days=1)]
    if kind == "since":
        return {"since": draw(st.sampled_from(edges))}
    if kind == "until":
        return {"until": draw(st.sampled_from(edges))}
    since, until = sorted(
        draw(st.lists(st.sampled_from(edges), min_size=2, max_size=2, unique=True))
    )
    return {"since": since, "until": until}


def _string_predicate(draw: st.DrawFn, values: list[str]) -> dict[str, Any]:
    op = draw(
        st.sampled_from(
            [
                "equals",
                "not_equals",
                "in",
                "not_in",
                "contains",
                "not_contains",
                "starts_with",
                "ends_with",
                "matches",
                "like",
                "exists",
            ]
        )
    )
    if op == "exists":
        return {"exists": draw(st.booleans())}
    if op in ("in", "not_in"):
        node: dict[str, Any] = {
            op: draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))
        }
    elif op == "matches":
        node = {op: draw(st.sampled_from(["^s", "o", "[A-Z]", "es$", "sho+"]))}
    elif op == "like":
        node = {
            op: draw(
                st.sampled_from(["s%", "%o%", "_h%", "%es", "%o'%", "%&%", "Sh_es", "%\\%%", "%"])
            )
        }
    elif op in ("contains", "not_contains", "starts_with", "ends_with"):
        node = {op: draw(st.sampled_from(["s", "sho", "Sh", "o'", "es", "&"]))}
    else:
        node = {op: draw(st.sampled_from(values))}
    if draw(st.integers(0, 2)) == 0:
        node["ignore_case"] = True
    return node


def _number_predicate(draw: st.DrawFn, values: list[float]) -> dict[str, Any]:
    op = draw(
        st.sampled_from(
            ["equals", "not_equals", "gt", "gte", "lt", "lte", "between", "in", "not_in", "exists"]
        )
    )
    if op == "exists":
        return {"exists": draw(st.booleans())}
    if op == "between":
        return {"between": sorted(draw(st.lists(st.sampled_from(values), min_size=2, max_size=2)))}
    if op in ("in", "not_in"):
        return {op: draw(st.lists(st.sampled_from(values), min_size=1, max_size=3, unique=True))}
    return {op: draw(st.sampled_from(values))}


@st.composite
def attribute_conditions(draw: st.DrawFn, as_of: dt.datetime) -> dict[str, Any]:
    column = draw(st.sampled_from(list(PROFILE_TYPES)))
    if column in ("country", "favourite_category"):
        predicate = _string_predicate(draw, COUNTRIES if column == "country" else CATEGORIES)
    elif column == "age":
        predicate = _number_predicate(draw, [10, 17, 18, 40, 80])
    elif column == "score":
        predicate = _number_predicate(draw, [0, 0.5, 1.5, 99.25])
    elif column == "is_vip":
        predicate = draw(
            st.sampled_from(
                [
                    {"equals": True},
                    {"equals": False},
                    {"not_equals": True},
                    {"exists": True},
                    {"exists": False},
                ]
            )
        )
    else:
        predicate = draw(
            st.one_of(
                st.builds(lambda w: {"during": w}, windows(as_of, allow_next=True)),
                st.just({"exists": False}),
            )
        )
    return {"attribute": column, **predicate}


@st.composite
def where_conditions(draw: st.DrawFn, depth: int = 0) -> dict[str, Any]:
    if depth < 2 and draw(st.integers(0, 4)) == 0:
        kind = draw(st.sampled_from(["all", "any", "not"]))
        if kind == "not":
            return {"not": draw(where_conditions(depth + 1))}
        return {kind: draw(st.lists(where_conditions(depth + 1), min_size=1, max_size=3))}
    prop = draw(
        st.sampled_from(
            [
                "category",
                "revenue",
                "term",
                "shipping.country",
                "channel",
                "event_hour",
                "event_dow",
                "session",
                "category_vs_favourite",
            ]
        )
    )
    if prop == "category_vs_favourite":
        op = draw(st.sampled_from(["equals", "not_equals"]))
        return {"property": "category", op: {"attribute": "favourite_category"}}
    if prop == "revenue":
        return {"property": prop, **_number_predicate(draw, [0, 5, 19.99, 20, 100, 250.5])}
    if prop == "event_hour":
        return {"property": prop, **_number_predicate(draw, [0, 6, 12, 18, 23])}
    if prop == "event_dow":
        return {"property": prop, **_number_predicate(draw, [1, 3, 5, 7])}
    values = {
        "category": CATEGORIES,
        "term": TERMS,
        "shipping.country": COUNTRIES,
        "channel": ["web", "app"],
        "session": ["s1", "s2", "s3"],
    }[prop]
    return {"property": prop, **_string_predicate(draw, values)}


def _event_types(draw: st.DrawFn) -> Any:
    return draw(
        st.one_of(
            st.sampled_from(EVENT_TYPES),
            st.lists(st.sampled_from(EVENT_TYPES), min_size=1, max_size=3, unique=True),
            st.just("*"),
        )
    )


@st.composite
def event_conditions(draw: st.DrawFn, as_of: dt.datetime) -> dict[str, Any]:
    node: dict[str, Any] = {"event": _event_types(draw)}
    if draw(st.booleans()):
        node["where"] = draw(where_conditions())
    if draw(st.integers(0, 3)) > 0:
        node["during"] = draw(windows(as_of))
    metric = draw(st.sampled_from(["none", "count", "sum", "avg", "min", "max", "count_distinct"]))
    if metric == "count":
        node["count"] = draw(
            st.sampled_from(
                [
                    {"gte": 2},
                    {"equals": 0},
                    {"between": [1, 2]},
                    {"lt": 3},
                    {"in": [1, 3]},
                    {"not_equals": 1},
                ]
            )
        )
    elif metric in ("sum", "avg", "min", "max"):
        node[metric] = {"of": "revenue", **_number_predicate(draw, [0, 5, 20, 100, 250.5])}
        node[metric].pop("exists", None)
        if len(node[metric]) == 1:
            node[metric]["gte"] = 20
    elif metric == "count_distinct":
        of = draw(
            st.sampled_from(["category", "event_date", "event_week", "session", "shipping.country"])
        )
        node[metric] = {
            "of": of,
            draw(st.sampled_from(["gte", "equals", "lt"])): draw(st.integers(0, 3)),
        }
    return node


@st.composite
def sequence_conditions(draw: st.DrawFn, as_of: dt.datetime) -> dict[str, Any]:
    steps = []
    for index in range(draw(st.integers(1, 3))):
        step: dict[str, Any] = {"event": _event_types(draw)}
        if draw(st.integers(0, 2)) == 0:
            step["where"] = draw(where_conditions())
        if index > 0 and draw(st.booleans()):
            step["within"] = draw(st.sampled_from(DURATIONS))
        steps.append(step)
    spec: dict[str, Any] = {"steps": steps}
    if draw(st.booleans()):
        spec["during"] = draw(windows(as_of))
    if draw(st.booleans()):
        then_not: dict[str, Any] = {"event": _event_types(draw)}
        if draw(st.booleans()):
            then_not["within"] = draw(st.sampled_from(DURATIONS))
        if draw(st.integers(0, 3)) == 0:
            then_not["where"] = draw(where_conditions())
        spec["then_not"] = then_not
    return {"sequence": spec}


@st.composite
def in_segment_conditions(draw: st.DrawFn, earlier: list[str]) -> dict[str, Any]:
    return {"in_segment": draw(st.sampled_from(earlier))}


@st.composite
def conditions(
    draw: st.DrawFn, as_of: dt.datetime, earlier: list[str], depth: int = 0
) -> dict[str, Any]:
    choices = ["attribute", "event", "event", "sequence"]
    if earlier:
        choices.append("in_segment")
    if depth < 3:
        choices += ["all", "any", "not"]
    kind = draw(st.sampled_from(choices))
    return draw(KIND_STRATEGIES[kind](as_of, earlier, depth))


def _listed(kind: str, as_of: dt.datetime, earlier: list[str], depth: int) -> Any:
    items = st.lists(conditions(as_of, earlier, depth + 1), min_size=1, max_size=3)
    return items.map(lambda children: {kind: children})


# A strategy per condition kind: (as_of, earlier segments, depth) -> strategy. `propensity` and
# `sql` have none: the differential stores train no model, and SQL means what the engine says
# (tests/test_kinds.py names the tests that cover them).
KIND_STRATEGIES = {
    "all": lambda as_of, earlier, depth: _listed("all", as_of, earlier, depth),
    "any": lambda as_of, earlier, depth: _listed("any", as_of, earlier, depth),
    "not": lambda as_of, earlier, depth: conditions(as_of, earlier, depth + 1).map(
        lambda child: {"not": child}
    ),
    "attribute": lambda as_of, earlier, depth: attribute_conditions(as_of),
    "event": lambda as_of, earlier, depth: event_conditions(as_of),
    "sequence": lambda as_of, earlier, depth: sequence_conditions(as_of),
    "in_segment": lambda as_of, earlier, depth: in_segment_conditions(earlier),
}
