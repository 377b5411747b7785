"""What the builder page's API does, as plain functions over the project and the warehouse.

Every function returns JSON-ready data or raises ``Problem`` (an HTTP status and a message);
the routes in ``app.py`` only translate. The definitions go through the compiler (``load``,
``validate``), the estimates and explanations through the same macros as ``dbt build``
(``segkit.preview``, ``segkit.explain``), rendered by the warm renderer.

>>> Problem(409, "changed").status
409
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from ..engine import QueryError, connection_watcher, query_records
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
from .rendering import WarehouseBusy, WarmRenderer

TOP_VALUES = 8


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
class Builder:
    """The project the page serves, its warehouse, and the renderer that stays warm."""

    project_dir: Path
    warehouse: Path
    renderer: WarmRenderer
    target: str = "dev"

    def __post_init__(self) -> None:
        self._schema: WarehouseSchema | None = None
        self._parsed: dict[Path, tuple[tuple[int, int], n.Definition | None]] = {}
        self._lock = threading.Lock()  # one warehouse query at a time
        self._running: Any = None  # the connection of the estimate running now
        self._generation = 0  # estimates asked so far: an older one is stale

    # ------------------------------------------------------------ definitions

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

    # ------------------------------------------------------------ warehouse

    def query(self, sql: str) -> list[dict[str, Any]]:
        return self._run(lambda: query_records(self.project_dir, self.target, sql))

    def default_as_of(self) -> str:
        """The last successful evaluation's as_of (the estimate then equals the built table),
        else now."""
        try:
            rows = self.query(
                "select max(as_of) as as_of from segmentation.evaluation_log "
                "where status = 'success'"
            )
        except Problem as problem:
            if problem.status == 503:
                raise
            rows = []
        moment = rows[0]["as_of"] if rows and rows[0]["as_of"] else None
        moment = moment or dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
        return moment.isoformat(timespec="seconds")

    def _arguments(self, as_of: str | None, **more: Any) -> argparse.Namespace:
        return argparse.Namespace(
            project_dir=self.project_dir,
            dbt_target=self.target,
            as_of=as_of or self.default_as_of(),
            seed=0,
            **more,
        )

    def _latest(self, work: Any) -> Any:
        """An estimate or explanation: a newer one interrupts it (its answer would be dropped)."""
        self._generation += 1
        mine = self._generation
        running = self._running
        if running is not None:
            with contextlib.suppress(duckdb.Error):
                running.interrupt()

        def watch(connection: Any) -> None:
            self._running = connection

        def guarded() -> Any:
            if mine != self._generation:
                raise Problem(409, "superseded by a newer request")
            token = connection_watcher.set(watch)
            try:
                return work()
            except duckdb.InterruptException as exc:
                raise Problem(409, "superseded by a newer request") from exc
            except QueryError as exc:
                if mine != self._generation and "interrupt" in str(exc).lower():
                    raise Problem(409, "superseded by a newer request") from exc
                raise
            finally:
                connection_watcher.reset(token)

        return self._run(guarded)

    def _run(self, work: Any) -> Any:
        with self._lock:
            try:
                return work()
            except WarehouseBusy as exc:
                raise Problem(503, "evaluation running: the warehouse is busy") from exc
            except QueryError as exc:
                if "lock" in str(exc).lower():
                    raise Problem(503, "evaluation running: the warehouse is busy") from exc
                raise Problem(500, str(exc)) from exc
            except RuntimeError as exc:
                raise Problem(500, f"dbt could not render the query: {exc}") from exc
            except duckdb.Error as exc:
                raise Problem(500, str(exc).splitlines()[0]) from exc

    def preview(
        self, text: str, as_of: str | None = None, sample: float | None = None, limit: int = 10
    ) -> dict[str, Any]:
        from ..preview import preview

        if sample is not None and not 0 < sample <= 100:
            raise Problem(400, "sample is a percentage above 0 and at most 100")
        definition = self.segment_definition(text, None)
        args = self._arguments(as_of, sample=sample, limit=limit)
        result = self._latest(lambda: preview(args, definition, render=self.renderer))
        shown = {k: v for k, v in result.items() if k not in ("members_evaluated", "evaluated")}
        return {**shown, "as_of": args.as_of, "evaluated": result["evaluated"]}

    def explain(
        self, text: str | None, name: str | None, profile_id: str, as_of: str | None = None
    ) -> dict[str, Any]:
        from ..explain import explain

        if not profile_id:
            raise Problem(400, "send profile_id")
        definition = self.segment_definition(text, name)
        args = self._arguments(as_of, profile_id=profile_id)
        result = self._latest(lambda: explain(args, definition, render=self.renderer))
        return {**result, "as_of": args.as_of}

    def sql(self, text: str, as_of: str | None = None) -> dict[str, Any]:
        """The SQL ``dbt build`` runs for the draft (as ``seg compile`` prints it)."""
        from ..builder import compiled_sql

        definition = self.segment_definition(text, None)
        args = self._arguments(as_of)
        return {"sql": self._run(lambda: compiled_sql(args, definition, render=self.renderer))}

    def overlap(self, names: list[str]) -> dict[str, Any]:
        """Sizes and pairwise intersections of built segments (``seg overlap``)."""
        from ..overlap import overlap

        if len(names) < 2:
            raise Problem(400, "choose at least two segments")
        for name in names:
            self.segment_path(name)
        return self._run(lambda: overlap(self.project_dir, self.target, names))

    def models(self) -> dict[str, Any]:
        """Customer AI insights per model: the latest quality with lift and cumulative gains by
        decile, quality over runs, the score distribution and the top factors per bucket."""
        try:
            runs = self.query(
                "select model, scored_at, status, quality, auc, top_decile_lift, base_rate, "
                "examples, deciles from segmentation.propensity_model_quality "
                "order by model, scored_at"
            )
        except Problem as problem:
            if problem.status == 503:
                raise
            return {"models": []}
        scores = self.query(
            "select model, least(score // 10, 9) as band, count(*) as profiles "
            "from segmentation.propensity_scores group by all order by 1, 2"
        )
        factors = self.query(
            "select model, bucket, rank, feature, importance, mean_contribution "
            "from segmentation.propensity_factors where rank <= 5 order by model, bucket, rank"
        )
        models: dict[str, dict[str, Any]] = {}
        for run in runs:
            entry = models.setdefault(run["model"], {"model": run["model"], "runs": []})
            entry["runs"].append(
                {k: run[k] for k in ("scored_at", "status", "auc", "top_decile_lift")}
            )
            entry["latest"] = run
        for row in scores:
            if row["model"] in models:
                models[row["model"]].setdefault("score_bands", []).append(row)
        for row in factors:
            if row["model"] in models:
                models[row["model"]].setdefault("factors", []).append(row)
        return {"models": list(models.values())}

    def audiences(self) -> dict[str, Any]:
        from ..cli import segment_records

        with self._lock:
            records = segment_records(self.project_dir, self.target)
        if records is None:
            return {"built": False, "segments": []}
        history = self.query(
            "select segment, evaluated_at, count(*) filter (where change = 'entered') as entered, "
            "count(*) filter (where change = 'exited') as exited "
            "from segmentation.segment_membership_history group by all order by 1, 2"
        )
        sizes: dict[str, list[dict[str, Any]]] = {}
        for row in history:
            series = sizes.setdefault(row["segment"], [])
            before = series[-1]["size"] if series else 0
            series.append(
                {
                    "evaluated_at": row["evaluated_at"],
                    "size": before + row["entered"] - row["exited"],
                }
            )
        for record in records:
            record["sizes"] = sizes.get(record["segment"], [])
        return {"built": True, "segments": records}

    def fields(self) -> dict[str, Any]:
        """The fields panel: attributes with type and frequent values, event types with their
        properties, segments and propensity models."""
        schema = self.schema()
        if schema is None:
            return {"attributes": [], "events": [], "properties": [], "segments": [], "models": []}
        attributes = []
        for column, family in sorted(schema.profile_columns.items()):
            values: list[Any] = []
            if family in ("string", "boolean") and column != "profile_id":
                quoted = '"' + column.replace('"', '""') + '"'
                values = [
                    row["value"]
                    for row in self.query(
                        f"select {quoted} as value, count(*) as n from raw.profiles "
                        f"where {quoted} is not null group by 1 order by 2 desc, 1 "
                        f"limit {TOP_VALUES}"
                    )
                ]
            attributes.append({"name": column, "type": family, "values": values})
        from ..language.resolve import load_project

        project = load_project(self.project_dir)
        return {
            "attributes": attributes,
            "events": sorted(schema.event_types),
            "properties": [
                {"name": path, "type": family}
                for path, family in sorted(schema.property_paths.items())
            ],
            "segments": sorted(project.segments),
            "models": sorted(project.models),
        }


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
