"""A day of the chain at speed: 40,000 conversations on the chain's daily curve, replayed N times faster.

Everything runs as on a real day, over HTTP against real processes (`otklik serve` on the embedded default:
SQLite, in-process bus, worker inside; or with --workers N, Redis Streams and N `otklik worker`):

* shoppers: conversations arrive at random within each hour, as many as the hour's share of the day
  (CURVE: quiet night, a lunch peak at 12-14 and a bigger evening one at 18-21, Moscow time). Each runs
  a script of the retail mix (order status, store hours, loyalty, returns, promo, praise, complaints that
  open a case and hand over, asking for a person) through the api channel, one turn after the other: it
  waits for the bot's first reply, then "types" for 10-40 s (divided by --speed) before the next turn;
* the bot (shipped flows, an NLU model trained from nlu/data, the demo CRM context) replies through the
  outbox to a callback receiver in this process;
* operators (--operators, demo-style accounts made by bench/chain_staff.py) sign in through the login form,
  make themselves available, poll their inbox page, open each conversation assigned to them, reply through
  the reply box and resolve it with an outcome, with reading and typing pauses divided by --speed;
* a CRM subscribed to conversation, case, customer and CSAT events (`otklik webhooks add`) receives the
  signed webhooks on a local receiver.

Figures, per hour of the simulated day (one window) and for the peak (the busiest hour): conversations
and turns started, bot reply latency (POST -> first reply), inbox page latency (the queue page and a
conversation page) and operators' actions, webhooks delivered and their lag (the event's timestamp -> its
arrival), the backlog (turns sent and still waiting for their reply) and the servers' CPU (utime + stime
of every Otklik process from /proc, as cores busy). "Kept up" means: every turn answered, the backlog at
every window's end no larger than --lag-bound seconds of that window's offered load, bot reply p99 under
--lag-bound in every window, and the webhooks drained within --drain seconds after the last turn.

Run: `.venv/bin/python -m bench.day --from-hour 18 --hours 2` (the evening peak at 20x, ~6 min)
     `.venv/bin/python -m bench.day` (the whole day at 20x: 72 minutes); see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import random
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo before bench/ (bench/nlu.py is not nlu)

from bench.chain_staff import operator_login, staff_command
from bench.ingest import (
    REDIS_URL,
    Proc,
    clean_env,
    clean_redis,
    free_port,
    load_clients,
    otklik_command,
    percentile,
    scan_log,
    start_process,
    stop_process,
    wait_ready,
)
from bench.scaleout import train_model

ACCOUNT = "day"
HOUR = 3600.0
# The chain's day: share of the day's conversations in each hour, Moscow time (0 = 00:00-01:00).
CURVE = [0.4, 0.25, 0.2, 0.2, 0.25, 0.5, 1.2, 2.4, 3.6, 4.6, 5.2, 5.8,
         7.4, 7.6, 6.0, 5.0, 4.8, 5.6, 7.6, 8.0, 7.4, 5.4, 3.4, 1.6]
# (weight, turns): the retail mix; "H" marks the scripts that end with a person (a handover).
SCRIPTS: list[tuple[int, str, list[str]]] = [  # only turns the bot answers: a silent one counts as unanswered
    (16, "order", ["Здравствуйте", "Где мой заказ", "104512"]),
    (10, "order", ["Hello", "Where is my order 104512?"]),
    (14, "info", ["до скольки работает магазин 118?", "сколько баллов на карте"]),
    (8, "info", ["what time does store 118 close", "how many points on my card"]),
    (14, "info", ["как вернуть товар", "как применить промокод", "Где взять промокод"]),
    (8, "praise", ["спасибо, отличный магазин!", "магазин 118, кассир Марина"]),
    (6, "H complaint", ["купила просроченный творог", "118", "вчера", "Творог с истёкшим сроком, пахнет кислым"]),
    (4, "H complaint", ["the cashier was rude to me", "118", "today", "He shouted at me at the till"]),
    (8, "H person", ["Здравствуйте", "позовите оператора"]),
]
CRM_EVENTS = ["conversation.*", "case.*", "customer.*", "csat.*"]
REPLY_WAIT = 20.0  # a turn without any reply for this long (bench seconds) is counted unanswered
CONVERSATION_LINK = re.compile(r'/inbox/conversations/([\w-]+)"')
CSRF = re.compile(r'"X-CSRF-Token": "([^"]+)"')



# ------------------------------------------------------------------------------------------ receivers


class Shoppers:
    """The api account's callbacks as bench/day_receiver.py reports them: every reply, by user; wakes the
    shopper waiting for it."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/cb"
        self.arrivals: defaultdict[str, list[tuple[float, str]]] = defaultdict(list)  # user -> (at, author)
        self.waiting: dict[str, asyncio.Event] = {}

    def record(self, at: float, user: str, author: str) -> None:
        """Note a reply to `user` and wake its shopper."""
        self.arrivals[user].append((at, author))
        if (event := self.waiting.get(user)) is not None:
            event.set()


