"""The segment builder verbs on a fixture store: new, compile, preview (exact and sampled),
overlap, list; text and JSON output; exit codes; --help."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import duckdb
import pytest

from harness import ROOT, TempProject, warehouse_in_environment
from segkit.cli import build_parser, main
from segkit.demo_store import DemoSpec, generate
from segkit.preview import wilson

pytestmark = pytest.mark.dbt

AS_OF = "2026-01-15T09:00:00"
SEGMENTS = ("weekly_regulars", "email_engaged", "recent_big_spenders", "cart_abandoners_es")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    project = TempProject(tmp_path_factory.mktemp("builder") / "project")
    generate(project.database, DemoSpec(2000, 80_000, 5, dt.date(2026, 1, 15), 300), quiet=True)
    for name in SEGMENTS:
        (project.root / "segments" / f"{name}.yml").write_text(
            (ROOT / "segments" / f"{name}.yml").read_text()
        )
    project.generate()
    project.build(AS_OF, tests=False)
    with warehouse_in_environment(project.database):
        yield project


def run(
    project: TempProject, capsys: pytest.CaptureFixture[str], *args: str
) -> tuple[int, str, str]:
    status = main(["--project-dir", str(project.root), *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_every_verb_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    verbs = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {
        "validate",
        "generate",
        "new",
        "compile",
        "preview",
        "overlap",
        "list",
        "load",
        "demo",
        "backfill",
        "publish",
    } <= set(verbs)
    for verb in verbs:
        with pytest.raises(SystemExit) as exit_:
            main([verb, "--help"])
        assert exit_.value.code == 0
        assert "usage: seg" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_:
        main(["no-such-verb"])
    assert exit_.value.code == 2


def test_new_scaffolds_a_valid_definition(
    built: TempProject, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(built, capsys, "new", "my_first_segment")
    assert status == 0 and "segments/my_first_segment.yml" in out
    assert (
        run(built, capsys, "validate", str(built.root / "segments" / "my_first_segment.yml"))[0]
        == 0
    )
    assert run(built, capsys, "new", "my_first_segment")[0] == 1  # never overwrites
    assert run(built, capsys, "new", "Bad-Name")[0] == 2
    (built.root / "segments" / "my_first_segment.yml").unlink()


def test_validate_json_reports_errors_with_lines(
    built: TempProject, capsys: pytest.CaptureFixture[str]
) -> None:
    draft = built.root / "segments" / "broken.yml"
    draft.write_text(
        "segment: broken\ndescription: d\ncondition: {attribute: contry, equals: ES}\n"
    )
    try:
        status, out, _ = run(built, capsys, "validate", "--json", str(draft))
    finally:
        draft.unlink()
    report = json.loads(out)
    assert status == 1 and report["ok"] is False
    assert report["diagnostics"][0] | {} == {
        "file": "segments/broken.yml",
        "line": 3,
        "key": "contry",
        "message": "unknown profile column 'contry'",
        "suggestion": "country",
        "severity": "error",
    }


def test_compile_prints_the_models_sql(
    built: TempProject, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = run(built, capsys, "compile", "weekly_regulars", "--as-of", AS_OF)
    assert status == 0
    assert "int_profiles__evaluated" in out and "SELECT" in out
    assert run(built, capsys, "compile", "no_such_segment")[0] == 1


def test_preview_exact_size_equals_the_built_table(
    built: TempProject, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("weekly_regulars", "cart_abandoners_es"):
        status, out, _ = run(
            built, capsys, "preview", name, "--as-of", AS_OF, "--json", "--limit", "3"
        )
        result = json.loads(out)
        members = built.members(name)
        assert status == 0 and result["sampled"] is False
        assert result["size"] == len(members) == result["ci_low"] == result["ci_high"]
        assert result["profiles"] == sorted(members)[:3]
    status, out, _ = run(built, capsys, "preview", "weekly_regulars", "--as-of", AS_OF)
    assert out.startswith(f"weekly_regulars: {len(built.members('weekly_regulars')):,} members of ")


def test_preview_works_on_a_draft_that_was_never_built(
    built: TempProject, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    draft = tmp_path / "draft_buyers.yml"
    draft.write_text(
        "segment: draft_buyers\ndescription: d\ncondition:\n  all:\n"
        "    - {event: purchase, during: {last: 30d}}\n    - {in_segment: weekly_regulars}\n"
    )
    status, out, _ = run(built, capsys, "preview", str(draft), "--as-of", AS_OF, "--json")
    expected = {
        r[0]
        for r in built.query(
            "select distinct e.profile_id from raw.events e join segments.weekly_regulars w using (profile_id) "
            "where e.event_type = 'purchase' and e.event_ts > ? and e.event_ts <= ?",
            [dt.datetime(2025, 12, 16, 9), dt.datetime(2026, 1, 15, 9)],
        )
    }
    assert status == 0 and json.loads(out)["size"] == len(expected) > 0
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "segment: bad\ndescription: d\ncondition: {event: purchase, during: {lats: 7d}}\n"
    )
    status, _, err = run(built, capsys, "preview", str(bad))
    assert status == 1 and "unknown key 'lats' in window 'during'" in err and "Traceback" not in err


def test_sampled_preview_intervals_cover_the_true_size(
    built: TempProject, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = len(built.members("weekly_regulars"))
    status, out, _ = run(
        built, capsys, "preview", "weekly_regulars", "--as-of", AS_OF, "--sample", "20", "--json"
    )
    result = json.loads(out)
    assert status == 0 and result["sampled"] is True
    assert result["ci_low"] <= truth <= result["ci_high"] and 0 < result["sample_size"] < 2000
    # Coverage over many seeds: the same compiled query with the seed in its salt changed (one
    # dbt compile instead of one per trial).
    from segkit.dbt_bridge import compile_preview

    class Args:
        project_dir, as_of, seed = built.root, AS_OF, 0

    from segkit.builder import load_definition

    class Named(Args):
        segment = "weekly_regulars"

    sql = compile_preview(Args, load_definition(Named), 20)
    assert "'sample:0:'" in sql
    con = duckdb.connect(str(built.database), read_only=True)
    population = con.execute(
        f"select count(*) from ({sql.replace('< 2000', '< 10000')})"
    ).fetchone()[0]
    covered = 0
    trials = 200
    for seed in range(trials):
        members, sampled = con.execute(
            f"select count(*) filter (where is_member), count(*) from ({sql.replace(chr(39) + 'sample:0:', chr(39) + f'sample:{seed}:')})"
        ).fetchone()
        low, high = wilson(members, sampled)
        covered += population * low <= truth <= population * high
    con.close()
    assert covered / trials >= 0.9, covered  # 95% nominal; observed in the note


def test_overlap_text_and_json(built: TempProject, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(built, capsys, "overlap", "weekly_regulars", "email_engaged", "--json")
    found = json.loads(out)
    a, b = built.members("weekly_regulars"), built.members("email_engaged")
    assert status == 0 and found["sizes"] == {"weekly_regulars": len(a), "email_engaged": len(b)}
    assert found["pairs"] == [
        {
            "a": "weekly_regulars",
            "b": "email_engaged",
            "intersection": len(a & b),
            "jaccard": round(len(a & b) / len(a | b), 4),
        }
    ]
    status, out, _ = run(
        built, capsys, "overlap", "weekly_regulars", "email_engaged", "recent_big_spenders"
    )
    assert status == 0 and "diagonal: size" in out
    assert run(built, capsys, "overlap", "weekly_regulars")[0] == 2
    assert run(built, capsys, "overlap", "weekly_regulars", "nope")[0] == 1


def test_list_text_json_and_tags(built: TempProject, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(built, capsys, "list", "--json", "--tag", "email")
    rows = json.loads(out)
    assert status == 0 and {r["segment"] for r in rows} == {"email_engaged", "cart_abandoners_es"}
    assert all(r["size"] == len(built.members(r["segment"])) for r in rows)
    status, out, _ = run(built, capsys, "list")
    assert status == 0 and out.splitlines()[0].split()[:4] == [
        "segment",
        "size",
        "entered",
        "exited",
    ]


@pytest.mark.parametrize("segment", SEGMENTS)
def test_explain_agrees_with_the_membership_tables(
    built: TempProject, capsys: pytest.CaptureFixture[str], segment: str
) -> None:
    members = built.members(segment)
    everyone = {
        r[0] for r in built.query("select profile_id from intermediate.int_profiles__evaluated")
    }
    for profile_id in (min(members), min(everyone - members)):
        status, out, _ = run(
            built, capsys, "explain", segment, profile_id, "--as-of", AS_OF, "--json"
        )
        result = json.loads(out)
        assert status == 0 and result["member"] == (profile_id in members)
        assert result["condition"]["holds"] == result["member"]
        assert "holds" in json.dumps(result["condition"])


def test_explain_text_shows_every_node_with_observations(
    built: TempProject, capsys: pytest.CaptureFixture[str]
) -> None:
    member = min(built.members("cart_abandoners_es"))
    status, out, _ = run(built, capsys, "explain", "cart_abandoners_es", member, "--as-of", AS_OF)
    lines = out.splitlines()
    assert status == 0 and lines[0] == f"{member} is a member of cart_abandoners_es"
    assert lines[1] == "\u2713 all"
    assert lines[2].startswith("  \u2713 attribute country in ['ES', 'MX']   [")
    assert (
        lines[3].startswith("  \u2713 sequence   [step 1: ")
        and "chain end(s), last 2026-01-" in lines[3]
    )
    assert lines[4:] == ["  \u2713 not", "    \u2717 in segment recent_big_spenders"]
    status, out, _ = run(built, capsys, "explain", "cart_abandoners_es", "nobody", "--as-of", AS_OF)
    assert status == 0 and "nobody is not a member" in out and "not evaluated" in out
