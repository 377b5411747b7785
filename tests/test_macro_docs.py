"""Every dispatched macro (what a second adapter implements) is documented in macros/_macros.yml
with the arguments it really takes, and so are the per-kind dispatchers."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "macros").rglob("*.sql")))
DOCUMENTED = {
    m["name"]: [a["name"] for a in m.get("arguments", [])]
    for m in yaml.safe_load((ROOT / "macros" / "_macros.yml").read_text(encoding="utf-8"))["macros"]
}


def signature(name: str) -> list[str]:
    match = re.search(rf"{{%-?\s*macro {name}\(([^)]*)\)", SOURCES)
    assert match, f"no macro {name}"
    return [a.split("=")[0].strip() for a in match.group(1).split(",") if a.strip()]


def test_every_dispatched_macro_is_documented_with_its_arguments() -> None:
    dispatched = set(re.findall(r"adapter\.dispatch\('([a-z_]+)'", SOURCES))
    dispatched |= {"_segments_condition", "_segments_observed", "_segments_observed_fields"}
    missing = sorted(dispatched - set(DOCUMENTED))
    assert not missing, f"undocumented in macros/_macros.yml: {missing}"
    for name in sorted(dispatched):
        assert DOCUMENTED[name] == signature(name), name
