"""YAML loading that keeps the line of every key and list item, for error messages.

Anything a user can type loads or fails with a ``yaml.YAMLError`` that carries a line: impossible
dates, lone surrogates, documents nested or expanded (through aliases) beyond what a definition
needs are refused here, so no later pass meets them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# A definition is a few dozen lines; these bounds only stop what would exhaust the machine.
MAX_DEPTH = 64
MAX_VALUES = 100_000
MAX_CHARACTERS = 1_000_000


class LocatedDict(dict):
    """A mapping that remembers its own line and the line of each key (1-based)."""

    line: int
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LocatedList(list):
    """A list that remembers its own line and the line of each item (1-based)."""

    line: int
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class DuplicateKeyError(yaml.YAMLError):
    def __init__(self, key: str, line: int):
        super().__init__(f"duplicate key '{key}'")
        self.key = key
        self.line = line


class UnreadableValue(yaml.YAMLError):
    """A value YAML accepts but a definition cannot hold, with the line it is on."""

    def __init__(self, problem: str, node: Node):
        super().__init__(problem)
        self.problem = problem
        self.problem_mark = node.start_mark


class _LocatingLoader(yaml.SafeLoader):
    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node:  # type: ignore[override]
        """Composes as PyYAML does, counting depth and the values aliases expand to."""
        if self.check_event(AliasEvent):
            node = super().compose_node(parent, index)
            self._count(self._sizes.get(id(node), 1), node)
            return node
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise UnreadableValue(
                    f"the document is nested more than {MAX_DEPTH} levels deep", self.peek_event()
                )
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if isinstance(node, ScalarNode):
            size = 1
        elif isinstance(node, SequenceNode):
            size = 1 + sum(self._sizes.get(id(child), 1) for child in node.value)
        else:
            size = 1 + sum(
                self._sizes.get(id(k), 1) + self._sizes.get(id(v), 1) for k, v in node.value
            )
        self._sizes[id(node)] = size
        if self._depth == 0:
            self._count(size, node)
        return node

    def _count(self, size: int, node: Node) -> None:
        if size > MAX_VALUES:
            raise UnreadableValue(
                f"the document expands to more than {MAX_VALUES:,} values (through anchors "
                "and aliases?)",
                node,
            )

    def construct_object(self, node: Node, deep: bool = False) -> Any:
        """Constructs as PyYAML does; a value its explicit tag cannot read (``!!float abc``,
        ``!!timestamp x``) is an error at its line, not a Python exception."""
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            what = node.tag.rsplit(":", 1)[-1]
            if isinstance(node, ScalarNode):
                problem = f"{node.value!r} is not a valid {what} (tagged !!{what})"
            else:
                problem = f"a {node.id} cannot be tagged !!{what}"
            raise UnreadableValue(problem, node) from None

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> LocatedDict:  # type: ignore[override]
        self.flatten_mapping(node)
        result = LocatedDict()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise DuplicateKeyError(key, key_node.start_mark.line + 1)
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
        return result

    def construct_sequence(self, node: SequenceNode, deep: bool = False) -> LocatedList:  # type: ignore[override]
        result = LocatedList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1
        result.item_lines = [child.start_mark.line + 1 for child in node.value]
        return result

    def construct_text(self, node: ScalarNode) -> str:
        text = self.construct_yaml_str(node)
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise UnreadableValue(
                f"{node.value!r} is not valid Unicode text (a lone surrogate escape)", node
            ) from None
        return text

    def construct_moment(self, node: ScalarNode) -> dt.date:
        try:
            return self.construct_yaml_timestamp(node)
        except (ValueError, OverflowError) as exc:
            raise UnreadableValue(
                f"'{node.value}' is not a valid date or time: {exc}", node
            ) from None


_LocatingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LocatingLoader.construct_mapping
)
_LocatingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LocatingLoader.construct_sequence
)
_LocatingLoader.add_constructor("tag:yaml.org,2002:str", _LocatingLoader.construct_text)
_LocatingLoader.add_constructor("tag:yaml.org,2002:timestamp", _LocatingLoader.construct_moment)


def load_located(text: str) -> Any:
    """Parse YAML text into LocatedDict / LocatedList / scalars.

    >>> doc = load_located("segment: vip\\ncondition:\\n  attribute: tier\\n")
    >>> doc.line_of("condition"), doc["condition"].line_of("attribute")
    (2, 3)
    >>> load_located("since: 2024-02-30")
    Traceback (most recent call last):
    ...
    segkit.language.yamlsource.UnreadableValue: '2024-02-30' is not a valid date or time: day is out of range for month
    """
    return yaml.load(text, Loader=_LocatingLoader)