class Crm:
    """The CRM's webhooks as bench/day_receiver.py reports them: arrival, type and lag behind the event."""

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}/crm"
        self.deliveries: list[tuple[float, str, float]] = []  # (perf_counter at arrival, type, lag s)
        self.ids: Counter[str] = Counter()  # webhook-id -> deliveries accepted (a repeat is a duplicate)

    def record(self, at: float, kind: str, lag: float, webhook_id: str) -> None:
        """Note one webhook delivery."""
        self.deliveries.append((at, kind, lag))
        self.ids[webhook_id] += 1


@contextlib.asynccontextmanager
async def receivers(port: int, shoppers: Shoppers, crm: Crm, cwd: Path) -> AsyncIterator[None]:
    """bench/day_receiver.py on `port` for the block, its lines fed to `shoppers` and `crm` as they come."""
    log = (cwd / "receiver.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).with_name("day_receiver.py")), "--port", str(port),
        stdout=asyncio.subprocess.PIPE, stderr=log, start_new_session=True)
    assert process.stdout is not None

    async def read(stdout: asyncio.StreamReader) -> None:
        """Feed the receiver's lines to the recorders until it exits."""
        async for raw in stdout:
            kind, *fields = raw.decode().split()
            if kind == "cb":
                shoppers.record(float(fields[0]), fields[1], fields[2])
            elif kind == "crm":
                crm.record(float(fields[0]), fields[1], float(fields[2]), fields[3])

    reader = asyncio.create_task(read(process.stdout))
    try:
        for _ in range(200):  # listening within 20 s
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.close()
                break
            except OSError:
                await asyncio.sleep(0.1)
        else:
            raise RuntimeError("bench/day_receiver.py did not listen within 20 s")
        yield
    finally:
        await asyncio.sleep(0.5)  # the last lines
        process.terminate()
        await process.wait()
        await reader
        log.close()


# ------------------------------------------------------------------------------------------ the day


@dataclass
class Day:
    """What happened, with bench-clock times (perf_counter) so windows can be cut afterwards."""

    start: float = 0.0
    turns: list[tuple[float, float | None]] = field(default_factory=list)  # (sent, first reply or None)
    post_errors: Counter[str] = field(default_factory=Counter)
    conversations: Counter[str] = field(default_factory=Counter)  # by script kind
    pages: defaultdict[str, list[tuple[float, float]]] = field(default_factory=lambda: defaultdict(list))
    page_errors: Counter[str] = field(default_factory=Counter)
    handled_by_operators: int = 0
    cpu: list[tuple[float, float]] = field(default_factory=list)  # (at, server CPU seconds so far)
    backlog: list[tuple[float, int]] = field(default_factory=list)  # (at, turns waiting for a reply)
    queues: list[tuple[float, dict[str, int]]] = field(default_factory=list)  # (at, bus entries not yet handled)
    waiting: int = 0
    last_arrival: float = 0.0  # when the last conversation started
    bench_cpu: float = math.nan  # this process's CPU seconds during the replay
    db_bytes: int = 0  # the SQLite store's files at the end (the bus journal not counted)


