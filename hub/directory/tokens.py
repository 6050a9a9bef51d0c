"""Issuing and checking API tokens: `otk_<id>_<secret>`, 256 random bits, only a hash is stored.

The secret is random, not a password, so a fast hash (SHA-256) compared in constant time is enough;
the id in front finds the record without scanning.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from hub.stores.base import TokenStore
from models.clock import utcnow
from models.errors import SignatureError
from models.tokens import ApiToken, Scope

PREFIX = "otk"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def issue(
    store: TokenStore, name: str, scopes: list[Scope], *, rate_per_minute: int = 600
) -> tuple[ApiToken, str]:
    """Create a token; returns the record and the one and only copy of the full token string."""
    secret = secrets.token_urlsafe(32)
    token = ApiToken(name=name, scopes=scopes, secret_hash=_hash(secret), rate_per_minute=rate_per_minute)
    await store.add(token)
    return token, f"{PREFIX}_{token.id}_{secret}"


async def check(store: TokenStore, presented: str) -> ApiToken:
    """The live token behind `presented`; SignatureError (401) for anything else."""
    prefix, _, rest = presented.partition("_")
    token_id, _, secret = rest.partition("_")
    if prefix != PREFIX or not token_id or not secret:
        raise SignatureError("malformed API token")
    token = await store.get(token_id)
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(secret)):
        raise SignatureError("unknown API token")
    if token.revoked_at is not None:
        raise SignatureError("revoked API token")
    return token


async def revoke(store: TokenStore, token_id: str) -> bool:
    """Revoke a token; False if there is no such token."""
    return await store.revoke(token_id, at=utcnow())
