"""``scripts/seg ui [--host 127.0.0.1] [--port 8765]``: serve the builder page until Ctrl-C."""

from __future__ import annotations

import argparse
import sys

from ..warehouse import warehouse_path


def cmd_ui(args: argparse.Namespace) -> int:
    try:
        import uvicorn
    except ImportError:
        print("seg ui: uvicorn is missing: run make venv", file=sys.stderr)
        return 1
    from .app import create_app
    from .rendering import WarmRenderer
    from .service import Builder

    warehouse = warehouse_path(args.project_dir)
    if not warehouse.exists():
        print(
            f"seg ui: no warehouse at {warehouse}: run make demo or dbt build first",
            file=sys.stderr,
        )
        return 1
    renderer = WarmRenderer(args.project_dir, warehouse)
    app = create_app(Builder(args.project_dir, warehouse, renderer), args.host, args.port)
    print(f"Segment Builder on http://{args.host}:{args.port}/ (Ctrl-C stops it)")
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        renderer.close()
    return 0


def add_parser(verbs: argparse._SubParsersAction) -> None:
    ui = verbs.add_parser("ui", help="the Segment Builder web page (docs/ui.md)")
    ui.add_argument("--host", default="127.0.0.1", help="address to serve (default 127.0.0.1)")
    ui.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    ui.set_defaults(func=cmd_ui)
