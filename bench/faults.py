"""The fault campaign: messages through the api channel under worker kills, a bus cut, a store outage, a flaky
callback and the CRM's webhook receiver down for a simulated hour.

    .venv/bin/python bench/faults.py                                  # SQLite, Redis, 2 workers, the full profile
    .venv/bin/python bench/faults.py --workers 4 --messages 3000 --users 300
    .venv/bin/python bench/faults.py --store mongo [--mongodb-url URL]  # else a secantusdb server is started
    .venv/bin/python bench/faults.py --small                          # the CI profile (tests/integration)

Real processes: `otklik serve` (no embedded worker) and N `otklik worker`, each reaching Redis through a TCP
proxy (`tests/fakes/tcp_proxy.py`) that the campaign cuts once. Each shopper writes its messages one after the
other (the next after the previous one's 202; a 503 or a refused connection is retried); some messages are
sent twice. Workers are killed with SIGKILL at random moments and replaced. The callback endpoint answers
500 or 429 to `--flaky` of the sends. The store is made unavailable once for `--store-down` seconds (SQLite:
another process holds its write lock; MongoDB: its TCP proxy is cut); workers must retry in place. A webhook
subscription to every event points at a CRM receiver that answers 503 for `--crm-down` seconds, played as an
hour (the dispatcher's backoff, cap and budget scaled by crm_down / 3600), then 200.

It counts, against the store and the callback receiver:

- lost: a message without an accepted acknowledgement; duplicated: a message or a reply stored twice;
- resent: a reply the receiver accepted twice under one Idempotency-Key: at-least-once at the edge, allowed
  only when a kill can explain it (a worker that died between the 2xx and recording it);
- out of order: shoppers whose acknowledgements arrived in another order than their messages;
- dead letters (with their reasons) and entries still pending; the time to drain after the last POST;
- at the CRM: events of the store's deliveries never accepted, inbound messages without a message.received,
  deliveries not delivered, and events accepted twice (allowed only as far as kills explain them).

Exit code 1 on any loss, duplicate, unexplained resend, out-of-order shopper or leftover, here or at the CRM,
or a customer or conversation whose customer.created / conversation.opened never reached the CRM ("unannounced":
a redelivery announces what a killed delivery created), else 0. On the MongoDB-compatible test server (secantusdb)
it proves correctness, not speed: that server scans a whole collection for lookups our indexes serve on MongoDB.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path

import httpx

from bench.faults_outages import (
    CrmReceiver,
    crm_drained,
    crm_report,
    mongo_target,
    mongo_through,
    opened,
    outage_traces,
    read_deliveries,
    store_outage,
    subscribe,
    webhook_env,
)
from bench.faults_parts import (
    Campaign,
    FlakyReceiver,
    dead_letters,
    pending_entries,
    read_store,
    serve_app,
    serve_flaky,
)
from bench.ingest import Proc, clean_env, free_port, otklik_command, start_process, stop_process, tail
from bench.ingest import wait_ready as ready
from tests.fakes.tcp_proxy import TcpProxy

REDIS_URL = "redis://127.0.0.1:6379/14"
ACCOUNT = "faults"


def otklik_env(args: argparse.Namespace, tmp: Path, token: str, receiver: FlakyReceiver, redis_url: str,
               prefix: str, store_proxy: TcpProxy | None) -> dict[str, str]:
    """Every process's configuration."""
    env = clean_env()
    env.update({
        "OTKLIK_SECRET_KEY": secrets.token_hex(16), "OTKLIK_STORE": args.store,
        "OTKLIK_SQLITE_PATH": str(tmp / "otklik.sqlite3"),
        "OTKLIK_BUS": "redis", "OTKLIK_REDIS_URL": redis_url, "OTKLIK_REDIS_PREFIX": prefix,
        "OTKLIK_EMBEDDED_WORKER": "false", "OTKLIK_PARTITIONS": str(args.partitions),
        "OTKLIK_API_ACCOUNTS": json.dumps([{"id": ACCOUNT, "token": token, "callback_url": receiver.url}]),
        "OTKLIK_OUTBOUND_ALLOW": json.dumps(["127.0.0.1"]), "OTKLIK_DIALOGS_DIR": "",  # one plain ack per message
        "OTKLIK_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", "OTKLIK_HOST": "127.0.0.1",
        "OTKLIK_BUS_RETRY_AFTER": "2", "OTKLIK_BUS_LEASE_SECONDS": str(args.lease),
        "OTKLIK_OUTBOX_BASE_DELAY": "0.05", "OTKLIK_OUTBOX_MAX_DELAY": "1", "OTKLIK_OUTBOX_MAX_ATTEMPTS": "12",
        **webhook_env(args),
    })
    if args.store == "mongo":
        env["MONGODB_URL"] = mongo_through(store_proxy, args.mongodb_url) if store_proxy else args.mongodb_url
    return env


