"""Rate limits of the anonymous web chat: messages a minute per visitor session and per client address.

The chat needs no account, so without a limit one script could fill the store and the operators' queues.
A visitor's own limit keeps one session polite; a new session is one GET away, so the client address (the
peer, or what a configured trusted proxy forwarded: `OTKLIK_TRUSTED_PROXIES`) bounds a flood. The counts share
the CRM API's limiter (GCRA in Redis on the Redis bus, else in memory: api/crm/ratelimit.py).
"""

from __future__ import annotations

import math

from fastapi import Request

from api.crm.ratelimit import RateLimiter
from hub.core import Hub
from models.errors import RateLimited


async def check(request: Request, hub: Hub, visitor: str) -> None:
    """RateLimited (429 with Retry-After) when the visitor or their address sends too fast."""
    limiter: RateLimiter = request.app.state.crm_limiter
    address = request.client.host if request.client else "unknown"
    settings = hub.settings
    for key, rate, who in ((f"webchat:visitor:{visitor}", settings.webchat_visitor_per_minute, "this chat"),
                           (f"webchat:address:{address}", settings.webchat_address_per_minute, "this address")):
        wait = await limiter.wait(key, rate)
        if wait > 0:
            raise RateLimited(f"{who} sends more than {rate} messages a minute; wait and send again",
                              retry_after=max(1, math.ceil(wait)))
