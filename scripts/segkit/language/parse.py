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

__all__ = ["FileParser", "parse_file", "parse_text"]


def parse_file(path: Path, display: str | None = None) -> tuple[n.Definition | None, Diagnostics]:
    """Load and validate one file. Returns the definition (None on error) and its diagnostics."""
    parser = FileParser(display or str(path))
    try:
        content = path.read_bytes()
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        parser.d.error(1, "", f"cannot read the file: {exc}")
        return None, parser.d
    return parse_text(text, path, parser)


def parse_text(
    text: str, path: Path, parser: FileParser | None = None
) -> tuple[n.Definition | None, Diagnostics]:
    parser = parser or FileParser(str(path))
    if len(text) > MAX_CHARACTERS:
        parser.d.error(
            1, "", f"the file is larger than {MAX_CHARACTERS:,} characters: is it a definition?"
        )
        return None, parser.d
    try:
        doc = load_located(text)
    except DuplicateKeyError as exc:
        parser.d.error(
            exc.line, exc.key, f"duplicate key '{exc.key}': each key may appear once per mapping"
        )
        return None, parser.d
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc)
        prefix = "" if isinstance(exc, UnreadableValue) else "invalid YAML: "
        parser.d.error(line, _key_before(text, mark), f"{prefix}{problem}")
        return None, parser.d
    return parser.document(doc, path, text), parser.d


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
