"""The benchmark's baseline: a bare FastAPI app that validates the api channel's JSON body and answers 202.

It does what any FastAPI endpoint must do for the same request (HTTP parsing, routing, JSON decoding,
pydantic validation, a JSON response) and nothing Otklik adds (auth, middleware, bus, store), and it
is served exactly as `otklik serve` serves Otklik: `uvicorn.run(app, log_config=None, proxy_headers=True)`
in one process, default loop and HTTP implementation (uvloop and httptools when installed).

Run: `python bench/bare_app.py --port 8001`.
"""

from __future__ import annotations

import argparse
import logging

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

app = FastAPI(title="bench baseline")


class MessageIn(BaseModel):
    """The api channel's body, as far as the benchmark sends it."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=256)
    message_id: str = Field(min_length=1, max_length=256)
    text: str = Field(default="", max_length=20_000)


class Accepted(BaseModel):
    """Same response shape as Otklik's."""

    status: str = "accepted"
    message_id: str


@app.post("/channels/api/{account_id}/messages", status_code=202, response_model=Accepted)
async def post_message(account_id: str, message: MessageIn) -> Accepted:
    """Validate and accept."""
    return Accepted(message_id=message.message_id)


@app.get("/readyz")
async def readyz() -> dict[str, str]:
    """Always ready."""
    return {"status": "ready"}


def main() -> None:
    """Serve on 127.0.0.1 with the same uvicorn options as `otklik serve`."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)  # as OTKLIK_LOG_LEVEL=WARNING: no per-request access log
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, proxy_headers=True)


if __name__ == "__main__":
    main()
