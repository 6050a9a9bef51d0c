"""Scale-out benchmark: `otklik serve` plus 1, 2 and 4 `otklik worker` processes on Redis Streams, per store.

For each store (SQLite, and MongoDB through a secantusdb server) and each worker count, in one run:

* `otklik serve` with OTKLIK_EMBEDDED_WORKER=false takes api-channel POSTs (it only accepts: store nothing,
  publish to the bus), N `otklik worker` processes consume the inbound partitions (OTKLIK_PARTITIONS, 4 by
  default: one lease each with 4 workers, hub/bus/leases.py), run the dialog bot (the shipped flows, an NLU
  model trained from nlu/data, the demo CRM) and POST the replies to a callback receiver in this process.
* Every message is a new conversation (a new user), so no partition serialises the load; the load is
  closed-loop with --concurrency POSTs in flight, sent as fast as the api accepts them. The workers fall
  behind, so the sustained rate is `handled/s`: messages whose first reply arrived, over first POST -> last
  reply.
* CPU: utime + stime of every Otklik process (api and workers) from /proc, from the start of the measured
  phase until the replies stop; per handled message. The secantusdb server's CPU is printed apart: it is a
  test-only Python server that scans collections where MongoDB uses our indexes, so it proves correctness,
  not speed, and its figures say nothing about a real MongoDB.

Ratios are to the 1-worker run of the same store in the same run. Redis is the shared one at
redis://127.0.0.1:6379/14 under a fresh prefix per run, deleted afterwards.

Run: `.venv/bin/python -m bench.scaleout [--stores sqlite,mongo] [--workers 1,2,4] [--messages N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo before bench/ (bench/nlu.py is not nlu)

from bench.chain_staff import staff_command
from bench.ingest import (
    REDIS_URL,
    Proc,
    Receiver,
    clean_env,
    clean_redis,
    free_port,
    load_clients,
    otklik_command,
    percentile,
    post_all,
    redis_available,
    scan_log,
    serve_receiver,
    start_process,
    stop_process,
    tail,
    wait_ready,
)

ACCOUNT = "bench"
QUIET = 2.0  # seconds without a new reply after the last first reply: the run is over
STALL = 60.0  # give up when no reply arrived for this long
TEXTS = [  # first turns of the scripted retail mix (bench/bot.py), ru and en
    "Здравствуйте, где мой заказ 104512?", "Where is my order 104512?", "до скольки работает магазин 118?",
    "how many points on my card", "купила просроченный творог", "the cashier was rude to me",
    "как вернуть товар", "спасибо, отличный магазин!", "как применить промокод", "Hello",
]


@dataclass
class Run:
    """One store x worker-count measurement."""

    store: str
    workers: int
    messages: int = 0
    handled: int = 0
    replies: int = 0
    wall: float = float("nan")
    first_reply_ms: list[float] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    store_cpu: float = 0.0
    redis_cpu: float = math.nan  # seconds, when the Redis server is ours (its CPU readable from /proc)
    redis_commands: float = math.nan
    idle_cpu: float = 0.0  # CPU seconds per second all Otklik processes spend with nothing to do
    idle_commands: float = math.nan  # Redis commands per second with nothing to do (leases, polls)
    problems: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Handled messages per second of wall time."""
        return self.handled / self.wall if self.wall else float("nan")

    @property
    def cpu_ms(self) -> float:
        """CPU ms of all Otklik processes per handled message."""
        return sum(self.cpu.values()) / self.handled * 1000 if self.handled else float("nan")

    @property
    def net_cpu_ms(self) -> float:
        """CPU per message beyond what the processes spend idle over the same wall time."""
        return (sum(self.cpu.values()) - self.idle_cpu * self.wall) / self.handled * 1000 if self.handled \
            else float("nan")


