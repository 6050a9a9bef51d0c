"""Capability links to stored files that messenger servers fetch without signing in.

`<public url>/files/<file id>/<name>?exp=<unix time>&sig=<hex>`, where `sig` is HMAC-SHA256 over the id,
the name and the expiry under a key derived from OTKLIK_SECRET_KEY for this purpose only (a web chat
cookie signature can never pass as a file link). Telegram, Twilio and Viber download media by URL, so
the link itself is the permission: unguessable, expiring, checked in constant time, and every refusal
looks the same as a missing file.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import quote

from models.errors import NotFound

PURPOSE = b"otklik:file-link:v1"
NOT_FOUND = "no such file"
HEX_SIGNATURE = re.compile(r"[0-9a-f]{64}")


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode(), PURPOSE, hashlib.sha256).digest()


def signature(secret: str, file_id: str, name: str, expires: int) -> str:
    """The hex HMAC-SHA256 of (id, name, expiry); newlines cannot occur in ids or cleaned names."""
    message = f"{file_id}\n{name}\n{expires}".encode()
    return hmac.new(_key(secret), message, hashlib.sha256).hexdigest()


def file_link(public_url: str, secret: str, file_id: str, name: str, *, expires: int) -> str:
    """The absolute capability URL of a stored file, valid until `expires` (unix seconds)."""
    sig = signature(secret, file_id, name, expires)
    return f"{public_url.rstrip('/')}/files/{file_id}/{quote(name, safe='')}?exp={expires}&sig={sig}"


def check_link(secret: str, file_id: str, name: str, exp: str, sig: str, *, now: float | None = None) -> None:
    """NotFound unless `sig` signs (id, name, exp) and `exp` has not passed; the same answer for every failure."""
    if not (exp.isascii() and exp.isdigit()) or len(exp) > 12 or not HEX_SIGNATURE.fullmatch(sig):
        raise NotFound(NOT_FOUND)
    expected = signature(secret, file_id, name, int(exp))
    if not hmac.compare_digest(expected, sig):
        raise NotFound(NOT_FOUND)
    if int(exp) < (time.time() if now is None else now):
        raise NotFound(NOT_FOUND)
