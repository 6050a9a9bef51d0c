"""The webhook body: versioned JSON built from an Event, the same for every subscriber and every attempt.

    {"type": "message.received", "version": 1, "id": "<event id>", "timestamp": "2025-03-01T09:30:15.123Z",
     "data": {"customer_id": ..., "conversation_id": ..., "message_id": ..., <the event's own data>}}

Thin payloads, as the spec recommends: ids to fetch the rest through the REST API, and what the event
itself says. The ids are always present (null when the event has none), so each type has one schema.
A new event type needs nothing here: whatever `models.events.Event` carries is sent.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from pydantic_core import to_jsonable_python

from models.events import Event

VERSION = 1
_SECRET_KEY = re.compile(r"secret|token|password|passwd|api_?key|authorization|signature", re.IGNORECASE)


def timestamp(at: datetime) -> str:
    """ISO 8601 in UTC with a 'Z', to the millisecond."""
    return at.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def scrub(value: Any) -> Any:
    """`value` without any mapping key that names a secret, however deep."""
    if isinstance(value, dict):
        return {k: scrub(v) for k, v in value.items() if not _SECRET_KEY.search(str(k))}
    if isinstance(value, list | tuple):
        return [scrub(v) for v in value]
    return value


def body(event: Event) -> str:
    """The compact JSON body for `event` (signed and sent byte for byte)."""
    ids = {"customer_id": event.customer_id, "conversation_id": event.conversation_id,
           "message_id": event.message_id}
    data = {**scrub(to_jsonable_python(event.data)), **ids}
    document = {"type": event.type, "version": VERSION, "id": event.id, "timestamp": timestamp(event.at),
                "data": data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"))
