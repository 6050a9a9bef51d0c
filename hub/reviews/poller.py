"""The worker's review loop: every `poll_seconds`, read each platform, take its reviews in, mark the ones a
complete listing no longer shows as deleted, and post the approved replies.

A platform's 429 or outage (a retryable SendError) pauses that platform for its Retry-After (or a growing
pause), never the others; nothing is lost, since the next round reads the same reviews again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from hub.ports import ReviewSource
from hub.reviews import replies
from hub.reviews.ingest import mark_gone, take
from models.clock import utcnow
from models.errors import SendError

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)


async def poll_once(hub: Hub, source: ReviewSource, *, at: datetime | None = None) -> int:
    """One round of one platform; how many reviews were new or changed."""
    listing = await source.fetch()
    changed = 0
    for incoming in listing.reviews:
        _, outcome = await take(hub, incoming, at=at)
        changed += outcome != "same"
    for place in listing.complete:
        seen = {f"{r.platform}:{r.review_id}" for r in listing.reviews if r.place_id == place}
        changed += len(await mark_gone(hub, source.platform, place, seen))
    return changed


async def _wait(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


async def run_review_pollers(hub: Hub, stop: asyncio.Event, *, clock: Callable[[], datetime] = utcnow) -> None:
    """Poll every configured platform and post approved replies until `stop` is set (idle when none is wired)."""
    if hub.reviews is None:
        await stop.wait()
        return
    rules = hub.reviews.rules
    paused_until: dict[str, float] = {}
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        for platform, source in hub.reviews.sources.items():
            if paused_until.get(platform, 0.0) > loop.time():
                continue
            try:
                await poll_once(hub, source, at=clock())
            except SendError as e:
                if not e.retryable:
                    log.error("review platform refused the listing", extra={"platform": platform, "reason": e.reason})
                pause = e.retry_after or rules.poll_seconds
                paused_until[platform] = loop.time() + pause
                log.warning("review platform paused", extra={"platform": platform, "pause": pause})
        try:
            await replies.post_approved(hub, at=clock())
        except SendError as e:
            log.warning("reply posting paused", extra={"reason": e.reason})
        await _wait(stop, rules.poll_seconds)