def schedule(args: argparse.Namespace, rng: random.Random) -> list[tuple[float, int]]:
    """(bench seconds from the start, script index) for every conversation of the slice, in order."""
    weights = [w for w, _, _ in SCRIPTS]
    total = sum(CURVE)
    out = []
    for offset in range(math.ceil(args.hours)):
        hour = (args.from_hour + offset) % 24
        length = min(1.0, args.hours - offset)
        count = round(args.conversations * CURVE[hour] / total * length)
        for _ in range(count):
            real = (offset + rng.random() * length) * HOUR
            out.append((real / args.speed, rng.choices(range(len(SCRIPTS)), weights)[0]))
    return sorted(out)


async def shopper(day: Day, shoppers: Shoppers, client: httpx.AsyncClient, token: str, n: int, script: int,
                  args: argparse.Namespace, rng: random.Random) -> None:
    """One conversation: each turn POSTed, its first reply awaited, a typing pause, the next turn."""
    kind, texts = SCRIPTS[script][1], SCRIPTS[script][2]
    day.conversations[kind] += 1
    user = f"d{n}"
    wake = shoppers.waiting[user] = asyncio.Event()
    try:
        for i, text in enumerate(texts):
            seen = len(shoppers.arrivals[user])
            wake.clear()
            body = {"user_id": user, "message_id": f"{user}-{i}", "text": text, "contact": {"phone": f"+7998{n:07d}"}}
            sent = time.perf_counter()
            index = len(day.turns)
            day.turns.append((sent, None))
            day.waiting += 1
            try:
                response = await client.post(f"/channels/api/{ACCOUNT}/messages", json=body,
                                             headers={"authorization": f"Bearer {token}"})
                if response.status_code != 202:
                    day.post_errors[f"{response.status_code} {response.text[:120]}"] += 1
            except httpx.HTTPError as e:
                day.post_errors[type(e).__name__] += 1
            deadline = sent + REPLY_WAIT
            while len(shoppers.arrivals[user]) <= seen and time.perf_counter() < deadline:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), max(0.01, deadline - time.perf_counter()))
                wake.clear()
            day.waiting -= 1
            if len(shoppers.arrivals[user]) > seen:
                day.turns[index] = (sent, shoppers.arrivals[user][seen][0])
            await asyncio.sleep(rng.uniform(10, 40) / args.speed)
    finally:
        shoppers.waiting.pop(user, None)