def with_database(url: str, name: str) -> str:
    """The MongoDB URL with its database replaced by `name`, options (?replicaSet=...) kept."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def make_messages(tag: str, count: int) -> list[tuple[str, str, bytes]]:
    """(message_id, user_id, body): each message from a user of its own, texts cycling through TEXTS."""
    out = []
    for i in range(count):
        user, message_id = f"{tag}-u{i}", f"{tag}-m{i}"
        body = {"user_id": user, "message_id": message_id, "text": TEXTS[i % len(TEXTS)],
                "contact": {"phone": f"+7999{i:07d}"}}
        out.append((message_id, user, json.dumps(body, ensure_ascii=False).encode()))
    return out


async def idle_rates(procs: list[Proc], redis: Redis, seconds: float) -> tuple[float, float]:
    """CPU seconds per second of all the processes, and Redis commands per second, with no load."""
    cpu, (_, commands) = sum(p.cpu_seconds() for p in procs), await redis.usage()
    await asyncio.sleep(seconds)
    return (sum(p.cpu_seconds() for p in procs) - cpu) / seconds, ((await redis.usage())[1] - commands) / seconds


def first_replies(receiver: Receiver, tag: str) -> dict[str, float]:
    """user id -> arrival of the first reply to that user, for users `<tag>-...`."""
    first: dict[str, float] = {}
    for ack in receiver.acks:
        if ack.user_id and ack.user_id.startswith(f"{tag}-") and ack.user_id not in first:
            first[ack.user_id] = ack.at
    return first


async def wait_replies(receiver: Receiver, tag: str, users: int) -> bool:
    """Until every user got a first reply and the replies stopped for QUIET s; False on a STALL."""
    last_count, last_change = -1, time.monotonic()
    while True:
        count = len(receiver.acks)
        now = time.monotonic()
        if count != last_count:
            last_count, last_change = count, now
        done = len(first_replies(receiver, tag)) >= users
        if done and now - last_change >= QUIET:
            return True
        if now - last_change >= STALL:
            return False
        await asyncio.sleep(0.2)


def otklik_env(tmp: Path, model_dir: Path, store: str, mongo_url: str | None, token: str, receiver: Receiver,
               redis: str, prefix: str, partitions: int) -> dict[str, str]:
    """The whole configuration of the api and worker processes."""
    env = clean_env()
    env.update({
        "OTKLIK_SECRET_KEY": secrets.token_hex(16),
        "OTKLIK_STORE": store,
        "OTKLIK_SQLITE_PATH": str(tmp / "otklik.sqlite3"),
        "OTKLIK_BUS": "redis", "OTKLIK_REDIS_URL": redis, "OTKLIK_REDIS_PREFIX": prefix,
        "OTKLIK_EMBEDDED_WORKER": "false", "OTKLIK_PARTITIONS": str(partitions),
        "OTKLIK_API_ACCOUNTS": json.dumps([{"id": ACCOUNT, "token": token, "callback_url": receiver.url}]),
        "OTKLIK_OUTBOUND_ALLOW": json.dumps(["127.0.0.1"]),
        "OTKLIK_NLU_MODEL_DIR": str(model_dir), "OTKLIK_NLU_RELOAD_SECONDS": "3600",
        "OTKLIK_CONTEXT_PROVIDER": "demo",
        "OTKLIK_LOG_LEVEL": "WARNING", "OTKLIK_HOST": "127.0.0.1", "OTKLIK_BUS_RETRY_AFTER": "5",
    })
    if mongo_url:
        env["MONGODB_URL"] = mongo_url
    return env


async def measure(store: str, workers: int, args: argparse.Namespace, receiver: Receiver, model_dir: Path,
                  mongo_server: str | None, store_proc: Proc | None, redis: Redis) -> Run:
    """Start api + `workers` workers, warm up, measure, stop; one Run."""
    run = Run(store, workers)
    tmp = Path(tempfile.mkdtemp(prefix=f"otklik-scaleout-{store}{workers}-"))
    token = "bench-token-" + secrets.token_hex(16)
    prefix = f"otklik-scaleout-{uuid.uuid4().hex[:12]}:"
    mongo_url = with_database(mongo_server, f"scale_{uuid.uuid4().hex[:8]}") if mongo_server else None
    env = otklik_env(tmp, model_dir, store, mongo_url, token, receiver, redis.url, prefix, args.partitions)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    procs: list[Proc] = []
    print(f"\n== {store}, {workers} worker(s)", flush=True)
    try:
        seed_staff(env, tmp)  # the groups the shipped routing names: serve refuses to start without them
        procs.append(start_process("api", [*otklik_command(), "serve", "--port", str(port)], env, tmp))
        await wait_ready(base_url, procs[0])  # the api migrates first: never two processes migrating at once
        for n in range(workers):
            procs.append(start_process(f"worker{n + 1}", [*otklik_command(), "worker"], env, tmp))
        async with load_clients(base_url, args.concurrency) as clients:
            errors: list[str] = []
            warm = make_messages("w", args.warmup)
            await post_all(clients, token, warm, args.concurrency, errors)
            if not await wait_replies(receiver, "w", len(warm)):
                run.problems.append(f"warm-up: {len(first_replies(receiver, 'w'))} of {len(warm)} answered")
            receiver.clear()
            run.idle_cpu, run.idle_commands = await idle_rates(procs, redis, args.idle)
            cpu_before = {p.name: p.cpu_seconds() for p in procs}
            store_before = store_proc.cpu_seconds() if store_proc else 0.0
            redis_before = await redis.usage()
            count = args.mongo_messages if store == "mongo" and not args.mongodb_url else args.messages
            messages = make_messages("m", count)
            samples = await post_all(clients, token, messages, args.concurrency, errors)
            run.messages = sum(1 for s in samples.values() if s.status == 202)
            if run.messages != len(messages):
                run.problems.append(f"{len(messages) - run.messages} POSTs not accepted, e.g. {errors[:2]}")
            if not await wait_replies(receiver, "m", run.messages):
                run.problems.append(f"gave up: no reply for {STALL:.0f} s")
            run.cpu = {p.name: p.cpu_seconds() - cpu_before[p.name] for p in procs}
            run.store_cpu = (store_proc.cpu_seconds() - store_before) if store_proc else 0.0
            redis_after = await redis.usage()
            run.redis_cpu, run.redis_commands = (b - a for a, b in zip(redis_before, redis_after, strict=True))
            first = first_replies(receiver, "m")
            run.handled = len(first)
            run.replies = sum(1 for a in receiver.acks if a.user_id and a.user_id.startswith("m-"))
            start = min(s.sent for s in samples.values())
            run.wall = max(a.at for a in receiver.acks) - start if receiver.acks else float("nan")
            sent = {s.user_id: s.sent for s in samples.values()}
            run.first_reply_ms = [(at - sent[user]) * 1000 for user, at in first.items() if user in sent]
            for p in procs:
                if p.popen.poll() is not None:
                    run.problems.append(f"{p.name} exited with {p.popen.returncode} during the run")
    finally:
        for p in procs:
            await stop_process(p)
        if redis.proc is None:
            await clean_redis(prefix)
        receiver.clear()
    for p in procs:
        lines = scan_log(p.log).lines
        if lines:
            run.problems.append(f"{p.name}: {len(lines)} warning/error lines, e.g. {lines[0][:200]}")
    if run.problems or args.keep:
        run.problems.append(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  {run.handled}/{run.messages} handled, {run.replies} replies, {run.rate:.1f} handled/s, "
          f"{run.cpu_ms:.2f} ms CPU per message (" + ", ".join(f"{k} {v:.1f} s" for k, v in run.cpu.items()) + ")"
          + (f"; secantusdb {run.store_cpu:.1f} s" if store_proc else "")
          + f"; idle: {run.idle_cpu:.3f} cores, {run.idle_commands:.0f} Redis commands/s", flush=True)
    for line in run.problems:
        print(f"  NOTE {line}")
    return run


@dataclass
class Redis:
    """The bus's Redis: our own server (CPU and commands per message readable) or the shared one."""

    url: str
    proc: Proc | None = None

    async def usage(self) -> tuple[float, float]:
        """(CPU seconds, commands processed) so far; nan for the shared server (other users' work is in it)."""
        if self.proc is None:
            return math.nan, math.nan
        from redis.asyncio import Redis as Client

        client = Client.from_url(self.url)
        try:
            stats = await client.info("stats")
        finally:
            await client.aclose()
        return self.proc.cpu_seconds(), float(stats["total_commands_processed"])


