"""Unit tests of the loader/validator: exact messages with file:line and suggestions, and the tree."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from segkit.language import nodes as n
from segkit.language.parse import parse_text
from segkit.language.resolve import load_project
from segkit.warehouse import WarehouseSchema


def parse(body: str, name: str = "vip"):  # type: ignore[no-untyped-def]
    text = textwrap.dedent(body).lstrip("\n")
    definition, diagnostics = parse_text(text, Path(f"segments/{name}.yml"))
    return definition, [str(d) for d in diagnostics.items]


def errors_of(body: str, name: str = "vip") -> list[str]:
    definition, messages = parse(body, name)
    assert definition is None
    return messages


def condition_of(condition_yaml: str) -> n.Node:
    body = "segment: vip\ndescription: d\ncondition:\n" + textwrap.indent(
        textwrap.dedent(condition_yaml), "  "
    )
    definition, messages = parse(body)
    assert definition is not None, messages
    return definition.condition


# ----------------------------------------------------------------- errors, exact


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            """
         segment: vip
         description: d
         condition:
           attribute: age
           greater_than: 3
         """,
            ["segments/vip.yml:5: unknown operator 'greater_than' (did you mean 'gt'?)"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: age
         """,
            [
                "segments/vip.yml:4: attribute 'age' needs exactly one operator (one of: equals, not_equals, gt, gte, lt, lte, in, not_in, between, contains, not_contains, starts_with, ends_with, matches, like, exists, during)"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: age
           gtee: 3
         """,
            ["segments/vip.yml:5: unknown operator 'gtee' (did you mean 'gte'?)"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           atribute: age
           gte: 3
         """,
            [
                "segments/vip.yml:4: unknown condition 'atribute' (expected one of: all, any, not, attribute, event, sequence, in_segment, propensity, sql) (did you mean 'attribute'?)"
            ],
        ),
        (
            """
         segment: vip
         descripton: d
         condition: {attribute: age, gte: 3}
         """,
            [
                "segments/vip.yml:2: unknown key 'descripton' in a segment file (expected one of: segment, description, owner, tags, condition, splits) (did you mean 'description'?)",
                "segments/vip.yml:1: 'description' is required: say who is in the segment",
            ],
        ),
        (
            """
         segment: VIP
         description: d
         condition: {attribute: age, gte: 3}
         """,
            [
                "segments/vip.yml:1: 'segment' must be a name matching ^[a-z][a-z0-9_]{0,62}$ (lowercase letters, digits, underscores), got str 'VIP'"
            ],
        ),
        (
            """
         segment: other
         description: d
         condition: {attribute: age, gte: 3}
         """,
            [
                "segments/vip.yml:1: segment 'other' must live in a file named other.yml (one definition per file, named after it), not vip.yml"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           all: []
         """,
            ["segments/vip.yml:4: 'all' must be a non-empty list of conditions"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           event: purchase
           during: {last: 30days}
         """,
            [
                "segments/vip.yml:5: 'last' must be a duration such as 30m, 12h, 7d or 4w, got str '30days'"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           event: purchase
           during: {from: 30d, to: 60d}
         """,
            [
                "segments/vip.yml:5: 'from' (30d) must reach further back than 'to' (60d): the window is as_of - from < t <= as_of - to"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           event: purchase
           during: {this: fortnight}
         """,
            [
                "segments/vip.yml:5: 'this' must be one of day, week, month, quarter, year, got str 'fortnight'"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           event: purchase
           during: {last: 7d, before: 1d}
         """,
            [
                "segments/vip.yml:5: window 'during' cannot combine before, last: use one of {last: 30d}, {before: 30d}, {from: 60d, to: 30d}, {since: 2024-01-01}, {until: 2024-02-01}, {this: month}, {previous: month}"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           event: purchase
           count: {gte: 1}
           sum: {of: revenue, gte: 3}
         """,
            ["segments/vip.yml:6: an event condition takes at most one metric, found count, sum"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           event: purchase
           sum: {gte: 3}
         """,
            ["segments/vip.yml:5: 'sum' needs 'of: <property>'"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           event: purchase
           count: {gte: many}
         """,
            ["segments/vip.yml:5: 'count' compares with numbers"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           sequence:
             steps:
               - event: view
                 within: 1h
         """,
            [
                "segments/vip.yml:7: the first step has no previous step: 'within' belongs on later steps"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           propensity: repurchase_90d
           bucket: hihg
         """,
            [
                "segments/vip.yml:5: 'bucket' is one of high, medium, low or a list of them, got str 'hihg' (did you mean 'high'?)"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: country
           in: []
         """,
            ["segments/vip.yml:5: 'in' must be a non-empty list of values, got a list"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: age
           gte: 3
           ignore_case: true
         """,
            [
                "segments/vip.yml:6: 'ignore_case' works with text operators (equals, not_equals, in, not_in, contains, not_contains, starts_with, ends_with, matches, like), not with 'gte'"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: email
           like: '%\\'
         """,
            [
                "segments/vip.yml:5: 'like' pattern ends with a lone escape '\\': write '\\\\' for a backslash"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: name
           matches: "(unclosed"
         """,
            [
                "segments/vip.yml:5: 'matches' is not a valid regular expression: missing ), unterminated subpattern at position 0"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: age
           gte: 3
           lte: 9
         """,
            ["segments/vip.yml:6: attribute 'age' takes exactly one operator, found gte, lte"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: age
           gte: 3
           attribute: x
         """,
            ["segments/vip.yml:6: duplicate key 'attribute': each key may appear once per mapping"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: age
             gte: 3
         """,
            ["segments/vip.yml:5: invalid YAML: mapping values are not allowed here"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           attribute: "name; drop table x"
           equals: 1
         """,
            [
                "segments/vip.yml:4: 'attribute' must name a profile column (letters, digits, _), got str 'name; drop table x'"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           sql: "age > 1; drop table raw.events"
         """,
            ["segments/vip.yml:4: exactly one expression is allowed, found 2 statements"],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           sql: "age > (select max(age) from raw.profiles)"
         """,
            [
                "segments/vip.yml:4: 'subquery' is not allowed in a sql condition (only simple expressions over profile columns: comparisons, boolean logic, arithmetic and a few functions)"
            ],
        ),
        (
            """
         segment: vip
         description: d
         condition:
           sql: "read_csv('/etc/passwd') is not null"
         """,
            [
                "segments/vip.yml:4: 'function read_csv()' is not allowed in a sql condition (only simple expressions over profile columns: comparisons, boolean logic, arithmetic and a few functions)"
            ],
        ),
    ],
)
def test_error_messages_are_exact(body: str, expected: list[str]) -> None:
    assert errors_of(body) == expected


def test_every_error_in_a_file_is_reported() -> None:
    messages = errors_of("""
        segment: vip
        description: d
        condition:
          all:
            - attribute: age
              greater: 3
            - event: purchase
              during: {last: 3 days}
            - in_segment: Not-A-Name
        """)
    assert [m.split(":")[1] for m in messages] == ["6", "8", "9"]


SCHEMA = WarehouseSchema(
    profile_columns={
        "profile_id": "string",
        "country": "string",
        "age": "number",
        "signup_date": "date",
    },
    event_columns={
        "event_id": "string",
        "profile_id": "string",
        "event_type": "string",
        "event_ts": "timestamp",
        "properties": "json",
        "session_id": "string",
        "channel": "string",
    },
    property_paths={
        "revenue": "number",
        "category": "string",
        "shipping": "json",
        "shipping.country": "string",
    },
    event_types={"purchase", "page_view", "add_to_cart"},
)


def write(root: Path, name: str, body: str) -> None:
    (root / "segments").mkdir(parents=True, exist_ok=True)
    (root / "segments" / f"{name}.yml").write_text(textwrap.dedent(body).lstrip("\n"))


def test_project_errors_in_all_files_with_suggestions(tmp_path: Path) -> None:
    write(
        tmp_path,
        "a",
        """
        segment: a
        description: d
        condition:
          all:
            - attribute: contry
              equals: ES
            - in_segment: bb
            - event: purchse
              where: {property: revenu, gte: 3}
        """,
    )
    write(
        tmp_path,
        "b",
        """
        segment: b
        description: d
        condition: {in_segment: c}
        """,
    )
    write(
        tmp_path,
        "c",
        """
        segment: c
        description: d
        condition:
          not: {in_segment: b}
        """,
    )
    write(
        tmp_path,
        "d",
        """
        segment: d
        description: d
        condition:
          all:
            - attribute: age
              equals: "3"
            - attribute: country
              during: {last: 7d}
            - sql: "agee > 3"
            - event: purchase
              sum: {of: shiping.country, gte: 1}
        """,
    )
    project = load_project(tmp_path, None, SCHEMA)
    messages = sorted(str(d) for d in project.diagnostics)
    assert messages == sorted(
        [
            "segments/a.yml:5: unknown profile column 'contry' (did you mean 'country'?)",
            "segments/a.yml:9: unknown event property 'revenu' (did you mean 'revenue'?)",
            "segments/a.yml:8: warning: event type 'purchse' was never seen in raw.events (did you mean 'purchase'?)",
            "segments/a.yml:7: unknown segment 'bb' (did you mean 'b'?)",
            "segments/b.yml:3: segments refer to each other in a cycle: b -> c -> b",
            "segments/d.yml:5: attribute 'age' is a number: compare it with numbers",
            "segments/d.yml:7: 'during' needs a date or timestamp, but attribute 'country' is string",
            "segments/d.yml:9: unknown profile column 'agee' in sql (did you mean 'age'?)",
            "segments/d.yml:10: unknown event property 'shiping.country' (did you mean 'shipping.country'?)",
        ]
    )


def test_duplicate_segment_names_across_folders(tmp_path: Path) -> None:
    write(tmp_path, "a", "segment: a\ndescription: d\ncondition: {attribute: age, gte: 1}\n")
    (tmp_path / "segments" / "sub").mkdir()
    (tmp_path / "segments" / "sub" / "a.yaml").write_text(
        "segment: a\ndescription: d\ncondition: {attribute: age, gte: 2}\n"
    )
    project = load_project(tmp_path, None, None)
    assert [str(d) for d in project.errors] == [
        "segments/sub/a.yaml:1: segment 'a' is already defined in segments/a.yml"
    ]


# ----------------------------------------------------------------- the tree


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        ("equals", "ES", "ES"),
        ("not_equals", 3, 3),
        ("in", "[ES, MX]", ("ES", "MX")),
        ("not_in", "[1, 2]", (1, 2)),
        ("gt", 1.5, 1.5),
        ("gte", 2, 2),
        ("lt", 3, 3),
        ("lte", 4, 4),
        ("between", "[2, 5]", (2, 5)),
        ("contains", "shoe", "shoe"),
        ("not_contains", "x", "x"),
        ("starts_with", "a", "a"),
        ("ends_with", "z", "z"),
        ("matches", "'^a.*z$'", "^a.*z$"),
        ("like", "'%@gmail.com'", "%@gmail.com"),
        ("like", "'100\\%'", "100\\%"),
        ("exists", "true", True),
        ("exists", "false", False),
        ("equals", "2024-01-31", dt.date(2024, 1, 31)),
    ],
)
def test_every_operator_is_parsed(operator: str, value: object, expected: object) -> None:
    node = condition_of(f"attribute: x\n{operator}: {value}\n")
    assert isinstance(node, n.AttributeCondition)
    assert node.predicate == n.Predicate(operator, expected)


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        ("{last: 30d}", n.Window("last", duration=n.Duration(30, "d"))),
        ("{before: 2w}", n.Window("before", duration=n.Duration(2, "w"))),
        ("{next: 7d}", n.Window("next", duration=n.Duration(7, "d"))),
        (
            "{from: 60d, to: 30d}",
            n.Window("between", start=n.Duration(60, "d"), end=n.Duration(30, "d")),
        ),
        ("{since: 2024-01-01}", n.Window("range", since=dt.date(2024, 1, 1))),
        ("{until: 2024-02-01}", n.Window("range", until=dt.date(2024, 2, 1))),
        (
            "{since: 2024-01-01, until: '2024-02-01T12:00:00'}",
            n.Window("range", since=dt.date(2024, 1, 1), until=dt.datetime(2024, 2, 1, 12)),
        ),
        ("{this: quarter}", n.Window("this", period="quarter")),
        ("{previous: week}", n.Window("previous", period="week")),
        ("{last: 90m}", n.Window("last", duration=n.Duration(90, "m"))),
        ("{last: 12h}", n.Window("last", duration=n.Duration(12, "h"))),
    ],
)
def test_every_window_is_parsed(window: str, expected: n.Window) -> None:
    node = condition_of(f"attribute: renewal_date\nduring: {window}\n")
    assert isinstance(node, n.AttributeCondition) and node.predicate is not None
    assert node.predicate.value == expected


def test_next_windows_are_for_attributes_only() -> None:
    messages = errors_of("""
        segment: vip
        description: d
        condition: {event: purchase, during: {next: 7d}}
        """)
    assert messages == [
        "segments/vip.yml:3: 'next' windows look into the future and work on date attributes only (e.g. a renewal date); events after as_of never count"
    ]


def test_event_node_defaults_and_metrics() -> None:
    node = condition_of("event: [purchase, refund]\nwhere: {property: revenue, gte: 20}\n")
    assert isinstance(node, n.EventCondition) and node.matcher is not None
    assert node.matcher.event_types == ("purchase", "refund")
    assert node.metric == n.Metric("count", None, n.Predicate("gte", 1))
    every = condition_of(
        "event: '*'\ncount_distinct: {of: event_week, gte: 3}\nduring: {last: 4w}\n"
    )
    assert isinstance(every, n.EventCondition) and every.matcher is not None
    assert every.matcher.event_types is None
    assert every.metric == n.Metric("count_distinct", "event_week", n.Predicate("gte", 3))


def test_sequence_with_multi_type_steps_and_then_not() -> None:
    node = condition_of("""
        sequence:
          during: {last: 30d}
          steps:
            - event: [product_view, search]
            - event: add_to_cart
              within: 1h
          then_not: {event: purchase, within: 24h}
        """)
    assert isinstance(node, n.SequenceCondition)
    assert [s.matcher.event_types for s in node.steps] == [
        ("product_view", "search"),
        ("add_to_cart",),
    ]
    assert node.steps[1].within == n.Duration(1, "h")
    assert node.then_not is not None and node.then_not.within == n.Duration(24, "h")


def test_attribute_references_inside_where() -> None:
    node = condition_of(
        "event: purchase\nwhere: {property: state, not_equals: {attribute: home_state}}\n"
    )
    assert isinstance(node, n.EventCondition) and node.matcher is not None
    assert node.matcher.where == n.PropertyCondition(
        line=0, property="state", predicate=n.Predicate("not_equals", n.AttributeRef("home_state"))
    )


def test_shared_event_conditions_get_one_id() -> None:
    a = condition_of("event: purchase\nduring: {last: 7d}\n")
    b = condition_of("event: purchase\nduring: {last: 7d}\ncount: {gte: 3}\n")
    c = condition_of("event: purchase\nduring: {last: 8d}\n")
    assert (
        isinstance(a, n.EventCondition)
        and isinstance(b, n.EventCondition)
        and isinstance(c, n.EventCondition)
    )
    assert a.aggregate_data()["id"] == b.aggregate_data()["id"] != c.aggregate_data()["id"]