class Operator:
    """One operator in a browser: signs in, goes available, polls the inbox, answers and resolves."""

    def __init__(self, login: str, password: str, base_url: str, day: Day, args: argparse.Namespace,
                 rng: random.Random) -> None:
        self.login, self.password, self.day, self.args, self.rng = login, password, day, args, rng
        self.client = httpx.AsyncClient(base_url=base_url, timeout=30.0, follow_redirects=False)
        self.csrf = ""
        self.working: set[str] = set()

    async def timed(self, name: str, method: str, url: str, **kwargs: Any) -> httpx.Response | None:
        """A request, its latency recorded under `name`; None (and an error counted) if it failed."""
        started = time.perf_counter()
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as e:
            self.day.page_errors[f"{name}: {type(e).__name__}"] += 1
            return None
        self.day.pages[name].append((started, time.perf_counter() - started))
        if response.status_code >= 400:
            self.day.page_errors[f"{name}: {response.status_code}"] += 1
            return None
        return response

    async def sign_in(self) -> None:
        """The login form, as a browser fills it, then 'available'."""
        await self.client.get("/login")
        token = self.client.cookies.get("otklik_login_csrf", path="/login") or ""
        response = await self.client.post("/login", data={"login": self.login, "password": self.password,
                                                          "csrf_token": token})
        if response.status_code != 303:
            raise RuntimeError(f"sign-in as {self.login}: {response.status_code} {response.text[:300]}")
        page = await self.client.get("/inbox")
        found = CSRF.search(page.text)
        if not found:
            raise RuntimeError(f"no CSRF token on {self.login}'s inbox page")
        self.csrf = found.group(1)
        await self.client.post("/inbox/availability", data={"availability": "available", "csrf_token": self.csrf})

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the inbox page every --poll real seconds; each conversation of mine gets handled once."""
        tasks: set[asyncio.Task[None]] = set()
        await asyncio.sleep(self.rng.uniform(0, self.args.poll / self.args.speed))  # not all at once
        while not stop.is_set():
            page = await self.timed("inbox page", "GET", "/inbox")
            if page is not None:
                mine_part = page.text.split('id="mine"', 1)[-1].split('id="queue"', 1)[0]
                for conversation in dict.fromkeys(CONVERSATION_LINK.findall(mine_part)):
                    if conversation not in self.working:
                        self.working.add(conversation)
                        task = asyncio.create_task(self.handle(conversation))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.args.poll / self.args.speed)
        for task in list(tasks):
            task.cancel()
        await self.client.aclose()

    async def handle(self, conversation: str) -> None:
        """Open it, read, reply, wait a little, resolve: pauses are real seconds / --speed."""
        speed = self.args.speed
        if await self.timed("conversation page", "GET", f"/inbox/conversations/{conversation}") is None:
            return
        await asyncio.sleep(self.rng.uniform(20, 60) / speed)
        key = secrets.token_hex(8)
        if await self.timed("reply (POST)", "POST", f"/inbox/conversations/{conversation}/reply",
                            data={"text": "Здравствуйте! Уже разбираюсь, вернусь с ответом.", "key": key},
                            headers={"X-CSRF-Token": self.csrf}) is None:
            return
        await asyncio.sleep(self.rng.uniform(60, 180) / speed)
        if await self.timed("resolve (POST)", "POST", f"/inbox/conversations/{conversation}/resolve",
                            data={"outcome": "Вопрос решён, спасибо за обращение.", "key": secrets.token_hex(8),
                                  "csrf_token": self.csrf}) is not None:
            self.day.handled_by_operators += 1


# ------------------------------------------------------------------------------------------ servers


def otklik_env(args: argparse.Namespace, tmp: Path, token: str, shoppers: Shoppers, prefix: str) -> dict[str, str]:
    """The configuration of every Otklik process of the run."""
    env = clean_env()
    env.update({
        "OTKLIK_SECRET_KEY": secrets.token_hex(16),
        "OTKLIK_STORE": "sqlite", "OTKLIK_SQLITE_PATH": str(tmp / "otklik.sqlite3"),
        "OTKLIK_BUS_JOURNAL_PATH": str(tmp / "otklik-bus.sqlite3"),
        "OTKLIK_API_ACCOUNTS": json.dumps([{"id": ACCOUNT, "token": token, "callback_url": shoppers.url}]),
        "OTKLIK_OUTBOUND_ALLOW": json.dumps(["127.0.0.1"]),
        "OTKLIK_NLU_MODEL_DIR": str(tmp / "nlu"), "OTKLIK_NLU_RELOAD_SECONDS": "3600",
        "OTKLIK_CONTEXT_PROVIDER": "demo",
        "OTKLIK_LOG_LEVEL": "WARNING", "OTKLIK_HOST": "127.0.0.1",
        "OTKLIK_WEBHOOK_DISPATCH_INTERVAL": "0.5",
    })
    if args.workers:
        env.update({"OTKLIK_BUS": "redis", "OTKLIK_REDIS_URL": REDIS_URL, "OTKLIK_REDIS_PREFIX": prefix,
                    "OTKLIK_EMBEDDED_WORKER": "false"})
    return env


def prepare(env: dict[str, str], tmp: Path, password: str, operators: int, crm_url: str) -> None:
    """Model, staff and the CRM's subscription, before any server starts."""
    train_model(tmp / "nlu")
    for cmd in (staff_command(password, operators),
                [*otklik_command(), "webhooks", "add", "--url", crm_url, *[a for e in CRM_EVENTS for a in
                                                                          ("--event", e)]]):
        done = subprocess.run(cmd, cwd=tmp, env=env, capture_output=True, text=True, timeout=600, check=False)
        if done.returncode:
            raise RuntimeError(f"{' '.join(cmd[:3])} failed: {done.stderr[-2000:]}")


def journal_depths(path: Path) -> dict[str, int]:
    """Entries of the in-process bus not yet handled, per stream family, from its journal (read-only)."""
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)) as db:
        rows = db.execute("SELECT stream, count(*) FROM bus_entries GROUP BY stream").fetchall()
    depths: Counter[str] = Counter()
    for stream, count in rows:
        depths[str(stream).split(".", 1)[0]] += int(count)
    return dict(depths)


