"""Reports: facts and rollups projected from the events stream, and the reports read from them.

The facade: the projection the worker runs, the backfill, the store, and the report functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from hub.bus.base import Handler
from hub.reports import projection
from hub.reports.port import Filters, ReportStore
from hub.reports.wiring import build_report_store, opened_report_store

if TYPE_CHECKING:
    from hub.runtime import Hub


def worker_consumers(
    hub: Hub, stop: asyncio.Event, name: str, wrap: Callable[[Handler], Handler],
) -> list[Coroutine[Any, Any, None]]:
    """The projection as the worker runs it: the report store opened for as long as it consumes."""

    async def run() -> None:
        async with opened_report_store(hub.settings) as store:
            await asyncio.gather(*projection.consumers(hub, store, stop, name, wrap))

    return [run()]


__all__ = ["Filters", "ReportStore", "build_report_store", "opened_report_store", "worker_consumers"]
