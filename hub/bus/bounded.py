"""Waits with an upper bound that holds even when the awaited code swallows its cancellation.

redis-py sometimes ignores a cancel that lands mid-command (issue 16: 73 of 2,000 in a probe), so
`asyncio.wait_for` can wait for ever on it. Here the work runs as its own task: after `seconds` it is
cancelled and left behind (it ends at the latest at the socket timeout), a stall is logged, and the
caller gets TimeoutError (an OSError, which the bus treats as an outage and waits out).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from typing import TypeVar

_log = logging.getLogger(__name__)

T = TypeVar("T")

COMMAND_LIMIT = 10.0  # seconds for one Redis command: twice the client's socket timeout
_abandoned: set[asyncio.Future[object]] = set()  # kept referenced until they end, then their errors read


async def bounded(work: Awaitable[T], seconds: float, what: str) -> T:
    """The result of `work`, or TimeoutError (and a logged stall) once it takes longer than `seconds`."""
    task: asyncio.Future[T] = asyncio.ensure_future(work)
    try:
        done, _ = await asyncio.wait({task}, timeout=seconds)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        abandon(task)
        _log.warning("bus stall: %s took more than %ss; abandoned", what, seconds, extra={"stall": what})
        raise TimeoutError(f"{what} took more than {seconds}s")
    return task.result()


def abandon(task: asyncio.Future[T]) -> None:
    """Stop waiting for `task` without leaking it or an unread error."""
    _abandoned.add(task)  # type: ignore[arg-type]

    def finished(done: asyncio.Future[T]) -> None:
        _abandoned.discard(done)
        if not done.cancelled():
            done.exception()

    task.add_done_callback(finished)
