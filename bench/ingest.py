"""Ingest benchmark: how fast Otklik takes api-channel messages in and answers them, against bare FastAPI.

What is measured, per setup, with real processes over real TCP on 127.0.0.1:

* baseline  - `bench/bare_app.py`: one FastAPI endpoint that validates the same JSON body with pydantic
              and answers 202; served like `otklik serve` (uvicorn.run, 1 process). The floor any
              FastAPI service pays for the same request.
* embedded  - `otklik serve` with OTKLIK_STORE=sqlite, OTKLIK_BUS=memory: the worker runs inside the API
              process (accept -> in-process bus -> ingest -> SQLite -> outbox -> callback).
* redis     - `otklik serve` with OTKLIK_BUS=redis, OTKLIK_EMBEDDED_WORKER=false, plus one separate
              `otklik worker` process; both on the same SQLite file (the worker does the writes).

The load generator is an httpx.AsyncClient in this process keeping a fixed number (--concurrency) of
POST /channels/api/bench/messages in flight, each with a unique message_id; users are spread over
--users ids (default 500, so most conversations get several messages; --users 0 gives every message
its own user). Otklik answers each message with an acknowledgement that it POSTs to the account's
callback URL: a lean ASGI receiver in this process (same event loop) notes the arrival time of each.

Mapping a callback to the POST that caused it: the callback carries `Idempotency-Key: ack:<stored id>`
(Otklik's id for the stored inbound message, not our message_id). After the run, with the servers
stopped, the bench reads the SQLite file once (messages table: id -> external_id, which is our
message_id) to map every ack to its POST exactly, and to count what was stored, handled, sent or failed.
The reply's user_id is checked against the POST's user_id on the way.

Figures: POST->202 latency (client side, request start to response), accepted POSTs per second (first
POST start to last 202), and for Otklik POST->ack latency (request start to the callback's arrival:
stored, processed, and the acknowledgement delivered) and acknowledged messages per second (first POST
start to last ack); CPU seconds of every process (from /proc) and per accepted message. By default
POSTs go out as fast as they are accepted; --rate caps the offered load (messages/s) so POST->ack can be
read at a load the worker keeps up with. A warm-up (--warmup messages, other users) runs first and is
not counted; the measured phase starts only after all its acks arrived. The servers' stderr is scanned
for warnings and errors, which are printed; the temp dir (databases, logs) is kept when anything looks
wrong (or with --keep).

Run: `.venv/bin/python bench/ingest.py [--messages N] [--concurrency C]`; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import platform
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import uvicorn

BENCH = Path(__file__).resolve().parent
ACCOUNT = "bench"
REDIS_URL = "redis://127.0.0.1:6379/14"
READY_TIMEOUT = 30.0
STOP_TIMEOUT = 20.0
CLIENT_POOL = 4  # connections per load-generator client, see load_clients
WARMUP_ACK_STALL = 60.0  # the redis worker starts while the warm-up is already queued
CLEAN_EXITS = {"0", str(-signal.SIGTERM)}  # uvicorn re-raises SIGTERM once its graceful shutdown is done
EXTRA_ENV = {"OTKLIK_BUS_RETRY_AFTER": "5"}  # a failed entry comes back within the run, not after 30 s

Scope = dict[str, Any]
Message = dict[str, Any]


# ---------------------------------------------------------------------------------------------- setups


@dataclass(frozen=True)
class Setup:
    """One server configuration under test."""

    name: str
    title: str
    otklik: bool
    bus: str = "memory"


SETUPS = {
    "baseline": Setup("baseline", "bare FastAPI + pydantic, 202 (1 uvicorn process)", otklik=False),
    "embedded": Setup("embedded", "otklik serve: SQLite store, in-process bus, worker inside the API process",
                      otklik=True, bus="memory"),
    "redis": Setup("redis", "otklik serve (no worker) + 1 otklik worker: SQLite store, Redis Streams bus",
                   otklik=True, bus="redis"),
}


# ------------------------------------------------------------------------------------------- processes


@dataclass
class Proc:
    """A server under test, running as a child process with its output in a log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    killed: bool = False

    def cpu_seconds(self) -> float:
        """User + system CPU time the process used so far (from /proc), 0 if unavailable."""
        try:
            stat = Path(f"/proc/{self.popen.pid}/stat").read_text()
        except OSError:
            return 0.0
        fields = stat.rpartition(")")[2].split()  # after "(comm)": state is fields[0], utime [11], stime [12]
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def rss_mb(self) -> float:
        """Resident memory in MiB (from /proc), 0 if unavailable."""
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0


