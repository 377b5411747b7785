"""The builder page's definitions: load, validate, parse, write and save drafts.

A draft is checked with the rest of the project (references and cycles across files, each other
file parsed once per change) and against the warehouse's schema (read once). Refusals raise
``Problem`` (an HTTP status and a message), which the routes turn into answers.

>>> Problem(409, "changed").status
409
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..language import nodes as n
from ..language.errors import Diagnostic
from ..language.parse import FileParser, load_document, parse_file, parse_text
from ..language.resolve import (
    Project,
    add_definition,
    check_against_schema,
    check_cycles,
    check_model_against_schema,
    check_references,
    segment_files,
)
from ..language.vocabulary import NAME_PATTERN
from ..language.writer import has_comments, write_document
from ..warehouse import WarehouseSchema, read_schema
from .rendering import WarmRenderer


class Problem(Exception):
    """A request the API refuses: its HTTP status, a message, and details (diagnostics)."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


def version_of(text: str | bytes) -> str:
    """The version a client must send back to save: the SHA-256 of the file's bytes.

    >>> version_of("segment: a\\n")[:12]
    'b55041a4e3b3'
    """
    return hashlib.sha256(text.encode() if isinstance(text, str) else text).hexdigest()


@dataclass
class Drafts:
    """The definitions of a project, as the page edits them."""

    project_dir: Path
    warehouse: Path
    renderer: WarmRenderer

    def __post_init__(self) -> None:
        self._schema: WarehouseSchema | None = None
        self._parsed: dict[Path, tuple[tuple[int, int], n.Definition | None]] = {}

    def segment_path(self, name: str) -> Path:
        if not NAME_PATTERN.match(name):
            raise Problem(400, f"'{name}' is not a segment name (^[a-z][a-z0-9_]{{0,62}}$)")
        return self.project_dir / "segments" / f"{name}.yml"

    def definition_file(self, name: str) -> Path:
        """The file of an existing definition (also in a sub-folder of segments/)."""
        self.segment_path(name)
        for path in segment_files(self.project_dir):
            if path.stem == name:
                return path
        raise Problem(404, f"no segment '{name}'")

    def source(self, name: str) -> dict[str, Any]:
        path = self.definition_file(name)
        text = path.read_bytes().decode("utf-8")
        return {
            "name": name,
            "yaml": text,
            "version": version_of(text),
            "has_comments": has_comments(text),
        }

    def schema(self) -> WarehouseSchema | None:
        if self._schema is None:
            self._schema = read_schema(self.warehouse)
        return self._schema

    def _others(self, name: str) -> Project:
        """The project without the draft's own file: each file parsed once per change."""
        project = Project(root=self.project_dir, schema=self.schema())
        files = segment_files(self.project_dir)
        project.file_names = {p.stem for p in files} | {name}
        for path in files:
            if path.stem == name:
                continue
            stat = path.stat()
            key = (stat.st_mtime_ns, stat.st_size)
            cached = self._parsed.get(path)
            if cached is None or cached[0] != key:
                cached = (key, parse_file(path, str(path.relative_to(self.project_dir)))[0])
                self._parsed[path] = cached
            if cached[1] is not None:
                add_definition(project, cached[1])
        return project

    def check(self, text: str) -> tuple[n.Definition | None, list[Diagnostic], dict | None]:
        """The draft parsed and checked with the rest of the project: references and cycles
        across files, its own columns and types against the warehouse."""
        document = load_document(text, FileParser("draft").d)
        name = document.get("segment") if isinstance(document, dict) else None
        name = name if isinstance(name, str) and NAME_PATTERN.match(name) else "draft"
        display = f"segments/{name}.yml"
        definition, diagnostics = parse_text(text, self.project_dir / display, FileParser(display))
        found = list(diagnostics.items)
        if definition is not None:
            project = self._others(name)
            add_definition(project, definition)
            check_references(project)
            check_cycles(project)
            found += [d for d in project.diagnostics if d.file == display]
            schema = self.schema()
            if schema is not None and isinstance(definition, n.SegmentDefinition):
                found += check_against_schema(definition, schema).items
            elif schema is not None:
                found += check_model_against_schema(definition, schema).items
        errors = any(d.severity == "error" for d in found)
        return (
            (None if errors else definition),
            found,
            document if isinstance(document, dict) else None,
        )

    def validate(self, text: str) -> dict[str, Any]:
        return self._validation(*self.check(text)[:2])

    @staticmethod
    def _validation(definition: n.Definition | None, diagnostics: list[Diagnostic]) -> dict:
        return {
            "ok": definition is not None,
            "diagnostics": [
                {k: d.as_json()[k] for k in ("line", "key", "severity", "message", "suggestion")}
                for d in diagnostics
            ],
        }

    def parse(self, text: str) -> dict[str, Any]:
        """The document of a draft (what the canvas edits) and its diagnostics."""
        definition, diagnostics, document = self.check(text)
        return {"document": write_ready(document), **self._validation(definition, diagnostics)}

    def write(self, document: dict[str, Any]) -> dict[str, Any]:
        """The canvas's document as YAML (and whether it validates)."""
        text = write_document(document)
        return {"yaml": text, **self.validate(text)}

    def segment_definition(self, text: str | None, name: str | None) -> n.SegmentDefinition:
        if text is None:
            if name is None:
                raise Problem(400, "send yaml or name")
            text = self.source(name)["yaml"]
        definition, diagnostics, _ = self.check(text)
        if not isinstance(definition, n.SegmentDefinition):
            errors = [d.as_json() for d in diagnostics if d.severity == "error"]
            if definition is None and errors:
                raise Problem(422, "the definition has errors", diagnostics=errors)
            raise Problem(422, "only segments can be previewed")
        return definition

    def save(self, name: str, text: str, version: str | None) -> dict[str, Any]:
        """Writes segments/<name>.yml when nobody changed it since ``version`` (None: a new
        file), then generates the models."""
        from ..durable import replace_durably, temporary_beside
        from ..generate import render, write
        from ..language.resolve import load_project

        path = self.segment_path(name)
        existing = next((p for p in segment_files(self.project_dir) if p.stem == name), None)
        if existing is not None:
            path = existing
        current = version_of(path.read_bytes()) if path.exists() else None
        if current != version:
            raise Problem(
                409,
                "the file changed since it was loaded: reload it"
                if current
                else f"segment '{name}' does not exist any more",
                version=current,
            )
        definition, diagnostics, _ = self.check(text)
        if definition is None:
            raise Problem(
                422,
                "the definition has errors",
                diagnostics=[d.as_json() for d in diagnostics if d.severity == "error"],
            )
        if definition.name != name:
            raise Problem(422, f"the definition is named '{definition.name}', not '{name}'")
        temporary = temporary_beside(path)
        temporary.write_text(text, encoding="utf-8")
        replace_durably(temporary, path)
        project = load_project(self.project_dir, schema=self.schema())
        if not project.errors:
            write(self.project_dir, render(project))
        self.renderer.forget()
        return {"name": name, "version": version_of(text), "generated": not project.errors}


def write_ready(document: Any) -> Any:
    """The loaded document as JSON data (dates as ISO text, which the writer quotes back as
    dates only when they were dates: the canvas never edits them)."""
    if isinstance(document, dict):
        return {key: write_ready(value) for key, value in document.items()}
    if isinstance(document, list):
        return [write_ready(value) for value in document]
    if isinstance(document, dt.date):
        return document.isoformat()
    return document
