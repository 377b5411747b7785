"""``seg ui``: the JSON API over real HTTP (every endpoint, errors, conflicts, security refusals)
and the builder page end to end in Debian's chromium driven by Playwright."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness import ROOT, TempProject, warehouse_in_environment
from segkit.cli import main
from segkit.demo_store import DemoSpec, generate
from segkit.ui.app import create_app
from segkit.ui.rendering import WarmRenderer
from segkit.ui.service import Builder

pytestmark = pytest.mark.dbt

AS_OF = "2026-01-15T09:00:00"
SEGMENTS = ("running_shoes_searchers", "recent_big_spenders")
MODEL = "repurchase_90d"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "warehouse" / "test-artifacts"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TempProject]:
    project = TempProject(tmp_path_factory.mktemp("ui") / "project")
    generate(project.database, DemoSpec(2000, 80_000, 5, dt.date(2026, 1, 15), 300), quiet=True)
    for name in (*SEGMENTS, MODEL):
        shutil.copy(ROOT / "segments" / f"{name}.yml", project.root / "segments")
    project.generate()
    project.build(AS_OF, tests=False)
    with warehouse_in_environment(project.database):
        yield project


@pytest.fixture(scope="module")
def server(built: TempProject) -> Iterator[tuple[str, WarmRenderer]]:
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    renderer = WarmRenderer(built.root, built.database)
    app = create_app(Builder(built.root, built.database, renderer), "127.0.0.1", port)
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    while not instance.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", renderer
    instance.should_exit = True
    thread.join(10)
    renderer.close()


@pytest.fixture
def client(server: tuple[str, WarmRenderer]) -> Iterator[httpx.Client]:
    """A client with the page's session cookie and CSRF token, as the page sends them."""
    with httpx.Client(base_url=server[0], timeout=120) as session:
        page = session.get("/builder").text
        token = page.split('name="csrf-token" content="')[1].split('"')[0]
        session.headers["X-CSRF-Token"] = token
        yield session


def source(name: str) -> str:
    return (ROOT / "segments" / f"{name}.yml").read_text()


def test_segments_are_listed_with_their_built_sizes_and_served_with_their_version(
    built: TempProject, client: httpx.Client
) -> None:
    listed = {s["segment"]: s for s in client.get("/api/segments").json()["segments"]}
    assert set(SEGMENTS) <= set(listed)
    for name in SEGMENTS:
        assert listed[name]["size"] == len(built.members(name))
        assert listed[name]["stale"] is False
        assert listed[name]["sizes"][-1]["size"] == len(built.members(name))
    served = client.get("/api/segments/running_shoes_searchers").json()
    assert served["yaml"] == source("running_shoes_searchers")
    assert served["version"] == hashlib.sha256(served["yaml"].encode()).hexdigest()
    assert client.get("/api/segments/no_such_segment").status_code == 404
    assert client.get("/api/segments/Bad-Name").status_code == 400
    fields = client.get("/api/schema").json()
    assert "search" in fields["events"] and "term" in {p["name"] for p in fields["properties"]}
    country = next(a for a in fields["attributes"] if a["name"] == "country")
    assert country["type"] == "string" and country["values"]


def test_validation_names_the_line_and_key_of_each_problem(client: httpx.Client) -> None:
    draft = "segment: draft\ndescription: x\ncondition:\n  attribute: countri\n  equals: ES\n"
    answer = client.post("/api/validate", json={"yaml": draft}).json()
    assert answer["ok"] is False
    (problem,) = answer["diagnostics"]
    assert (problem["line"], problem["key"], problem["suggestion"]) == (4, "countri", "country")
    broken = client.post("/api/validate", json={"yaml": "segment: [\n"}).json()
    assert broken["ok"] is False and broken["diagnostics"][0]["line"] >= 1
    good = client.post("/api/validate", json={"yaml": source("running_shoes_searchers")})
    assert good.json() == {"ok": True, "diagnostics": []}
    assert client.post("/api/validate", json={"text": 1}).status_code == 400