def start_process(name: str, cmd: list[str], env: dict[str, str], cwd: Path) -> Proc:
    """Start `cmd` in `cwd` with exactly `env`, its stdout and stderr going to `<cwd>/<name>.log`."""
    log = cwd / f"{name}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    return Proc(name, popen, log)


async def stop_process(proc: Proc) -> int:
    """SIGTERM, wait for the exit (SIGKILL after STOP_TIMEOUT); the exit code."""
    if proc.popen.poll() is None:
        proc.popen.send_signal(signal.SIGTERM)
        try:
            await asyncio.to_thread(proc.popen.wait, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.killed = True
            proc.popen.kill()
            await asyncio.to_thread(proc.popen.wait)
    return int(proc.popen.returncode)


async def wait_ready(base_url: str, proc: Proc) -> None:
    """Poll GET /readyz until it answers 200; RuntimeError with the log's tail if the process dies first."""
    deadline = time.monotonic() + READY_TIMEOUT
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"{proc.name} exited with {proc.popen.returncode} before it was ready:\n"
                                   + tail(proc.log))
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{proc.name} not ready after {READY_TIMEOUT:.0f} s:\n" + tail(proc.log))


def tail(path: Path, lines: int = 20) -> str:
    """The last lines of a log file."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env() -> dict[str, str]:
    """This process's environment without anything that would configure Otklik behind our back."""
    return {k: v for k, v in os.environ.items()
            if not k.startswith("OTKLIK_") and k not in {"REDIS_URL", "MONGODB_URL"}}


def otklik_command() -> list[str]:
    """The `otklik` entry point of this interpreter's environment."""
    script = Path(sys.executable).parent / "otklik"
    return [str(script)] if script.exists() else [sys.executable, "-m", "api.cli"]


# -------------------------------------------------------------------------------------------- receiver


@dataclass
class Ack:
    """One callback as it arrived."""

    at: float  # time.perf_counter() when the whole request had arrived
    key: str  # Idempotency-Key header
    user_id: str | None


class Receiver:
    """The callback endpoint: a bare ASGI app that records every request and answers 200 at once."""

    def __init__(self) -> None:
        self.acks: list[Ack] = []
        self.per_tag: Counter[str] = Counter()  # acks by the user id's tag ("w" warm-up, "m" measured)
        self.changed = asyncio.Event()
        self.port = free_port()

    @property
    def url(self) -> str:
        """The callback URL to configure."""
        return f"http://127.0.0.1:{self.port}/cb"

    async def __call__(self, scope: Scope, receive: Callable[[], Any], send: Callable[[Scope], Any]) -> None:
        """Record (arrival time, Idempotency-Key, user_id) and answer 200."""
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            event = await receive()
            body += event.get("body", b"")
            more = event.get("more_body", False)
        at = time.perf_counter()
        headers = dict(scope["headers"])
        payload: dict[str, Any] = {}
        with contextlib.suppress(ValueError, TypeError):
            payload = dict(json.loads(body))
        user = payload.get("user_id")
        ack = Ack(at, headers.get(b"idempotency-key", b"").decode("latin-1"), user)
        self.acks.append(ack)
        self.per_tag[str(user).partition("-")[0]] += 1
        self.changed.set()
        self.received(ack, payload)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})

    def received(self, ack: Ack, payload: dict[str, Any]) -> None:
        """Called for every callback once recorded, with its JSON body ({} if it was none); for subclasses."""

    def count(self, tag: str) -> int:
        """Acks received for users `<tag>-...`."""
        return self.per_tag[tag]

    def clear(self) -> None:
        """Forget everything received so far."""
        self.acks.clear()
        self.per_tag.clear()

    async def wait_for(self, tag: str, expected: int, stall: float) -> bool:
        """Wait until `expected` acks for users `<tag>-...` arrived; False once `stall` s pass without one."""
        while self.count(tag) < expected:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), stall)
            except TimeoutError:
                return False
        return True


