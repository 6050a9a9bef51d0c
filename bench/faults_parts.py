"""bench/faults.py's parts: the flaky callback endpoint, what the store and Redis say afterwards, the report."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sqlite3
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import uvicorn
from redis.asyncio import Redis
from starlette.types import Scope

from bench.ingest import _QuietServer, free_port

STREAMS = ("inbound", "outbound", "events")


class FlakyReceiver:
    """The api account's callback endpoint: answers 500 or 429 to a share of the sends, 200 to the rest,
    and records what it accepted (first arrival of each Idempotency-Key, and repeats)."""

    def __init__(self, flaky: float, rng: random.Random) -> None:
        self.flaky = flaky
        self.rng = rng
        self.port = free_port()
        self.accepted: list[tuple[float, str]] = []  # (arrival, Idempotency-Key) of every 2xx
        self.refused: Counter[int] = Counter()
        self.changed = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/cb"

    async def __call__(self, scope: Scope, receive: Callable[[], Any], send: Callable[[Scope], Any]) -> None:
        if scope["type"] != "http":
            return
        more = True
        while more:
            more = (await receive()).get("more_body", False)
        key = dict(scope["headers"]).get(b"idempotency-key", b"").decode("latin-1")
        status = self.rng.choice((500, 503, 429)) if self.rng.random() < self.flaky else 200
        headers = [(b"content-length", b"0")] + ([(b"retry-after", b"0")] if status == 429 else [])
        if status == 200:
            self.accepted.append((time.monotonic(), key))
            self.changed.set()
        else:
            self.refused[status] += 1
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    def keys(self) -> set[str]:
        return {key for _, key in self.accepted}

    async def drained(self, expected: int, since: float, *, stall: float) -> float:
        """Seconds from `since` until `expected` distinct replies were accepted (or no new one for `stall` s)."""
        last = since
        while len(self.keys()) < expected:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), stall)
            except TimeoutError:
                break
            last = time.monotonic()
        return (self.accepted[-1][0] if self.accepted else last) - since


class App(Protocol):
    port: int

    async def __call__(self, scope: Scope, receive: Callable[[], Any], send: Callable[[Scope], Any]) -> None: ...


@contextlib.asynccontextmanager
async def serve_app(app: App) -> AsyncIterator[None]:
    """`app` on 127.0.0.1:app.port for the block."""
    server = _QuietServer(uvicorn.Config(app, host="127.0.0.1", port=app.port, log_level="warning",
                                         lifespan="off", access_log=False))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield
    finally:
        server.should_exit = True
        await task


@contextlib.asynccontextmanager
async def serve_flaky(receiver: FlakyReceiver) -> AsyncIterator[FlakyReceiver]:
    async with serve_app(receiver):
        yield receiver


@dataclass
class Stored:
    """The store after the run: inbound (stored id, external id, handled) and outbound (key, status, reason)."""

    inbound: list[tuple[str, str, bool]]
    outbound: list[tuple[str, str, str | None]]


async def read_store(args: argparse.Namespace, tmp: Path) -> Stored:
    if args.store == "sqlite":
        with contextlib.closing(sqlite3.connect(tmp / "otklik.sqlite3")) as db:
            inbound = [(r[0], r[1], bool(r[2])) for r in db.execute(
                "SELECT id, external_id, json_extract(doc, '$.handled') FROM messages WHERE direction = 'inbound'")]
            outbound = [(r[0], r[1], r[2]) for r in db.execute(
                "SELECT idempotency_key, json_extract(doc, '$.status'), json_extract(doc, '$.status_reason')"
                " FROM messages WHERE direction = 'outbound'")]
        return Stored(inbound, outbound)
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongodb_url)
    try:
        messages = client.get_default_database()["messages"]
        docs = [d async for d in messages.find({}, {"direction": 1, "external_id": 1, "handled": 1,
                                                    "idempotency_key": 1, "status": 1, "status_reason": 1})]
    finally:
        await client.close()
    return Stored([(d["_id"], d.get("external_id", ""), bool(d.get("handled"))) for d in docs
                   if d.get("direction") == "inbound"],
                  [(d.get("idempotency_key", ""), d.get("status", ""), d.get("status_reason")) for d in docs
                   if d.get("direction") == "outbound"])


async def dead_letters(url: str, prefix: str) -> list[tuple[str, str]]:
    """(stream, error) of every dead letter under `prefix`."""
    redis = Redis.from_url(url, decode_responses=True)
    try:
        found = []
        async for key in redis.scan_iter(match=f"{prefix}*:dead"):
            for _, fields in await redis.xrange(key):
                found.append((key.removeprefix(prefix), fields.get("error", "")))
        return found
    finally:
        await redis.aclose()


async def pending_entries(url: str, prefix: str) -> int:
    """Entries delivered but never acknowledged, over every stream and group; the keys are deleted after."""
    redis = Redis.from_url(url, decode_responses=True)
    try:
        total = 0
        async for key in redis.scan_iter(match=f"{prefix}*", _type="stream"):
            if key.endswith(":dead"):
                continue
            for group in await redis.xinfo_groups(key):
                total += int(group["pending"])
        keys = [k async for k in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
        return total
    finally:
        await redis.aclose()


@dataclass
class Campaign:
    """What happened during the run, and the verdict."""

    accepted: int = 0
    resent_by_us: int = 0
    refused: Counter[str] = field(default_factory=Counter)  # POSTs answered 503 / not connected, then retried
    kills: int = 0
    cuts: int = 0
    store_outages: int = 0
    chaos_done_before_sending_ended: bool = False
    drain_seconds: float = 0.0
    total_seconds: float = 0.0

    def report(self, args: argparse.Namespace, receiver: FlakyReceiver, store: Stored,
               letters: list[tuple[str, str]], pending: int) -> bool:
        """Print the counts; True if the run failed (loss, duplicate, unexplained resend, disorder, leftovers)."""
        stored_ids = Counter(ext for _, ext, _ in store.inbound)
        by_stored = {sid: ext for sid, ext, _ in store.inbound}
        keys = Counter(key for key, _, _ in store.outbound)
        acked_at: dict[str, int] = {}
        for n, (_, key) in enumerate(receiver.accepted):
            ext = by_stored.get(key.removeprefix("ack:"))
            if ext is not None:
                acked_at.setdefault(ext, n)
        expected = [f"m{i}" for i in range(args.messages)]
        lost = [m for m in expected if m not in acked_at]
        duplicated = [m for m, c in stored_ids.items() if c > 1] + [k for k, c in keys.items() if c > 1]
        repeats = Counter(key for _, key in receiver.accepted)
        resent = sum(c - 1 for c in repeats.values())
        explained = self.kills * args.partitions  # a killed worker may have had one send in hand per partition
        disorder = out_of_order(args, acked_at)
        unhandled = [ext for _, ext, handled in store.inbound if not handled]
        print(f"store={args.store} bus=redis workers={args.workers} partitions={args.partitions} "
              f"messages={args.messages} users={args.users} sent twice={self.resent_by_us}")
        print(f"faults: {self.kills} x kill -9, {self.cuts} bus cut(s) of {args.cut:.0f}s, "
              f"{self.store_outages} store outage(s) of {args.store_down:.0f}s, "
              f"callback refused {sum(receiver.refused.values())} sends ({dict(receiver.refused)}), "
              f"POSTs retried {sum(self.refused.values())} ({dict(self.refused)})")
        print(f"lost={len(lost)} duplicated={len(duplicated)} out_of_order_users={len(disorder)} "
              f"resent_at_edge={resent} (kills explain up to {explained}) unhandled={len(unhandled)} "
              f"dead_letters={len(letters)} pending={pending}")
        for stream, reason in Counter(letters).most_common(5):
            print(f"  dead letter {stream}: {reason}")
        print(f"time to drain after the last POST: {self.drain_seconds:.1f}s; whole run {self.total_seconds:.1f}s "
              f"({args.messages / max(self.total_seconds, 0.001):.1f} acknowledged messages/s)")
        if args.store == "mongo":
            print("note: on secantusdb this proves correctness, not speed (it scans collections for lookups)")
        for name, items in (("lost", lost), ("duplicated", duplicated), ("out of order", disorder),
                            ("unhandled", unhandled)):
            if items:
                print(f"  {name}: {items[:10]}")
        return bool(lost or duplicated or disorder or unhandled or letters or pending or resent > explained)


def out_of_order(args: argparse.Namespace, acked_at: dict[str, int]) -> list[str]:
    """Shoppers whose messages' acknowledgements were first accepted in another order than they were sent."""
    per_user: dict[str, list[int]] = defaultdict(list)
    for i in range(args.messages):
        if f"m{i}" in acked_at:
            per_user[f"u{i % args.users}"].append(acked_at[f"m{i}"])
    return [user for user, seen in per_user.items() if seen != sorted(seen)]
