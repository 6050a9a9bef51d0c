"""bench/faults.py's two longer outages: the store made unavailable, and the CRM's webhook receiver down for a
simulated hour (the dispatcher's backoff scaled down by the same factor), then what reached the CRM."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sqlite3
import subprocess
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.types import Scope

from bench.faults_parts import Stored, read_store
from bench.ingest import free_port, otklik_command
from tests.fakes.tcp_proxy import TcpProxy

HOUR = 3600.0
ABOUT = {"customer.created": "customer_id", "conversation.opened": "conversation_id"}


class CrmReceiver:
    """The CRM's webhook endpoint: 503 to everything for `down_for` seconds from the first attempt it sees
    (workers take a while to start, so a timer from the start of the run could end before any attempt), then
    200; records every accepted delivery."""

    def __init__(self, down_for: float) -> None:
        self.port = free_port()
        self.down_for = down_for
        self.down_since: float | None = None
        self.refused = 0
        self.accepted: list[tuple[str, str, str, str | None]] = []  # (webhook-id, event id, type, message id)
        self.about: defaultdict[str, set[str | None]] = defaultdict(set)  # event type -> ids the events were about
        self.changed = asyncio.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/crm"

    async def __call__(self, scope: Scope, receive: Callable[[], Any], send: Callable[[Scope], Any]) -> None:
        if scope["type"] != "http":
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        now = time.monotonic()
        self.down_since = now if self.down_since is None else self.down_since
        down = now - self.down_since < self.down_for
        status = 503 if down else 200
        if down:
            self.refused += 1
        else:
            body = json.loads(b"".join(chunks))
            webhook_id = dict(scope["headers"]).get(b"webhook-id", b"").decode("latin-1")
            self.accepted.append((webhook_id, body["id"], body["type"], body["data"].get("message_id")))
            self.about[body["type"]].add(body["data"].get(ABOUT.get(body["type"], "message_id")))
            self.changed.set()
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})


def webhook_env(args: argparse.Namespace) -> dict[str, str]:
    """The dispatcher's clock shortened so that `--crm-down` seconds play an hour: backoff, cap and budget
    scale by crm_down / 3600 (the defaults: 1 s base, 10 min cap, 24 h budget)."""
    if not args.crm_down:
        return {}
    scale = args.crm_down / HOUR
    return {"OTKLIK_WEBHOOK_BACKOFF_BASE": f"{scale:.6f}", "OTKLIK_WEBHOOK_BACKOFF_MAX": f"{600 * scale:.3f}",
            "OTKLIK_WEBHOOK_BUDGET_HOURS": f"{24 * scale:.6f}", "OTKLIK_WEBHOOK_TIMEOUT": "5",
            "OTKLIK_WEBHOOK_DISPATCH_INTERVAL": "0.2"}


def subscribe(env: dict[str, str], cwd: Path, url: str) -> str:
    """Register the CRM's subscription to every event with `otklik webhooks add`; its id."""
    done = subprocess.run([*otklik_command(), "webhooks", "add", "--url", url, "--event", "*"], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    if done.returncode:
        raise RuntimeError(f"otklik webhooks add failed: {done.stderr or done.stdout}")
    return done.stdout.split("\t", 1)[0].strip()


def mongo_through(proxy: TcpProxy, url: str) -> str:
    """`url` with its host and port replaced by the proxy's."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{proxy.port}"))


def mongo_target(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 27017


async def store_outage(args: argparse.Namespace, tmp: Path, proxy: TcpProxy | None) -> None:
    """Make the store unavailable for `--store-down` seconds. SQLite: another process holds the database's
    write lock (as a backup or an `sqlite3` shell would), so every write waits out its busy timeout and fails
    as locked; MongoDB: the TCP proxy in front of it is cut."""
    if proxy is not None:
        await proxy.cut()
        await asyncio.sleep(args.store_down)
        await proxy.start()
        return
    await asyncio.to_thread(_hold_write_lock, tmp / "otklik.sqlite3", args.store_down)


def _hold_write_lock(path: Path, seconds: float) -> None:
    with contextlib.closing(sqlite3.connect(path, isolation_level=None, timeout=30)) as db:
        db.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        db.execute("ROLLBACK")


def outage_traces(tmp: Path) -> dict[str, int]:
    """From the processes' logs: entries retried in place because the store (or bus) was down, and entries
    a handler failed on with the store unavailable, handed back to the bus (each spends one of its attempts)."""
    found = {"in place (store)": 0, "in place (bus)": 0, "back to the bus (store unavailable)": 0}
    for log in tmp.glob("*.log"):
        for line in log.read_text(errors="replace").splitlines():
            if '"outage: retrying the entry in place", "outage": "store' in line:
                found["in place (store)"] += 1
            elif '"outage: retrying the entry in place", "outage": "bus' in line:
                found["in place (bus)"] += 1
            elif "handler failed on" in line and re.search(r"Unavailable: (SQLite|MongoDB) store", line):
                found["back to the bus (store unavailable)"] += 1
    return found


@dataclass
class Deliveries:
    """The store's webhook deliveries after the run: (subscription, event id, status, attempts)."""

    rows: list[tuple[str, str, str, int]] = field(default_factory=list)


async def read_deliveries(args: argparse.Namespace, tmp: Path) -> Deliveries:
    if args.store == "sqlite":
        with contextlib.closing(sqlite3.connect(tmp / "otklik.sqlite3")) as db:
            return Deliveries([(r[0], r[1], r[2], int(r[3] or 0)) for r in db.execute(
                "SELECT subscription_id, event_id, status, json_extract(doc, '$.attempts') FROM webhook_deliveries")])
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongodb_url)
    try:
        found = client.get_default_database()["webhook_deliveries"].find(
            {}, {"subscription_id": 1, "event_id": 1, "status": 1, "attempts": 1})
        return Deliveries([(d["subscription_id"], d["event_id"], d["status"], int(d.get("attempts") or 0))
                           async for d in found])
    finally:
        await client.close()


