"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from api.deps import HubDep
from api.errors import error_response
from hub.runtime import Hub
from models.errors import Unavailable

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving."""
    return {"status": "ok"}


@router.get("/readyz", response_model=None)
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
    if hub.nlu is not None:
        await hub.nlu.refresh()  # what a message arriving now would be read with
    if hub.dialogs is not None:
        hub.dialogs.reload_if_changed()
    return {"nlu_model": None if hub.nlu is None else hub.nlu.model_version,
            "flows": None if hub.dialogs is None else hub.dialogs.current().version}


@router.get("/metrics")
async def metrics() -> Response:
    """Prometheus exposition."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