async def start_redis(home: Path) -> Redis:
    """A redis-server of our own on a free port, with an append-only file synced every second (as the bus's
    production Redis should run: docker-compose.yml), so its CPU and commands per message can be read."""
    port = free_port()
    await asyncio.to_thread(home.mkdir, parents=True, exist_ok=True)
    cmd = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(home), "--save", "",
           "--appendonly", "yes", "--appendfsync", "everysec"]
    redis = Redis(f"redis://127.0.0.1:{port}/0", start_process("redis", cmd, clean_env(), home))
    from redis.asyncio import Redis as Client

    for _ in range(100):
        client = Client.from_url(redis.url)
        try:
            await client.ping()
            return redis
        except Exception:  # not up yet
            await asyncio.sleep(0.1)
        finally:
            await client.aclose()
    raise RuntimeError("redis-server did not answer within 10 s:\n" + tail(home / "redis.log"))


def seed_staff(env: dict[str, str], cwd: Path, operators: int = 0) -> None:
    """The demo groups and people (bench/chain_staff.py) in the store the servers will open."""
    done = subprocess.run(staff_command(secrets.token_hex(8), operators), cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    if done.returncode:
        raise RuntimeError(f"seeding the staff failed: {done.stderr[-2000:]}")


def train_model(model_dir: Path) -> None:
    """The NLU model the bot starts flows on, trained once from nlu/data for every run."""
    from bots.flows import NLU_DATA
    from nlu.artefacts import ModelDirectory
    from nlu.rasa_yaml import load_paths
    from nlu.training import train

    ModelDirectory(model_dir).save(train(load_paths([NLU_DATA])))


def start_secantus(home: Path) -> tuple[str, Proc]:
    """A secantusdb server as tests/servers/mongo.py starts it, as a Proc so its CPU can be read."""
    config = home / "secantusd.toml"
    config.write_text("", encoding="utf-8")  # no ./secantusd.toml or /etc one is read
    port = free_port()
    cmd = [sys.executable, "-m", "secantus", "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
           "--storage-path", str(home / "db"), "--log-level", "WARNING"]
    return f"mongodb://127.0.0.1:{port}/", start_process("secantusdb", cmd, clean_env(), home)


async def wait_mongo(url: str, proc: Proc) -> None:
    """Ping until the server answers."""
    from pymongo import AsyncMongoClient
    from pymongo.errors import PyMongoError

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"secantusdb exited with {proc.popen.returncode}")
        client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(url, serverSelectionTimeoutMS=500)
        try:
            await client.admin.command("ping")
            return
        except PyMongoError:
            await asyncio.sleep(0.2)
        finally:
            await client.close()
    raise RuntimeError("secantusdb did not answer within 30 s")


