"""The YAML front end never crashes: mutated demo definitions get diagnostics, not tracebacks.

Each document is a demo definition with one to three mutations (lines deleted, duplicated,
swapped or re-indented, values replaced by junk of every YAML type, keys renamed, characters
inserted, the text cut short). It runs through everything a user's file meets before dbt: the
parser, the project passes against a warehouse schema, and the generator, whose files must encode
as UTF-8. ``SEGMENTS_FUZZ_DOCUMENTS=10000`` runs a longer soak (the default suits ``make test``).
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

from segkit.demo_store import DemoSpec, generate
from segkit.generate import render
from segkit.language import nodes as n
from segkit.language.parse import parse_text
from segkit.language.resolve import Project, add_definition, run_passes
from segkit.warehouse import WarehouseSchema, read_schema

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = int(os.environ.get("SEGMENTS_FUZZ_DOCUMENTS", "5000"))
SEED = int(os.environ.get("SEGMENTS_FUZZ_SEED", "20261202"))

# One value of every YAML type, and the malformed ones people paste by accident.
JUNK = [
    "~",
    "null",
    "true",
    "no",
    "0",
    "-1",
    "3.5",
    "1e309",
    "-.inf",
    ".nan",
    "99999999999999999999999",
    "0x1F",
    "0o17",
    "''",
    '"x"',
    "2024-02-30",
    "2024-01-01T25:61:00",
    "2024-01-01",
    "2024-01-01T00:00:00+05:00",
    "2024-01-01 10:00:00Z",
    "[]",
    "{}",
    "[1, [2, {a: b}]]",
    "{a: {b: c}}",
    "!!binary aGVsbG8=",
    "!!set {a, b}",
    "!!omap [a: 1]",
    "!!python/object:os.system x",
    "&anchor x",
    "*anchor",
    "*undefined",
    '"\\ud800"',
    "|\n  folded text",
    "!!float 1",
    "!!float abc",
    "!!int 12x",
    "!!bool maybe",
    "!!timestamp x",
    "!!map [1]",
    "!!str 12",
    "30d",
    "-5d",
    "0d",
    "999999999999d",
    "'{{ ref(\"x\") }}'",
    '"\'; drop table x; --"',
    "'(a*)*b'",
    "'['",
    "[gold, 1, true, null]",
    "[2024-01-01, 2024-01-01T00:00:00+01:00]",
    "[1, '2']",
]
INSERTED = [*"\t{}[]&*:#'\"!|>%@`,-?\\", "\x00", "\ufeff", "\u2028", "\U0001f600", "\r"]
KEYS = ["all", "any", "not", "event", "attribute", "sequence", "steps", "during", "within"]
KEYS += ["then_not", "where", "property", "count", "sum", "of", "gte", "in", "between"]
KEYS += ["last", "since", "splits", "percent", "propensity", "bucket", "sql", "<<", "1", "~"]
VALUE = re.compile(r"^(\s*(?:- )?[^:#\s][^:#]*:\s)(.+)$")
KEY = re.compile(r"^(\s*(?:- )?)([A-Za-z_<][\w<]*)(:.*)$")


def mutate(text: str, rng: random.Random) -> str:
    """One to three random edits of a definition's text."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines)) if lines else 0
        action = rng.randrange(9)
        if not lines:
            lines = [rng.choice(JUNK)]
        elif action == 0:
            del lines[i]
        elif action == 1:
            lines.insert(i, lines[i])
        elif action == 2:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif action in (3, 4):
            match = VALUE.match(lines[i])
            if match:
                lines[i] = match.group(1) + rng.choice(JUNK)
            else:
                lines[i] = lines[i] + " " + rng.choice(JUNK)
        elif action == 5:
            match = KEY.match(lines[i])
            if match:
                lines[i] = match.group(1) + rng.choice(KEYS) + match.group(3)
        elif action == 6:
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + rng.choice(INSERTED) + lines[i][at:]
        elif action == 7:
            lines[i] = (
                (" " * rng.choice((1, 2, 4)) + lines[i])
                if rng.random() < 0.6
                else lines[i].lstrip()
            )
        else:
            lines = lines[: rng.randrange(len(lines) + 1)]
    return "\n".join(lines)


