"""The inbox's background steps, run by the worker every `inbox_scan_interval` seconds: SLA breaches,
due follow-ups, and a sweep that offers waiting queues to operators freed elsewhere (another process)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from hub import assignment, conversation_sla, follow_ups
from hub.runtime import Hub
from models.clock import utcnow

log = logging.getLogger(__name__)


async def inbox_step(hub: Hub) -> None:
    """One round of every step."""
    now = utcnow()
    await conversation_sla.scan_breaches(hub, now)
    await follow_ups.due_follow_ups(hub, now)
    await assignment.sweep(hub)


async def run_inbox_loops(hub: Hub, stop: asyncio.Event) -> None:
    """Run `inbox_step` until `stop` is set; a failing round is logged and the next one tries again."""
    while not stop.is_set():
        try:
            await inbox_step(hub)
        except Exception:  # a loop that dies silently would stop every SLA alarm: log and go on
            log.exception("inbox background step failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=hub.settings.inbox_scan_interval)
