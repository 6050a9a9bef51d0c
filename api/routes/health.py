"""Liveness, readiness and Prometheus metrics.

On the API's port `/metrics` needs a token with scope metrics:read: the numbers describe traffic, queues and
failures, nobody's business outside. A scraper without a token reads them on a port of their own:
OTKLIK_METRICS_PORT for `otklik serve`, the worker's health port for `otklik worker` (`open_metrics`).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.auth import require
from api.deps import HubDep
from api.errors import error_response
from hub.core import Hub
from models.errors import Unavailable
from models.tokens import Scope

probes = APIRouter(tags=["health"])  # /healthz and /readyz: open to the orchestrator
open_metrics = APIRouter(tags=["health"])  # /metrics without a token: only on a port of its own


@probes.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@probes.get("/readyz", response_model=None)
async def readyz(hub: HubDep) -> dict[str, str | None] | Response:
    """The store and the bus both answer (503 names the one that does not); which model and flows serve."""
    for name, ping in (("store", hub.stores.ping), ("bus", hub.bus.ping)):
        try:
            await ping()
        except Unavailable as e:
            return error_response(503, "unavailable", f"{name}: {e.reason}")
    return {"status": "ready", "store": hub.settings.store, "bus": hub.settings.bus, **await serving(hub)}


async def serving(hub: Hub) -> dict[str, str | None]:
    """The NLU model version and the flows' digest this process answers with (None: no model, no bot)."""
    if hub.reader is not None:
        await hub.reader.refresh()  # what a message arriving now would be read with
    return {"nlu_model": None if hub.reader is None else hub.reader.model_version,
            "flows": None if hub.participant is None else await hub.participant.serving()}


@open_metrics.get("/metrics")
async def metrics() -> Response:
    """Prometheus exposition."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


router = APIRouter()  # what the API's own port serves
router.include_router(probes)
router.include_router(open_metrics, dependencies=[Depends(require(Scope.METRICS_READ))],
                      responses={401: {"description": "No token"}, 403: {"description": "No metrics:read scope"}})