def demo_schema(folder: Path) -> WarehouseSchema:
    """The columns, properties and event types of a small demo store, as the CLI reads them."""
    database = folder / "demo.duckdb"
    generate(database, DemoSpec(profiles=300, events=8_000, seed=3), quiet=True)
    schema = read_schema(database)
    assert schema is not None
    return schema


class FrontEnd:
    """Everything a file meets before dbt, with the other demo definitions parsed once."""

    def __init__(self, originals: dict[Path, str], schema: WarehouseSchema):
        self.file_names = {p.stem for p in originals}
        self.parsed = {path: parse_text(text, path)[0] for path, text in originals.items()}
        self.schema = schema

    def run(self, path: Path, text: str) -> list[str]:
        """The diagnostics of one file among the others."""
        definition, diagnostics = parse_text(text, path)
        for item in diagnostics.items:
            assert isinstance(item.line, int) and item.line >= 1, item
            assert isinstance(item.key, str) and item.message, item
        project = Project(root=ROOT, file_names=self.file_names)
        for other, parsed in self.parsed.items():
            if other != path and parsed is not None:
                add_definition(project, parsed)
        if definition is None:
            run_passes(project)
            return [str(d) for d in diagnostics.items]
        add_definition(project, definition)
        run_passes(project)
        # The schema pass and the generator on the mutated definition and what it references.
        alone = Project(root=ROOT, schema=self.schema, file_names=self.file_names)
        add_definition(alone, definition)
        if isinstance(definition, n.SegmentDefinition):
            for name in definition.referenced_segments():
                if name in project.segments:
                    add_definition(alone, project.segments[name])
            for name in definition.referenced_models():
                if name in project.models:
                    add_definition(alone, project.models[name])
        run_passes(alone)
        if not project.errors and not alone.errors:
            for content in render(alone).files.values():
                content.encode("utf-8")
        return [str(d) for d in (*diagnostics.items, *project.diagnostics, *alone.diagnostics)]


def test_mutated_definitions_get_diagnostics_never_exceptions(tmp_path: Path) -> None:
    originals = {
        Path("segments") / p.name: p.read_text(encoding="utf-8")
        for p in sorted((ROOT / "segments").glob("*.yml"))
    }
    paths = sorted(originals)
    front_end = FrontEnd(originals, demo_schema(tmp_path))
    rng = random.Random(SEED)
    escaped: list[tuple[str, str, str]] = []
    diagnosed = 0
    for _ in range(DOCUMENTS):
        path = rng.choice(paths)
        text = mutate(originals[path], rng)
        try:
            diagnosed += bool(front_end.run(path, text))
        except Exception as exc:  # every escape is collected, then reported at once
            escaped.append((str(path), text, f"{type(exc).__name__}: {exc}"))
    assert not escaped, "\n\n".join(f"{p}: {e}\n{t}" for p, t, e in escaped[:5]) + (
        f"\n\n{len(escaped)} of {DOCUMENTS} documents raised"
    )
    # The mutations really break files: most get at least one diagnostic.
    assert diagnosed > DOCUMENTS // 2


def test_files_nobody_writes_on_purpose_get_one_clear_error(tmp_path: Path) -> None:
    from segkit.language.parse import parse_file

    cases = {
        "empty": (b"", "a segment file is a mapping"),
        "utf16": ("segment: a\n".encode("utf-16"), "cannot read the file"),
        "nested": (
            (
                "segment: a\ndescription: x\ncondition: " + "{not: " * 100 + "{}" + "}" * 100
            ).encode(),
            "nested more than 64 levels deep",
        ),
        "laughs": (
            (
                "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                + "".join(
                    f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
                    for p, c in zip("abcdefg", "bcdefgh", strict=True)
                )
            ).encode(),
            "expands to more than 100,000 values",
        ),
        "date": (b"segment: a\ndescription: x\ncondition:\n  since: 2023-02-29\n", "2023-02-29"),
        "tag": (b"segment: a\ndescription: !!float abc\n", "'abc' is not a valid float"),
        "huge": (b"segment: a\ndescription: " + b"x" * 1_100_000 + b"\n", "larger than"),
    }
    for name, (content, expected) in cases.items():
        path = tmp_path / f"{name}.yml"
        path.write_bytes(content)
        definition, diagnostics = parse_file(path)
        assert definition is None, name
        messages = [str(d) for d in diagnostics.items]
        assert len(messages) >= 1 and expected in messages[0], (name, messages)