async def redis_depths(prefix: str, partitions: int) -> dict[str, int]:
    """Entries of the Redis bus not yet delivered (lag) or not yet acknowledged (pending), per stream family,
    summed over the consumer groups (XINFO GROUPS)."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    depths: Counter[str] = Counter()
    try:
        streams = [f"{f}.{n}" for f in ("inbound", "outbound") for n in range(partitions)] + ["events"]
        for stream in streams:
            with contextlib.suppress(Exception):  # a stream not created yet
                for group in await client.xinfo_groups(f"{prefix}{stream}"):
                    depths[stream.split(".", 1)[0]] += int(group.get("lag") or 0) + int(group.get("pending") or 0)
    finally:
        await client.aclose()
    return dict(depths)


async def sample(day: Day, procs: list[Proc], stop: asyncio.Event, depths: Callable[[], Awaitable[dict[str, int]]],
                 ) -> None:
    """Every second: the servers' CPU so far and the turns waiting for a reply; every other, the bus's queues."""
    tick = 0
    while not stop.is_set():
        now = time.perf_counter()
        day.cpu.append((now, sum(p.cpu_seconds() for p in procs)))
        day.backlog.append((now, day.waiting))
        if tick % 2 == 0:
            with contextlib.suppress(sqlite3.Error, OSError):
                day.queues.append((now, await depths()))
        tick += 1
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def run_day(args: argparse.Namespace) -> tuple[Day, Crm, list[str]]:
    """Set up, replay the slice, drain, stop; the record of the day, the CRM's deliveries, problems."""
    rng = random.Random(args.seed)
    tmp = Path(tempfile.mkdtemp(prefix="otklik-day-"))
    token = "day-token-" + secrets.token_hex(16)
    password = secrets.token_urlsafe(12)
    prefix = f"otklik-day-{uuid.uuid4().hex[:12]}:"
    receiver_port = free_port()
    shoppers, crm, day = Shoppers(receiver_port), Crm(receiver_port), Day()
    env = otklik_env(args, tmp, token, shoppers, prefix)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    procs: list[Proc] = []
    problems: list[str] = []
    plan = schedule(args, rng)
    print(f"setting up in {tmp}: NLU model, staff ({args.operators} operators), CRM subscription", flush=True)
    prepare(env, tmp, password, args.operators, crm.url)
    stop = asyncio.Event()

    async def depths() -> dict[str, int]:
        """The bus's queues of this run's topology."""
        if args.workers:
            return await redis_depths(prefix, 4)  # OTKLIK_PARTITIONS' default, which the servers run with
        return await asyncio.to_thread(journal_depths, tmp / "otklik-bus.sqlite3")

    try:
        async with receivers(receiver_port, shoppers, crm, tmp):
            procs.append(start_process("api", [*otklik_command(), "serve", "--port", str(port)], env, tmp))
            await wait_ready(base_url, procs[0])
            for n in range(args.workers):
                procs.append(start_process(f"worker{n + 1}", [*otklik_command(), "worker"], env, tmp))
            operators = [Operator(operator_login(n), password, base_url, day, args, rng) for n in range(args.operators)]
            for op in operators:
                await op.sign_in()
            print(f"{len(plan)} conversations over {args.hours:g} h from {args.from_hour:02d}:00 at {args.speed:g}x "
                  f"= {args.hours * HOUR / args.speed / 60:.1f} min", flush=True)
            async with load_clients(base_url, 64) as clients:  # small pools: encode/httpx#3215
                day.start = time.perf_counter()
                bench_cpu = time.process_time()
                sampler = asyncio.create_task(sample(day, procs, stop, depths))
                op_tasks = [asyncio.create_task(op.run(stop)) for op in operators]
                conversations: set[asyncio.Task[None]] = set()
                for n, (at, script) in enumerate(plan):
                    if (wait := day.start + at - time.perf_counter()) > 0:
                        await asyncio.sleep(wait)
                    client = clients[n % len(clients)]
                    task = asyncio.create_task(shopper(day, shoppers, client, token, n, script, args, rng))
                    conversations.add(task)
                    task.add_done_callback(conversations.discard)
                    if n and n % 2000 == 0:
                        print(f"  {n} conversations started, {(time.perf_counter() - day.start) / 60:.1f} min",
                              flush=True)
                day.last_arrival = time.perf_counter()
                while conversations:
                    await asyncio.wait(set(conversations))
                await drain(crm, args.drain)
                stop.set()
                await asyncio.gather(sampler, *op_tasks)
                day.bench_cpu = time.process_time() - bench_cpu
            for p in procs:
                if p.popen.poll() is not None:
                    problems.append(f"{p.name} exited with {p.popen.returncode} during the run")
            await stop_all(procs)  # while the receivers still answer: a stopping server may still send
    finally:
        stop.set()
        await stop_all(procs)
        if args.workers:
            await clean_redis(prefix)
    day.db_bytes = store_size(tmp)
    for p in procs:
        lines = scan_log(p.log).lines
        if lines:
            problems.append(f"{p.name}: {len(lines)} warning/error lines, e.g. {lines[0][:300]}")
    if problems or args.keep:
        problems.append(f"kept {tmp}")
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    return day, crm, problems


