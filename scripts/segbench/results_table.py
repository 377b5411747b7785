"""Writing a benchmark's rows: ``<name>.json`` and a Markdown table ``<name>.md`` under results/."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def write_rows(name: str, rows: list[dict[str, object]]) -> str:
    """Write the rows (all with the first row's keys) and return the Markdown table.

    >>> print(markdown([{"size": 5, "seconds": 1.5}]))
    | size | seconds |
    |---|---|
    | 5 | 1.5 |
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(rows, indent=2))
    table = markdown(rows)
    (RESULTS / f"{name}.md").write_text(table + "\n")
    return table


def markdown(rows: list[dict[str, object]]) -> str:
    header = list(rows[0])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(r[h]) for h in header) + " |" for r in rows]
    return "\n".join(lines)
