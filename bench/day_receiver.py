"""bench/day.py's receivers in a process of their own: the api account's callback (`/cb`) and the CRM's
webhook endpoint (`/crm`) on one port, each request answered 200 at once and reported as one line on stdout:

    cb <time.perf_counter()> <user_id> <author>
    crm <time.perf_counter()> <event type> <lag seconds behind the event's timestamp> <webhook-id>

In the bench's own process the receivers shared one event loop with thousands of shoppers and the
operators: a callback then waited long enough for the outbox's sends to time out, and the bench measured
itself. perf_counter is CLOCK_MONOTONIC on Linux, the same clock in every process of the machine.

    python bench/day_receiver.py --port 8123
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

import uvicorn

Scope = MutableMapping[str, Any]


async def app(scope: Scope, receive: Callable[[], Any], send: Callable[[Scope], Any]) -> None:
    """Record the request as a line on stdout and answer 200."""
    if scope["type"] != "http":
        return
    body, more = b"", True
    while more:
        event = await receive()
        body += event.get("body", b"")
        more = event.get("more_body", False)
    at = time.perf_counter()
    try:
        payload = json.loads(body)
        if scope["path"] == "/cb":
            line = f"cb {at:.6f} {payload.get('user_id')} {payload.get('author')}"
        else:
            sent = datetime.fromisoformat(str(payload["timestamp"]).replace("Z", "+00:00"))
            webhook_id = dict(scope["headers"]).get(b"webhook-id", b"-").decode()
            line = f"crm {at:.6f} {payload['type']} {(datetime.now(UTC) - sent).total_seconds():.4f} {webhook_id}"
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
    except (ValueError, KeyError, AttributeError) as e:
        sys.stderr.write(f"bad request to {scope['path']}: {e}\n")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    uvicorn.run(app, host="127.0.0.1", port=parser.parse_args().port, log_level="warning", access_log=False,
                lifespan="off")
