"""The project on a real local Spark (pyspark in this process, Delta tables), beside DuckDB.

One JVM serves the whole pytest run: dbt runs in-process (`dbtRunner`) on the `spark` target,
and the tests read Spark tables through the same session. Spark's metastore is shared by every
test of the run, so each project starts by dropping the project's schemas.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from harness import DbtFailed, TempProject
from segkit.spark import copy_raw_to_spark

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ("raw", "staging", "intermediate", "segmentation", "segments", "customer_ai")


def spark_session() -> Any:
    """The session dbt started (or the first dbt command of the run will start)."""
    from pyspark.sql import SparkSession

    session = SparkSession.getActiveSession()
    if session is None:
        raise AssertionError("no Spark session: run a dbt command on the spark target first")
    return session


class SparkProject(TempProject):
    """A copy of the project evaluated on DuckDB (subprocess dbt) and on Spark (in-process)."""

    def __init__(self, folder: Path):
        super().__init__(folder)
        jars = folder / ".spark"
        jars.mkdir(exist_ok=True)
        (jars / "jars").symlink_to(ROOT / ".spark" / "jars")
        (folder / "spark").symlink_to(ROOT / "spark")  # Spark's log settings

    def spark_dbt(self, *args: str, as_of: str | None = None) -> None:
        """Run one dbt command on Spark in this process; raise with dbt's messages on failure."""
        from dbt.cli.main import dbtRunner

        os.environ["DBT_PROFILES_DIR"] = str(self.root)
        os.environ["DBT_PROJECT_DIR"] = str(self.root)
        os.environ.pop("SEGMENTS_FULL_EVALUATION", None)
        if as_of is None:
            os.environ.pop("SEGMENTS_AS_OF", None)
        else:
            os.environ["SEGMENTS_AS_OF"] = as_of
        result = dbtRunner().invoke(
            [*args, "--project-dir", str(self.root), "--target", "spark", "--quiet"]
        )
        if not result.success:
            messages = [
                f"{item.node.name}: {item.message}"
                for item in (getattr(result.result, "results", None) or [])
                if item.status in ("error", "fail")
            ]
            raise DbtFailed(
                f"dbt {' '.join(args)} on spark failed: {result.exception or ''}\n"
                + "\n".join(messages)
            )

    def reset_spark(self) -> None:
        """Drop the project's schemas from the run's shared metastore."""
        self.spark_dbt(
            "run-operation", "segments_drop_schemas", "--args", f"{{schemas: {list(SCHEMAS)}}}"
        )

    def copy_store_to_spark(self) -> None:
        os.environ["DBT_PROFILES_DIR"] = str(self.root)
        copy_raw_to_spark(self.database, self.root)

    def spark_query(self, sql: str) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in spark_session().sql(sql).collect()]

    def spark_members(self, segment: str) -> set[str]:
        return {row[0] for row in self.spark_query(f"select profile_id from segments.`{segment}`")}
