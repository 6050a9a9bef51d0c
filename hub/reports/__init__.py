"""Reports: facts and rollups projected from the events stream, and the reports read from them.

The facade: the projection the worker runs, the backfill, the store, and the report functions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from hub.bus.base import Handler
from hub.reports import backfill, catalog, projection, shapes
from hub.stores.reports import Filters, ReportStore

if TYPE_CHECKING:
    from hub.core import Hub


def worker_consumers(
    hub: Hub, stop: asyncio.Event, name: str, wrap: Callable[[Handler], Handler],
) -> list[Coroutine[Any, Any, None]]:
    """The projection as the worker runs it, into the hub's report store (none: no reports in this process)."""
    if hub.report_store is None:
        return []
    return projection.consumers(hub, hub.report_store, stop, name, wrap)


__all__ = ["Filters", "ReportStore", "backfill", "catalog", "projection", "shapes", "worker_consumers"]
