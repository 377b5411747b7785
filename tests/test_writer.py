"""The YAML writer the builder page saves with: writing a document and parsing it again is the
identity, for random valid definitions and for text YAML would read as something else."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from language_strategies import AS_OFS, conditions
from segkit.language.parse import parse_text
from segkit.language.writer import has_comments, write_document
from segkit.language.yamlsource import load_located

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]

# Strings YAML would read as booleans, nulls, numbers or dates, or that break plain scalars.
AMBIGUOUS = [
    "yes",
    "No",
    "on",
    "OFF",
    "null",
    "~",
    "",
    "007",
    "1e3",
    "0x1F",
    ".inf",
    "2026-01-01",
    "12:30",
    "- item",
    "a: b",
    "# not a comment",
    "it's",
    'say "hi"',
    " padded ",
    "multi\nline",
    "tab\there",
    "ñandú",
    "emoji 🎯",
    "{flow}",
    "[list]",
    "&anchor",
    "*alias",
    "!tag",
    "%",
    "@",
]
hostile_text = st.one_of(st.sampled_from(AMBIGUOUS), st.text(max_size=30))


@st.composite
def documents(draw: st.DrawFn) -> dict:
    as_of = draw(st.sampled_from(AS_OFS))
    condition = draw(conditions(as_of, ["other_segment"]))
    if draw(st.booleans()):
        condition = {"all": [condition, {"attribute": "country", "equals": draw(hostile_text)}]}
    document = {"segment": "draft", "description": draw(hostile_text), "condition": condition}
    if draw(st.booleans()):
        document["owner"] = draw(hostile_text)
    if draw(st.booleans()):
        document["tags"] = draw(st.lists(st.sampled_from(["email", "vip", "q4"]), max_size=3))
    return document


@settings(max_examples=int(os.environ.get("SEGMENTS_WRITER_EXAMPLES", "300")), deadline=None)
@given(documents())
def test_writing_then_parsing_a_document_gives_it_back(document: dict) -> None:
    text = write_document(document)
    assert load_located(text) == document
    # The typed tree and the findings equal those of the same document written by PyYAML's
    # default writer (an independent one): the writer neither loses nor changes anything.
    path = Path("segments/draft.yml")
    written, written_findings = parse_text(text, path)
    original, original_findings = parse_text(yaml.safe_dump(document), path)
    assert [d.message for d in written_findings.items] == [
        d.message for d in original_findings.items
    ]
    assert (written is None) == (original is None)
    if written is not None and original is not None:
        assert written.condition == original.condition
        assert (written.description, written.owner, written.tags) == (
            original.description,
            original.owner,
            original.tags,
        )


def test_every_demo_definition_is_written_back_as_it_reads() -> None:
    for path in sorted((ROOT / "segments").glob("*.yml")):
        document = load_located(path.read_text())
        assert load_located(write_document(document)) == document, path.name


def test_comments_are_noticed_before_writing_would_drop_them() -> None:
    assert has_comments("segment: vip\n# who we love\ncondition:\n  in_segment: a\n")
    assert has_comments("tags: [a]  # later more")
    assert not has_comments(write_document({"segment": "vip", "description": "no #1 fans"}))
