"""The periodic SLA step: the worker (and the embedded app, through it) runs it until told to stop.

Several workers may scan at once: every step saves with the case's version and raises events whose
ids are derived from what happened, so a reminder or breach is raised once however many scan.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from typing import TYPE_CHECKING

from hub.cases import sla
from hub.cases.config import case_config
from models.clock import utcnow
from models.errors import OtklikError

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)


async def run_sla_scanner(hub: Hub, stop: asyncio.Event) -> None:
    """Scan deadlines every `cases_scan_interval` seconds until `stop` is set."""
    case_config(hub)  # an invalid catalogue or calendar file fails the start, naming the file
    while not stop.is_set():
        try:
            while await sla.scan(hub, utcnow()) >= sla.SCAN_BATCH:
                pass  # a backlog (say, after downtime): keep going until it is drained
        except OtklikError as e:  # the store is down, or a case names a type no longer in the catalogue
            log.warning("SLA scan failed; retrying at the next interval", extra={"reason": e.reason})
        except Exception:  # anything else would end the scanner (and the worker's gather) for good
            log.exception("SLA scan failed; retrying at the next interval")
        with suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=hub.settings.cases_scan_interval)