def test_the_estimate_equals_the_built_tables_and_counts_every_node(
    built: TempProject, server: tuple[str, WarmRenderer], client: httpx.Client
) -> None:
    draft = (
        "segment: shoe_searchers_not_big_spenders\ndescription: x\ncondition:\n  all:\n"
        "    - in_segment: running_shoes_searchers\n"
        "    - not:\n        in_segment: recent_big_spenders\n"
    )
    answer = client.post("/api/preview", json={"yaml": draft, "as_of": AS_OF}).json()
    shoes, spenders = built.members(SEGMENTS[0]), built.members(SEGMENTS[1])
    assert answer["size"] == len(shoes - spenders) and answer["sampled"] is False
    counts = {node["id"]: node["count"] for node in answer["nodes"]}
    evaluated = answer["evaluated"]
    assert counts == {
        0: len(shoes - spenders),
        1: len(shoes),
        2: evaluated - len(spenders),
        3: len(spenders),
    }
    assert [node["depth"] for node in answer["nodes"]] == [0, 1, 1, 2]
    assert set(answer["profiles"]) <= shoes - spenders and answer["profiles"]
    # The same draft again is not rendered again; the as_of defaults to the last evaluation.
    renders = server[1].renders
    again = client.post("/api/preview", json={"yaml": draft}).json()
    assert server[1].renders == renders and again["as_of"] == AS_OF
    sampled = client.post("/api/preview", json={"yaml": draft, "sample": 50}).json()
    assert sampled["sampled"] and sampled["ci_low"] <= sampled["size"] <= sampled["ci_high"]
    refused = client.post("/api/preview", json={"yaml": draft.replace("all:", "al:")})
    assert refused.status_code == 422 and refused.json()["diagnostics"]


def test_explain_gives_the_tree_for_a_member_and_a_non_member(
    built: TempProject, client: httpx.Client
) -> None:
    shoes = sorted(built.members("running_shoes_searchers"))
    member = client.post(
        "/api/explain", json={"name": "running_shoes_searchers", "profile_id": shoes[0]}
    ).json()
    assert member["member"] is True and member["condition"]["holds"] is True
    (step,) = member["condition"]["observed"]["steps"]
    assert step["step"] == 1 and step["chain_ends"] >= 1 and step["last"] <= AS_OF.replace("T", " ")
    searches = (
        "segment: searches\ndescription: x\ncondition:\n  event: search\n"
        "  during: {last: 30d}\n  count: {gte: 1}\n"
    )
    counted = client.post(
        "/api/explain", json={"yaml": searches, "profile_id": shoes[0], "as_of": AS_OF}
    ).json()["condition"]["observed"]
    expected = built.query(
        "select count(*) from raw.events where profile_id = ? and event_type = 'search' "
        "and event_ts > ?::timestamp - interval 30 day and event_ts <= ?::timestamp",
        [shoes[0], AS_OF, AS_OF],
    )[0][0]
    assert (counted["function"], counted["value"]) == ("count", expected)
    assert counted["window"] == {
        "lower": "2025-12-16 09:00:00",
        "lower_inclusive": False,
        "upper": "2026-01-15 09:00:00",
        "upper_inclusive": True,
    }
    outsider = next(p for p in built.members("recent_big_spenders") if p not in set(shoes))
    other = client.post(
        "/api/explain", json={"yaml": source("running_shoes_searchers"), "profile_id": outsider}
    ).json()
    assert other["member"] is False and other["condition"]["holds"] is False


def test_saving_checks_the_version_the_name_and_the_definition(
    built: TempProject, client: httpx.Client
) -> None:
    draft = (
        source("running_shoes_searchers")
        .replace("segment: running_shoes_searchers", "segment: saved_by_the_page")
        .replace("Searched", "<script>alert(1)</script> Searched")
    )
    saved = client.put("/api/segments/saved_by_the_page", json={"yaml": draft, "version": None})
    assert saved.status_code == 200, saved.text
    path = built.root / "segments" / "saved_by_the_page.yml"
    assert path.read_text() == draft and saved.json()["generated"] is True
    assert main(["--project-dir", str(built.root), "generate", "--check"]) == 0
    again = client.put("/api/segments/saved_by_the_page", json={"yaml": draft, "version": None})
    assert again.status_code == 409
    stale = client.put("/api/segments/saved_by_the_page", json={"yaml": draft, "version": "0" * 64})
    assert stale.status_code == 409
    renamed = client.put("/api/segments/other_name", json={"yaml": draft, "version": None})
    assert renamed.status_code == 422
    for name, status in (("..hidden", 400), ("Bad.Name", 400), ("a%2F..%2F..%2Fb", 404)):
        refused = client.put(f"/api/segments/{name}", json={"yaml": draft, "version": None})
        assert refused.status_code == status, name
    assert sorted(p.name for p in built.root.rglob("*.yml") if p.stem == "b") == []
    broken = client.put(
        "/api/segments/saved_by_the_page",
        json={"yaml": draft.replace("steps:", "stepz:"), "version": saved.json()["version"]},
    )
    assert broken.status_code == 422 and path.read_text() == draft
    page = client.get("/").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page
    path.unlink()


