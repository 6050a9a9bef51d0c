"""Side ports: the worker's health endpoint (`/healthz`, `/readyz`, `/metrics`) and the API's metrics port.

A worker has no other HTTP server, yet an orchestrator needs to know it is ready and which NLU model and
flows it serves (the same answer the api gives, from the same routes). `otklik serve` with
OTKLIK_METRICS_PORT serves `/metrics` there without a token, for Prometheus on the internal network.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from api.routes import health
from hub.core import Hub


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the worker's own SIGTERM handling stops everything."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_app(hub: Hub) -> FastAPI:
    """The health routes over this process's Hub, nothing else."""
    app = FastAPI(title="Otklik worker", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = hub
    app.include_router(health.probes)
    app.include_router(health.open_metrics)  # a port of its own: no token, as Prometheus scrapes
    return app


def metrics_app() -> FastAPI:
    """`/metrics` alone, without a token: for OTKLIK_METRICS_PORT."""
    app = FastAPI(title="Otklik metrics", docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(health.open_metrics)
    return app


async def serve_health(hub: Hub, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve the health routes until `stop` is set."""
    await serve_side_app(health_app(hub), host, port, stop)


async def serve_side_app(app: FastAPI, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve `app` on its own port until `stop` is set."""
    server = _Server(uvicorn.Config(app, host=host, port=port, log_config=None, access_log=False,
                                    lifespan="off"))
    task = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    await task  # a port already taken ends here, with uvicorn's message logged
