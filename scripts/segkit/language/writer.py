"""Writing a definition document back as YAML: what the builder page saves.

The builder edits the document (the mapping the parser reads) and this module writes it: keys in
the order the language reference uses, small mappings and lists inline (``during: {last: 30d}``),
and every string quoted exactly where YAML would otherwise read it as something else (``'yes'``,
``'007'``, ``'2026-01-01'``), so that parsing what it writes gives the same document
(``tests/test_writer.py`` checks that property on random documents).

>>> print(write_document({"condition": {"attribute": "tier", "equals": "yes"},
...                       "segment": "vip", "tags": ["email"]}), end="")
segment: vip
tags: [email]
condition:
  attribute: tier
  equals: 'yes'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import yaml

from .vocabulary import PROPENSITY_MODEL_KEYS, SEGMENT_KEYS

# A definition's top-level keys in the order the vocabulary lists them (a model's name first, as
# a segment's); unknown keys follow.
DOCUMENT_KEYS = tuple(
    dict.fromkeys((PROPENSITY_MODEL_KEYS[0], *SEGMENT_KEYS, *PROPENSITY_MODEL_KEYS))
)

# A '#' that starts a comment: at the start of a line or after whitespace (outside scalars).
COMMENT_START = re.compile(r"(?:^|(?<=\s))#", re.MULTILINE)


class _Dumper(yaml.SafeDumper):
    """Block style for the structure, flow style for leaves, lists indented under their keys."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


class _Block(dict):
    """A mapping always written in block style (a definition's top-level condition)."""


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, dict | list)


def _represent_mapping(dumper: _Dumper, data: dict) -> yaml.Node:
    # {last: 30d}, {event: purchase, within: 24h}: short mappings of scalars read best inline.
    inline = type(data) is dict and len(data) <= 2 and all(map(_is_scalar, data.values()))
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=inline)


def _represent_list(dumper: _Dumper, data: list) -> yaml.Node:
    inline = all(map(_is_scalar, data))
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=inline)


# Characters YAML reads as line breaks inside plain and single-quoted scalars (NEL, LS, PS):
# only a double-quoted scalar escapes them.
LINE_BREAKS = frozenset("\x85\u2028\u2029")


def _represent_text(dumper: _Dumper, data: str) -> yaml.Node:
    style = '"' if LINE_BREAKS.intersection(data) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_text)
_Dumper.add_representer(dict, _represent_mapping)
_Dumper.add_representer(_Block, _represent_mapping)
_Dumper.add_representer(list, _represent_list)


def _ordered(document: Mapping[str, Any]) -> dict[str, Any]:
    known = [key for key in DOCUMENT_KEYS if key in document]
    ordered = _Block(
        (key, _plain(document[key])) for key in (*known, *(k for k in document if k not in known))
    )
    for key in ("condition", "eligible"):
        if isinstance(ordered.get(key), dict):
            ordered[key] = _Block(ordered[key])
    return ordered


def _plain(value: Any) -> Any:
    """Plain dicts and lists (the loader's located ones carry line numbers)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def write_document(document: Mapping[str, Any]) -> str:
    """The YAML text of a definition document (a mapping as the parser loads it)."""
    return yaml.dump(
        _ordered(document),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=100_000,
    )


def has_comments(text: str) -> bool:
    """Whether hand-written YAML has comments, which writing the document again would drop.

    >>> has_comments("segment: vip  # the best"), has_comments("description: 'no #1 fans'")
    (True, False)
    """
    try:
        scalars = [
            (token.start_mark.index, token.end_mark.index)
            for token in yaml.scan(text, Loader=yaml.SafeLoader)
            if isinstance(token, yaml.ScalarToken)
        ]
    except yaml.YAMLError:
        scalars = []  # unreadable YAML: any '#' may be a comment
    return any(
        not any(start <= match.start() < end for start, end in scalars)
        for match in COMMENT_START.finditer(text)
    )
