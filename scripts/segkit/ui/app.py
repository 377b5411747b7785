"""``seg ui``: the Segment Builder's pages and JSON API (Starlette), safe on a laptop.

Safety: only the ``Host`` it serves is answered (DNS rebinding); every request that is not a
GET needs the session's CSRF token in ``X-CSRF-Token`` (each page carries it in
``<meta name="csrf-token">``) and, when the browser sends one, a same-origin ``Origin``; segment
names are checked before any path is built; templates escape every value.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import secrets
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..language.kinds import condition_kinds
from ..language.vocabulary import (
    EVENT_KEYS,
    METRICS,
    OPERATORS,
    SEQUENCE_KEYS,
    STEP_KEYS,
    WINDOW_KEYS,
)
from .service import Builder, Problem

HERE = Path(__file__).parent
SESSION_COOKIE = "segments_ui_session"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, default=str), status_code=status, media_type="application/json"
    )


class Security:
    """ASGI middleware: the Host check, the session cookie and the CSRF/Origin checks."""

    def __init__(self, app: Any, hosts: set[str], secret: bytes) -> None:
        self.app = app
        self.hosts = hosts
        self.secret = secret

    def token(self, session: str) -> str:
        return hmac.new(self.secret, session.encode(), hashlib.sha256).hexdigest()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        host = request.headers.get("host", "")
        if host not in self.hosts:
            await _json({"error": f"unknown host '{host}'"}, 421)(scope, receive, send)
            return
        session = request.cookies.get(SESSION_COOKIE, "")
        if request.method not in SAFE_METHODS:
            origin = request.headers.get("origin")
            if origin is not None and origin.removeprefix("http://") not in self.hosts:
                await _json({"error": "cross-origin request refused"}, 403)(scope, receive, send)
                return
            sent = request.headers.get("x-csrf-token", "")
            if not session or not hmac.compare_digest(sent, self.token(session)):
                await _json({"error": "missing or wrong X-CSRF-Token"}, 403)(scope, receive, send)
                return
        new_session = None if session else secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_token"] = self.token(session or new_session or "")

        async def send_with_cookie(message: dict) -> None:
            if message["type"] == "http.response.start" and new_session:
                cookie = f"{SESSION_COOKIE}={new_session}; Path=/; HttpOnly; SameSite=Strict"
                message.setdefault("headers", []).append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def language_schema(builder: Builder) -> dict[str, Any]:
    """What the canvas offers: the keys each kind of mapping may get, templates of new nodes
    and keys, and the operators. The language itself stays in the compiler: the page sends
    every edit back to be validated."""
    fields = builder.fields()
    event = (fields["events"] or ["page_view"])[0]
    prop = (fields["properties"] or [{"name": "category"}])[0]["name"]
    attribute = next(
        (a for a in fields["attributes"] if a["name"] != "profile_id"), {"name": "country"}
    )
    segment = (fields["segments"] or ["vip"])[0]
    return {
        **fields,
        "operators": list(OPERATORS),
        "metrics": list(METRICS),
        "windows": list(WINDOW_KEYS),
        "keys": {
            "event": [k for k in EVENT_KEYS if k != "event"],
            "sequence": [k for k in SEQUENCE_KEYS if k != "steps"],
            "steps": [k for k in STEP_KEYS if k != "event"],
            "then_not": [k for k in STEP_KEYS if k != "event"],
            "where": ["ignore_case"],
        },
        "kinds": list(condition_kinds()),
        "templates": {
            "conditions": {
                "all": {"all": []},
                "any": {"any": []},
                "not": {"not": {"attribute": attribute["name"], "exists": True}},
                "attribute": {
                    "attribute": attribute["name"],
                    "equals": (attribute.get("values") or [""])[0],
                },
                "event": {"event": event, "during": {"last": "30d"}},
                "sequence": {"sequence": {"during": {"last": "30d"}, "steps": [{"event": event}]}},
                "in_segment": {"in_segment": segment},
            },
            "keys": {
                "where": {"property": prop, "equals": ""},
                "during": {"last": "30d"},
                "within": "1d",
                "then_not": {"event": event},
                "count": {"gte": 1},
                "sum": {"of": prop, "gte": 1},
                "avg": {"of": prop, "gte": 1},
                "min": {"of": prop, "gte": 1},
                "max": {"of": prop, "gte": 1},
                "count_distinct": {"of": prop, "gte": 1},
                "ignore_case": True,
            },
            "step": {"event": event},
        },
    }


def create_app(builder: Builder, host: str = "127.0.0.1", port: int = 8765) -> Any:
    templates = Jinja2Templates(directory=str(HERE / "templates"))

    def page(name: str, request: Request, **context: Any) -> HTMLResponse:
        return templates.TemplateResponse(
            request, name, {"csrf_token": request.scope["state"]["csrf_token"], **context}
        )

    async def body(request: Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError as exc:
            raise Problem(400, "the body must be JSON") from exc
        if not isinstance(data, dict):
            raise Problem(400, "the body must be a JSON object")
        return data

    def api(handler: Any) -> Any:
        async def endpoint(request: Request) -> Response:
            try:
                return _json(await handler(request))
            except Problem as problem:
                return _json({"error": problem.message, **problem.details}, problem.status)

        return endpoint

    def refused(problem: Problem) -> HTMLResponse:
        return HTMLResponse(f"<p>{html.escape(problem.message)}</p>", status_code=problem.status)

    async def audiences_page(request: Request) -> HTMLResponse:
        try:
            return page("audiences.html", request, audiences=builder.audiences())
        except Problem as problem:
            return refused(problem)

    async def builder_page(request: Request) -> HTMLResponse:
        name = request.query_params.get("segment")
        loaded = None
        if name:
            try:
                loaded = builder.source(name)
            except Problem as problem:
                return refused(problem)
        return page("builder.html", request, loaded=loaded)

    async def list_segments(request: Request) -> Any:
        return builder.audiences()

    async def get_segment(request: Request) -> Any:
        return builder.source(request.path_params["name"])

    async def schema(request: Request) -> Any:
        return language_schema(builder)

    async def validate(request: Request) -> Any:
        return builder.validate(_text(await body(request), "yaml"))

    async def parse(request: Request) -> Any:
        return builder.parse(_text(await body(request), "yaml"))

    async def write(request: Request) -> Any:
        document = (await body(request)).get("document")
        if not isinstance(document, dict):
            raise Problem(400, "send document: the definition as an object")
        return builder.write(document)

    async def preview(request: Request) -> Any:
        data = await body(request)
        sample = data.get("sample")
        return builder.preview(
            _text(data, "yaml"),
            data.get("as_of"),
            float(sample) if sample not in (None, "") else None,
            int(data.get("limit", 10)),
        )

    async def explain(request: Request) -> Any:
        data = await body(request)
        return builder.explain(
            data.get("yaml"), data.get("name"), str(data.get("profile_id", "")), data.get("as_of")
        )

    async def sql(request: Request) -> Any:
        data = await body(request)
        return builder.sql(_text(data, "yaml"), data.get("as_of"))

    async def overlap(request: Request) -> Any:
        names = [n for n in request.query_params.get("segments", "").split(",") if n]
        return builder.overlap(names)

    async def models(request: Request) -> Any:
        return builder.models()

    async def models_page(request: Request) -> HTMLResponse:
        try:
            return page("models.html", request, models=builder.models()["models"])
        except Problem as problem:
            return refused(problem)

    async def save(request: Request) -> Any:
        data = await body(request)
        return builder.save(request.path_params["name"], _text(data, "yaml"), data.get("version"))

    routes = [
        Route("/", audiences_page),
        Route("/builder", builder_page),
        Route("/models", models_page),
        Route("/api/segments", api(list_segments)),
        Route("/api/segments/{name}", api(get_segment), methods=["GET"]),
        Route("/api/segments/{name}", api(save), methods=["PUT"]),
        Route("/api/schema", api(schema)),
        Route("/api/validate", api(validate), methods=["POST"]),
        Route("/api/parse", api(parse), methods=["POST"]),
        Route("/api/write", api(write), methods=["POST"]),
        Route("/api/preview", api(preview), methods=["POST"]),
        Route("/api/explain", api(explain), methods=["POST"]),
        Route("/api/sql", api(sql), methods=["POST"]),
        Route("/api/overlap", api(overlap)),
        Route("/api/models", api(models)),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    hosts = {f"{host}:{port}"} | ({f"localhost:{port}"} if host == "127.0.0.1" else set())
    return Security(Starlette(routes=routes), hosts, secrets.token_bytes(32))


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise Problem(400, f"send {key} as text")
    return value
