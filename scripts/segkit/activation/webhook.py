"""Webhook delivery: one signed POST per batch, retried with bounded exponential back-off.

2xx acknowledges. 429, 5xx, time-outs and refused connections are retried up to
``max_attempts`` (waiting ``Retry-After`` when the receiver gives one, capped); any other status
is final and the batch goes to the dead letters with the response. Every attempt carries the
same body and ``Idempotency-Key``, so a receiver that remembers keys applies a batch once.
"""

from __future__ import annotations

import http.client
import os
import random
import socket
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from .definitions import Destination
from .outbox import Batch, Outcome
from .payloads import signature, webhook_body

MAX_BACKOFF_SECONDS = 30.0
MAX_RETRY_AFTER_SECONDS = 120.0
RESPONSE_KEPT = 2000


def backoff_seconds(attempt: int, base: float, retry_after: str | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: the receiver's Retry-After (seconds)
    when it gives one, else ``base * 2**(attempt-1)`` with jitter, both capped.

    >>> backoff_seconds(1, 0.5, "3"), backoff_seconds(1, 0.5, "9999")
    (3.0, 120.0)
    >>> 0.5 <= backoff_seconds(1, 0.5) <= 0.75 and 16 <= backoff_seconds(6, 0.5) <= 30
    True
    """
    if retry_after is not None and retry_after.strip().isdigit():
        return min(float(retry_after), MAX_RETRY_AFTER_SECONDS)
    wait = base * 2 ** (attempt - 1)
    return min(wait * (1 + random.random() / 2), MAX_BACKOFF_SECONDS)


class WebhookSender:
    """Posts batches to one URL over a kept-alive connection."""

    def __init__(
        self,
        destination: Destination,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.destination = destination
        self.url = urlsplit(destination.settings["url"])
        self.timeout = float(destination.settings["timeout"])
        self.max_attempts = int(destination.settings["max_attempts"])
        self.base_backoff = float(os.environ.get("SEGMENTS_SYNC_BACKOFF_SECONDS", "0.5"))
        self.secret = _secret(destination)
        self.sleep = sleep
        self.connection: http.client.HTTPConnection | None = None

    def deliver(self, batch: Batch, records: list[dict], skipped: int) -> Outcome:
        body = webhook_body(self.destination, batch, records)
        headers = {
            "Content-Type": "application/json",
            "Idempotency-Key": batch.idempotency_key,
            "User-Agent": "segments-sync/1",
        }
        if self.secret is not None:
            headers["X-Segments-Signature"] = signature(self.secret, body)
        path = (self.url.path or "/") + (f"?{self.url.query}" if self.url.query else "")
        problem = ""
        for attempt in range(1, self.max_attempts + 1):
            retry_after = None
            try:
                status, text, retry_after = self._post(path, body, headers)
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                status, text = None, ""
                problem = (
                    "timed out"
                    if isinstance(exc, socket.timeout)
                    else f"{type(exc).__name__}: {exc}"
                )
            else:
                if 200 <= status < 300:
                    return Outcome("acknowledged", attempt, len(records), skipped, status)
                if status != 429 and status < 500:
                    return Outcome(
                        "dead_letter",
                        attempt,
                        0,
                        skipped,
                        status,
                        message=f"refused with HTTP {status}",
                        response=text[:RESPONSE_KEPT],
                        payload=body.decode("utf-8"),
                    )
                problem = f"HTTP {status}"
            if attempt < self.max_attempts:
                self.sleep(backoff_seconds(attempt, self.base_backoff, retry_after))
        return Outcome(
            "failed",
            self.max_attempts,
            0,
            skipped,
            status,
            message=f"{problem} after {self.max_attempts} attempts: owed, retried on the next sync",
        )

    def _post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, str, str | None]:
        if self.connection is None:
            kind = (
                http.client.HTTPSConnection
                if self.url.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = kind(self.url.hostname, self.url.port, timeout=self.timeout)
        self.connection.request("POST", path, body=body, headers=headers)
        response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        if response.getheader("Connection", "").lower() == "close":
            self.close()
        return response.status, text, response.getheader("Retry-After")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def _secret(destination: Destination) -> str | None:
    name = destination.settings.get("secret_env")
    if name is None:
        return None
    value = os.environ.get(name)
    if not value:
        raise ValueError(
            f"{destination.file}: secret_env: the environment variable {name} is not set "
            "(the webhook's signing key; it is read from the environment, never stored)"
        )
    return value
