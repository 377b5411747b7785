"""What the builder page's API does over the warehouse: estimates, explanations, the compiled
SQL, overlaps, the audiences and the Customer AI insights (the definitions: ``drafts.py``).

Every method returns JSON-ready data or raises ``Problem``; estimates and explanations go
through the same macros as ``dbt build`` (``segkit.preview``, ``segkit.explain``), rendered by
the warm renderer; one warehouse query runs at a time, and a newer estimate interrupts a stale
one.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import threading
from dataclasses import dataclass
from typing import Any

import duckdb

from ..engine import QueryError, connection_watcher, query_records
from .drafts import Drafts, Problem
from .rendering import WarehouseBusy

__all__ = ["Builder", "Problem"]

TOP_VALUES = 8


@dataclass
class Builder(Drafts):
    """The project the page serves, its warehouse, and the renderer that stays warm."""

    target: str = "dev"

    def __post_init__(self) -> None:
        super().__post_init__()
        self._lock = threading.Lock()  # one warehouse query at a time
        self._running: Any = None  # the connection of the estimate running now
        self._generation = 0  # estimates asked so far: an older one is stale
        self._attribute_values: list[dict[str, Any]] | None = None

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

    def _attributes(self, schema: Any) -> list[dict[str, Any]]:
        """The profile columns with their type and most frequent values: read once (a scan of
        raw.profiles per text column), like the schema."""
        if self._attribute_values is None:
            found = []
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
                found.append({"name": column, "type": family, "values": values})
            self._attribute_values = found
        return self._attribute_values

    def fields(self) -> dict[str, Any]:
        """The fields panel: attributes with type and frequent values, event types with their
        properties, segments and propensity models."""
        schema = self.schema()
        if schema is None:
            return {"attributes": [], "events": [], "properties": [], "segments": [], "models": []}
        attributes = self._attributes(schema)
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
