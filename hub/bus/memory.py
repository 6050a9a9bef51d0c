"""In-process bus for the embedded default: the same semantics as Redis Streams within one process.

Entries published before any group exists wait in a backlog that the first group takes, so a message
accepted before the worker starts is not dropped; like a capped Redis stream, a backlog keeps only the
newest `backlog_limit` entries (a stream nobody consumes, such as events before any subscriber exists,
must not grow without bound). With a journal (the embedded default has one), every
entry is on disk before it is queued and re-queued on the next start until its group has handled it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from hub.bus.base import BusPolicy, DeadLetter, Handler, Wants, only
from hub.bus.journal import BACKLOG, SqliteBusJournal
from models.clock import utcnow

_NO_ERROR = "no error recorded (the consumer stopped mid-entry)"
_log = logging.getLogger(__name__)


@dataclass
class _Entry:
    id: str
    payload: str
    attempts: int = 0
    last_error: str = ""


class _GroupQueue(asyncio.Queue[_Entry]):
    """A group's entries, with `ready` set whenever one is added: a consumer waits on it (its stop sets it too)
    instead of starting a task and a wait per entry (`_put` is the Queue's hook, as PriorityQueue uses it)."""

    def __init__(self) -> None:
        super().__init__()
        self.ready = asyncio.Event()

    def _put(self, item: _Entry) -> None:
        super()._put(item)
        self.ready.set()


@dataclass
class _Stream:
    backlog: list[_Entry] = field(default_factory=list)
    groups: dict[str, _GroupQueue] = field(default_factory=dict)
    wants: dict[str, Wants | None] = field(default_factory=dict)  # per group with a consumer; None: every entry
    dead: list[DeadLetter] = field(default_factory=list)

    def takers(self, payload: str) -> list[str]:
        """The groups that want the entry."""
        return [g for g in self.groups if (wants := self.wants.get(g)) is None or wants(payload)]


def _seq(entry: _Entry) -> int:
    return int(entry.id.split("-")[0])


class MemoryBus:
    """Bus within one process."""

    def __init__(
        self, policy: BusPolicy | None = None, *, journal: SqliteBusJournal | None = None,
        backlog_limit: int = 10_000,
    ) -> None:
        self.policy = policy or BusPolicy()
        self.journal = journal
        self.backlog_limit = backlog_limit
        self._lock = asyncio.Lock()
        self._streams: dict[str, _Stream] = defaultdict(_Stream)
        self._ids = itertools.count(1)
        self._subscribers: dict[str, set[asyncio.Queue[str]]] = defaultdict(set)
        self._timers: set[asyncio.TimerHandle] = set()

    async def open(self) -> None:
        """Open the journal and queue again what the last run left unfinished."""
        if self.journal is None:
            return
        await self.journal.open()
        last = 0
        for stream, group, seq, payload in await self.journal.unfinished():
            state = self._streams[stream]
            entry = _Entry(f"{seq}-0", payload)
            if group == BACKLOG:
                state.backlog.append(entry)
            else:
                state.groups.setdefault(group, _GroupQueue()).put_nowait(entry)
            last = max(last, seq)
        self._ids = itertools.count(last + 1)

    async def close(self) -> None:
        """Cancel pending redeliveries and close the journal."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self.journal is not None:
            await self.journal.close()

    async def ping(self) -> None:
        """Always reachable."""

    async def publish(self, stream: str, payload: str) -> str:
        """Append to every group of the stream (or the backlog while there is none), once it is on disk."""
        # Under the lock the entry gets its id and the groups its journal rows name; the journal commits in
        # the order of the calls and queues each entry right after its commit (`then`), so entries reach the
        # queues in the order of their ids while concurrent publishes share one commit.
        async with self._lock:
            seq = next(self._ids)
            entry_id = f"{seq}-0"
            state = self._streams[stream]
            waiting = not state.groups  # no group yet: the backlog keeps it for the first one
            groups = state.takers(payload)
            if not waiting and not groups:
                return entry_id  # no group wants it: nothing to keep or queue

            def enqueue() -> None:
                if waiting:
                    state.backlog.append(_Entry(entry_id, payload))
                    self._trim(stream, state)
                for group in groups:
                    state.groups[group].put_nowait(_Entry(entry_id, payload))

            if self.journal is None:
                enqueue()
                return entry_id
            durable = self.journal.record(stream, groups or [BACKLOG], seq, payload, then=enqueue)
        await durable  # on disk before any consumer can see it, and before the publisher's caller answers
        return entry_id

    def _trim(self, stream: str, state: _Stream) -> None:
        while len(state.backlog) > self.backlog_limit:
            dropped = state.backlog.pop(0)
            if self.journal is not None:
                self.journal.forget(stream, BACKLOG, _seq(dropped))

    async def _queue(self, stream: str, group: str, wants: Wants | None) -> _GroupQueue:
        async with self._lock:
            state = self._streams[stream]
            if group not in state.wants:  # its first consumer (the group may exist already: a journal's entries)
                state.wants[group] = wants
            elif state.wants[group] is not wants:
                state.wants[group] = None  # consumers of one group that want different entries: keep them all
            if group not in state.groups:
                if self.journal is not None:
                    await self.journal.assign_backlog(stream, group)
                queue = _GroupQueue()
                for entry in state.backlog:
                    queue.put_nowait(entry)
                state.backlog.clear()
                state.groups[group] = queue
            return state.groups[group]

    async def consume(
        self, stream: str, group: str, consumer: str, handler: Handler, *, stop: asyncio.Event,
        wants: Wants | None = None,
    ) -> None:
        """Handle entries one by one until `stop`; a failed entry comes back after `retry_after`.

        An entry already queued is taken at once, after one yield to the other tasks; an empty queue is waited on
        through its `ready` event, which the stop sets too (a task and a wait per entry were most of what a
        handler that skips an entry cost). Entries `wants` says no to are not queued for the group at all (nor
        journaled for it); those that were (the backlog, an earlier run's journal) are acknowledged unseen."""
        queue = await self._queue(stream, group, wants)
        handler = only(wants, handler)
        stopping = asyncio.ensure_future(stop.wait())
        stopping.add_done_callback(lambda _: queue.ready.set())
        try:
            while not stop.is_set():
                if queue.empty():
                    queue.ready.clear()  # no await since the look: an entry added from now on sets it again
                    await queue.ready.wait()
                    continue
                await self._handle(stream, group, queue, queue.get_nowait(), handler)
                await asyncio.sleep(0)  # the others' turn between two entries (the API's requests in a backlog)
        finally:
            stopping.cancel()

    async def _handle(
        self, stream: str, group: str, queue: asyncio.Queue[_Entry], entry: _Entry, handler: Handler
    ) -> None:
        if entry.attempts >= self.policy.max_attempts:  # every delivery died with its consumer: a poison entry
            await self._bury(stream, group, entry, entry.last_error or _NO_ERROR)
            return
        entry.attempts += 1
        try:
            await handler(entry.payload)
        except asyncio.CancelledError:
            queue.put_nowait(entry)  # the consumer died mid-entry: another one takes it
            raise
        except Exception as e:  # any handler failure is retried; the bus must not die with it
            entry.last_error = f"{type(e).__name__}: {e}"
            _log.warning("handler failed", exc_info=True,
                         extra={"stream": stream, "entry": entry.id, "attempt": entry.attempts})
            if entry.attempts >= self.policy.max_attempts:
                await self._bury(stream, group, entry, entry.last_error)
            else:
                self._later(queue, entry)
        else:
            await self._done(stream, group, entry)

    async def _bury(self, stream: str, group: str, entry: _Entry, error: str) -> None:
        self._streams[stream].dead.append(DeadLetter(entry.id, entry.payload, error, entry.attempts, utcnow()))
        await self._done(stream, group, entry)

    async def _done(self, stream: str, group: str, entry: _Entry) -> None:
        if self.journal is not None:
            self.journal.forget(stream, group, _seq(entry))  # committed with the next batch

    def _later(self, queue: asyncio.Queue[_Entry], entry: _Entry) -> None:
        loop = asyncio.get_running_loop()

        def requeue() -> None:
            self._timers.discard(timer)
            queue.put_nowait(entry)

        timer = loop.call_later(self.policy.retry_after, requeue)
        self._timers.add(timer)

    async def dead_letters(self, stream: str, *, limit: int = 100) -> list[DeadLetter]:
        """Entries that failed every attempt."""
        return list(self._streams[stream].dead[:limit])

    async def replay(self, stream: str, entry_id: str) -> bool:
        """Publish the dead letter's payload again and forget the dead letter."""
        dead = self._streams[stream].dead
        letter = next((d for d in dead if d.entry_id == entry_id), None)
        if letter is None:
            return False
        await self.publish(stream, letter.payload)
        dead.remove(letter)
        return True

    async def broadcast(self, topic: str, data: str) -> None:
        """Hand `data` to every current subscriber of `topic`."""
        for queue in self._subscribers.get(topic, ()):
            if not queue.full():  # a subscriber that stopped reading loses live updates, not the bus
                queue.put_nowait(data)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[AsyncIterator[str]]:
        """Listen to `topic` while the context is open."""
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self._subscribers[topic].add(queue)

        async def messages() -> AsyncIterator[str]:
            while True:
                yield await queue.get()

        try:
            yield messages()
        finally:
            self._subscribers[topic].discard(queue)
            if not self._subscribers[topic]:
                del self._subscribers[topic]
