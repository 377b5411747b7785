"""Diagnostics: every problem found in a definition, with file, line, key and a suggestion."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Diagnostic:
    """One finding, printed as ``file:line: message (did you mean 'x'?)``.

    >>> str(Diagnostic("segments/vip.yml", 7, "greater_than", "unknown operator 'greater_than'", "gt"))
    "segments/vip.yml:7: unknown operator 'greater_than' (did you mean 'gt'?)"
    """

    file: str
    line: int
    key: str
    message: str
    suggestion: str | None = None
    severity: Severity = "error"

    def __str__(self) -> str:
        hint = f" (did you mean '{self.suggestion}'?)" if self.suggestion else ""
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{self.file}:{self.line}: {prefix}{self.message}{hint}"

    def as_json(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "key": self.key,
            "message": self.message,
            "suggestion": self.suggestion,
            "severity": self.severity,
        }


class DefinitionError(Exception):
    """Raised once, after all files were checked, with every error found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = [d for d in diagnostics if d.severity == "error"]
        super().__init__("\n".join(str(d) for d in self.diagnostics))


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelt word, or None when nothing is close.

    >>> closest("greater_than", ["gt", "gte", "lt", "between"]) is None
    True
    >>> closest("lenght", ["length", "count"])
    'length'
    """
    matches = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


class Diagnostics:
    """Collects findings for one file so that every problem is reported, not just the first."""

    def __init__(self, file: str):
        self.file = file
        self.items: list[Diagnostic] = []

    def error(self, line: int, key: str, message: str, suggestion: str | None = None) -> None:
        self.items.append(Diagnostic(self.file, line, key, message, suggestion))

    def warning(self, line: int, key: str, message: str, suggestion: str | None = None) -> None:
        self.items.append(Diagnostic(self.file, line, key, message, suggestion, "warning"))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)
