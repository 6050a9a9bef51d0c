"""Redis Streams bus for production: consumer groups shared by horizontally scaled workers.

Delivery is at-least-once. `publish` is XADD (approximately capped, so memory stays bounded). A stream
(one partition) is read by one consumer of a group at a time, the owner of its lease (hub/bus/leases.py):
it reads with XREADGROUP and handles entries one by one, in order, XACKing each after its handler returns.
A new owner first takes over every entry the previous one left pending (XAUTOCLAIM, min idle 0: nobody
alive holds them), so a worker killed mid-batch is replaced within the lease time, in order. An entry
whose handler raised stays pending and is retried `retry_after` seconds later, before any later entry of
the stream: one customer's messages never overtake each other, not even around a failure.

Redis counts deliveries per entry. A failure on the `max_attempts`-th delivery, or a reclaim that
finds an entry delivered more often (its consumer kept dying on it), moves the entry to the stream
`{prefix}{stream}:dead` with the last error (kept in the hash `{prefix}{stream}:errors`) and acks it.
Every Redis command and handler is watched (hub/bus/bounded.py): a stall is logged, never waited on for ever.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError

from hub.bus.base import BusPolicy, DeadLetter, Handler, Wants, only
from hub.bus.bounded import COMMAND_LIMIT
from hub.bus.leases import Leases
from hub.bus.redis_consumer import REDIS_ERRORS, STREAM_MAXLEN, ConsumerLoop, as_text
from models.errors import Unavailable

_log = logging.getLogger(__name__)


class RedisStreamBus(ConsumerLoop):
    """Bus on Redis Streams with consumer groups."""

    def __init__(self, url: str, *, policy: BusPolicy | None = None, prefix: str = "otklik:") -> None:
        self.policy = policy or BusPolicy()
        self.prefix = prefix
        self._url = url
        self._client: Redis | None = None
        self._closed = False
        self._leases = Leases(lambda: self._redis, prefix, self.policy.lease_ttl)

    @property
    def _redis(self) -> Redis:
        if self._closed:  # a RedisError, so a consumer still running ends quietly
            raise RedisConnectionError("bus closed")
        if self._client is None:  # created lazily: from_url does no I/O
            self._client = Redis.from_url(
                self._url,
                decode_responses=True,
                socket_connect_timeout=3,
                socket_timeout=5,  # must exceed the XREADGROUP block time
                retry=Retry(ExponentialBackoff(cap=0.5, base=0.05), retries=2),
            )
        return self._client

    async def open(self) -> None:
        """Create the client. Redis down at start is not fatal: consumers wait it out, /readyz says not ready."""
        self._closed = False
        try:
            await self.ping()
        except Unavailable as e:
            _log.warning("bus: %s; starting anyway, retrying in the background", e.reason)

    async def close(self) -> None:
        """Close the client; running consumers stop at their next turn."""
        self._closed = True
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def ping(self) -> None:
        """Raise Unavailable unless Redis answers."""
        try:
            await self._redis.ping()
        except REDIS_ERRORS as e:
            raise Unavailable(f"redis unreachable: {e}") from e

    async def publish(self, stream: str, payload: str) -> str:
        """XADD the payload; Unavailable if Redis did not take it."""
        try:
            entry_id = await self._redis.xadd(self._key(stream), {"payload": payload}, maxlen=STREAM_MAXLEN)
        except REDIS_ERRORS as e:
            raise Unavailable(f"redis refused publish to {stream}: {e}") from e
        return as_text(entry_id)

    async def consume(self, stream: str, group: str, consumer: str, handler: Handler, *, stop: asyncio.Event,
                      wants: Wants | None = None) -> None:
        """Handle the stream's entries one by one, in order, while this consumer owns its lease; until `stop`.
        Entries `wants` says no to are acknowledged without the handler."""
        handler = only(wants, handler)
        key = self._key(stream)
        lease = self._leases.lease(key, group, consumer)
        beating = asyncio.create_task(self._heartbeat(lease, stop))
        try:
            await self._consume(key, group, consumer, handler, lease, stop)
        finally:
            beating.cancel()
            await asyncio.wait({beating}, timeout=COMMAND_LIMIT)  # bounded: a swallowed cancel must not wedge us
            self._leases.forget(lease)
            with suppress(*REDIS_ERRORS):  # a stopping worker hands its partitions over at once
                await lease.release()

    async def dead_letters(self, stream: str, *, limit: int = 100) -> list[DeadLetter]:
        """Entries that failed every attempt, oldest first."""
        try:
            rows = await self._redis.xrange(f"{self._key(stream)}:dead", "-", "+", count=limit)
        except REDIS_ERRORS as e:
            raise Unavailable(f"redis unreachable: {e}") from e
        letters = []
        for _, raw in rows or []:
            fields = {as_text(k): as_text(v) for k, v in (raw or {}).items()}
            letters.append(
                DeadLetter(
                    entry_id=fields["entry_id"],
                    payload=fields["payload"],
                    error=fields["error"],
                    attempts=int(fields["attempts"]),
                    at=datetime.fromisoformat(fields["at"]),
                )
            )
        return letters

    async def replay(self, stream: str, entry_id: str) -> bool:
        """Publish the dead letter's payload again (a new entry) and delete it from the dead-letter stream."""
        dead = f"{self._key(stream)}:dead"
        try:
            rows = await self._redis.xrange(dead, "-", "+")  # dead letters are few; a scan is fine here
        except REDIS_ERRORS as e:
            raise Unavailable(f"redis unreachable: {e}") from e
        for dead_id, raw in rows or []:
            fields = {as_text(k): as_text(v) for k, v in (raw or {}).items()}
            if fields.get("entry_id") == entry_id:
                await self.publish(stream, fields["payload"])
                try:
                    await self._redis.xdel(dead, as_text(dead_id))
                except REDIS_ERRORS as e:
                    raise Unavailable(f"redis unreachable: {e}") from e
                return True
        return False

    async def broadcast(self, topic: str, data: str) -> None:
        """PUBLISH to the topic's channel; nobody subscribed means nobody hears it."""
        try:
            await self._redis.publish(self._channel(topic), data)
        except REDIS_ERRORS as e:
            raise Unavailable(f"redis refused broadcast to {topic}: {e}") from e

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[str]]:
        """SUBSCRIBE to the topic's channel while the context is open."""
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self._channel(topic))
            await _confirmed(pubsub)  # else a broadcast sent right after entering could be missed
        except REDIS_ERRORS as e:
            await _shut(pubsub)
            raise Unavailable(f"redis refused subscribe to {topic}: {e}") from e
        messages = _Messages(pubsub)
        try:
            yield messages
        finally:
            messages.closed = True
            with suppress(*REDIS_ERRORS):
                await pubsub.unsubscribe()
            await _shut(pubsub)

    def _key(self, stream: str) -> str:
        return f"{self.prefix}{stream}"

    def _channel(self, topic: str) -> str:
        return f"{self.prefix}live:{topic}"

class _Messages:
    """The data of a pubsub subscription's messages, as an async iterator."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub
        self.closed = False

    def __aiter__(self) -> _Messages:
        return self

    async def __anext__(self) -> str:
        while not self.closed:
            try:
                message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=None)
            except REDIS_ERRORS as e:
                raise Unavailable(f"redis subscription lost: {e}") from e
            if message is not None and message["type"] == "message":
                return as_text(message["data"])
        raise StopAsyncIteration


async def _confirmed(pubsub: PubSub) -> None:
    """Wait for the server's subscribe confirmation."""
    async with asyncio.timeout(5):
        while True:
            message = await pubsub.get_message(timeout=1.0)
            if message is not None and message["type"] == "subscribe":
                return


async def _shut(pubsub: PubSub) -> None:
    """Close the subscription's connection."""
    close = cast(Callable[[], Awaitable[None]], pubsub.aclose)  # redis-py leaves PubSub.aclose unannotated
    await close()