class _QuietServer(uvicorn.Server):
    """uvicorn.Server that leaves this process's signal handlers alone (Ctrl-C stops the bench)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve_receiver(receiver: Receiver) -> AsyncIterator[Receiver]:
    """Serve the receiver in this event loop while the context is open."""
    config = uvicorn.Config(receiver, host="127.0.0.1", port=receiver.port, log_level="warning",
                            lifespan="off", access_log=False)
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield receiver
    finally:
        server.should_exit = True
        await task


# ---------------------------------------------------------------------------------------------- load


@dataclass
class Sample:
    """One POST as the client saw it."""

    user_id: str
    sent: float
    done: float
    status: int | str  # HTTP status, or the exception's name


def make_messages(tag: str, count: int, users: int) -> list[tuple[str, str, bytes]]:
    """(message_id, user_id, body) for `count` messages of users `<tag>-u<n>`; users=0: one user each."""
    out = []
    for i in range(count):
        user = f"{tag}-u{i % users if users else i}"
        message_id = f"{tag}-m{i}"
        text = f"Где мой заказ {100000 + i}? Не могу найти трек-номер." if i % 2 else \
            f"Where is my order {100000 + i}? I cannot find the tracking number."
        body = json.dumps({"user_id": user, "message_id": message_id, "text": text}, ensure_ascii=False)
        out.append((message_id, user, body.encode()))
    return out


@contextlib.asynccontextmanager
async def load_clients(base_url: str, concurrency: int) -> AsyncIterator[list[httpx.AsyncClient]]:
    """httpx clients with CLIENT_POOL connections each, enough for `concurrency` requests in flight.

    One client with a pool of 32 costs the load generator ~3x the CPU per request of one with 4: httpcore
    scans its whole pool on every request start and end (encode/httpx#3215). Small pools keep the load
    generator's share of the two cores down, so the servers get the CPU the figures are meant to describe.
    """
    count = math.ceil(concurrency / CLIENT_POOL)
    limits = httpx.Limits(max_connections=CLIENT_POOL, max_keepalive_connections=CLIENT_POOL)
    async with contextlib.AsyncExitStack() as stack:
        yield [await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30.0))
               for _ in range(count)]


async def post_all(clients: list[httpx.AsyncClient], token: str, messages: list[tuple[str, str, bytes]],
                   concurrency: int, errors: list[str], rate: float = 0.0) -> dict[str, Sample]:
    """POST every message with up to `concurrency` requests in flight, spread over `clients`.

    With `rate` > 0, message i is not sent before `i / rate` seconds after the start (an offered load
    of `rate` per second, still capped by the concurrency); 0 sends each as soon as a slot is free.
    A Sample per message_id.
    """
    url = f"/channels/api/{ACCOUNT}/messages"
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    samples: dict[str, Sample] = {}
    todo = enumerate(messages)
    start = time.perf_counter()

    async def client_loop(client: httpx.AsyncClient) -> None:
        for n, (message_id, user, body) in todo:  # one iterator shared by all loops: each message is sent once
            if rate > 0 and (wait := start + n / rate - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            status: int | str
            sent = time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
                status = response.status_code
                if status != 202 and len(errors) < 5:
                    errors.append(f"{message_id}: {status} {response.text[:300]}")
            except httpx.HTTPError as e:
                status = type(e).__name__
                if len(errors) < 5:
                    errors.append(f"{message_id}: {status}: {e}")
            samples[message_id] = Sample(user, sent, time.perf_counter(), status)

    await asyncio.gather(*(client_loop(clients[n % len(clients)]) for n in range(concurrency)))
    return samples


# -------------------------------------------------------------------------------------------- results


@dataclass
class StoreView:
    """What the SQLite file says after the run."""

    inbound: dict[str, tuple[str, bool]]  # stored id -> (external id, handled)
    outbound: dict[str, tuple[str, str | None]]  # idempotency key -> (status, reason)


def read_store(path: Path) -> StoreView:
    """Read the messages table once (servers stopped)."""
    with contextlib.closing(sqlite3.connect(path)) as db:
        inbound = {row[0]: (row[1], bool(row[2])) for row in db.execute(
            "SELECT id, external_id, json_extract(doc, '$.handled') FROM messages WHERE direction = 'inbound'")}
        outbound = {row[0]: (row[1], row[2]) for row in db.execute(
            "SELECT idempotency_key, json_extract(doc, '$.status'), json_extract(doc, '$.status_reason')"
            " FROM messages WHERE direction = 'outbound'")}
    return StoreView(inbound, outbound)


@dataclass
class LogProblems:
    """Warning-or-worse lines a server wrote."""

    lines: list[str] = field(default_factory=list)

    def summary(self, limit: int = 8) -> list[str]:
        """Distinct problems with counts, most frequent first, each with one example."""
        groups: Counter[str] = Counter()
        example: dict[str, str] = {}
        for line in self.lines:
            try:
                entry = json.loads(line)
                exc = str(entry.get("exc", "")).strip().splitlines()
                key = f"[{entry.get('level')}] {entry.get('logger')}: {str(entry.get('message')).strip()}"
                shown = key + (f" | {exc[-1]}" if exc else "")
            except (ValueError, AttributeError):
                key = shown = line
            groups[key[:160]] += 1
            example.setdefault(key[:160], shown[:600])
        return [f"{n}x {example[key]}" for key, n in groups.most_common(limit)]


def scan_log(path: Path) -> LogProblems:
    """Every non-empty line that is not a JSON log entry below warning level."""
    problems = LogProblems()
    with contextlib.suppress(OSError):
        for line in path.read_text(errors="replace").splitlines():
            if not line.strip():
                continue
            try:
                level = str(json.loads(line).get("level", ""))
            except (ValueError, AttributeError):
                problems.lines.append(line)  # tracebacks, plain uvicorn lines
                continue
            if level.lower() in {"warning", "error", "critical"}:
                problems.lines.append(line)
    return problems


@dataclass
class Result:
    """Everything measured for one setup."""

    setup: Setup
    samples: dict[str, Sample] = field(default_factory=dict)
    post_errors: list[str] = field(default_factory=list)
    e2e_ms: list[float] = field(default_factory=list)
    last_ack: float | None = None
    acked: int = 0
    missing: list[str] = field(default_factory=list)
    duplicates: int = 0
    unmatched: int = 0
    wrong_user: int = 0
    out_of_order: list[str] = field(default_factory=list)
    store_lines: list[str] = field(default_factory=list)
    cpu: dict[str, float] = field(default_factory=dict)
    rss: dict[str, float] = field(default_factory=dict)
    exit_codes: dict[str, str] = field(default_factory=dict)
    logs: dict[str, LogProblems] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    kept: Path | None = None

    @property
    def accepted(self) -> list[Sample]:
        """The POSTs answered 202."""
        return [s for s in self.samples.values() if s.status == 202]

    @property
    def first_sent(self) -> float:
        """When the first measured POST started."""
        return min(s.sent for s in self.samples.values())

    @property
    def accept_seconds(self) -> float:
        """First POST start to last 202."""
        return max(s.done for s in self.accepted) - self.first_sent

    @property
    def post_ms(self) -> list[float]:
        """POST->202 latencies."""
        return [(s.done - s.sent) * 1000 for s in self.accepted]

    @property
    def troubled(self) -> bool:
        """Whether anything went wrong that someone should look at."""
        return bool(len(self.accepted) != len(self.samples) or self.missing or self.duplicates or self.unmatched
                    or self.wrong_user or self.out_of_order or any(p.lines for p in self.logs.values()) or self.notes
                    or any(code not in CLEAN_EXITS for code in self.exit_codes.values()))


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile; nan for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def order_inversions(accepted: dict[str, Sample], acked_at: dict[str, float]) -> list[str]:
    """Pairs of one user's messages whose acks arrived in the opposite order to the POSTs.

    Only pairs where the first POST had its 202 before the second was sent count: Otklik had queued
    the first before it saw the second, and it keeps one customer's messages (and replies) in order.
    """
    by_user: dict[str, list[tuple[str, Sample]]] = {}
    for mid, sample in accepted.items():
        if mid in acked_at:
            by_user.setdefault(sample.user_id, []).append((mid, sample))
    found = []
    for messages in by_user.values():
        for first, a in messages:
            for second, b in messages:
                if a.done < b.sent and acked_at[second] < acked_at[first]:
                    found.append(f"{second} acked {(acked_at[first] - acked_at[second]) * 1000:.0f} ms before {first}")
    return found


def match_acks(result: Result, acks: list[Ack], store: StoreView) -> None:
    """Map each ack to its POST through the stored inbound id; fill latencies and the loss accounting."""
    seen: dict[str, float] = {}  # message_id -> arrival of its first ack
    accepted = {mid: s for mid, s in result.samples.items() if s.status == 202}
    for ack in acks:
        stored_id = ack.key.removeprefix("ack:")
        external = store.inbound.get(stored_id, ("", False))[0]
        sample = accepted.get(external)
        if sample is None:
            result.unmatched += 1
            continue
        if external in seen:
            result.duplicates += 1
            continue
        seen[external] = ack.at
        if ack.user_id != sample.user_id:
            result.wrong_user += 1
        result.e2e_ms.append((ack.at - sample.sent) * 1000)
        result.last_ack = ack.at if result.last_ack is None else max(result.last_ack, ack.at)
    result.acked = len(seen)
    result.missing = sorted(set(accepted) - set(seen))
    result.out_of_order = order_inversions(accepted, seen)
    by_external = {ext: (sid, handled) for sid, (ext, handled) in store.inbound.items()}
    ours = [by_external[m] for m in accepted if m in by_external]
    statuses = Counter(store.outbound.get(f"ack:{sid}", ("(none)", None))[0] for sid, _ in ours)
    result.store_lines.append(
        f"{len(ours)} of {len(accepted)} accepted messages stored, {sum(h for _, h in ours)} handled; "
        f"their acks by status: {dict(statuses)}")
    for mid in result.missing[:5]:
        sid, handled = by_external.get(mid, ("", False))
        status, reason = store.outbound.get(f"ack:{sid}", ("(none)", None)) if sid else ("(not stored)", None)
        result.store_lines.append(f"missing ack for {mid}: stored={bool(sid)} handled={handled} "
                                  f"ack status={status} reason={reason}")


# ------------------------------------------------------------------------------------------- one setup


async def clean_redis(prefix: str) -> int:
    """Delete every key under `prefix` in the bench's Redis database (SCAN + DEL); how many."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
        return int(await client.delete(*keys)) if keys else 0
    finally:
        await client.aclose()


async def redis_available() -> str | None:
    """None if the bench's Redis answers, else why not."""
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        await client.ping()
        return None
    except Exception as e:  # any failure means: skip the setup and say why
        return f"{type(e).__name__}: {e}"
    finally:
        await client.aclose()


def otklik_env(setup: Setup, tmp: Path, token: str, receiver: Receiver, prefix: str) -> dict[str, str]:
    """The complete configuration of an Otklik process under test, as environment variables."""
    env = clean_env()
    env.update({
        "OTKLIK_SECRET_KEY": secrets.token_hex(16),
        "OTKLIK_STORE": "sqlite",
        "OTKLIK_SQLITE_PATH": str(tmp / "otklik.sqlite3"),
        "OTKLIK_BUS_JOURNAL_PATH": str(tmp / "otklik-bus.sqlite3"),  # the in-process bus's journal
        "OTKLIK_BUS": setup.bus,
        "OTKLIK_API_ACCOUNTS": json.dumps([{"id": ACCOUNT, "token": token, "callback_url": receiver.url}]),
        "OTKLIK_LOG_LEVEL": "WARNING",
        "OTKLIK_DIALOGS_DIR": "",  # ingest and the plain acknowledgement; bench/bot.py measures the dialog bot
        "OTKLIK_HOST": "127.0.0.1",
        "OTKLIK_OUTBOUND_ALLOW": json.dumps(["127.0.0.1"]),  # the callback receiver is on loopback
        **EXTRA_ENV,
    })
    if setup.bus == "redis":
        env.update({"OTKLIK_REDIS_URL": REDIS_URL, "OTKLIK_REDIS_PREFIX": prefix, "OTKLIK_EMBEDDED_WORKER": "false"})
    return env


async def run_setup(setup: Setup, args: argparse.Namespace, receiver: Receiver) -> Result:
    """Start the servers, warm up, measure, stop them, and account for every message."""
    result = Result(setup)
    tmp = Path(tempfile.mkdtemp(prefix=f"otklik-bench-{setup.name}-"))
    token = "bench-token-" + secrets.token_hex(16)
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    prefix = f"otklik-bench-{uuid.uuid4().hex[:12]}:"
    procs: list[Proc] = []
    acks: list[Ack] = []
    print(f"\n== {setup.name}: {setup.title}", flush=True)
    env = otklik_env(setup, tmp, token, receiver, prefix) if setup.otklik else clean_env()
    try:
        if setup.otklik:
            # --skip-checks: the bench's empty directory has none of the groups the shipped routes name
            procs.append(start_process("api", [*otklik_command(), "serve", "--port", str(port), "--skip-checks"],
                                       env, tmp))
        else:
            cmd = [sys.executable, str(BENCH / "bare_app.py"), "--port", str(port)]
            procs.append(start_process("server", cmd, env, tmp))
        await wait_ready(base_url, procs[0])
        if setup.bus == "redis":  # after the API applied the migrations: never two processes migrating at once
            procs.append(start_process("worker", [*otklik_command(), "worker"], env, tmp))

        async with load_clients(base_url, args.concurrency) as clients:
            warm = make_messages("w", args.warmup, users=0)
            warm_errors: list[str] = []
            warm_samples = await post_all(clients, token, warm, args.concurrency, warm_errors)
            warm_ok = sum(1 for s in warm_samples.values() if s.status == 202)
            if warm_ok != len(warm):
                result.notes.append(f"warm-up: {warm_ok} of {len(warm)} POSTs got 202; e.g. {warm_errors[:2]}")
            if setup.otklik and not await receiver.wait_for("w", warm_ok, WARMUP_ACK_STALL):
                result.notes.append(f"warm-up: only {receiver.count('w')} of {warm_ok} acks arrived")
            receiver.clear()

            cpu_before = {p.name: p.cpu_seconds() for p in procs}
            bench_before = time.process_time()
            result.samples = await post_all(clients, token, make_messages("m", args.messages, args.users),
                                            args.concurrency, result.post_errors, args.rate)
            if setup.otklik:
                accepted = len(result.accepted)
                if not await receiver.wait_for("m", accepted, args.ack_stall):
                    result.notes.append(f"gave up waiting for acks: no new one for {args.ack_stall:.0f} s")
                await asyncio.sleep(0.5)  # late duplicates, if any, get counted
            result.cpu = {p.name: p.cpu_seconds() - cpu_before[p.name] for p in procs}
            result.cpu["bench (load + receiver)"] = time.process_time() - bench_before
            result.rss = {p.name: p.rss_mb() for p in procs}
            acks = list(receiver.acks)
            for p in procs:
                if p.popen.poll() is not None:
                    result.notes.append(f"{p.name} exited with {p.popen.returncode} during the run")
    finally:
        for p in procs:
            code = await stop_process(p)
            result.exit_codes[p.name] = f"{code}{' (SIGKILLed after SIGTERM timed out)' if p.killed else ''}"
        if setup.bus == "redis":
            deleted = await clean_redis(prefix)
            result.store_lines.append(f"redis: deleted {deleted} keys under {prefix}")
        receiver.clear()

    if setup.otklik:
        match_acks(result, acks, read_store(tmp / "otklik.sqlite3"))
    result.logs = {p.name: scan_log(p.log) for p in procs}
    if args.keep or result.troubled:
        result.kept = tmp
    else:
        shutil.rmtree(tmp, ignore_errors=True)
    report(result)
    return result


# ------------------------------------------------------------------------------------------- printing


def fmt_ms(values: list[float]) -> str:
    """p50 / p99 / max of latencies in ms."""
    return (f"p50 {percentile(values, 50):8.1f} ms   p99 {percentile(values, 99):8.1f} ms   "
            f"max {max(values, default=math.nan):8.1f} ms")


def report(r: Result) -> None:
    """Print one setup's figures."""
    statuses = Counter(str(s.status) for s in r.samples.values())
    accepted = r.accepted
    print(f"  messages        {len(r.samples)} sent, {len(accepted)} answered 202"
          + ("" if len(accepted) == len(r.samples) else f"  OTHER: {dict(statuses)}"))
    for line in r.post_errors:
        print(f"    e.g. {line}")
    if not accepted:
        return
    wall_ack = (r.last_ack - r.first_sent) if r.last_ack is not None else None
    print(f"  wall time       {r.accept_seconds:6.2f} s first POST -> last 202"
          + (f";  {wall_ack:6.2f} s first POST -> last ack" if wall_ack is not None else ""))
    print(f"  throughput      {len(accepted) / r.accept_seconds:8.1f} accepted POSTs/s"
          + (f";  {r.acked / wall_ack:8.1f} acknowledged messages/s" if wall_ack else ""))
    print(f"  POST -> 202     {fmt_ms(r.post_ms)}")
    if r.setup.otklik:
        print(f"  POST -> ack     {fmt_ms(r.e2e_ms)}")
        verdict = "OK" if r.acked == len(accepted) and not (r.duplicates or r.unmatched or r.wrong_user) \
            else "PROBLEM"
        print(f"  acks            {r.acked} for {len(r.samples)} messages sent, {len(accepted)} accepted: "
              f"{len(r.missing)} missing, {r.duplicates} duplicate, {r.unmatched} unmatched, "
              f"{r.wrong_user} with the wrong user_id -> {verdict}")
        print(f"  per-user order  {len(r.out_of_order)} pairs of one user's messages acked in the opposite order "
              f"to their POSTs (202 of the first before the second was sent)")
        for line in r.out_of_order[:5]:
            print(f"    e.g. {line}")
    for line in r.store_lines:
        print(f"  store           {line}")
    total = sum(r.cpu.values())
    wall = wall_ack or r.accept_seconds
    cpus = ", ".join(f"{name} {sec:.1f}" for name, sec in r.cpu.items())
    print(f"  cpu seconds     {cpus}; total {total:.1f} over {wall:.1f} s wall "
          f"= {total / wall:.2f} of {os.cpu_count()} cores")
    per = ", ".join(f"{name} {sec / len(accepted) * 1000:.2f} ms" for name, sec in r.cpu.items()
                    if not name.startswith("bench"))
    print(f"  server cpu      per accepted message: {per}"
          + (f"; all servers {server_cpu_ms(r):.2f} ms" if len(r.cpu) > 2 else ""))
    print("  rss at end      " + ", ".join(f"{name} {mb:.0f} MiB" for name, mb in r.rss.items()))
    print("  exit codes      " + ", ".join(f"{name} {code}" for name, code in r.exit_codes.items())
          + f"  ({-signal.SIGTERM}: SIGTERM re-raised by uvicorn after its graceful shutdown)"
          * any(code == str(-signal.SIGTERM) for code in r.exit_codes.values()))
    for name, problems in r.logs.items():
        locked = sum("database is locked" in line for line in problems.lines)
        print(f"  {name} stderr    {len(problems.lines)} warning/error lines"
              + (f", {locked} with 'database is locked'" if locked else ""))
        for line in problems.summary():
            print(f"    {line}")
    for note in r.notes:
        print(f"  NOTE            {note}")
    if r.kept:
        print(f"  kept            {r.kept} (database, server logs)")


def server_cpu_ms(r: Result) -> float:
    """CPU ms all server processes spent per accepted message."""
    return sum(sec for name, sec in r.cpu.items() if not name.startswith("bench")) / len(r.accepted) * 1000


def ratio(a: float, b: float) -> str:
    """a / b formatted, or n/a."""
    return f"{a / b:7.2f}x" if b and not math.isnan(a) and not math.isnan(b) else "    n/a"


def report_ratios(results: list[Result]) -> None:
    """Each Otklik setup against the baseline."""
    base = next((r for r in results if r.setup.name == "baseline" and r.accepted), None)
    others = [r for r in results if r.setup.otklik and r.accepted]
    if base is None or not others:
        return
    b_tp = len(base.accepted) / base.accept_seconds
    b50, b99 = percentile(base.post_ms, 50), percentile(base.post_ms, 99)
    print("\n== against the baseline (otklik / baseline)")
    print("  " + " " * 44 + "".join(f"{r.setup.name:>12}" for r in others))
    rows: list[tuple[str, Callable[[Result], str]]] = [
        ("accepted POSTs/s", lambda r: ratio(len(r.accepted) / r.accept_seconds, b_tp)),
        ("POST -> 202 p50", lambda r: ratio(percentile(r.post_ms, 50), b50)),
        ("POST -> 202 p99", lambda r: ratio(percentile(r.post_ms, 99), b99)),
        ("acknowledged msgs/s vs baseline accepted/s",
         lambda r: ratio(r.acked / (r.last_ack - r.first_sent), b_tp) if r.last_ack else "    n/a"),
        ("POST -> ack p50 vs baseline POST -> 202 p50", lambda r: ratio(percentile(r.e2e_ms, 50), b50)),
        ("POST -> ack p99 vs baseline POST -> 202 p99", lambda r: ratio(percentile(r.e2e_ms, 99), b99)),
        ("server CPU per message (all processes)", lambda r: ratio(server_cpu_ms(r), server_cpu_ms(base))),
    ]
    for label, cell in rows:
        print(f"  {label:<44}" + "".join(f"{cell(r):>12}" for r in others))


def version(dist: str) -> str:
    """An installed distribution's version, or '-'."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "-"


# ------------------------------------------------------------------------------------------------ main


async def main_async(args: argparse.Namespace) -> int:
    """Run the selected setups one after the other and print the results."""
    users = f"{args.users} users" if args.users else "one user per message"
    pace = f"offered at {args.rate:g}/s" if args.rate else "sent as fast as accepted"
    print(f"Otklik ingest benchmark: {args.messages} messages ({users}, {pace}), concurrency {args.concurrency}, "
          f"warm-up {args.warmup} messages per setup (not counted)")
    print(f"machine: {os.cpu_count()} CPUs ({len(os.sched_getaffinity(0))} usable), {platform.platform()}, "
          f"Python {platform.python_version()}; uvicorn {version('uvicorn')}, uvloop {version('uvloop')}, "
          f"httptools {version('httptools')}, httpx {version('httpx')}")
    print("note: the load generator and the callback receiver run in this process and share "
          f"the {os.cpu_count()} cores with the servers under test; figures are relative, not capacity")
    print(f"otklik env beyond the required: {EXTRA_ENV}; OTKLIK_LOG_LEVEL=WARNING")
    if not args.rate:
        print("reading: POSTs go out as fast as the servers take them, so when the worker is slower than the API a\n"
              "  backlog builds up and POST -> ack includes the wait in it (it grows with --messages); the sustained\n"
              "  rate is acknowledged/s; use --rate below it for POST -> ack at a load the worker keeps up with")
    results: list[Result] = []
    receiver = Receiver()
    async with serve_receiver(receiver):
        for name in args.setups.split(","):
            setup = SETUPS[name]
            if setup.bus == "redis" and (why := await redis_available()) is not None:
                print(f"\n== {name}: SKIPPED, Redis at {REDIS_URL} does not answer: {why}")
                continue
            results.append(await run_setup(setup, args, receiver))
    report_ratios(results)
    troubled = [r.setup.name for r in results if r.troubled]
    verdict = f"problems in {', '.join(troubled)}" if troubled else "every message accepted (and acknowledged) once"
    print(f"\nresult: {verdict}")
    return 1 if troubled else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description="Otklik ingest benchmark (see the module docstring).")
    parser.add_argument("--messages", type=int, default=2000, help="measured messages per setup (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="POSTs in flight (default 32)")
    parser.add_argument("--users", type=int, default=500,
                        help="distinct user ids the messages are spread over; 0: one per message (default 500)")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted warm-up messages per setup (default 100)")
    parser.add_argument("--rate", type=float, default=0.0,
                        help="offered load in messages/s for the measured phase (default 0: as fast as accepted)")
    parser.add_argument("--setups", default="baseline,embedded,redis",
                        help="comma-separated subset of baseline,embedded,redis")
    parser.add_argument("--ack-stall", type=float, default=30.0,
                        help="give up waiting for acks after this many seconds without one (default 30)")
    parser.add_argument("--keep", action="store_true", help="keep each setup's temp dir (database, logs)")
    args = parser.parse_args(argv)
    unknown = set(args.setups.split(",")) - set(SETUPS)
    if unknown:
        parser.error(f"unknown setups: {', '.join(sorted(unknown))}")
    if args.messages < 1 or args.concurrency < 1 or args.users < 0 or args.warmup < 0 or args.rate < 0:
        parser.error("--messages and --concurrency must be positive, --users, --warmup and --rate not negative")
    return args


def run_fast(work: Coroutine[Any, Any, int]) -> int:
    """Run a bench's load on uvloop when it is installed (the load generator's own cost matters), else asyncio's."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(work)
    return uvloop.run(work)


def main() -> int:
    """Entry point."""
    return run_fast(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