def table(runs: list[Run]) -> None:
    """The scale-out table, ratios to the 1-worker run of the same store."""
    print("\n== scale-out (ratios to the same store's first worker count, same run)")
    print(f"  {'store':8}{'workers':>8}{'handled/s':>11}{'x':>7}{'CPU ms/msg':>12}{'x':>7}{'net':>7}{'x':>7}"
          f"{'idle cores':>11}{'cores busy':>12}"
          f"{'replies/msg':>13}{'first reply p50/p99 ms':>25}{'redis ms/msg':>14}{'cmds/msg':>10}"
          f"{'store server ms/msg':>21}")
    for store in dict.fromkeys(r.store for r in runs):
        mine = [r for r in runs if r.store == store and r.handled]
        if not mine:
            continue
        base = mine[0]
        for r in mine:
            busy = sum(r.cpu.values()) / r.wall
            server = f"{r.store_cpu / r.handled * 1000:.2f}" if r.store_cpu else "-"
            print(f"  {r.store:8}{r.workers:>8}{r.rate:>11.1f}{r.rate / base.rate:>7.2f}{r.cpu_ms:>12.2f}"
                  f"{r.cpu_ms / base.cpu_ms:>7.2f}{r.net_cpu_ms:>7.1f}{r.net_cpu_ms / base.net_cpu_ms:>7.2f}"
                  f"{r.idle_cpu:>11.3f}{busy:>12.2f}{r.replies / r.handled:>13.2f}"
                  f"{percentile(r.first_reply_ms, 50):>12.0f} / {percentile(r.first_reply_ms, 99):<10.0f}"
                  f"{r.redis_cpu / r.handled * 1000:>14.2f}{r.redis_commands / r.handled:>10.1f}{server:>21}")
    print("  CPU ms/msg: all Otklik processes (api + workers), utime+stime from /proc, per handled message.\n"
          "  net: the same less what the processes burn idle over the run's wall time (idle cores, measured\n"
          "  for --idle s before the run: lease heartbeats, blocking reads, the inbox and SLA loops).\n"
          "  redis: the bus's redis-server (ours, appendonly everysec): its CPU and commands per handled message,\n"
          "  leases and heartbeats included (idle: see the idle Redis line of each run).\n"
          "  first reply: POST -> first reply, including the wait in the backlog (POSTs outrun the workers).\n"
          "  mongo = secantusdb, a test-only MongoDB-wire server: correctness, not speed; its column is that\n"
          "  Python server's own CPU and says nothing about a real mongod.")


