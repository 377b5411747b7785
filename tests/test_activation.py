"""Activation end to end: two evaluations, each followed by ``seg sync`` to a webhook that fails
a share of requests, a folder of files and a PostgreSQL table; what each destination holds is
compared with the membership tables and the change log."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import time

import duckdb
import psycopg
import pytest

from harness import ROOT, TempProject
from postgres_server import postgres_server
from receiver import Receiver

pytestmark = pytest.mark.dbt

T1 = dt.datetime(2024, 3, 10)
T2 = T1 + dt.timedelta(days=4)
SECRET = "test-signing-key"
SEGMENTS = {
    "spain": "segment: spain\ndescription: Lives in Spain.\ncondition: {attribute: country, equals: ES}\n",
    "active": "segment: active\ndescription: Any visit in the last 3 days.\n"
    "condition: {event: visit, during: {last: 3d}}\n",
}
PROFILES = [f"p{i:02d}" for i in range(30)]
NO_EMAIL = "p07"


def profile(profile_id: str, country: str) -> dict:
    email = None if profile_id == NO_EMAIL else f"  {profile_id.upper()}@Example.com "
    return {"profile_id": profile_id, "email": email, "country": country}


def visit(profile_id: str, at: dt.datetime) -> dict:
    return {
        "event_id": f"{profile_id}-{at:%m%d%H}",
        "profile_id": profile_id,
        "event_type": "visit",
        "event_ts": at,
        "loaded_at": at,
    }


def destinations(project: TempProject, receiver_url: str) -> None:
    folder = project.root / "destinations"
    folder.mkdir(exist_ok=True)
    (folder / "crm_webhook.yml").write_text(
        "destination: crm_webhook\ntype: webhook\n"
        f"url: {receiver_url}\nsecret_env: TEST_WEBHOOK_SECRET\ntimeout: 1\n"
        "segments: [spain, active]\n"
        "identifiers:\n  email: {attribute: email, normalize: email, hash: sha256}\n"
        "traits: [country]\nbatch_size: 4\n"
    )
    (folder / "exports.yml").write_text(
        "destination: exports\ntype: file\nfolder: out/exports\nformat: jsonl\nsegments: '*'\n"
        "identifiers:\n  email: {attribute: email, normalize: email, required: false}\n"
        "traits: [country]\n"
    )
    for file_format in ("csv", "parquet"):
        (folder / f"exports_{file_format}.yml").write_text(
            f"destination: exports_{file_format}\ntype: file\nfolder: out/{file_format}\n"
            f"format: {file_format}\nsegments: [spain]\n"
            "identifiers:\n  email: {attribute: email, normalize: email, hash: sha256}\n"
        )
    (folder / "crm_db.yml").write_text(
        "destination: crm_db\ntype: postgres\nconnection_env: TEST_POSTGRES_URL\n"
        "table: audience_members\nsegments: [spain, active]\n"
        "identifiers:\n  email: {attribute: email, normalize: email}\ntraits: [country]\nbatch_size: 5\n"
    )


def seg_sync(
    project: TempProject, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / "scripts" / "seg"), "--project-dir", str(project.root), "sync", *args],
        env={**os.environ, **env, "SEGMENTS_DUCKDB_PATH": str(project.database)},
        capture_output=True,
        text=True,
        timeout=300,
    )


def history(project: TempProject) -> set[tuple[str, str, str, str]]:
    rows = project.query(
        "select profile_id, segment, change, strftime(evaluated_at, '%Y-%m-%dT%H:%M:%SZ') "
        "from segmentation.segment_membership_history"
    )
    return set(rows)


def members(project: TempProject) -> set[tuple[str, str]]:
    return set(
        project.query(
            "select segment, profile_id from segmentation.segment_membership where status <> 'exited'"
        )
    )


def postgres_members(url: str) -> set[tuple[str, str]]:
    with psycopg.connect(url) as con:
        return set(con.execute("select segment, profile_id from audience_members").fetchall())


def file_members(project: TempProject, segment: str) -> set[tuple[str, str]]:
    path = project.root / "out" / "exports" / segment / "members.jsonl"
    return {(segment, json.loads(line)["profile_id"]) for line in path.read_text().splitlines()}


def typed_file_members(project: TempProject) -> dict[str, set[tuple[str, str]]]:
    """The spain members in the CSV and Parquet folders, read back by DuckDB."""
    con = duckdb.connect()
    found = {}
    for file_format in ("csv", "parquet"):
        path = project.root / "out" / file_format / "spain" / f"members.{file_format}"
        rows = con.execute(f"select profile_id, email from read_{file_format}('{path}')").fetchall()
        assert all(len(email) == 64 for _, email in rows)
        found[file_format] = {("spain", profile_id) for profile_id, _ in rows}
    return found


def evaluate_and_sync(
    project: TempProject, as_of: dt.datetime, env: dict[str, str], postgres_url: str
) -> tuple[subprocess.CompletedProcess[str], tuple]:
    """One evaluation, one sync; the members, and what the table and the folders hold after it."""
    project.build(as_of.isoformat(), tests=False)
    result = seg_sync(project, env)
    held = (
        members(project),
        postgres_members(postgres_url),
        file_members(project, "spain") | file_members(project, "active"),
        typed_file_members(project),
    )
    return result, held


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("activation")
    project = TempProject(folder / "project")
    receiver = Receiver(SECRET, failing_share=0.4, slow_seconds=1.3)
    with postgres_server() as postgres_url:
        env = {
            "TEST_WEBHOOK_SECRET": SECRET,
            "TEST_POSTGRES_URL": postgres_url,
            "SEGMENTS_SYNC_BACKOFF_SECONDS": "0.01",
        }
        profiles = [profile(p, "ES" if i % 2 else "FR") for i, p in enumerate(PROFILES)]
        events = [visit(p, T1 - dt.timedelta(hours=5)) for p in PROFILES[:20]]
        project.write_store(
            events, profiles, profile_types={"email": "varchar", "country": "varchar"}
        )
        for name, text in SEGMENTS.items():
            project.write_segment(name, text)
        destinations(project, receiver.url)
        project.generate()
        seen: dict = {
            "project": project,
            "receiver": receiver,
            "postgres": postgres_url,
            "env": env,
        }

        seen["sync1"], seen["e1"] = evaluate_and_sync(project, T1, env, postgres_url)

        con = project.connect()
        # four profiles move country; ten visit again; the others' visits age out of 3 days
        con.execute(
            "update raw.profiles set country = case when country = 'ES' then 'FR' else 'ES' end where profile_id in ('p01', 'p02', 'p07', 'p24')"
        )
        for p in PROFILES[15:25]:
            e = visit(p, T2 - dt.timedelta(hours=2))
            con.execute(
                "insert into raw.events (event_id, profile_id, event_type, event_ts, loaded_at) values (?, ?, ?, ?, ?)",
                [e["event_id"], p, "visit", e["event_ts"], e["loaded_at"]],
            )
        con.close()
        seen["sync2"], seen["e2"] = evaluate_and_sync(project, T2, env, postgres_url)
        seen["history"] = history(project)
        yield seen
    receiver.stop()


def test_each_sync_delivers_everything_and_says_so(synced: dict) -> None:
    for run in ("sync1", "sync2"):
        result = synced[run]
        assert result.returncode == 0, result.stdout + result.stderr
        assert "crm_webhook" in result.stdout and "synced 5 destinations" in result.stdout


def test_the_webhook_received_every_entry_and_exit_exactly_once(synced: dict) -> None:
    receiver: Receiver = synced["receiver"]
    skipped_entries = {
        row for row in synced["history"] if row[0] == NO_EMAIL and row[2] == "entered"
    }
    assert skipped_entries, "the store must have a member without an email"
    assert receiver.changes() == synced["history"] - skipped_entries
    # retries happened, and every request was signed with the shared secret
    assert len(receiver.requests) > len(receiver.accepted)
    assert all(r.signature_ok for r in receiver.requests)


def test_webhook_batches_arrive_in_evaluation_order_with_hashed_identifiers(synced: dict) -> None:
    documents = synced["receiver"].documents()
    for segment in SEGMENTS:
        stamps = [d["evaluated_at"] for d in documents if d["segment"] == segment]
        assert stamps == sorted(stamps)
    change = next(c for d in documents for c in d["changes"] if c["profile_id"] == "p01")
    expected = __import__("hashlib").sha256(b"p01@example.com").hexdigest()
    assert change["identifiers"] == {"email": expected}
    assert set(change["traits"]) == {"country"}


def test_every_retry_sent_the_same_bytes_under_the_same_key(synced: dict) -> None:
    bodies: dict[str, set[bytes]] = {}
    for request in synced["receiver"].requests:
        bodies.setdefault(request.key, set()).add(request.body)
    assert all(len(b) == 1 for b in bodies.values())


def test_files_and_postgres_hold_the_members_after_each_evaluation(synced: dict) -> None:
    for evaluation in ("e1", "e2"):
        expected, in_postgres, in_files, typed = synced[evaluation]
        assert in_files == expected
        with_email = {m for m in expected if m[1] != NO_EMAIL}
        assert in_postgres == with_email
        spain = {m for m in with_email if m[0] == "spain"}
        assert typed == {"csv": spain, "parquet": spain}


def test_the_change_files_are_the_change_log(synced: dict) -> None:
    project: TempProject = synced["project"]
    found = set()
    for path in (project.root / "out" / "exports").glob("*/changes/*.jsonl"):
        stamp = dt.datetime.strptime(path.stem, "%Y%m%dT%H%M%SZ").strftime("%Y-%m-%dT%H:%M:%SZ")
        for line in path.read_text().splitlines():
            row = json.loads(line)
            found.add((row["profile_id"], path.parent.parent.name, row["action"], stamp))
    # the first sync of a destination is a snapshot: the first evaluation's entries
    first = {r for r in synced["history"] if r[3].startswith(T1.strftime("%Y-%m-%d"))}
    assert found == synced["history"] - first
    assert {p for p in found if p[3].startswith(T2.strftime("%Y-%m-%d"))}


def test_the_sync_state_records_each_stream_at_the_latest_evaluation(synced: dict) -> None:
    rows = synced["project"].query(
        "select destination, segment, acknowledged_until from segmentation.sync_state "
        "where destination in ('crm_webhook', 'exports', 'crm_db') order by 1, 2"
    )
    assert len(rows) == 6 and {r[2] for r in rows} == {T2}
    (owed,) = synced["project"].query("select count(*) from segmentation.sync_outbox")[0]
    assert owed == 0


def test_a_refused_batch_goes_to_the_dead_letters_and_the_sync_goes_on(synced: dict) -> None:
    project: TempProject = synced["project"]
    strict = Receiver(SECRET, refuse_segments={"active"})
    try:
        (project.root / "destinations" / "strict_hook.yml").write_text(
            f"destination: strict_hook\ntype: webhook\nurl: {strict.url}\n"
            "secret_env: TEST_WEBHOOK_SECRET\nsegments: [spain, active]\n"
            "identifiers:\n  email: {attribute: email, normalize: email, hash: sha256}\n"
        )
        result = seg_sync(project, synced["env"], "--destination", "strict_hook")
    finally:
        strict.stop()
        (project.root / "destinations" / "strict_hook.yml").unlink()
    assert result.returncode == 1
    assert "1 batches refused: see segmentation.sync_dead_letters" in result.stderr
    dead = project.query(
        "select segment, http_status, response, payload from segmentation.sync_dead_letters "
        "where destination = 'strict_hook'"
    )
    assert [(d[0], d[1], d[2]) for d in dead] == [("active", 422, '{"error": "try later"}')]
    assert json.loads(dead[0][3])["segment"] == "active"
    # spain was delivered in full regardless
    spain = {(s, p) for s, p in members(project) if s == "spain" and p != NO_EMAIL}
    assert {
        (d["segment"], c["profile_id"]) for d in strict.documents() for c in d["changes"]
    } == spain


def test_a_changed_definition_gets_a_snapshot_of_the_new_shape(synced: dict) -> None:
    project: TempProject = synced["project"]
    path = project.root / "destinations" / "crm_db.yml"
    original = path.read_text()
    path.write_text(original.replace("traits: [country]\n", ""))
    try:
        result = seg_sync(project, synced["env"], "--destination", "crm_db")
        assert result.returncode == 0, result.stdout + result.stderr
        with psycopg.connect(synced["postgres"]) as con:
            columns = [
                r[0]
                for r in con.execute(
                    "select column_name from information_schema.columns "
                    "where table_name = 'audience_members' order by ordinal_position"
                )
            ]
        assert columns == ["segment", "profile_id", "email", "evaluated_at"]
        assert postgres_members(synced["postgres"]) == {
            m for m in members(project) if m[1] != NO_EMAIL
        }
        kinds = project.query(
            "select distinct kind from segmentation.sync_batches where destination = 'crm_db' "
            "and planned_at = (select max(planned_at) from segmentation.sync_batches "
            "where destination = 'crm_db')"
        )
        assert kinds == [("snapshot",)]
    finally:
        path.write_text(original)


def test_a_sync_killed_mid_way_resends_only_what_was_not_acknowledged(synced: dict) -> None:
    project: TempProject = synced["project"]
    slow = Receiver(SECRET, delay_seconds=0.15)
    path = project.root / "destinations" / "slow_hook.yml"
    path.write_text(
        f"destination: slow_hook\ntype: webhook\nurl: {slow.url}\n"
        "secret_env: TEST_WEBHOOK_SECRET\nsegments: [spain, active]\nbatch_size: 1\n"
        "identifiers:\n  email: {attribute: email, normalize: email, hash: sha256}\n"
    )
    env = {**os.environ, **synced["env"], "SEGMENTS_DUCKDB_PATH": str(project.database)}
    command = [str(ROOT / "scripts" / "seg"), "--project-dir", str(project.root), "sync"]
    try:
        running = subprocess.Popen([*command, "--destination", "slow_hook"], env=env)
        deadline = time.monotonic() + 60
        while len(slow.accepted) < 5 and time.monotonic() < deadline:
            time.sleep(0.02)
        running.send_signal(signal.SIGKILL)
        running.wait(timeout=30)
        accepted_before = len(slow.accepted)
        again = seg_sync(project, synced["env"], "--destination", "slow_hook")
    finally:
        slow.stop()
        path.unlink()
    assert again.returncode == 0, again.stdout + again.stderr
    expected = {m for m in members(project) if m[1] != NO_EMAIL}
    assert accepted_before < len(expected)
    assert {
        (d["segment"], c["profile_id"]) for d in slow.documents() for c in d["changes"]
    } == expected
    sent: dict[str, set[bytes]] = {}
    for request in slow.requests:
        sent.setdefault(request.key, set()).add(request.body)
    # every batch under one key with one body; at most the batch in flight was sent twice
    assert all(len(bodies) == 1 for bodies in sent.values())
    assert len(slow.requests) - len(sent) <= 1
    (owed,) = project.query(
        "select count(*) from segmentation.sync_batches where destination = 'slow_hook' "
        "and status <> 'acknowledged'"
    )[0]
    assert owed == 0