def test_the_compiled_sql_overlap_and_model_insights_agree_with_the_tables(
    built: TempProject, client: httpx.Client
) -> None:
    import duckdb

    sql = client.post("/api/sql", json={"yaml": source("running_shoes_searchers")}).json()["sql"]
    con = duckdb.connect(str(built.database), read_only=True)
    try:
        members = {row[1] for row in con.execute(sql).fetchall()}
    finally:
        con.close()
    assert members == built.members("running_shoes_searchers")
    shoes, spenders = (built.members(name) for name in SEGMENTS)
    overlap = client.get("/api/overlap", params={"segments": ",".join(SEGMENTS)}).json()
    assert overlap["sizes"] == {SEGMENTS[0]: len(shoes), SEGMENTS[1]: len(spenders)}
    assert overlap["pairs"][0]["intersection"] == len(shoes & spenders)
    assert client.get("/api/overlap", params={"segments": SEGMENTS[0]}).status_code == 400
    (model,) = client.get("/api/models").json()["models"]
    latest = model["latest"]
    assert model["model"] == MODEL and 0.5 < latest["auc"] <= 1
    assert [d["decile"] for d in latest["deciles"]] == list(range(1, 11))
    scored = built.query("select count(*) from segmentation.propensity_scores")[0][0]
    assert sum(band["profiles"] for band in model["score_bands"]) == scored
    assert {f["bucket"] for f in model["factors"]} <= {"all", "high", "medium", "low"}
    page = client.get("/models").text
    assert f'data-model="{MODEL}"' in page and "Lift by decile" in page


def test_requests_from_elsewhere_are_refused(server: tuple[str, WarmRenderer]) -> None:
    base = server[0]
    with httpx.Client(base_url=base) as anonymous:
        assert anonymous.post("/api/validate", json={"yaml": "x"}).status_code == 403
        assert anonymous.get("/api/segments", headers={"Host": "evil.example"}).status_code == 421
    with httpx.Client(base_url=base) as session:
        token = session.get("/").text.split('csrf-token" content="')[1].split('"')[0]
        headers = {"X-CSRF-Token": token}
        ok = session.post("/api/validate", json={"yaml": "x"}, headers=headers)
        assert ok.status_code == 200
        foreign = {**headers, "Origin": "http://evil.example"}
        assert session.post("/api/validate", json={"yaml": "x"}, headers=foreign).status_code == 403
        wrong = {"X-CSRF-Token": "0" * 64}
        assert session.post("/api/validate", json={"yaml": "x"}, headers=wrong).status_code == 403


def test_a_running_build_makes_the_page_say_so(built: TempProject, client: httpx.Client) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
            "print('open', flush=True); time.sleep(60)",
            str(built.database),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
        draft = source("running_shoes_searchers").replace("30d", "29d")
        answer = client.post("/api/preview", json={"yaml": draft, "as_of": AS_OF})
        assert answer.status_code == 503 and "evaluation running" in answer.json()["error"]
    finally:
        holder.kill()
        holder.wait()


