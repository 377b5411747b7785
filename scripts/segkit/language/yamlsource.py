"""YAML loading that keeps the line of every key and list item, for error messages."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode


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


class _LocatingLoader(yaml.SafeLoader):
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


_LocatingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LocatingLoader.construct_mapping
)
_LocatingLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LocatingLoader.construct_sequence
)


def load_located(text: str) -> Any:
    """Parse YAML text into LocatedDict / LocatedList / scalars.

    >>> doc = load_located("segment: vip\\ncondition:\\n  attribute: tier\\n")
    >>> doc.line_of("condition"), doc["condition"].line_of("attribute")
    (2, 3)
    """
    return yaml.load(text, Loader=_LocatingLoader)
