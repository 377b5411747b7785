"""What a destination receives for one batch: each change with its identifiers and traits.

An entry (or a snapshot's member) lacking a required identifier is skipped and counted: a
channel cannot match it, and a half-empty record would match the wrong person or nobody. An
exit is always delivered, with the identifiers the profile still has, because the channel may
hold the member from an earlier entry and ``profile_id`` is enough for it to remove them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .definitions import Destination
from .identifiers import identifier_value
from .outbox import Batch, Change


@dataclass(frozen=True)
class Prepared:
    records: list[dict[str, Any]]
    skipped: int


def prepare(destination: Destination, changes: Iterable[Change]) -> Prepared:
    """Records for the channel, in the batch's order.

    >>> from segkit.activation.definitions import Identifier
    >>> crm = Destination("crm", "webhook", "crm.yml", ("vip",),
    ...                   (Identifier("email", "email", "email"),), traits=("country",))
    >>> prepared = prepare(crm, [Change("a", "entered", {"email": " A@x.io", "country": "ES"}),
    ...                          Change("b", "entered", {"email": None, "country": "FR"}),
    ...                          Change("c", "exited", {})])
    >>> prepared.records, prepared.skipped
    ([{'profile_id': 'a', 'action': 'entered', 'identifiers': {'email': 'a@x.io'}, 'traits': {'country': 'ES'}}, {'profile_id': 'c', 'action': 'exited', 'identifiers': {}, 'traits': {}}], 1)
    """
    records: list[dict[str, Any]] = []
    skipped = 0
    for change in changes:
        identifiers: dict[str, str] = {}
        missing = False
        for identifier in destination.identifiers:
            value = identifier_value(
                change.attributes.get(identifier.attribute),
                identifier.normalize,
                identifier.hash,
                identifier.country_code,
            )
            if value is not None:
                identifiers[identifier.name] = value
            elif identifier.required:
                missing = True
        if missing and change.action == "entered":
            skipped += 1
            continue
        traits = {t: change.attributes[t] for t in destination.traits if t in change.attributes}
        records.append(
            {
                "profile_id": change.profile_id,
                "action": change.action,
                "identifiers": identifiers,
                "traits": traits,
            }
        )
    return Prepared(records, skipped)


def webhook_body(destination: Destination, batch: Batch, records: list[dict[str, Any]]) -> bytes:
    """The POST body: the same bytes for the same batch on every retry.

    >>> from segkit.activation.definitions import Identifier
    >>> crm = Destination("crm", "webhook", "crm.yml", ("vip",), (Identifier("email", "email"),))
    >>> batch = Batch("k-1", 1, "crm", "vip", dt.datetime(2024, 3, 10), "changes", 1, 1, 1, 0)
    >>> webhook_body(crm, batch, [])
    b'{"destination":"crm","segment":"vip","evaluated_at":"2024-03-10T00:00:00Z","kind":"changes","batch":1,"batches":1,"changes":[]}'
    """
    document = {
        "destination": destination.name,
        "segment": batch.segment,
        "evaluated_at": iso_utc(batch.evaluated_at),
        "kind": batch.kind,
        "batch": batch.batch,
        "batches": batch.batches,
        "changes": records,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def iso_utc(moment: dt.datetime) -> str:
    return moment.replace(tzinfo=None).isoformat() + "Z"


def signature(secret: str, body: bytes) -> str:
    """``X-Segments-Signature``: ``sha256=`` and the hex HMAC-SHA256 of the body.

    >>> signature("s3cret", b'{}')
    'sha256=adbde1ce40c89c14215687d5d762a47df6dfaefcfad61e2e86718ffc8498571b'
    """
    digest = hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
