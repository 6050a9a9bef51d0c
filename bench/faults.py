"""The fault campaign: messages through the api channel under worker kills, a bus cut and a flaky callback.

    .venv/bin/python bench/faults.py                                  # SQLite, Redis, 2 workers, the full profile
    .venv/bin/python bench/faults.py --workers 4 --messages 3000 --users 300
    .venv/bin/python bench/faults.py --store mongo [--mongodb-url URL]  # else a secantusdb server is started
    .venv/bin/python bench/faults.py --small                          # the CI profile (tests/integration)

Real processes: `otklik serve` (no embedded worker) and N `otklik worker`, each reaching Redis through a TCP
proxy (`tests/fakes/tcp_proxy.py`) that the campaign cuts once. Each shopper writes its messages one after the
other (the next after the previous one's 202; a 503 or a refused connection is retried); some messages are
sent twice. Workers are killed with SIGKILL at random moments and replaced. The callback endpoint answers
500 or 429 to `--flaky` of the sends. It counts, against the store and the callback receiver:

- lost: a message without an accepted acknowledgement; duplicated: a message or a reply stored twice;
- resent: a reply the receiver accepted twice under one Idempotency-Key: at-least-once at the edge, allowed
  only when a kill can explain it (a worker that died between the 2xx and recording it);
- out of order: shoppers whose acknowledgements arrived in another order than their messages;
- dead letters (with their reasons) and entries still pending; the time to drain after the last POST.

Exit code 1 on any loss, duplicate, unexplained resend, out-of-order shopper or leftover, else 0. On the
MongoDB-compatible test server (secantusdb) it proves correctness, not speed: that server scans a whole
collection for lookups our indexes serve on MongoDB.
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

from bench.faults_parts import (
    Campaign,
    FlakyReceiver,
    dead_letters,
    pending_entries,
    read_store,
    serve_flaky,
)
from bench.ingest import Proc, clean_env, free_port, otklik_command, start_process, stop_process, tail
from bench.ingest import wait_ready as ready
from tests.fakes.tcp_proxy import TcpProxy

REDIS_URL = "redis://127.0.0.1:6379/14"
ACCOUNT = "faults"


def otklik_env(args: argparse.Namespace, tmp: Path, token: str, receiver: FlakyReceiver, redis_url: str,
               prefix: str) -> dict[str, str]:
    """Every process's configuration."""
    env = clean_env()
    env.update({
        "OTKLIK_SECRET_KEY": secrets.token_hex(16), "OTKLIK_STORE": args.store,
        "OTKLIK_SQLITE_PATH": str(tmp / "otklik.sqlite3"),
        "OTKLIK_BUS": "redis", "OTKLIK_REDIS_URL": redis_url, "OTKLIK_REDIS_PREFIX": prefix,
        "OTKLIK_EMBEDDED_WORKER": "false", "OTKLIK_PARTITIONS": str(args.partitions),
        "OTKLIK_API_ACCOUNTS": json.dumps([{"id": ACCOUNT, "token": token, "callback_url": receiver.url}]),
        "OTKLIK_OUTBOUND_ALLOW": json.dumps(["127.0.0.1"]), "OTKLIK_DIALOGS_DIR": "",  # one plain ack per message
        "OTKLIK_LOG_LEVEL": "WARNING", "OTKLIK_HOST": "127.0.0.1",
        "OTKLIK_BUS_RETRY_AFTER": "2", "OTKLIK_BUS_LEASE_SECONDS": str(args.lease),
        "OTKLIK_OUTBOX_BASE_DELAY": "0.05", "OTKLIK_OUTBOX_MAX_DELAY": "1", "OTKLIK_OUTBOX_MAX_ATTEMPTS": "12",
    })
    if args.store == "mongo":
        env["MONGODB_URL"] = args.mongodb_url
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
                campaign: Campaign, sending: asyncio.Task[None]) -> None:
    """Kill workers at random moments (a fresh one starts a moment later) and cut the bus once."""
    rng = random.Random(args.seed + 1)
    moments = sorted(rng.uniform(0.5, args.chaos_window) for _ in range(args.kills))
    cut_at = args.chaos_window / 2 if args.cut else None
    started = time.monotonic()
    for moment in moments + ([cut_at] if cut_at is not None else []):
        await asyncio.sleep(max(0.0, started + moment - time.monotonic()))
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
    campaign = Campaign()
    receiver = FlakyReceiver(args.flaky, random.Random(args.seed + 2))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs: list[Proc] = []
    async with serve_flaky(receiver):
        env = otklik_env(args, tmp, token, receiver, redis_url, prefix)
        names = (f"worker-{n}" for n in range(1000))
        start_worker = (start_process(name, [*otklik_command(), "worker"], env, tmp) for name in names)
        api = start_process("api", [*otklik_command(), "serve", "--port", str(port), "--skip-checks"], env, tmp)
        workers = [next(start_worker) for _ in range(args.workers)]
        procs = [api]
        try:
            await ready(base, api)
            began = time.monotonic()
            sending = asyncio.create_task(send_all(base, token, args, campaign))
            trouble = asyncio.create_task(chaos(args, workers, start_worker, proxy, campaign, sending))
            await sending
            sent_at = time.monotonic()
            await trouble
            campaign.drain_seconds = await receiver.drained(args.messages, sent_at, stall=args.stall)
            campaign.total_seconds = time.monotonic() - began
        finally:
            exits = [await stop_process(p) for p in [*procs, *workers]]
    await proxy.cut()
    store = await read_store(args, tmp)
    letters = await dead_letters(REDIS_URL, prefix)
    left = await pending_entries(REDIS_URL, prefix)
    failed = campaign.report(args, receiver, store, letters, left)
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
    parser.add_argument("--chaos-window", type=float, default=40.0, help="seconds over which kills are spread")
    parser.add_argument("--lease", type=float, default=3.0, help="OTKLIK_BUS_LEASE_SECONDS")
    parser.add_argument("--stall", type=float, default=90.0, help="give up draining after this long without an ack")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--small", action="store_true", help="the CI profile: 120 messages, 2 kills, a 2 s cut")
    args = parser.parse_args(argv)
    if args.small:
        args.messages, args.users, args.kills, args.cut, args.chaos_window = 120, 20, 2, 2.0, 8.0
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