async def crm_drained(receiver: CrmReceiver, args: argparse.Namespace, tmp: Path, *, stall: float) -> float:
    """Seconds until the CRM accepted every delivery in the store, every stored inbound message's
    message.received among them, and no new delivery appeared for 3 s (or nothing came for `stall` s)."""
    started = last = time.monotonic()
    settled: tuple[int, float] = (-1, started)
    while True:
        deliveries = await read_deliveries(args, tmp)
        inbound = {sid for sid, _, _ in (await read_store(args, tmp)).inbound}
        got = {event for _, event, _, _ in receiver.accepted}
        if len(deliveries.rows) != settled[0]:
            settled = (len(deliveries.rows), time.monotonic())
        if deliveries.rows and all(status == "delivered" for *_, status, _ in deliveries.rows) \
                and {event for _, event, _, _ in deliveries.rows} <= got \
                and inbound <= {m for _, _, kind, m in receiver.accepted if kind == "message.received"} \
                and time.monotonic() - settled[1] > 3:
            return time.monotonic() - started
        receiver.changed.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(receiver.changed.wait(), 1.0)
        if receiver.changed.is_set():
            last = time.monotonic()
        elif time.monotonic() - last > stall:
            return time.monotonic() - started


async def opened(args: argparse.Namespace, tmp: Path) -> dict[str, set[str]]:
    """Ids of every customer and conversation in the store, by the event that announces them."""
    if args.store == "sqlite":
        with contextlib.closing(sqlite3.connect(tmp / "otklik.sqlite3")) as db:
            return {"customer.created": {r[0] for r in db.execute("SELECT id FROM customers")},
                    "conversation.opened": {r[0] for r in db.execute("SELECT id FROM conversations")}}
    from pymongo import AsyncMongoClient

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(args.mongodb_url)
    try:
        db = client.get_default_database()
        return {"customer.created": {d["_id"] async for d in db["customers"].find({}, {"_id": 1})},
                "conversation.opened": {d["_id"] async for d in db["conversations"].find({}, {"_id": 1})}}
    finally:
        await client.close()


def crm_report(args: argparse.Namespace, receiver: CrmReceiver, deliveries: Deliveries, store: Stored,
               kills: int, drain: float, announced: dict[str, set[str]]) -> bool:
    """Print what reached the CRM; True on a lost or unexplained repeated event. Lost: a delivery the CRM never
    accepted, or a stored inbound message without its message.received. Unannounced: a stored customer or
    conversation whose customer.created / conversation.opened never reached the CRM (a worker killed between
    creating it and storing its message leaves it to the redelivery to announce)."""
    per_event = Counter(event for _, event, _, _ in receiver.accepted)
    expected = {event for _, event, _, _ in deliveries.rows}
    doubled_rows = [e for e, c in Counter((s, e) for s, e, _, _ in deliveries.rows).items() if c > 1]
    received_messages = {m for _, _, kind, m in receiver.accepted if kind == "message.received"}
    inbound = {sid for sid, _, _ in store.inbound}
    lost = sorted(expected - set(per_event)) + sorted(inbound - received_messages)
    unannounced = [f"{kind} about {i}" for kind, ids in announced.items() for i in sorted(ids - receiver.about[kind])]
    repeats = sum(c - 1 for c in per_event.values())
    explained = kills * 16  # a killed dispatcher may have had its whole batch between the 2xx and the record
    not_delivered = Counter(status for *_, status, _ in deliveries.rows if status != "delivered")
    attempts = [a for *_, a in deliveries.rows]
    types = Counter(kind for _, _, kind, _ in receiver.accepted)
    print(f"crm webhooks: receiver down {args.crm_down:.0f}s as a simulated hour (backoff x{args.crm_down / HOUR:.4f}),"
          f" refused {receiver.refused} attempts; {len(expected)} events ({dict(types)}), "
          f"attempts per delivery max {max(attempts, default=0)}")
    print(f"crm_lost={len(lost)} crm_duplicated={len(doubled_rows)} crm_resent={repeats} "
          f"(kills explain up to {explained}) crm_undelivered={sum(not_delivered.values())} {dict(not_delivered)} "
          f"unannounced={len(unannounced)}; "
          f"drained {drain:.1f}s after the callbacks")
    for name, items in (("crm lost", lost), ("unannounced", unannounced)):
        if items:
            print(f"  {name}: {items[:10]}")
    return bool(lost or doubled_rows or not_delivered or repeats > explained or not expected or unannounced)