async def send_all(base: str, token: str, args: argparse.Namespace, campaign: Campaign) -> None:
    """Every shopper's messages, each after the previous one's 202, shoppers in parallel; some sent twice."""
    rng = random.Random(args.seed)
    per_user: dict[int, list[int]] = defaultdict(list)
    for i in range(args.messages):
        per_user[i % args.users].append(i)
    twice = {i for i in range(args.messages) if rng.random() < args.duplicates}
    gate = asyncio.Semaphore(args.concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=15.0,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        async def one(i: int) -> None:
            body = {"user_id": f"u{i % args.users}", "message_id": f"m{i}", "text": f"Где мой заказ {100000 + i}?"}
            while True:
                try:
                    answer = await client.post(f"/channels/api/{ACCOUNT}/messages", json=body)
                    if answer.status_code in (200, 202):
                        return
                    campaign.refused[str(answer.status_code)] += 1
                except httpx.TransportError as e:
                    campaign.refused[type(e).__name__] += 1
                await asyncio.sleep(0.2)

        async def shopper(messages: list[int]) -> None:
            for i in messages:
                async with gate:
                    await one(i)
                    campaign.accepted += 1
                    if i in twice:
                        await one(i)
                        campaign.resent_by_us += 1

        await asyncio.gather(*(shopper(m) for m in per_user.values()))


async def chaos(args: argparse.Namespace, workers: list[Proc], start_worker: Iterator[Proc], proxy: TcpProxy,
                campaign: Campaign, sending: asyncio.Task[None], tmp: Path, store_proxy: TcpProxy | None,
                receiver: FlakyReceiver) -> None:
    """Kill workers at random moments (a fresh one starts a moment later), cut the bus once and take the
    store away once."""
    rng = random.Random(args.seed + 1)
    moments = sorted(rng.uniform(0.5, args.chaos_window) for _ in range(args.kills))
    cut_at = args.chaos_window / 2 if args.cut else None
    store_at = args.chaos_window / 4 if args.store_down else None
    started = time.monotonic()
    for moment in sorted(moments + [m for m in (cut_at, store_at) if m is not None]):
        await asyncio.sleep(max(0.0, started + moment - time.monotonic()))
        if moment == store_at:
            while not receiver.accepted:  # workers still starting: an outage now would test nothing
                await asyncio.sleep(0.1)
            await store_outage(args, tmp, store_proxy)
            campaign.store_outages += 1
            continue
        if moment == cut_at:
            await proxy.cut()
            campaign.cuts += 1
            await asyncio.sleep(args.cut)
            await proxy.start()
            continue
        victim = rng.choice([w for w in workers if w.popen.poll() is None])
        victim.popen.kill()
        await asyncio.to_thread(victim.popen.wait)
        campaign.kills += 1
        await asyncio.sleep(0.5)
        workers.append(next(start_worker))
    campaign.chaos_done_before_sending_ended = not sending.done()


async def campaign_run(args: argparse.Namespace) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="otklik-faults-"))
    token = "faults-" + secrets.token_hex(16)
    prefix = f"otklik-faults-{uuid.uuid4().hex[:12]}:"
    proxy = TcpProxy("127.0.0.1", 6379)
    await proxy.start()
    redis_url = f"redis://127.0.0.1:{proxy.port}/14"
    store_proxy = None
    if args.store == "mongo" and args.store_down:
        store_proxy = TcpProxy(*mongo_target(args.mongodb_url))
        await store_proxy.start()
    campaign = Campaign()
    receiver = FlakyReceiver(args.flaky, random.Random(args.seed + 2))
    crm = CrmReceiver(args.crm_down)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs: list[Proc] = []
    crm_failed, crm_drain = False, 0.0
    async with serve_flaky(receiver), serve_app(crm):
        env = otklik_env(args, tmp, token, receiver, redis_url, prefix, store_proxy)
        names = (f"worker-{n}" for n in range(1000))
        start_worker = (start_process(name, [*otklik_command(), "worker"], env, tmp) for name in names)
        api = start_process("api", [*otklik_command(), "serve", "--port", str(port), "--skip-checks"], env, tmp)
        procs, workers = [api], []
        try:
            await ready(base, api)  # the api creates the SQLite schema; workers opening it at once would race
            if args.crm_down:
                await asyncio.to_thread(subscribe, env, tmp, crm.url)
            workers += [next(start_worker) for _ in range(args.workers)]
            began = time.monotonic()
            sending = asyncio.create_task(send_all(base, token, args, campaign))
            trouble = asyncio.create_task(chaos(args, workers, start_worker, proxy, campaign, sending, tmp,
                                                store_proxy, receiver))
            await sending
            sent_at = time.monotonic()
            await trouble
            campaign.drain_seconds = await receiver.drained(args.messages, sent_at, stall=args.stall)
            campaign.total_seconds = time.monotonic() - began
            if args.crm_down:
                crm_drain = await crm_drained(crm, args, tmp, stall=args.stall)
        finally:
            exits = [await stop_process(p) for p in [*procs, *workers]]
    await proxy.cut()
    store = await read_store(args, tmp)
    letters = await dead_letters(REDIS_URL, prefix)
    left = await pending_entries(REDIS_URL, prefix)
    failed = campaign.report(args, receiver, store, letters, left)
    print(f"entries during outages: {outage_traces(tmp)}")
    if args.crm_down:
        crm_failed = crm_report(args, crm, await read_deliveries(args, tmp), store, campaign.kills, crm_drain,
                                await opened(args, tmp))
    if store_proxy is not None:
        await store_proxy.cut()
    failed = failed or crm_failed
    print(f"exit codes: {Counter(exits)}; logs and databases in {tmp}")
    if failed:
        for p in [*procs, *workers]:
            print(f"--- {p.name} ---\n{tail(p.log, 8)}")
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "mongo"], default="sqlite")
    parser.add_argument("--bus", choices=["redis"], default="redis")
    parser.add_argument("--mongodb-url", default=None, help="else a secantusdb server is started for the run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of messages sent twice")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--cut", type=float, default=5.0, help="seconds the bus is cut once (0: no cut)")
    parser.add_argument("--flaky", type=float, default=0.3, help="share of callback sends answered 5xx/429")
    parser.add_argument("--store-down", type=float, default=15.0,  # > SQLite's 5 s busy wait + the ping's
                        help="seconds the store is unavailable once (0: never)")
    parser.add_argument("--crm-down", type=float, default=30.0,
                        help="seconds the CRM webhook receiver answers 503, played as an hour (0: no webhooks)")
    parser.add_argument("--chaos-window", type=float, default=40.0, help="seconds over which kills are spread")
    parser.add_argument("--lease", type=float, default=3.0, help="OTKLIK_BUS_LEASE_SECONDS")
    parser.add_argument("--stall", type=float, default=90.0, help="give up draining after this long without an ack")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--small", action="store_true",
                        help="the CI profile: 120 messages, 2 kills, a 2 s cut, a 3 s store outage, a 6 s CRM hour")
    args = parser.parse_args(argv)
    if args.small:
        args.messages, args.users, args.kills, args.cut, args.chaos_window = 120, 20, 2, 2.0, 8.0
        args.store_down, args.crm_down = 3.0, 6.0
    return args


async def main_async(args: argparse.Namespace) -> int:
    if args.store == "mongo" and not args.mongodb_url:
        from tests.servers.mongo import secantus_server

        with tempfile.TemporaryDirectory(prefix="otklik-faults-mongo-") as home, \
                secantus_server(Path(home)) as url:
            args.mongodb_url = url.rsplit("/", 1)[0] + f"/faults_{uuid.uuid4().hex[:8]}"
            print("MongoDB: a secantusdb server (correctness, not speed: lookups scan whole collections)")
            return await campaign_run(args)
    return await campaign_run(args)


def main(argv: list[str] | None = None) -> int:
    return asyncio.run(main_async(parse_args(argv)))


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
