"""Every condition kind has every piece: a node class with its passes, a parse method, a SQL
macro and an explain macro, a row in the language reference, an evaluator branch and a
strategy of the differential test. Removing any piece of any kind fails here, by name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from evaluator import Store
from language_strategies import KIND_STRATEGIES
from segkit.language import nodes as n
from segkit.language.parse import FileParser

ROOT = Path(__file__).resolve().parents[1]
MACROS = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "macros").rglob("*.sql")))
LANGUAGE = (ROOT / "docs" / "language.md").read_text(encoding="utf-8")
# The passes a kind must implement itself (Node's own versions only raise).
PASSES = ("to_data", "check_schema", "watch", "describe")
# Kinds the differential test cannot draw: the test that checks their exact members instead,
# and a segment of that test which uses the kind.
COVERED_ELSEWHERE = {
    "propensity": (
        "tests/test_customer_ai.py::test_segments_on_bucket_percentile_and_score",
        '"top_buyers": {"propensity": ',
    ),
    "sql": ("tests/test_segments_dbt.py::test_exact_members", "condition: {sql: "),
}
KINDS = n.condition_kinds()


def test_the_kinds_are_the_documented_ones() -> None:
    table = LANGUAGE.split("## Conditions", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_]+):", table, flags=re.MULTILINE)
    assert sorted(documented) == sorted(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_node_class_implements_every_pass(kind: str) -> None:
    cls = n.KINDS[kind]
    assert issubclass(cls, n.Node) and cls.kind == kind
    for name in PASSES:
        assert getattr(cls, name) is not getattr(n.Node, name), f"{cls.__name__} lacks {name}"


@pytest.mark.parametrize("kind", KINDS)
def test_parser_has_a_method(kind: str) -> None:
    assert callable(getattr(FileParser, f"node_{kind}", None)), f"FileParser lacks node_{kind}"


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "macro", ["segments_condition", "segments_observed", "segments_observed_fields"]
)
def test_sql_macros_exist(kind: str, macro: str) -> None:
    name = f"default__{macro}_{kind}"
    assert re.search(rf"{{%-?\s*macro {name}\(", MACROS), f"no macro {name} under macros/"


@pytest.mark.parametrize("kind", KINDS)
def test_evaluator_and_strategy_cover_it(kind: str) -> None:
    if kind in COVERED_ELSEWHERE:
        where, uses = COVERED_ELSEWHERE[kind]
        module, test = where.split("::")
        source = (ROOT / module).read_text(encoding="utf-8")
        assert f"def {test}(" in source and uses in source, where
        assert kind not in KIND_STRATEGIES
        return
    assert kind in Store.KINDS and callable(getattr(Store, f"condition_{kind}", None))
    assert kind in KIND_STRATEGIES, f"tests/language_strategies.py draws no '{kind}' condition"


def test_property_predicates_implement_every_pass() -> None:
    """``property`` lives inside ``where`` only: a class with its passes, not a condition."""
    cls = n.KINDS["property"]
    assert not cls.condition and "property" not in KINDS
    for name in PASSES:
        assert getattr(cls, name) is not getattr(n.Node, name)
