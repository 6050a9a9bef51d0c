"""The Redis bus's consumer side: one consumer of a stream runs its entries in order while it owns the lease.

Split from hub/bus/redis_streams.py (the bus: publish, dead letters, broadcast), which inherits this loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from contextlib import suppress
from typing import Any, TypeVar, cast

from redis.asyncio import Redis
from redis.exceptions import RedisError
from redis.typing import EncodableT, FieldT

from hub.bus.base import BusPolicy, Handler
from hub.bus.bounded import COMMAND_LIMIT, abandon, bounded
from hub.bus.leases import Lease
from models.clock import utcnow

_log = logging.getLogger(__name__)

REDIS_ERRORS = (RedisError, OSError)  # redis-py wraps socket failures, but a raw OSError/TimeoutError can slip through
STREAM_MAXLEN = 1_000_000  # per stream, approximate: bounded memory; far more than any backlog we expect
_PAUSE = 0.5  # seconds to wait after Redis failed before trying again, doubled up to _LONGEST_PAUSE
_LONGEST_PAUSE = 5.0
_NO_ERROR = "no error recorded (the consumer stopped mid-entry)"
_TICK = 0.1  # seconds between a running handler's checks for a stall or a stop
_STOP_GRACE = 10.0  # seconds a handler may still take once the worker is told to stop
T = TypeVar("T")


class ConsumerLoop:
    """The consume loop of RedisStreamBus: lease, backlog first, then new entries; every wait bounded."""

    policy: BusPolicy
    _closed: bool

    @property
    def _redis(self) -> Redis:
        raise NotImplementedError

    async def _consume(
        self, key: str, group: str, consumer: str, handler: Handler, lease: Lease, stop: asyncio.Event
    ) -> None:
        ready = False
        backlog = True  # pending entries go first: an earlier owner's, or one of ours that failed
        pause = _PAUSE
        while not (stop.is_set() or self._closed):
            try:
                if not ready:
                    await bounded(self._create_group(key, group), COMMAND_LIMIT, f"group create {key}")
                    ready = True
                if not lease.valid():
                    if not await lease.acquire():
                        await _pause(stop, self._lease_poll)
                        continue
                    backlog = True  # a new owner: whatever is pending, nobody alive holds it
                if lease.over_share():  # another worker joined: give this partition to it
                    await lease.release()
                    continue
                if backlog:
                    backlog = not await self._reclaim(key, group, consumer, handler, lease, stop)
                if not backlog:
                    batch = await self._read(key, group, consumer)
                    for n, (entry_id, payload) in enumerate(batch):
                        if not lease.valid():  # left pending: the next owner runs it, in order
                            break
                        if not await self._deliver(key, group, entry_id, payload, handler, stop, deliveries=1):
                            backlog = True
                            await self._not_run(key, group, consumer, [i for i, _ in batch[n + 1:]])
                            break
                if backlog:  # a failed entry is retried after retry_after, and nothing overtakes it
                    await _pause(stop, self.policy.retry_after)
            except REDIS_ERRORS as e:
                if stop.is_set() or self._closed:
                    break
                _log.warning("bus %s/%s: redis failed (%s: %s), retrying in %.1fs",
                             key, group, type(e).__name__, e, pause)  # no traceback: an outage is no bug
                ready, backlog = False, True  # the stream may be gone (NOGROUP); recreating is idempotent
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
            with suppress(*REDIS_ERRORS):
                await lease.beat()
                if lease.held:
                    await lease.renew()
            await _pause(stop, self._lease_poll)

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
        self, key: str, group: str, consumer: str, handler: Handler, lease: Lease, stop: asyncio.Event
    ) -> bool:
        """Run the group's pending entries, oldest first; False at the first that fails again (or if the lease
        is lost). One at a time: XAUTOCLAIM counts a delivery for every entry it returns."""
        while lease.valid():
            reply = await self._command(self._redis.xautoclaim(key, group, consumer, 0, "0-0", count=1), "XAUTOCLAIM")
            claimed = cast(list[tuple[Any, Any]], reply[1])
            gone = [as_text(i) for i in reply[2]] if len(reply) > 2 else []  # trimmed away while pending
            if gone:
                await self._settle(key, group, gone)
            if not claimed and not gone:
                return True
            for raw_id, fields in claimed:
                if fields is None:  # Redis 6.2 reports trimmed entries this way
                    if raw_id is not None:
                        await self._settle(key, group, [as_text(raw_id)])
                    continue
                entry_id, payload = as_text(raw_id), as_text(fields.get("payload", ""))
                deliveries = await self._deliveries(key, group, entry_id)
                if deliveries > self.policy.max_attempts:  # its consumer kept dying on it
                    error = await self._command(self._redis.hget(f"{key}:errors", entry_id), "HGET")
                    await self._bury(key, group, entry_id, payload, as_text(error or _NO_ERROR), deliveries - 1)
                elif not await self._deliver(key, group, entry_id, payload, handler, stop, deliveries):
                    return False
        return False

    async def _not_run(self, key: str, group: str, consumer: str, entry_ids: list[str]) -> None:
        """Read but never run (an earlier entry failed): their delivery count goes back to 0, so that waiting
        behind a failure does not use up their attempts."""
        ids: list[Any] = list(entry_ids)  # redis-py's stub wants a list of its own union type
        if ids:
            await self._command(self._redis.xclaim(key, group, consumer, 0, ids, retrycount=0, justid=True), "XCLAIM")

    async def _deliveries(self, key: str, group: str, entry_id: str) -> int:
        pending = await self._command(
            self._redis.xpending_range(key, group, min=entry_id, max=entry_id, count=1), "XPENDING")
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _deliver(
        self, key: str, group: str, entry_id: str, payload: str, handler: Handler, stop: asyncio.Event, deliveries: int
    ) -> bool:
        """Run one entry; True once it is acked (or dead-lettered), False if it stays pending to be retried."""
        try:
            if not await self._watched(key, entry_id, handler(payload), stop):
                return False
        except Exception as e:  # a failing handler is retried later; it must not stop the consumer
            error = f"{type(e).__name__}: {e}"
            _log.warning("bus %s: handler failed on %s (delivery %d)", key, entry_id, deliveries, exc_info=e)
            if deliveries >= self.policy.max_attempts:
                await self._bury(key, group, entry_id, payload, error, deliveries)
                return True
            await self._command(self._redis.hset(f"{key}:errors", entry_id, error), "HSET")
            return False
        await self._settle(key, group, [entry_id])
        return True

    async def _watched(self, key: str, entry_id: str, handling: Awaitable[None], stop: asyncio.Event) -> bool:
        """Run a handler, logging a stall every `stall_after` seconds; False if it was abandoned: once `stop` is
        set it gets `stall_after` more seconds (at most _STOP_GRACE), then its entry stays pending for the next
        owner, so SIGTERM always ends a worker."""
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
                    give_up_at = give_up_at or now + min(_STOP_GRACE, self.policy.stall_after)
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
            pipe.xadd(f"{key}:dead", letter, maxlen=STREAM_MAXLEN)
            pipe.xack(key, group, entry_id)
            pipe.hdel(f"{key}:errors", entry_id)
            await self._command(pipe.execute(), "bury")


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep `seconds`, or less if `stop` is set meanwhile."""
    with suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


def _entries(reply: Any) -> list[tuple[str, str]]:
    """XREADGROUP's reply, in any of redis-py's shapes, -> (entry id, payload) of our one stream."""
    if not reply:
        return []
    per_stream = list(reply.values()) if isinstance(reply, dict) else [pair[1] for pair in reply]
    pairs = []
    for entries in per_stream:
        if entries and isinstance(entries[0], list):  # protocol=3 nests the entry list once more
            entries = entries[0]
        pairs += [(as_text(i), as_text(f.get("payload", ""))) for i, f in entries if i is not None and f is not None]
    return pairs


def as_text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
