"""One-click e-mail links: `<public url>/csat/<conversation>.<request>.<score>.<expires>.<sig>`.

The signature is HMAC-SHA256 over the conversation, the request, the score and the expiry, under a key
derived from OTKLIK_SECRET_KEY for this purpose only (a file link or a web chat cookie never passes as
one). So a link records exactly the score it was made for, on the request it was made for, until it
expires; every refusal looks the same.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from models.errors import NotFound

PURPOSE = b"otklik:csat-link:v1"
NOT_FOUND = "no such rating link, or it has expired"
_TOKEN = re.compile(r"([0-9a-f]{32})\.([0-9a-f]{16})\.([1-5])\.([0-9]{1,12})\.([0-9a-f]{64})")


@dataclass(frozen=True)
class LinkClaim:
    """What a valid link says: record `score` for `request` of `conversation_id`."""

    conversation_id: str
    request: str
    score: int


def _signature(secret: str, conversation_id: str, request: str, score: int, expires: int) -> str:
    key = hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()
    return hmac.new(key, f"{conversation_id}\n{request}\n{score}\n{expires}".encode(), hashlib.sha256).hexdigest()


def token(secret: str, conversation_id: str, request: str, score: int, *, expires: datetime) -> str:
    """The link's last path segment."""
    exp = int(expires.timestamp())
    return f"{conversation_id}.{request}.{score}.{exp}.{_signature(secret, conversation_id, request, score, exp)}"


def link(public_url: str, secret: str, conversation_id: str, request: str, score: int, *, expires: datetime) -> str:
    """The absolute URL that records `score`."""
    return f"{public_url.rstrip('/')}/csat/{token(secret, conversation_id, request, score, expires=expires)}"


def check(secret: str, value: str, *, now: datetime) -> LinkClaim:
    """The claim of a genuine, unexpired token; NotFound (always the same) otherwise."""
    found = _TOKEN.fullmatch(value)
    if found is None:
        raise NotFound(NOT_FOUND)
    conversation_id, request, score, exp, sig = found.groups()
    if not hmac.compare_digest(_signature(secret, conversation_id, request, int(score), int(exp)), sig):
        raise NotFound(NOT_FOUND)
    if datetime.fromtimestamp(int(exp), UTC) < now:
        raise NotFound(NOT_FOUND)
    return LinkClaim(conversation_id, request, int(score))
