"""``scripts/seg``: validate and generate segment definitions, load data, make the demo store.

Exit codes: 0 ok, 1 findings or errors, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import console
from .generate import drift, render, write
from .language.resolve import Project, load_project
from .spark import add_target_option
from .warehouse import read_schema, warehouse_path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _load(root: Path, paths: list[str] | None = None) -> Project:
    files = None
    if paths:
        files = []
        for p in paths:
            path = Path(p)
            if path.is_dir():
                files.extend(sorted(q for q in path.rglob("*") if q.suffix in (".yml", ".yaml")))
            else:
                files.append(path)
    schema = read_schema(warehouse_path(root))
    return load_project(root, files, schema)


def _report(project: Project, as_json: bool) -> int:
    if as_json:
        print(
            json.dumps(
                {
                    "ok": not project.errors,
                    "segments": sorted(project.segments),
                    "propensity_models": sorted(project.models),
                    "warehouse_checked": project.schema is not None,
                    "diagnostics": [d.as_json() for d in project.diagnostics],
                },
                indent=2,
            )
        )
    else:
        for diagnostic in project.diagnostics:
            print(diagnostic, file=sys.stderr if diagnostic.severity == "error" else sys.stdout)
        if project.schema is None:
            print(
                "note: no warehouse with raw.events yet: columns, properties and event types "
                "were not checked",
                file=sys.stderr,
            )
    return 1 if project.errors else 0


def cmd_validate(args: argparse.Namespace) -> int:
    project = _load(args.project_dir, args.paths)
    if not args.paths:
        # with the segments, the destinations that deliver them (same file:line messages)
        from .activation.sync import destination_diagnostics

        project.diagnostics.extend(destination_diagnostics(args.project_dir, project))
    status = _report(project, args.json)
    if not args.json and status == 0:
        print(
            f"{len(project.segments)} segment definitions and {len(project.models)} propensity "
            "models are valid"
        )
    return status


def cmd_generate(args: argparse.Namespace) -> int:
    project = _load(args.project_dir)
    if project.errors:
        _report(project, False)
        print("nothing generated: fix the errors above first", file=sys.stderr)
        return 1
    for warning in project.warnings:
        print(warning)
    generated = render(project)
    if args.check:
        changes = drift(args.project_dir, generated)
        for label, paths in (
            ("stale", changes.stale),
            ("missing", changes.missing),
            ("orphaned", changes.orphaned),
        ):
            for path in paths:
                print(f"{path}: {label}", file=sys.stderr)
        if not changes.clean:
            print("generated models are out of date: run scripts/seg generate", file=sys.stderr)
            return 1
        print(f"generated models are current ({len(project.segments)} segments)")
        return 0
    changes = write(args.project_dir, generated)
    touched = len(changes.stale) + len(changes.missing) + len(changes.orphaned)
    print(f"generated the models of {len(project.segments)} segments ({touched} files changed)")
    return 0


def segment_records(project_dir: Path, target: str = "dev") -> list[dict] | None:
    """Every segment as the catalog last built it, with a stale flag, and the definitions not
    built yet; None (after saying why) when nothing was built."""
    from .generate import definition_hash

    rows = console.read_built(
        project_dir,
        "list",
        "segmentation.segment_catalog",
        "select segment, description, owner, tags, size, entered, exited, evaluated_at, "
        "definition_hash from segmentation.segment_catalog order by segment",
        target,
    )
    if rows is None:
        return None
    # Stale: the definition on disk differs from the one last built (or is gone / not built yet).
    # The definitions' hashes need no warehouse checks (and reading the schema samples events).
    definitions = load_project(project_dir).segments
    current = {name: definition_hash(d) for name, d in definitions.items()}
    built = {r[0] for r in rows}
    return [
        {
            "segment": r[0],
            "description": r[1],
            "owner": r[2],
            "tags": r[3] or [],
            "size": r[4],
            "entered": r[5],
            "exited": r[6],
            "evaluated_at": r[7],
            "stale": current.get(r[0]) != r[8],
        }
        for r in rows
    ] + [
        {
            "segment": name,
            "description": f"(not built yet) {definitions[name].description}",
            "owner": definitions[name].owner,
            "tags": list(definitions[name].tags),
            "size": None,
            "entered": None,
            "exited": None,
            "evaluated_at": None,
            "stale": True,
        }
        for name in sorted(set(current) - built)
    ]


def cmd_list(args: argparse.Namespace) -> int:
    records = segment_records(args.project_dir, args.dbt_target)
    if records is None:
        return 1
    if args.tag:
        records = [r for r in records if args.tag in r["tags"]]
    if args.json:
        print(json.dumps(records, default=str, indent=2))
        return 0
    headers = [
        "segment",
        "size",
        "entered",
        "exited",
        "owner",
        "tags",
        "evaluated at",
        "description",
    ]

    def number(value: int | None) -> str:
        return f"{value:,}" if value is not None else "-"

    table = [
        [
            r["segment"] + (" *" if r["stale"] else ""),
            number(r["size"]),
            number(r["entered"]),
            number(r["exited"]),
            r["owner"] or "",
            ", ".join(r["tags"]),
            str(r["evaluated_at"] or "")[:19],
            r["description"],
        ]
        for r in records
    ]
    print(console.table(headers, table))
    if any(r["stale"] for r in records):
        print(
            "\n* stale: the definition changed since the last build (run scripts/seg generate and dbt build)"
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="seg", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=PROJECT_ROOT,
        help="the dbt project root (default: this checkout)",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="VERB")

    validate = verbs.add_parser("validate", help="check definitions; print every error")
    validate.add_argument("paths", nargs="*", help="files or folders (default: segments/)")
    validate.add_argument("--json", action="store_true", help="machine-readable output")
    validate.set_defaults(func=cmd_validate)

    generate = verbs.add_parser("generate", help="write the thin dbt models for every definition")
    generate.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 when a generated file is stale or missing",
    )
    generate.set_defaults(func=cmd_generate)

    listing = verbs.add_parser("list", help="every segment with its size and description")
    listing.add_argument("--tag", help="only segments with this tag")
    listing.add_argument("--json", action="store_true", help="machine-readable output")
    add_target_option(listing, "dbt target whose catalog is listed")
    listing.set_defaults(func=cmd_list)

    from . import backfill, builder, demo_store, ingest, publish  # verbs live beside their code
    from .activation import sync
    from .customer_ai import report
    from .ui import serve as ui_serve

    builder.add_parsers(verbs)
    ui_serve.add_parser(verbs)
    ingest.add_parser(verbs)
    demo_store.add_parser(verbs)
    backfill.add_parser(verbs)
    publish.add_parser(verbs)
    report.add_parser(verbs)
    sync.add_parser(verbs)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.project_dir = args.project_dir.resolve()
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