async def main_async(args: argparse.Namespace) -> int:
    """Train once, run every store x worker count, print the table; 1 if anything went wrong."""
    print(f"Otklik scale-out: {args.messages} messages per run ({args.mongo_messages} on secantusdb), each a new "
          f"conversation, {args.concurrency} in flight, "
          f"warm-up {args.warmup}, partitions {args.partitions}; machine {os.cpu_count()} CPUs, "
          f"{platform.platform()}, Python {platform.python_version()}; load average {os.getloadavg()[0]:.2f}")
    runs: list[Run] = []
    root = Path(tempfile.mkdtemp(prefix="otklik-scaleout-"))
    mongo: tuple[str, Proc] | None = None
    redis = Redis(REDIS_URL)
    if shutil.which("redis-server") and not args.shared_redis:
        redis = await start_redis(root / "redis")
        print(f"Redis: our own redis-server ({redis.url}, appendonly everysec), its CPU and commands are counted")
    elif (why := await redis_available()) is not None:
        print(f"Redis at {REDIS_URL} does not answer: {why}")
        return 1
    else:
        print(f"Redis: the shared one at {REDIS_URL} (its CPU is not counted: other work shares it)")
    try:
        train_model(root / "nlu")
        receiver = Receiver()
        async with serve_receiver(receiver):
            for store in args.stores.split(","):
                if store == "mongo" and args.mongodb_url:
                    mongo = None
                elif store == "mongo":
                    mongo = start_secantus(root)
                    await wait_mongo(mongo[0], mongo[1])
                url = args.mongodb_url or (mongo[0] if mongo else None)
                for workers in args.workers:
                    runs.append(await measure(store, workers, args, receiver, root / "nlu",
                                              url if store == "mongo" else None, mongo[1] if mongo else None, redis))
                if mongo:
                    await stop_process(mongo[1])
                    mongo = None
    finally:
        if mongo:
            await stop_process(mongo[1])
        if redis.proc is not None:
            await stop_process(redis.proc)
        shutil.rmtree(root, ignore_errors=True)
    table(runs)
    print(f"load average at the end {os.getloadavg()[0]:.2f} (the machine is shared: compare ratios, not values)")
    return 1 if any(r.problems for r in runs) else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description="Otklik scale-out benchmark (see the module docstring).")
    parser.add_argument("--stores", default="sqlite,mongo", help="comma-separated: sqlite, mongo")
    parser.add_argument("--workers", default="1,2,4", type=lambda s: [int(x) for x in s.split(",")],
                        help="worker counts to run (default 1,2,4)")
    parser.add_argument("--messages", type=int, default=600, help="measured messages per SQLite run (default 600)")
    parser.add_argument("--mongo-messages", type=int, default=200,
                        help="measured messages per secantusdb run (default 200: its lookups scan whole "
                             "collections, so each message costs more than the one before)")
    parser.add_argument("--warmup", type=int, default=40, help="uncounted warm-up messages per run (default 40)")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight (default 32)")
    parser.add_argument("--idle", type=float, default=5.0, help="seconds to measure the idle cost (default 5)")
    parser.add_argument("--partitions", type=int, default=4, help="OTKLIK_PARTITIONS (default 4)")
    parser.add_argument("--mongodb-url", default=None, help="a real MongoDB instead of a secantusdb server")
    parser.add_argument("--shared-redis", action="store_true",
                        help=f"use {REDIS_URL} instead of starting a redis-server of our own")
    parser.add_argument("--keep", action="store_true", help="keep each run's temp dir")
    return parser.parse_args(argv)


def main() -> int:
    """Entry point."""
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
