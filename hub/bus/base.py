"""Bus port: durable streams read by consumer groups (at-least-once), plus fire-and-forget broadcast.

A handler that returns acknowledges its entry; one that raises leaves it to be delivered again
(to any consumer of the group) after `retry_after` seconds; after `max_attempts` deliveries the entry
moves to the stream's dead-letter list with the last error. Handlers must therefore be idempotent.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

INBOUND = "inbound"
OUTBOUND = "outbound"
EVENTS = "events"

Handler = Callable[[str], Awaitable[None]]
# Which entries a consumer group wants (a pure function of the payload); the others are acknowledged unseen.
Wants = Callable[[str], bool]


def only(wants: Wants | None, handler: Handler) -> Handler:
    """`handler` for the entries `wants` takes; any other entry is acknowledged without it."""
    if wants is None:
        return handler

    async def wanted(payload: str) -> None:
        if wants(payload):
            await handler(payload)

    return wanted


@dataclass(frozen=True)
class BusPolicy:
    """How hard the bus tries before it gives an entry up."""

    max_attempts: int = 5
    retry_after: float = 5.0  # seconds an unacknowledged entry waits before another consumer takes it
    batch: int = 32
    lease_ttl: float = 5.0  # seconds a dead worker keeps its partitions (Redis) before others take them over
    stall_after: float = 30.0  # seconds a handler runs before the consumer logs a stall (and again each time)


@dataclass(frozen=True)
class DeadLetter:
    """An entry that failed every attempt, kept for inspection and replay."""

    entry_id: str
    payload: str
    error: str
    attempts: int
    at: datetime


class Bus(Protocol):
    """Durable streams with consumer groups, and a broadcast channel for live views."""

    async def open(self) -> None:
        """Connect."""
        ...

    async def close(self) -> None:
        """Disconnect; running consumers stop."""
        ...

    async def ping(self) -> None:
        """Raise Unavailable unless the bus answers."""
        ...

    async def publish(self, stream: str, payload: str) -> str:
        """Append durably and return the entry id; Unavailable if that cannot be promised."""
        ...

    async def consume(
        self, stream: str, group: str, consumer: str, handler: Handler, *, stop: asyncio.Event,
        wants: Wants | None = None,
    ) -> None:
        """Feed entries to `handler` until `stop` is set, acking each one it returns from. An entry `wants` says no
        to is acknowledged without the handler (the in-process bus does not even keep it for the group)."""
        ...

    async def dead_letters(self, stream: str, *, limit: int = 100) -> list[DeadLetter]:
        """Entries that failed every attempt, oldest first."""
        ...

    async def replay(self, stream: str, entry_id: str) -> bool:
        """Publish a dead letter's payload again as a new entry and drop the dead letter; False if unknown."""
        ...

    async def broadcast(self, topic: str, data: str) -> None:
        """Tell current subscribers of `topic`; nobody listening means nobody hears it."""
        ...

    def subscribe(self, topic: str) -> AbstractAsyncContextManager[AsyncIterator[str]]:
        """Listen to `topic` for as long as the context is open."""
        ...