def test_a_marketer_builds_the_seed_segment_by_clicking(
    built: TempProject, server: tuple[str, WarmRenderer]
) -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true" or os.environ.get("SEGMENTS_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium)")
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{server[0]}/builder")
        page.get_by_test_id("doc.segment").fill("shoe_searchers_by_click")
        page.get_by_test_id("doc.segment").press("Tab")
        page.get_by_test_id("doc.description").fill("Searched for running shoes, no purchase since")
        page.get_by_test_id("doc.description").press("Tab")
        page.get_by_test_id("c:add").select_option("sequence")
        step = "c.0.sequence.steps.0"
        page.get_by_test_id(f"{step}.event").fill("search")
        page.get_by_test_id(f"{step}.event").press("Tab")
        page.get_by_test_id(f"{step}:add-key").select_option("where")
        page.get_by_test_id(f"{step}.where.property").fill("term")
        page.get_by_test_id(f"{step}.where.property").press("Tab")
        page.get_by_test_id(f"{step}.where.equals:op").select_option("contains")
        page.get_by_test_id(f"{step}.where.contains").fill("running shoes")
        page.get_by_test_id(f"{step}.where.contains").press("Tab")
        page.get_by_test_id(f"{step}.where:add-key").select_option("ignore_case")
        page.get_by_test_id("c.0.sequence:add-key").select_option("then_not")
        page.get_by_test_id("c.0.sequence.then_not.event").fill("purchase")
        page.get_by_test_id("c.0.sequence.then_not.event").press("Tab")
        expect(page.get_by_test_id("diagnostics")).to_have_text("valid", timeout=10_000)
        assert "contains: running shoes" in page.get_by_test_id("yaml").input_value()

        page.get_by_test_id("estimate").click()
        size = page.get_by_test_id("size")
        expect(size).to_be_visible(timeout=60_000)
        members = built.members("running_shoes_searchers")
        assert int(size.get_attribute("data-size") or -1) == len(members)
        page.screenshot(path=str(ARTIFACTS / "builder-estimate.png"), full_page=True)

        first = sorted(members)[0]
        page.get_by_test_id(f"member.{first}").click()
        expect(page.get_by_test_id("verdict")).to_have_attribute("data-member", "true")
        outsider = next(p for p in sorted(built.members("recent_big_spenders")) if p not in members)
        page.get_by_test_id("profile").fill(outsider)
        page.get_by_test_id("explain").click()
        expect(page.get_by_test_id("verdict")).to_have_attribute("data-member", "false")
        page.screenshot(path=str(ARTIFACTS / "builder-explain.png"), full_page=True)

        page.get_by_test_id("save").click()
        expect(page.get_by_test_id("status")).to_contain_text("saved", timeout=30_000)
        saved = built.root / "segments" / "shoe_searchers_by_click.yml"
        assert saved.exists()
        page.goto(server[0] + "/")
        expect(page.locator('tr[data-segment="shoe_searchers_by_click"]')).to_be_visible()
        for name in SEGMENTS:
            page.get_by_test_id(f"pick.{name}").check()
        page.get_by_test_id("overlap").click()
        both = len(members & built.members(SEGMENTS[1]))
        expect(page.locator("[data-intersection]").first).to_have_attribute(
            "data-intersection", str(both)
        )
        page.screenshot(path=str(ARTIFACTS / "audiences.png"), full_page=True)

        # A field dragged onto a container of a new draft lands in it.
        page.goto(f"{server[0]}/builder")
        page.get_by_test_id("c:add").select_option("any")
        page.get_by_test_id("field.event.purchase").drag_to(page.get_by_test_id("c.0:box"))
        expect(page.get_by_test_id("yaml")).to_have_value(
            re.compile(r"any:\n\s+- event: purchase"), timeout=10_000
        )
        browser.close()
    # dbt build materializes the segment saved by the page: the seed's members, exactly.
    built.build(AS_OF, tests=False)
    assert built.members("shoe_searchers_by_click") == members
    saved.unlink()


def test_a_newer_estimate_interrupts_the_one_still_running(built: TempProject) -> None:
    from segkit.engine import query_records
    from segkit.ui.service import Problem

    renderer = WarmRenderer(built.root, built.database)
    builder = Builder(built.root, built.database, renderer)
    endless = "select count(*) from range(1000000000000) as t(i) where i % 7 = 3"
    outcome: dict[str, object] = {}

    def stale() -> None:
        try:
            outcome["answer"] = builder._latest(lambda: query_records(built.root, "dev", endless))
        except Problem as problem:
            outcome["status"] = problem.status

    thread = threading.Thread(target=stale)
    thread.start()
    deadline = time.monotonic() + 30
    while builder._running is None and time.monotonic() < deadline:
        time.sleep(0.01)
    fresh: dict[str, object] = {}
    newer = threading.Thread(
        target=lambda: fresh.update(builder.preview(source("running_shoes_searchers"), as_of=AS_OF))
    )
    newer.start()
    newer.join(20)
    waited = newer.is_alive()
    if waited:  # the stale query was not interrupted: stop it before failing
        builder._running.interrupt()
        newer.join(30)
    thread.join(30)
    renderer.close()
    assert not waited and outcome == {"status": 409}
    assert fresh["size"] == len(built.members("running_shoes_searchers"))
