"""Validate one segment file into the typed tree, collecting every error with its line.

The parser (``parse_base`` → ``parse_values`` → ``parse_conditions`` → ``parse_documents``,
one class each, stacked) is the only place that knows the shape of the YAML. Checks that need
the warehouse (columns, types, event types) or the whole project (references, cycles) are passes
in ``resolve.py``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from . import nodes as n
from .errors import Diagnostics
from .parse_documents import FileParser
from .yamlsource import MAX_CHARACTERS, DuplicateKeyError, UnreadableValue, load_located

__all__ = ["UNREADABLE", "FileParser", "parse_file", "parse_text", "parse_yaml_document"]

# What a file that could not be read or parsed loads as (its problem is already reported).
UNREADABLE = object()


def parse_file(path: Path, display: str | None = None) -> tuple[n.Definition | None, Diagnostics]:
    """Load and validate one file. Returns the definition (None on error) and its diagnostics."""
    parser = FileParser(display or str(path))
    text = read_text(path, parser.d)
    if text is None:
        return None, parser.d
    return parse_text(text, path, parser)


def parse_text(
    text: str, path: Path, parser: FileParser | None = None
) -> tuple[n.Definition | None, Diagnostics]:
    parser = parser or FileParser(str(path))
    doc = load_document(text, parser.d)
    if doc is UNREADABLE:
        return None, parser.d
    return parser.document(doc, path, text), parser.d


def parse_yaml_document(path: Path, diagnostics: Diagnostics) -> Any:
    """A file's YAML with the line of every key, or UNREADABLE after reporting why it cannot be
    read (the loading every kind of definition file shares: segments, models, destinations)."""
    text = read_text(path, diagnostics)
    return UNREADABLE if text is None else load_document(text, diagnostics)


def read_text(path: Path, diagnostics: Diagnostics) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        diagnostics.error(1, "", f"cannot read the file: {exc}")
        return None


def load_document(text: str, diagnostics: Diagnostics) -> Any:
    """Parsed YAML (``None`` for an empty file), or UNREADABLE after reporting the problem
    at its line."""
    if len(text) > MAX_CHARACTERS:
        diagnostics.error(
            1, "", f"the file is larger than {MAX_CHARACTERS:,} characters: is it a definition?"
        )
        return UNREADABLE
    try:
        return load_located(text)
    except DuplicateKeyError as exc:
        diagnostics.error(
            exc.line, exc.key, f"duplicate key '{exc.key}': each key may appear once per mapping"
        )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        prefix = "" if isinstance(exc, UnreadableValue) else "invalid YAML: "
        diagnostics.error(line, _key_before(text, mark), f"{prefix}{problem}")
    return UNREADABLE


def _key_before(text: str, mark: Any) -> str:
    r"""The last key written before a YAML error's position on its line, if any.

    >>> from types import SimpleNamespace as At
    >>> _key_before("a: 1\n  since: 2024-02-30", At(line=1, column=9))
    'since'
    """
    if mark is None:
        return ""
    lines = text.split("\n")
    before = lines[mark.line][: mark.column] if mark.line < len(lines) else ""
    keys = re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*:", before)
    return keys[-1] if keys else ""
