"""Identity stitching at scale: the stitching models on graphs of 5M and 50M links.

    .venv/bin/python scripts/segbench/identity_stitching.py --links 5000000 50000000

A synthetic graph per size: customers with a CRM id, an email and one to three devices (device
-> CRM id at login, email -> CRM id, device -> email for half the devices), 2% of devices shared
with another customer (skipped by identity_limits {crm_id: 1}) and a junk device id linked to
0.1% of customers (blocklisted); 1M events on the devices. In a copy of the project, `dbt run`
of the stitching models (stg_raw__identities .. identity_map, identity_rejected_links), timed
per model from run_results.json. The baseline, in the same run: DuckDB alone sorting the links
into the order they apply (what any exact stitcher must do) - the ratio is stitching / sort.
Then new links arrive - a new device for 1% of the customers, linked to their CRM id (half
of them late: observed_at NULL, so they apply before every link stitched so far) - and the
models run again: incremental stitching re-stitches only the components they touch (the row
says how many links that is); then the same models with --full-refresh, the full re-stitch
it replaces, as the baseline of that step. Writes
``scripts/segbench/results/identity_stitching.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT / "tests")]


from harness import TempProject  # noqa: E402
from segbench.results_table import write_rows  # noqa: E402

AS_OF = dt.datetime(2026, 11, 29)
MODELS = [
    "int_identity_stitch__planned",
    "int_identity_links__pending",
    "int_identity_nodes__linked",
    "int_identity_links__ordered",
    "int_identity_graph__resolved",
    "int_identity_map__linked",
    "int_identity_links__stitched",
    "identity_map",
    "identity_rejected_links",
]
VARS = {
    "identity_namespaces": ["crm_id", "email", "device"],
    "identity_blocklist": ["unknown"],
    "identity_limits": {"crm_id": 1},
}


def graph_sql(customers: int, first: int = 0, observed: str = "2026-01-01") -> str:
    """The links of customers first..first+customers-1 (about 4 per customer)."""
    u = "(hash(concat_ws(':', c, '{0}')) / 18446744073709551616.0)"
    return f"""
        with customers as (
            select c, 'C' || c as crm, 'u' || c || '@mail.test' as email,
                   1 + floor({u.format("devices")} * 3)::int as devices
            from range({first}, {first + customers}) as t(c)
        ),
        devices as (
            select c, crm, email, 'd' || c || '-' || d as device, d
            from customers, range(devices) as r(d)
        )
        select device as identity, 'device' as namespace, crm as linked_identity,
               'crm_id' as linked_namespace, timestamp '{observed}' + to_seconds(c % 86400) as observed_at
        from devices
        union all
        select email, 'email', crm, 'crm_id', timestamp '{observed}' from customers
        union all
        select device, 'device', email, 'email', null from devices
        where (hash(concat_ws(':', c, d, 'email')) % 2) = 0
        union all
        select device, 'device', 'C' || (c + 1), 'crm_id', timestamp '{observed}' + interval 30 day
        from devices where (hash(concat_ws(':', c, d, 'shared')) % 50) = 0
        union all
        select 'unknown', 'device', crm, 'crm_id', null from customers
        where (hash(concat_ws(':', c, 'junk')) % 1000) = 0
    """


def model_seconds(project: TempProject) -> dict[str, float]:
    results = json.loads((project.root / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results}


def new_devices_sql(customers: int) -> str:
    """A new device for 1% of the customers, linked to their CRM id; every other one late."""
    return f"""
        select 'dn' || c as identity, 'device' as namespace, 'C' || c as linked_identity,
               'crm_id' as linked_namespace,
               case when c % 200 = 0 then null else timestamp '2026-11-28' end as observed_at
        from range(0, {customers}, 100) as t(c)
    """


def stitch(project: TempProject, *flags: str) -> tuple[float, dict[str, float]]:
    started = time.monotonic()
    project.dbt(
        "run",
        *flags,
        "--select",
        "+identity_map",
        "+identity_rejected_links",
        as_of=AS_OF.isoformat(),
        extra_vars=VARS,
    )
    return time.monotonic() - started, model_seconds(project)


def measure(links: int, scratch: Path) -> dict[str, object]:
    project = TempProject(scratch / f"links_{links}")
    project.write_segment(
        "anyone", {"segment": "anyone", "description": "bench", "condition": {"event": "*"}}
    )
    customers = int(links / 4.05)
    con = project.connect()
    con.execute("set memory_limit = '6GB'")
    con.execute("create schema if not exists raw")
    con.execute(f"create table raw.identities as {graph_sql(customers)}")
    con.execute(
        "create table raw.events as select 'e' || i as event_id, 'd' || (i % "
        f"{customers}) || '-0' as profile_id, 'view' as event_type, timestamp '2026-11-01' "
        "+ to_seconds(i % 2000000) as event_ts, null::json as properties, null::varchar as "
        "session_id, timestamp '2026-11-02' as loaded_at from range(1000000) as t(i)"
    )
    con.execute("create table raw.profiles (profile_id varchar, updated_at timestamp)")
    (total_links,) = con.execute("select count(*) from raw.identities").fetchone()
    started = time.monotonic()
    con.execute(
        "create temp table sorted as select * from raw.identities order by observed_at nulls "
        "first, namespace, identity, linked_namespace, linked_identity"
    )
    con.execute("select count(*) from sorted").fetchall()
    sort_seconds = time.monotonic() - started
    con.close()
    project.generate()
    wall, seconds = stitch(project)
    models = {name: round(seconds.get(name, 0.0), 2) for name in MODELS}
    con = project.connect()
    (nodes, profiles) = con.execute(
        "select count(*), count(distinct profile_id) from segmentation.identity_map"
    ).fetchone()
    (rejected,) = con.execute(
        "select count(*) from segmentation.identity_rejected_links"
    ).fetchone()
    con.execute(f"insert into raw.identities {new_devices_sql(customers)}")
    (new_links,) = con.execute(f"select count(*) from ({new_devices_sql(customers)})").fetchone()
    con.close()
    again_wall, again = stitch(project)
    con = project.connect()
    mode, pending = con.execute(
        "select mode, (select count(*) from intermediate.int_identity_links__pending) "
        "from intermediate.int_identity_stitch__planned"
    ).fetchone()
    con.close()
    full_wall, full = stitch(project, "--full-refresh")
    stitched = sum(models.values())
    again_models = sum(again.get(n, 0.0) for n in MODELS)
    full_models = sum(full.get(n, 0.0) for n in MODELS)
    shutil.rmtree(project.root, ignore_errors=True)
    return {
        "links": total_links,
        "identities": nodes,
        "profiles": profiles,
        "rejected_links": rejected,
        "sort_links_seconds": round(sort_seconds, 2),
        "stitching_models_seconds": round(stitched, 2),
        "ratio_to_sort": round(stitched / sort_seconds, 2),
        **{f"{name}_seconds": value for name, value in models.items()},
        "dbt_wall_seconds": round(wall, 1),
        "new_links": new_links,
        "incremental_mode": mode,
        "links_restitched": pending,
        "incremental_models_seconds": round(again_models, 2),
        "incremental_dbt_wall_seconds": round(again_wall, 1),
        "full_restitch_models_seconds": round(full_models, 2),
        "full_restitch_dbt_wall_seconds": round(full_wall, 1),
        "incremental_to_full_ratio": round(again_models / full_models, 3),
        **{f"incremental_{name}_seconds": round(again.get(name, 0.0), 2) for name in MODELS},
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--links", type=int, nargs="+", default=[5_000_000, 50_000_000])
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="identity_bench_", dir=ROOT / "warehouse"))
    rows: list[dict[str, object]] = []
    try:
        for links in args.links:
            rows.append(measure(links, scratch))
            print(json.dumps(rows[-1], indent=1), flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(write_rows("identity_stitching", rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
