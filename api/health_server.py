"""The worker's own health endpoint: `/healthz`, `/readyz` and `/metrics` of the api, on a port of its own.

A worker has no other HTTP server, yet an orchestrator needs to know it is ready and which NLU model and
flows it serves (the same answer the api gives, from the same routes).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import uvicorn
from fastapi import FastAPI

from api.routes import health
from hub.runtime import Hub


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the worker's own SIGTERM handling stops everything."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def health_app(hub: Hub) -> FastAPI:
    """The health routes over this process's Hub, nothing else."""
    app = FastAPI(title="Otklik worker", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = hub
    app.include_router(health.router)
    return app


async def serve_health(hub: Hub, host: str, port: int, stop: asyncio.Event) -> None:
    """Serve the health routes until `stop` is set."""
    server = _Server(uvicorn.Config(health_app(hub), host=host, port=port, log_config=None, access_log=False,
                                    lifespan="off"))
    task = asyncio.create_task(server.serve())
    stopping = asyncio.create_task(stop.wait())
    await asyncio.wait({task, stopping}, return_when=asyncio.FIRST_COMPLETED)
    server.should_exit = True
    stopping.cancel()
    await task  # a port already taken ends here, with uvicorn's message logged
