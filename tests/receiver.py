"""A real webhook receiver on loopback for the sync tests: it verifies signatures, remembers
idempotency keys, and fails a share of requests (503, 429 with Retry-After, or an answer slower
than the sender's time-out) the way real channels do. It stops itself after ``lifetime``."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    key: str
    body: bytes
    signature_ok: bool
    status: int


@dataclass
class Receiver:
    secret: str
    # share of batches whose first attempt fails, and how (by the key's hash, so repeatable)
    failing_share: float = 0.0
    slow_seconds: float = 0.0
    refuse_segments: set[str] = field(default_factory=set)
    delay_seconds: float = 0.0
    lifetime: float = 300.0
    requests: list[Received] = field(default_factory=list)
    accepted: dict[str, bytes] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._attempts: dict[str, int] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # one packet per answer, sent at once (no 40 ms wait for a delayed ACK)
            disable_nagle_algorithm = True
            wbufsize = 1 << 16

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                status, headers = receiver._answer(self.headers, body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                reply = b'{"ok": true}' if status < 300 else b'{"error": "try later"}'
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                # the sender may have given up waiting: that is the point of a slow answer
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self._stopper = threading.Timer(self.lifetime, self.stop)
        self._stopper.daemon = True
        self._stopper.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self) -> None:
        self._stopper.cancel()
        self.server.shutdown()
        self.server.server_close()

    def _answer(self, headers: Any, body: bytes) -> tuple[int, dict[str, str]]:
        key = headers["Idempotency-Key"]
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(headers.get("X-Segments-Signature", ""), expected)
        document = json.loads(body)
        with self._lock:
            attempt = self._attempts[key] = self._attempts.get(key, 0) + 1
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        fate = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        status, extra = 200, {}
        if not signature_ok:
            status = 401
        elif document["segment"] in self.refuse_segments:
            status = 422
        elif attempt == 1 and fate < self.failing_share:
            kind = int(fate / self.failing_share * 3)
            if kind == 0:
                status = 503
            elif kind == 1:
                status, extra = 429, {"Retry-After": "0"}
            else:
                # applied, but the answer comes after the sender gave up: it must re-send
                self._accept(key, body)
                time.sleep(self.slow_seconds)
        if status == 200:
            self._accept(key, body)
        with self._lock:
            self.requests.append(Received(key, body, signature_ok, status))
        return status, extra

    def _accept(self, key: str, body: bytes) -> None:
        with self._lock:
            if key not in self.accepted:
                self.accepted[key] = body
                self.order.append(key)

    def changes(self) -> set[tuple[str, str, str, str]]:
        """(profile_id, segment, action, evaluated_at) of every batch applied once per key."""
        found = set()
        for key in self.order:
            document = json.loads(self.accepted[key])
            for change in document["changes"]:
                found.add(
                    (
                        change["profile_id"],
                        document["segment"],
                        change["action"],
                        document["evaluated_at"],
                    )
                )
        return found

    def documents(self) -> list[dict[str, Any]]:
        return [json.loads(self.accepted[key]) for key in self.order]
