"""The inbox's background steps, run by the worker every `inbox_scan_interval` seconds: SLA breaches,
due follow-ups, a sweep that offers waiting queues to operators freed elsewhere (another process), and the
purge of the bot's dialog states idle past `dialog_state_retention_days`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import datetime, timedelta

from hub.core import Hub
from hub.inbox import assignment, follow_ups, sla
from models.clock import utcnow

log = logging.getLogger(__name__)


async def inbox_step(hub: Hub) -> None:
    """One round of every step; a step that fails is logged and the others still run."""
    now = utcnow()
    steps: list[tuple[str, Callable[[], Awaitable[object]]]] = [
        ("sla breaches", lambda: sla.scan_breaches(hub, now)),
        ("follow-ups", lambda: follow_ups.due_follow_ups(hub, now)),
        ("queue sweep", lambda: assignment.sweep(hub)),
        ("dialog states", lambda: purge_dialog_states(hub, now)),
    ]
    for name, run in steps:
        try:
            await run()
        except Exception:  # e.g. one unreadable record in the SLA query must not stop follow-ups and assignment
            log.exception("inbox background step failed", extra={"step": name})


async def purge_dialog_states(hub: Hub, now: datetime, *, batch: int = 500) -> int:
    """Forget the bot's states of conversations idle longer than the retention (a bounded batch a round)."""
    before = now - timedelta(days=hub.settings.dialog_state_retention_days)
    return await hub.stores.dialog_states.purge_stale(before, limit=batch)


async def run_inbox_loops(hub: Hub, stop: asyncio.Event) -> None:
    """Run `inbox_step` until `stop` is set; a failing round is logged and the next one tries again."""
    while not stop.is_set():
        try:
            await inbox_step(hub)
        except Exception:  # a loop that dies silently would stop every SLA alarm: log and go on
            log.exception("inbox background step failed")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=hub.settings.inbox_scan_interval)
