"""Destination files are validated like segments: every problem with its file, line and key."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from segkit.activation.definitions import load_destinations
from segkit.cli import main
from segkit.language.errors import DefinitionError

SEGMENTS = {"running_shoes_searchers", "weekly_regulars"}
COLUMNS = {"profile_id": "string", "email": "string", "phone": "string", "country": "string"}
GOOD = """\
destination: crm_webhook
type: webhook
url: http://127.0.0.1:9000/hook
secret_env: CRM_WEBHOOK_SECRET
segments: [running_shoes_searchers, weekly_regulars]
identifiers:
  email: {attribute: email, normalize: email, hash: sha256}
  phone: {attribute: phone, normalize: phone, country_code: 34, required: false}
traits: [country]
batch_size: 500
"""


def problems(folder: Path, text: str, name: str = "crm_webhook") -> list[str]:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yml").write_text(text)
    try:
        load_destinations(folder, SEGMENTS, COLUMNS)
    except DefinitionError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


def test_the_documented_example_is_valid(tmp_path: Path) -> None:
    (tmp_path / "crm_webhook.yml").write_text(GOOD)
    (destination,) = load_destinations(tmp_path, SEGMENTS, COLUMNS)
    assert destination.segments == ("running_shoes_searchers", "weekly_regulars")
    assert [i.name for i in destination.identifiers] == ["email", "phone"]
    assert destination.identifiers[1].country_code == "34"
    assert destination.attributes == ("email", "phone", "country")


def test_every_problem_is_reported_at_its_line_with_a_suggestion(tmp_path: Path) -> None:
    text = (
        GOOD.replace("weekly_regulars]", "weekly_regular]")
        .replace("normalize: email,", "normalize: emial,")
        .replace("traits: [country]", "traits: [contry]")
        .replace("batch_size: 500", "batch_sise: 500")
    )
    assert problems(tmp_path, text) == [
        "crm_webhook.yml:10: unknown key 'batch_sise' in destination of type webhook (expected "
        "one of: destination, type, description, owner, segments, identifiers, traits, "
        "batch_size, url, secret_env, timeout, max_attempts) (did you mean 'batch_size'?)",
        "crm_webhook.yml:5: unknown segment 'weekly_regular' (did you mean 'weekly_regulars'?)",
        "crm_webhook.yml:7: 'normalize' must be one of email, phone, trim, none, got str "
        "'emial' (did you mean 'email'?)",
        "crm_webhook.yml:9: unknown profile attribute 'contry' (not a column of raw.profiles) "
        "(did you mean 'country'?)",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("type: webhook", "type: kafka"), "crm_webhook.yml:2: unknown destination type 'kafka'"),
        (
            ("url: http://127.0.0.1:9000/hook", "url: ftp://host/x"),
            "crm_webhook.yml:3: 'url' must be an http:// or https:// address",
        ),
        (
            ("secret_env: CRM_WEBHOOK_SECRET", "secret_env: my secret"),
            "crm_webhook.yml:4: 'secret_env' names an environment variable",
        ),
        (
            ("batch_size: 500", "batch_size: 0"),
            "crm_webhook.yml:10: 'batch_size' must be a whole number from 1 to 100,000",
        ),
        (
            ("destination: crm_webhook", "destination: crm"),
            "crm_webhook.yml:1: destination 'crm' must live in a file named crm.yml",
        ),
        (
            ("country_code: 34", "country_code: '+34'"),
            "crm_webhook.yml:8: 'country_code' is 1 to 3 digits",
        ),
        (("hash: sha256", "hash: md5"), "crm_webhook.yml:7: 'hash' must be one of sha256, none"),
        (
            ("segments: [running_shoes_searchers, weekly_regulars]", "segments: all"),
            "crm_webhook.yml:5: 'segments' must be a list of segment names or \"*\"",
        ),
    ],
)
def test_a_bad_value_is_named_with_its_line(
    tmp_path: Path, change: tuple[str, str], expected: str
) -> None:
    found = problems(tmp_path, GOOD.replace(*change))
    assert len(found) == 1 and found[0].startswith(expected), found


def test_type_specific_keys_are_required_and_checked(tmp_path: Path) -> None:
    postgres = "destination: crm_db\ntype: postgres\nsegments: '*'\ntable: Members\nidentifiers: {email: {attribute: email}}\n"
    assert problems(tmp_path, postgres, "crm_db") == [
        "crm_db.yml:4: 'table' is a lowercase table name, optionally schema.table, got str 'Members'",
        "crm_db.yml:1: 'connection_env' is required: the environment variable holding the PostgreSQL connection string",
    ]
    files = "destination: out\ntype: file\nsegments: '*'\nformat: xlsx\nidentifiers: {email: {attribute: email}}\n"
    assert problems(tmp_path / "files", files, "out") == [
        "out.yml:1: 'folder' is the folder files are written to, got nothing",
        "out.yml:4: 'format' must be one of csv, jsonl, parquet, got str 'xlsx'",
    ]


def test_broken_yaml_and_duplicate_keys_are_errors_at_their_line(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD + "type: file\n") == [
        "crm_webhook.yml:11: duplicate key 'type': each key may appear once per mapping"
    ]
    assert problems(tmp_path, "destination: [a\n")[0].startswith("crm_webhook.yml:2: invalid YAML")


def project_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, destination: str) -> None:
    """A project of one segment and one destination, with no warehouse yet."""
    monkeypatch.setenv("SEGMENTS_DUCKDB_PATH", str(tmp_path / "warehouse" / "none.duckdb"))
    (tmp_path / "segments").mkdir()
    (tmp_path / "segments" / "weekly_regulars.yml").write_text(
        "segment: weekly_regulars\ndescription: Came back.\n"
        "condition: {event: '*', during: {last: 4w}}\n"
    )
    (tmp_path / "destinations").mkdir()
    (tmp_path / "destinations" / "crm_webhook.yml").write_text(destination)


def test_seg_sync_prints_the_problems_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project_with(tmp_path, monkeypatch, GOOD)
    assert main(["--project-dir", str(tmp_path), "sync"]) == 1
    printed = capsys.readouterr()
    assert printed.err.splitlines() == [
        "destinations/crm_webhook.yml:5: unknown segment 'running_shoes_searchers'",
        "nothing synced: fix the destinations above first",
    ]
    assert not (tmp_path / "warehouse").exists()


def test_seg_validate_checks_the_destinations_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project_with(tmp_path, monkeypatch, GOOD.replace("running_shoes_searchers, ", ""))
    assert main(["--project-dir", str(tmp_path), "validate"]) == 0
    (tmp_path / "destinations" / "crm_webhook.yml").write_text(
        GOOD.replace("type: webhook", "type: webhok")
    )
    capsys.readouterr()
    assert main(["--project-dir", str(tmp_path), "validate"]) == 1
    assert (
        "destinations/crm_webhook.yml:2: unknown destination type 'webhok'"
        in capsys.readouterr().err
    )


def test_seg_sync_on_a_warehouse_without_the_lifecycle_tables_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project_with(tmp_path, monkeypatch, GOOD.replace("running_shoes_searchers, ", ""))
    database = tmp_path / "warehouse" / "none.duckdb"
    database.parent.mkdir()
    con = duckdb.connect(str(database))
    con.execute("create schema segmentation")
    con.execute(
        "create table segmentation.evaluation_log as "
        "select 'e1' as evaluation_id, timestamp '2024-03-10' as as_of, 'success' as status"
    )
    con.close()
    assert main(["--project-dir", str(tmp_path), "sync"]) == 1
    err = capsys.readouterr().err
    assert "crm_webhook: cannot read what to send (Catalog Error" in err, err
    assert "run dbt build first" in err and "Traceback" not in err