async def stop_all(procs: list[Proc]) -> None:
    """SIGTERM each (workers first, then the api), waiting for each exit."""
    for p in reversed(procs):
        await stop_process(p)


def store_size(tmp: Path) -> int:
    """Bytes of the SQLite store (main file and WAL)."""
    return sum(f.stat().st_size for f in tmp.glob("otklik.sqlite3*"))


async def drain(crm: Crm, seconds: float) -> None:
    """Wait until the webhooks stop arriving for 3 s (at most `seconds`)."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        last = crm.deliveries[-1][0] if crm.deliveries else 0.0
        if time.perf_counter() - last >= 3.0:
            return
        await asyncio.sleep(0.5)


# ------------------------------------------------------------------------------------------ report


def window_report(day: Day, crm: Crm, args: argparse.Namespace) -> tuple[bool, list[str]]:
    """Per simulated hour: load, latencies, backlog, CPU; whether the window kept up, and why not."""
    windows = math.ceil(args.hours)
    failures: list[str] = []
    print(f"\n== per simulated hour (one window = {HOUR / args.speed:.0f} s at {args.speed:g}x)")
    print(f"  {'hour':>5}{'convs':>7}{'turns/s':>9}{'bot p50':>9}{'p99':>8}{'max':>8}{'unans':>7}"
          f"{'backlog':>9}{'bus in/out/ev':>16}{'inbox p99':>11}{'conv p99':>10}{'hooks':>7}{'hook p99':>10}"
          f"{'cores':>7}")
    for w in range(windows):
        lo, hi = window(day, args, w)
        length = hi - lo
        turns = [(s, r) for s, r in day.turns if lo <= s < hi]
        lag = [(r - s) for s, r in turns if r is not None]
        unanswered = sum(1 for _, r in turns if r is None)
        backlog = max((b for at, b in day.backlog if lo <= at < hi), default=0)
        bus = "/".join(str(max((q.get(f, 0) for at, q in day.queues if lo <= at < hi), default=0))
                       for f in ("inbound", "outbound", "events"))
        inbox = [d for s, d in day.pages["inbox page"] if lo <= s < hi]
        conv = [d for s, d in day.pages["conversation page"] if lo <= s < hi]
        hooks = [lag for at, _, lag in crm.deliveries if lo <= at < hi]
        cpu = [(at, c) for at, c in day.cpu if lo <= at < hi]
        cores = (cpu[-1][1] - cpu[0][1]) / (cpu[-1][0] - cpu[0][0]) if len(cpu) > 1 else math.nan
        offered = len(turns) / length
        hour = (args.from_hour + w) % 24
        convs = round(args.conversations * CURVE[hour] / sum(CURVE) * length * args.speed / HOUR)
        print(f"  {hour:>3}:00{convs:>7}{offered:>9.1f}"
              f"{ms(lag, 50):>9}{ms(lag, 99):>8}{ms(lag, 100):>8}{unanswered:>7}{backlog:>9}{bus:>16}"
              f"{ms(inbox, 99):>11}{ms(conv, 99):>10}{len(hooks):>7}{ms(hooks, 99):>10}{cores:>7.2f}")
        if unanswered:
            failures.append(f"{hour:02d}:00: {unanswered} turns without a reply within {REPLY_WAIT:.0f} s")
        if lag and percentile(lag, 99) > args.lag_bound:
            failures.append(f"{hour:02d}:00: bot reply p99 {percentile(lag, 99):.2f} s > {args.lag_bound} s")
        if turns and backlog > max(args.lag_bound * offered, 1) * 2:
            failures.append(f"{hour:02d}:00: backlog {backlog} turns > 2 x {args.lag_bound} s of offered load")
    return not failures, failures


def window(day: Day, args: argparse.Namespace, w: int) -> tuple[float, float]:
    """Bench-clock bounds of simulated hour `w` of the slice (the last one may be partial)."""
    length = HOUR / args.speed
    return day.start + w * length, day.start + min(w + 1, args.hours) * length


def ms(values: list[float], p: float) -> str:
    """A percentile of seconds, in ms, or '-'."""
    return f"{percentile(values, p) * 1000:.0f}" if values else "-"


def peak_report(day: Day, crm: Crm, args: argparse.Namespace) -> None:
    """The busiest simulated hour of the slice: p99s, webhooks, CPU."""
    windows = max(1, math.ceil(args.hours))
    counts = [sum(1 for s, _ in day.turns if window(day, args, w)[0] <= s < window(day, args, w)[1])
              for w in range(windows)]
    w = counts.index(max(counts))
    lo, hi = window(day, args, w)
    length = hi - lo
    lag = [r - s for s, r in day.turns if lo <= s < hi and r is not None]
    print(f"\n== peak: {(args.from_hour + w) % 24:02d}:00-{(args.from_hour + w + 1) % 24:02d}:00 simulated, "
          f"{counts[w]} turns = {counts[w] / length:.1f} turns/s at {args.speed:g}x "
          f"({counts[w] / length / args.speed:.2f}/s real)")
    print(f"  bot reply (POST -> first reply)   p50 {ms(lag, 50)} ms   p99 {ms(lag, 99)} ms   max {ms(lag, 100)} ms")
    for name in ("inbox page", "conversation page", "reply (POST)", "resolve (POST)"):
        values = [d for s, d in day.pages[name] if lo <= s < hi]
        print(f"  {name:<33} p50 {ms(values, 50)} ms   p99 {ms(values, 99)} ms   ({len(values)} requests)")
    hooks = [lag for at, _, lag in crm.deliveries if lo <= at < hi]
    print(f"  CRM webhooks                      {len(hooks)} delivered, "
          f"lag p50 {ms(hooks, 50)} ms, p99 {ms(hooks, 99)} ms")
    cpu = [(at, c) for at, c in day.cpu if lo <= at < hi]
    if len(cpu) > 1:
        used = cpu[-1][1] - cpu[0][1]
        print(f"  server CPU                        {used / (cpu[-1][0] - cpu[0][0]):.2f} of {os.cpu_count()} cores, "
              f"{used / max(1, counts[w]) * 1000:.1f} ms per turn (all Otklik processes, inbox pages and webhooks "
              f"included)")


async def main_async(args: argparse.Namespace) -> int:
    """Replay the slice and print the figures; 0 when it kept up and nothing went wrong."""
    if args.workers and (why := await redis_ok()) is not None:
        print(f"Redis at {REDIS_URL} does not answer: {why}")
        return 1
    topology = f"otklik serve + {args.workers} otklik worker on Redis Streams" if args.workers else \
        "otklik serve, embedded (SQLite, in-process bus, worker inside)"
    print(f"Otklik day: {args.conversations} conversations a day on the chain's curve, {args.hours:g} h from "
          f"{args.from_hour:02d}:00 at {args.speed:g}x; {topology}; {args.operators} operators polling every "
          f"{args.poll:g} s (real); {os.cpu_count()} CPUs, {platform.platform()}, Python "
          f"{platform.python_version()}; load average {os.getloadavg()[0]:.2f} (a shared machine)")
    day, crm, problems = await run_day(args)
    kept_up, failures = window_report(day, crm, args)
    peak_report(day, crm, args)
    answered = sum(1 for _, r in day.turns if r is not None)
    duplicates = sum(n - 1 for n in crm.ids.values() if n > 1)
    last = day.last_arrival or day.start
    hook_tail = (crm.deliveries[-1][0] - last) if crm.deliveries else math.nan
    print("\n== totals")
    kinds = ", ".join(f"{k} {v}" for k, v in day.conversations.most_common())
    print(f"  conversations {sum(day.conversations.values())} ({kinds})")
    print(f"  turns {len(day.turns)}, answered {answered}; POST errors {dict(day.post_errors) or 0}")
    print(f"  operators resolved {day.handled_by_operators} conversations; page errors {dict(day.page_errors) or 0}")
    types = ", ".join(f"{t} {n}" for t, n in Counter(t for _, t, _ in crm.deliveries).most_common(8))
    print(f"  CRM webhooks {len(crm.deliveries)} ({types}), "
          f"{duplicates} duplicate webhook-ids; last one {hook_tail:.1f} s after the last conversation started")
    server = day.cpu[-1][1] - day.cpu[0][1] if len(day.cpu) > 1 else math.nan
    wall = day.cpu[-1][0] - day.cpu[0][0] if len(day.cpu) > 1 else math.nan
    print(f"  server CPU {server:.1f} s over {wall:.0f} s = {server / wall:.2f} cores; "
          f"{server / max(1, len(day.turns)) * 1000:.1f} ms per turn; the bench process (shoppers, operators, "
          f"receivers) {day.bench_cpu:.1f} s on the same cores")
    conversations = max(1, sum(day.conversations.values()))
    print(f"  store: {day.db_bytes / 2**20:.1f} MiB of SQLite for {conversations} conversations = "
          f"{day.db_bytes / conversations / 1024:.1f} KiB each (the staff, the schema and the WAL included)")
    if day.queues:
        worst = {f: max(q.get(f, 0) for _, q in day.queues) for f in ("inbound", "outbound", "events")}
        print(f"  bus entries not yet handled, largest seen: {worst}; at the end: {day.queues[-1][1]}")
        if day.queues[-1][1].get("inbound", 0):
            kept_up = False
            failures.append(f"{day.queues[-1][1]['inbound']} inbound entries still queued after the drain")
    print(f"  load average at the end {os.getloadavg()[0]:.2f}")
    for line in problems:
        print(f"  NOTE {line}")
    for line in failures:
        print(f"  BEHIND {line}")
    print(f"\nresult: {'kept up' if kept_up else 'did NOT keep up'} at {args.speed:g}x")
    return 0 if kept_up and not problems else 1


async def redis_ok() -> str | None:
    """None if the bench's Redis answers, else why not."""
    from bench.ingest import redis_available

    return await redis_available()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description="A day of the chain at speed (see the module docstring).")
    parser.add_argument("--conversations", type=int, default=40_000, help="conversations in the whole day")
    parser.add_argument("--speed", type=float, default=20.0, help="how many times faster than real (default 20)")
    parser.add_argument("--from-hour", type=int, default=0, help="first simulated hour, Moscow time (default 0)")
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours to replay (default 24)")
    parser.add_argument("--workers", type=int, default=0, help="N > 0: Redis Streams and N otklik worker")
    parser.add_argument("--operators", type=int, default=30, help="operators signed in (default 30)")
    parser.add_argument("--poll", type=float, default=30.0, help="real seconds between an operator's inbox polls")
    parser.add_argument("--lag-bound", type=float, default=2.0, help="bot reply p99 bound in bench seconds")
    parser.add_argument("--drain", type=float, default=120.0, help="seconds to wait for the last webhooks")
    parser.add_argument("--seed", type=int, default=20, help="random seed of the schedule and pauses")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (database, logs)")
    args = parser.parse_args(argv)
    if not 0 <= args.from_hour < 24 or args.hours <= 0 or args.speed <= 0 or args.conversations < 1:
        parser.error("--from-hour in 0..23, --hours, --speed and --conversations positive")
    return args


def main() -> int:
    """Entry point."""
    return asyncio.run(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
