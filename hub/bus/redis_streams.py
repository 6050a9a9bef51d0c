"""Redis Streams bus for production: consumer groups shared by horizontally scaled workers.

Delivery is at-least-once. `publish` is XADD (approximately capped, so memory stays bounded). A stream
(one partition) is read by one consumer of a group at a time, the owner of its lease (hub/bus/leases.py):
it reads with XREADGROUP and handles entries one by one, in order, XACKing each after its handler returns.
A new owner first takes over every entry the previous one left pending (XAUTOCLAIM, min idle 0: nobody
alive holds them), so a worker killed mid-batch is replaced within the lease time, in order. An entry
whose handler raised stays pending and is retried by the owner `retry_after` seconds later.

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
from typing import Any, TypeVar, cast

from redis.asyncio import Redis
from redis.asyncio.client import PubSub
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from hub.bus.base import BusPolicy, DeadLetter, Handler
from hub.bus.bounded import COMMAND_LIMIT, abandon, bounded
from hub.bus.leases import Lease, Leases
from models.clock import utcnow
from models.errors import Unavailable

_log = logging.getLogger(__name__)

_ERRORS = (RedisError, OSError)  # redis-py wraps socket failures, but a raw OSError/TimeoutError can slip through
_MAXLEN = 1_000_000  # per stream, approximate: bounded memory; far more than any backlog we expect
_PAUSE = 0.5  # seconds to wait after Redis failed before trying again, doubled up to _LONGEST_PAUSE
_LONGEST_PAUSE = 5.0
_NO_ERROR = "no error recorded (the consumer stopped mid-entry)"
_TICK = 1.0  # seconds between a running handler's checks for a stall or a stop
_STOP_GRACE = 10.0  # seconds a handler may still take once the worker is told to stop
T = TypeVar("T")


class RedisStreamBus:
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
        """Handle the stream's entries one by one, in order, while this consumer owns its lease; until `stop`."""
        key = self._key(stream)
        lease = self._leases.lease(key, group, consumer)
        beating = asyncio.create_task(self._heartbeat(lease, stop))
        try:
            await self._consume(key, group, consumer, handler, lease, stop)
        finally:
            beating.cancel()
            await asyncio.wait({beating}, timeout=COMMAND_LIMIT)  # bounded: a swallowed cancel must not wedge us
            self._leases.forget(lease)
            with suppress(*_ERRORS):  # a stopping worker hands its partitions over at once
                await lease.release()

    async def _consume(
        self, key: str, group: str, consumer: str, handler: Handler, lease: Lease, stop: asyncio.Event
    ) -> None:
        loop = asyncio.get_running_loop()
        ready = False
        reclaim_at, pause = 0.0, _PAUSE
        while not (stop.is_set() or self._closed):
            try:
                if not ready:
                    await bounded(self._create_group(key, group), COMMAND_LIMIT, f"group create {key}")
                    ready = True
                if not lease.valid():
                    if not await lease.acquire():
                        await _pause(stop, self._lease_poll)
                        continue
                    reclaim_at, idle = 0.0, 0  # a new owner: whatever is pending, nobody alive holds it
                else:
                    idle = int(self.policy.retry_after * 1000)  # our own failed entries wait retry_after
                if lease.over_share():  # another worker joined: give this partition to it
                    await lease.release()
                    continue
                if loop.time() >= reclaim_at:
                    await self._reclaim(key, group, consumer, handler, lease, stop, idle)
                    reclaim_at = loop.time() + self.policy.retry_after
                for entry_id, payload in await self._read(key, group, consumer):
                    if not lease.valid():  # left pending: the next owner runs it, in order
                        break
                    await self._deliver(key, group, entry_id, payload, handler, stop, deliveries=1)
            except _ERRORS as e:
                if stop.is_set() or self._closed:
                    break
                _log.warning("bus %s/%s: redis failed (%s: %s), retrying in %.1fs",
                             key, group, type(e).__name__, e, pause)  # no traceback: an outage is no bug
                ready = False  # the stream may have been deleted (NOGROUP); recreating is idempotent
                await _pause(stop, pause)
                pause = min(pause * 2, _LONGEST_PAUSE)
                continue
            pause = _PAUSE

    @property
    def _lease_poll(self) -> float:
        return min(1.0, self.policy.lease_ttl / 5)

    async def _heartbeat(self, lease: Lease, stop: asyncio.Event) -> None:
        """Keep the lease while the consumer lives, and the count of live members fresh."""
        while not (stop.is_set() or self._closed):
            with suppress(*_ERRORS):
                await lease.beat()
                if lease.held:
                    await lease.renew()
            await _pause(stop, self._lease_poll)

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
        reply = await self._command(
            self._redis.xreadgroup(group, consumer, {key: ">"}, count=self.policy.batch, block=block_ms), "XREADGROUP")
        return _entries(reply)

    async def _reclaim(
        self, key: str, group: str, consumer: str, handler: Handler, lease: Lease, stop: asyncio.Event, idle_ms: int
    ) -> None:
        start = "0-0"
        while lease.valid():
            reply = await self._command(
                self._redis.xautoclaim(key, group, consumer, idle_ms, start, count=self.policy.batch), "XAUTOCLAIM")
            start, claimed = _text(reply[0]), cast(list[tuple[Any, Any]], reply[1])
            gone = [_text(i) for i in reply[2]] if len(reply) > 2 else []  # trimmed away while pending
            if gone:
                await self._settle(key, group, gone)
            for raw_id, fields in claimed:
                if raw_id is None or fields is None:  # Redis 6.2 reports trimmed entries this way
                    continue
                if not lease.valid():
                    return
                entry_id, payload = _text(raw_id), _text(fields.get("payload", ""))
                deliveries = await self._deliveries(key, group, entry_id)
                if deliveries > self.policy.max_attempts:  # its consumer kept dying on it
                    error = await self._command(self._redis.hget(f"{key}:errors", entry_id), "HGET")
                    await self._bury(key, group, entry_id, payload, _text(error or _NO_ERROR), deliveries - 1)
                else:
                    await self._deliver(key, group, entry_id, payload, handler, stop, deliveries)
            if start == "0-0":
                return

    async def _deliveries(self, key: str, group: str, entry_id: str) -> int:
        pending = await self._command(
            self._redis.xpending_range(key, group, min=entry_id, max=entry_id, count=1), "XPENDING")
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _deliver(
        self, key: str, group: str, entry_id: str, payload: str, handler: Handler, stop: asyncio.Event, deliveries: int
    ) -> None:
        try:
            if not await self._watched(key, entry_id, handler(payload), stop):
                return
        except Exception as e:  # a failing handler is retried later; it must not stop the consumer
            error = f"{type(e).__name__}: {e}"
            _log.warning("bus %s: handler failed on %s (delivery %d)", key, entry_id, deliveries, exc_info=e)
            if deliveries >= self.policy.max_attempts:
                await self._bury(key, group, entry_id, payload, error, deliveries)
            else:
                await self._command(self._redis.hset(f"{key}:errors", entry_id, error), "HSET")
            return
        await self._settle(key, group, [entry_id])

    async def _watched(self, key: str, entry_id: str, handling: Awaitable[None], stop: asyncio.Event) -> bool:
        """Run a handler, logging a stall every `stall_after` seconds; False if it was abandoned: once `stop` is
        set it gets `_STOP_GRACE` seconds, then its entry stays pending for the next owner (SIGTERM always works)."""
        loop = asyncio.get_running_loop()
        task = asyncio.ensure_future(handling)
        started = loop.time()
        stall_at, give_up_at = started + self.policy.stall_after, None
        try:
            while not (await asyncio.wait({task}, timeout=_TICK))[0]:
                now = loop.time()
                if now >= stall_at:
                    stall_at += self.policy.stall_after
                    _log.warning("bus stall: handler on %s %s running for %.0fs", key, entry_id, now - started,
                                 extra={"stall": f"{key} {entry_id}", "seconds": round(now - started)})
                if stop.is_set():
                    give_up_at = give_up_at or now + _STOP_GRACE
                    if now >= give_up_at:
                        _log.warning("bus: stopping; the handler on %s %s is abandoned", key, entry_id)
                        task.cancel()
                        abandon(task)
                        return False
        except asyncio.CancelledError:
            task.cancel()
            raise
        task.result()
        return True

    async def _command(self, work: Awaitable[T], what: str) -> T:
        return await bounded(work, COMMAND_LIMIT, what)

    async def _settle(self, key: str, group: str, entry_ids: list[str]) -> None:
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(key, group, *entry_ids)
            pipe.hdel(f"{key}:errors", *entry_ids)
            await self._command(pipe.execute(), "XACK")

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
            await self._command(pipe.execute(), "bury")


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


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


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
