"""The review aggregator's webhook: a monitoring service pushes reviews it collected from map services.

    POST /webhooks/reviews/aggregator
    X-Review-Timestamp: <unix seconds>
    X-Review-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>
    {"reviews": [<record>, ...]}            records as in connectors/reviews/records.py

The timestamp is inside the signed text, so a captured delivery cannot be replayed outside the window; a
replay inside it changes nothing (reviews are deduplicated on platform and review id).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

from connectors.reviews.records import parse_record
from models.errors import PayloadError, SignatureError
from models.reviews import PlatformReview

MAX_REVIEWS = 500


def sign(body: bytes, secret: str, timestamp: int) -> str:
    """The signature header's value for a body sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify(headers: Mapping[str, str], body: bytes, secret: str, *, now: float, window: int) -> None:
    """SignatureError unless the signature matches and the timestamp is within `window` seconds of `now`."""
    stamp = headers.get("x-review-timestamp", "")
    if not (stamp.isascii() and stamp.isdigit()):
        raise SignatureError("X-Review-Timestamp: missing or not unix seconds")
    if abs(now - int(stamp)) > window:
        raise SignatureError("X-Review-Timestamp: outside the replay window")
    if not hmac.compare_digest(headers.get("x-review-signature", ""), sign(body, secret, int(stamp))):
        raise SignatureError("X-Review-Signature: does not match the body")


def parse_inbound(body: bytes, *, zone: ZoneInfo) -> list[PlatformReview]:
    """The delivery's reviews; PayloadError naming the first bad one ("reviews[3]: rating: ..."). Pure."""
    try:
        data: Any = json.loads(body)
    except ValueError as e:
        raise PayloadError("body: not JSON") from e
    records = data.get("reviews") if isinstance(data, dict) else None
    if not isinstance(records, list) or not records:
        raise PayloadError('body: expected {"reviews": [...]} with at least one review')
    if len(records) > MAX_REVIEWS:
        raise PayloadError(f"reviews: at most {MAX_REVIEWS} per delivery")
    parsed = []
    for n, record in enumerate(records):
        if not isinstance(record, dict):
            raise PayloadError(f"reviews[{n}]: not an object")
        try:
            parsed.append(parse_record({k: None if v is None else str(v) for k, v in record.items()},
                                       platform=None, zone=zone))
        except PayloadError as e:
            raise PayloadError(f"reviews[{n}]: {e.reason}") from e
    return parsed
