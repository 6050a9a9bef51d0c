"""A local Rasa server: `POST /model/parse` answered in Rasa's documented format, on 127.0.0.1.

Rasa HTTP API, "Parse a message using the Rasa model": request `{"text", "message_id"?}` (auth token as
`?token=`), response `{"text", "intent": {"name", "confidence"}, "entities": [{"entity", "value", "start",
"end", "extractor", "confidence_entity"}], "intent_ranking": [{"name", "confidence"}]}`.
Tests script what it answers: an intent per text, a delay (to force timeouts) or an error status.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.http_receiver import free_port


@dataclass
class FakeRasa:
    """Answers /model/parse with `intents[text]` (else `nlu_fallback`); `status`/`delay` script failures."""

    port: int = 0
    intents: dict[str, tuple[str, float]] = field(default_factory=dict)
    entities: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    status: int = 200
    delay: float = 0.0
    token: str | None = None
    requests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        """Base URL, as OTKLIK_RASA_URL."""
        return f"http://127.0.0.1:{self.port}"

    async def parse(self, request: Request) -> Response:
        """Rasa's /model/parse."""
        body = json.loads(await request.body())
        self.requests.append(body)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.token is not None and request.query_params.get("token") != self.token:
            return JSONResponse({"version": "3.6.21", "status": "failure", "reason": "NotAuthenticated",
                                 "message": "User is not authenticated.", "code": 401}, status_code=401)
        if self.status != 200:
            return JSONResponse({"version": "3.6.21", "status": "failure", "reason": "ParsingError",
                                 "message": "An unexpected error occurred.", "code": self.status},
                                status_code=self.status)
        return JSONResponse(self.answer(body["text"]))

    def answer(self, text: str) -> dict[str, Any]:
        """The parse result Rasa would give for `text`."""
        name, confidence = self.intents.get(text, ("nlu_fallback", 0.3))
        ranking = [{"name": name, "confidence": confidence},
                   {"name": "greet", "confidence": round((1 - confidence) / 2, 6)}]
        return {"text": text, "intent": {"name": name, "confidence": confidence},
                "entities": self.entities.get(text, []), "intent_ranking": ranking,
                "response_selector": {"all_retrieval_intents": [], "default": {"response": {}, "ranking": []}}}


def entity(name: str, value: str, text: str, extractor: str = "DIETClassifier") -> dict[str, Any]:
    """An entity as Rasa reports it, located in `text`."""
    start = text.index(value)
    return {"entity": name, "start": start, "end": start + len(value), "confidence_entity": 0.99,
            "value": value, "extractor": extractor, "processors": []}


@asynccontextmanager
async def fake_rasa() -> AsyncIterator[FakeRasa]:
    """Serve a FakeRasa on a free port for the duration of the context."""
    rasa = FakeRasa(port=free_port())
    app = Starlette(routes=[Route("/model/parse", rasa.parse, methods=["POST"])])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=rasa.port, log_level="warning",
                                           lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield rasa
    finally:
        server.should_exit = True
        await task
