"""Project-wide passes over the parsed definitions.

1. names are unique; 2. ``in_segment`` references exist and form no cycle; 3. columns,
properties and types exist in the event store (when there is one); 4. event types were seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..warehouse import WarehouseSchema
from . import nodes as n
from .errors import Diagnostic, Diagnostics, closest
from .parse import parse_file
from .schema_checks import check_event_types

SEGMENT_SUFFIXES = (".yml", ".yaml")


@dataclass
class Project:
    """Every definition that validated, and every finding (errors and warnings)."""

    root: Path
    segments: dict[str, n.SegmentDefinition] = field(default_factory=dict)
    models: dict[str, n.PropensityModel] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    schema: WarehouseSchema | None = None
    # Names of every definition file, built or not (an in_segment may name a file that failed).
    file_names: set[str] = field(default_factory=set)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]


def segment_files(root: Path, segments_dir: str = "segments") -> list[Path]:
    base = root / segments_dir
    return sorted(p for p in base.rglob("*") if p.suffix in SEGMENT_SUFFIXES and p.is_file())


def load_project(
    root: Path, files: list[Path] | None = None, schema: WarehouseSchema | None = None
) -> Project:
    """Parse and check every segment file under ``root/segments`` (or the given files)."""
    project = Project(root=root, schema=schema)
    all_files = segment_files(root)
    chosen = files if files is not None else all_files
    project.file_names = {p.stem for p in all_files} | {p.stem for p in chosen}
    for path in chosen:
        display = _display(path, root)
        definition, diagnostics = parse_file(path, display)
        project.diagnostics.extend(diagnostics.items)
        if definition is not None:
            add_definition(project, definition)
    if files is not None:
        _load_referenced(project, all_files, root)
    run_passes(project)
    return project


def add_definition(project: Project, definition: n.Definition) -> None:
    """Adds a parsed definition, or an error when its name is already defined."""
    is_model = isinstance(definition, n.PropensityModel)
    kind = "propensity model" if is_model else "segment"
    found = project.models if is_model else project.segments
    if definition.name in found:
        diagnostics = Diagnostics(definition.file)
        diagnostics.error(
            definition.line,
            "propensity_model" if is_model else "segment",
            f"{kind} '{definition.name}' is already defined in {found[definition.name].file}",
        )
        project.diagnostics.extend(diagnostics.items)
    else:
        found[definition.name] = definition  # type: ignore[assignment]


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _load_referenced(project: Project, all_files: list[Path], root: Path) -> None:
    """When checking a few files, also load the segments they reference (quietly)."""
    by_name = {p.stem: p for p in all_files}
    pending = [r for d in project.segments.values() for r in d.referenced_segments()]
    pending += [m for d in project.segments.values() for m in d.referenced_models()]
    while pending:
        name = pending.pop()
        if name in project.segments or name in project.models or name not in by_name:
            continue
        definition, _ = parse_file(by_name[name], _display(by_name[name], root))
        if isinstance(definition, n.PropensityModel):
            project.models[name] = definition
        elif definition is not None:
            project.segments[name] = definition
            pending.extend(definition.referenced_segments())
            pending.extend(definition.referenced_models())


def check_references(project: Project) -> None:
    """``in_segment`` and ``propensity`` name definitions that exist; no segment refers to itself."""
    known = set(project.segments) | project.file_names
    for definition in project.segments.values():
        diagnostics = Diagnostics(definition.file)
        for node in n.walk(definition.condition):
            if isinstance(node, n.InSegment) and node.segment not in known:
                diagnostics.error(
                    node.line,
                    "in_segment",
                    f"unknown segment '{node.segment}'",
                    closest(node.segment, sorted(known)),
                )
            elif isinstance(node, n.InSegment) and node.segment == definition.name:
                diagnostics.error(
                    node.line, "in_segment", f"segment '{definition.name}' refers to itself"
                )
            elif isinstance(node, n.PropensityCondition) and node.model not in project.models:
                diagnostics.error(
                    node.line,
                    "propensity",
                    f"unknown propensity model '{node.model}'",
                    closest(node.model, sorted(project.models)),
                )
        project.diagnostics.extend(diagnostics.items)


def check_cycles(project: Project) -> None:
    """Segments do not refer to each other in a cycle."""
    for cycle in _cycles(project):
        definition = project.segments[cycle[0]]
        line = next(
            node.line
            for node in n.walk(definition.condition)
            if isinstance(node, n.InSegment) and node.segment == cycle[1]
        )
        project.diagnostics.append(
            Diagnostic(
                definition.file,
                line,
                "in_segment",
                "segments refer to each other in a cycle: " + " -> ".join(cycle),
            )
        )


def _cycles(project: Project) -> list[list[str]]:
    """Each cycle of in_segment references once, as a path that starts and ends on one name."""
    graph = {
        name: [r for r in d.referenced_segments() if r in project.segments and r != name]
        for name, d in project.segments.items()
    }
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(name: str) -> None:
        state[name] = 1
        stack.append(name)
        for ref in graph[name]:
            if state.get(ref) == 1:
                cycles.append([*stack[stack.index(ref) :], ref])
            elif ref not in state:
                visit(ref)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name)
    return cycles


# ------------------------------------------------------------------ schema pass


def check_against_schema(definition: n.SegmentDefinition, schema: WarehouseSchema) -> Diagnostics:
    d = Diagnostics(definition.file)
    _check_condition(d, definition.condition, schema)
    return d


def check_model_against_schema(model: n.PropensityModel, schema: WarehouseSchema) -> Diagnostics:
    """The goal, the eligibility condition, the attributes and the custom events exist."""
    d = Diagnostics(model.file)
    check_event_types(d, model.line, model.goal, schema)
    if model.goal.where is not None:
        _check_condition(d, model.goal.where, schema)
    if model.eligible is not None:
        _check_condition(d, model.eligible, schema)
    for column in model.attributes:
        if column not in schema.profile_columns:
            d.error(
                model.line,
                column,
                f"unknown profile column '{column}' in 'attributes'",
                closest(column, schema.profile_columns),
            )
    for event_type in model.custom_events:
        if event_type not in schema.event_types:
            d.warning(
                model.line,
                event_type,
                f"custom event type '{event_type}' was never seen in raw.events",
                closest(event_type, schema.event_types),
            )
    return d


def _check_condition(d: Diagnostics, condition: n.Node, schema: WarehouseSchema) -> None:
    for node in n.walk(condition):
        node.check_schema(d, schema)


def check_schema(project: Project) -> None:
    """Columns, properties, types and event types exist in the warehouse (when there is one)."""
    if project.schema is None:
        return
    for definition in project.segments.values():
        project.diagnostics.extend(check_against_schema(definition, project.schema).items)
    for model in project.models.values():
        project.diagnostics.extend(check_model_against_schema(model, project.schema).items)


# The project-wide passes, in order: each reads the project and adds diagnostics.
PASSES = (check_references, check_cycles, check_schema)


def run_passes(project: Project) -> Project:
    for check in PASSES:
        check(project)
    return project
