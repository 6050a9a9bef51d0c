"""Redis Streams bus for production: consumer groups shared by horizontally scaled workers.

Delivery is at-least-once. `publish` is XADD (approximately capped, so memory stays bounded). Each
consumer reads new entries with XREADGROUP and handles them one by one, in order; an entry is XACKed
only after its handler returns. An entry whose handler raised, or whose consumer died mid-entry, stays
in the group's pending list: every `retry_after` seconds each consumer runs XAUTOCLAIM and takes over
entries idle that long, whoever held them. While a handler runs, its consumer re-claims the entry
(XCLAIM JUSTID, which does not count as a delivery) so a slow but alive handler is not taken over.

Redis counts deliveries per entry. A failure on the `max_attempts`-th delivery, or a reclaim that
finds an entry delivered more often (its consumer kept dying on it), moves the entry to the stream
`{prefix}{stream}:dead` with the last error (kept in the hash `{prefix}{stream}:errors`) and acks it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from typing import Any, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from hub.bus.base import BusPolicy, DeadLetter, Handler
from models.clock import utcnow
from models.errors import Unavailable

_log = logging.getLogger(__name__)

_ERRORS = (RedisError, OSError)  # redis-py wraps socket failures, but a raw OSError/TimeoutError can slip through
_MAXLEN = 1_000_000  # per stream, approximate: bounded memory; far more than any backlog we expect
_PAUSE = 1.0  # seconds to wait after Redis failed before trying again
_NO_ERROR = "no error recorded (the consumer stopped mid-entry)"


class RedisStreamBus:
    """Bus on Redis Streams with consumer groups."""

    def __init__(self, url: str, *, policy: BusPolicy | None = None, prefix: str = "otklik:") -> None:
        self.policy = policy or BusPolicy()
        self.prefix = prefix
        self._url = url
        self._client: Redis | None = None
        self._closed = False

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
        """Create the client and check that Redis answers."""
        self._closed = False
        await self.ping()

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
        except _ERRORS as e:
            raise Unavailable(f"redis unreachable: {e}") from e

    async def publish(self, stream: str, payload: str) -> str:
        """XADD the payload; Unavailable if Redis did not take it."""
        try:
            entry_id = await self._redis.xadd(self._key(stream), {"payload": payload}, maxlen=_MAXLEN)
        except _ERRORS as e:
            raise Unavailable(f"redis refused publish to {stream}: {e}") from e
        return _text(entry_id)

    async def consume(self, stream: str, group: str, consumer: str, handler: Handler, *, stop: asyncio.Event) -> None:
        """Handle new and reclaimed entries one by one until `stop`; Redis outages are waited out."""
        key = self._key(stream)
        loop = asyncio.get_running_loop()
        ready = False
        reclaim_at = 0.0
        while not (stop.is_set() or self._closed):
            try:
                if not ready:
                    await self._create_group(key, group)
                    ready = True
                if loop.time() >= reclaim_at:
                    await self._reclaim(key, group, consumer, handler)
                    reclaim_at = loop.time() + self.policy.retry_after
                for entry_id, payload in await self._read(key, group, consumer):
                    await self._deliver(key, group, consumer, entry_id, payload, handler, deliveries=1)
            except _ERRORS as e:
                if stop.is_set() or self._closed:
                    break
                _log.warning("bus %s/%s: redis failed, retrying in %ss", key, group, _PAUSE, exc_info=e)
                ready = False  # the stream may have been deleted (NOGROUP); recreating is idempotent
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), _PAUSE)

    async def dead_letters(self, stream: str, *, limit: int = 100) -> list[DeadLetter]:
        """Entries that failed every attempt, oldest first."""
        try:
            rows = await self._redis.xrange(f"{self._key(stream)}:dead", "-", "+", count=limit)
        except _ERRORS as e:
            raise Unavailable(f"redis unreachable: {e}") from e
        letters = []
        for _, raw in rows or []:
            fields = {_text(k): _text(v) for k, v in (raw or {}).items()}
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
        except _ERRORS as e:
            raise Unavailable(f"redis unreachable: {e}") from e
        for dead_id, raw in rows or []:
            fields = {_text(k): _text(v) for k, v in (raw or {}).items()}
            if fields.get("entry_id") == entry_id:
                await self.publish(stream, fields["payload"])
                try:
                    await self._redis.xdel(dead, _text(dead_id))
                except _ERRORS as e:
                    raise Unavailable(f"redis unreachable: {e}") from e
                return True
        return False

    async def broadcast(self, topic: str, data: str) -> None:
        """PUBLISH to the topic's channel; nobody subscribed means nobody hears it."""
        try:
            await self._redis.publish(self._channel(topic), data)
        except _ERRORS as e:
            raise Unavailable(f"redis refused broadcast to {topic}: {e}") from e

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[str]]:
        """SUBSCRIBE to the topic's channel while the context is open."""
        pubsub = self._redis.pubsub()
        try:
            await pubsub.subscribe(self._channel(topic))
            await _confirmed(pubsub)  # else a broadcast sent right after entering could be missed
        except _ERRORS as e:
            await _shut(pubsub)
            raise Unavailable(f"redis refused subscribe to {topic}: {e}") from e
        messages = _Messages(pubsub)
        try:
            yield messages
        finally:
            messages.closed = True
            with suppress(*_ERRORS):
                await pubsub.unsubscribe()
            await _shut(pubsub)

    def _key(self, stream: str) -> str:
        return f"{self.prefix}{stream}"

    def _channel(self, topic: str) -> str:
        return f"{self.prefix}live:{topic}"

    async def _create_group(self, key: str, group: str) -> None:
        try:  # id 0: entries published before the first worker started are handled too
            await self._redis.xgroup_create(key, group, id="0", mkstream=True)
        except RedisError as e:
            if "BUSYGROUP" not in str(e):
                raise

    async def _read(self, key: str, group: str, consumer: str) -> list[tuple[str, str]]:
        block_ms = max(10, min(1000, int(self.policy.retry_after * 1000)))  # wake up for stop and reclaim
        reply = await self._redis.xreadgroup(group, consumer, {key: ">"}, count=self.policy.batch, block=block_ms)
        return _entries(reply)

    async def _reclaim(self, key: str, group: str, consumer: str, handler: Handler) -> None:
        idle_ms = int(self.policy.retry_after * 1000)
        start = "0-0"
        while True:
            reply = await self._redis.xautoclaim(key, group, consumer, idle_ms, start, count=self.policy.batch)
            start, claimed = _text(reply[0]), cast(list[tuple[Any, Any]], reply[1])
            gone = [_text(i) for i in reply[2]] if len(reply) > 2 else []  # trimmed away while pending
            if gone:
                await self._settle(key, group, gone)
            for raw_id, fields in claimed:
                if raw_id is None or fields is None:  # Redis 6.2 reports trimmed entries this way
                    continue
                entry_id, payload = _text(raw_id), _text(fields.get("payload", ""))
                deliveries = await self._deliveries(key, group, entry_id)
                if deliveries > self.policy.max_attempts:  # its consumer kept dying on it
                    error = await self._redis.hget(f"{key}:errors", entry_id)
                    await self._bury(key, group, entry_id, payload, _text(error or _NO_ERROR), deliveries - 1)
                else:
                    await self._deliver(key, group, consumer, entry_id, payload, handler, deliveries)
            if start == "0-0":
                return

    async def _deliveries(self, key: str, group: str, entry_id: str) -> int:
        pending = await self._redis.xpending_range(key, group, min=entry_id, max=entry_id, count=1)
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _deliver(
        self, key: str, group: str, consumer: str, entry_id: str, payload: str, handler: Handler, deliveries: int
    ) -> None:
        holding = asyncio.create_task(self._hold(key, group, consumer, entry_id))
        try:
            await handler(payload)
        except Exception as e:  # a failing handler is retried later; it must not stop the consumer
            error = f"{type(e).__name__}: {e}"
            _log.warning("bus %s: handler failed on %s (delivery %d)", key, entry_id, deliveries, exc_info=e)
            if deliveries >= self.policy.max_attempts:
                await self._bury(key, group, entry_id, payload, error, deliveries)
            else:
                await self._redis.hset(f"{key}:errors", entry_id, error)
            return
        finally:  # on CancelledError too: the entry stays pending and is reclaimed after retry_after
            holding.cancel()
            await asyncio.wait({holding})
        await self._settle(key, group, [entry_id])

    async def _hold(self, key: str, group: str, consumer: str, entry_id: str) -> None:
        """Keep an entry in hand while its handler runs, so it is not reclaimed as abandoned."""
        interval = self.policy.retry_after / 3
        while True:
            await asyncio.sleep(interval)
            with suppress(*_ERRORS):  # min idle: never take back an entry another consumer just claimed
                await self._redis.xclaim(key, group, consumer, int(interval * 500), [entry_id], justid=True)

    async def _settle(self, key: str, group: str, entry_ids: list[str]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(key, group, *entry_ids)
            pipe.hdel(f"{key}:errors", *entry_ids)
            await pipe.execute()

    async def _bury(self, key: str, group: str, entry_id: str, payload: str, error: str, attempts: int) -> None:
        _log.warning("bus %s: %s dead-lettered after %d attempts: %s", key, entry_id, attempts, error)
        letter: dict[FieldT, EncodableT] = {
            "entry_id": entry_id,
            "payload": payload,
            "error": error,
            "attempts": attempts,
            "at": utcnow().isoformat(),
        }
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xadd(f"{key}:dead", letter, maxlen=_MAXLEN)
            pipe.xack(key, group, entry_id)
            pipe.hdel(f"{key}:errors", entry_id)
            await pipe.execute()


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
            except _ERRORS as e:
                raise Unavailable(f"redis subscription lost: {e}") from e
            if message is not None and message["type"] == "message":
                return _text(message["data"])
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


def _entries(reply: Any) -> list[tuple[str, str]]:
    """XREADGROUP's reply, in any of redis-py's shapes, -> (entry id, payload) of our one stream."""
    if not reply:
        return []
    per_stream = list(reply.values()) if isinstance(reply, dict) else [pair[1] for pair in reply]
    pairs = []
    for entries in per_stream:
        if entries and isinstance(entries[0], list):  # protocol=3 nests the entry list once more
            entries = entries[0]
        pairs += [(_text(i), _text(f.get("payload", ""))) for i, f in entries if i is not None and f is not None]
    return pairs


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
