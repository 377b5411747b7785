"""File delivery: each evaluation's changes, and the current members, as CSV, JSON lines or Parquet.

Layout under the destination's folder, one folder per segment::

    <segment>/changes/20240310T000000Z.jsonl   one per evaluation: profile_id, action, identifiers, traits
    <segment>/members.jsonl                    the members after the latest delivered evaluation

Every file is written under a temporary name in the same folder, flushed to disk, and renamed
over its final name, so a reader sees the old file or the new one, never half of one. A
rewritten file (a retry after a crash) has the same name and content.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from ..durable import replace_durably, temporary_beside
from .definitions import Destination
from .outbox import Batch, Outcome
from .payloads import iso_utc

Members = Callable[[Batch], list[dict[str, Any]]]


class FileWriter:
    def __init__(self, destination: Destination, project_root: Path, members: Members):
        folder = Path(destination.settings["folder"])
        self.folder = folder if folder.is_absolute() else project_root / folder
        self.format = destination.settings["format"]
        self.destination = destination
        self.members = members

    def deliver(self, batch: Batch, records: list[dict[str, Any]], skipped: int) -> Outcome:
        segment_folder = self.folder / batch.segment
        if batch.kind == "changes":
            stamp = iso_utc(batch.evaluated_at).replace("-", "").replace(":", "")
            self._write(segment_folder / "changes" / f"{stamp}.{self.format}", records, True)
            members = self.members(batch)
        else:
            members = records
        self._write(segment_folder / f"members.{self.format}", members, False)
        return Outcome("acknowledged", 1, len(records), skipped)

    def _write(self, path: Path, records: list[dict[str, Any]], with_action: bool) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = temporary_beside(path)
        rows = [self._flat(r, with_action) for r in records]
        if self.format == "jsonl":
            with temporary.open("w", encoding="utf-8") as out:
                for row in rows:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
        else:
            table = self._table(rows, with_action)
            if self.format == "csv":
                pa_csv.write_csv(table, temporary)
            else:
                pq.write_table(table, temporary)
        replace_durably(temporary, path)

    def _flat(self, record: dict[str, Any], with_action: bool) -> dict[str, Any]:
        row: dict[str, Any] = {"profile_id": record["profile_id"]}
        if with_action:
            row["action"] = record["action"]
        for identifier in self.destination.identifiers:
            row[identifier.name] = record["identifiers"].get(identifier.name)
        for trait in self.destination.traits:
            row[trait] = record["traits"].get(trait)
        return row

    def _table(self, rows: list[dict[str, Any]], with_action: bool) -> pa.Table:
        names = ["profile_id", *(["action"] if with_action else [])]
        names += [i.name for i in self.destination.identifiers] + list(self.destination.traits)
        columns = {}
        for name in names:
            values = [row[name] for row in rows]
            try:
                columns[name] = pa.array(values) if values else pa.array([], pa.string())
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                columns[name] = pa.array([None if v is None else str(v) for v in values])
            if pa.types.is_null(columns[name].type):
                columns[name] = columns[name].cast(pa.string())
        return pa.table(columns)

    def close(self) -> None:
        pass
