"""HTTP bot benchmark: bot turns over the real HTTP path, driven from outside like a platform would, optionally
side by side with a Rasa 3.6 bot trained on the same `nlu/data`.

Otklik runs as real `otklik serve` subprocesses (SQLite store in a temp dir, an NLU model trained there from
`nlu/data` by `otklik nlu train`, the shipped flows, the demo CRM): the bench POSTs api-channel messages and
a callback receiver in this process takes the replies (a bare ASGI app, bench/ingest.py's `Receiver`). A
turn's latency is POST start -> arrival of its first reply; the callback body's `reply_to` names the
message_id it answers, so late replies of an earlier turn are never taken for the next turn's. With
`--redis --workers N` it runs the production topology: `otklik serve` with OTKLIK_EMBEDDED_WORKER=false and N
`otklik worker` processes on Redis Streams (a fresh key prefix, deleted afterwards).

Rasa (`--rasa-venv PATH`): a project is written from the same `nlu/data` (the files are Rasa 3.1 YAML
already), with a domain naming every intent and entity, one response per intent and one rule per intent
(intent -> its response), Rasa's default pipeline and policies (DIET, TED...); `rasa train`, then `rasa run`
with the REST channel and the in-memory tracker store. A turn is POST /webhooks/rest/webhook -> its
response (Rasa answers in the response itself). The project and trained model live in `--rasa-dir` and are
reused while the data and config are unchanged. Rasa is not a dependency; install it apart:

    ~/.pyenv/versions/3.10.13/bin/python -m venv /work/rasa-venv
    /work/rasa-venv/bin/pip install 'rasa==3.6.*'

Messages: the independent evaluation sets (`nlu/evaluation/*.yml`, 595 shopper messages in Russian and
English in five channel styles, never trained on), shuffled with a fixed seed. Phases, per bot:

* closed loop, sessions of 1 turn: `--users` in flight (e.g. 1,8,32), each sends one message as a new
  conversation and waits for its first reply before the next session starts;
* closed loop, sessions of `--session-turns` (20): one shopper's messages in a row, each after the previous
  one's first reply; a session ends early when Otklik hands the conversation over to people (its handover
  text arrives): no bot answers after that, as in production;
* open loop (`--rate R`): a new one-turn conversation every 1/R s whatever the answers do;
* long conversation: one shopper, `--long` turns (1,000) in one conversation (bench/bot.py's cycle of
  questions that never hands over, without its closing remarks that get no answer); the first 50 turns
  against the last 50 (median latency, CPU per turn).

Per phase: turns/s (answered turns / wall time), p50 / p99 POST -> first reply, replies per turn, the server
processes' CPU (utime + stime from /proc, of every server process and its children) per answered turn, their
RSS at the end. Unanswered turns (no reply within `--reply-timeout`) are counted, never hidden.

Run: `.venv/bin/python bench/http_bot.py [--users 1,8,32] [--rasa-venv /work/rasa-venv]`; see bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import os
import platform
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo before bench/ (bench/nlu.py is not nlu)

from bench.bot import LONG_CYCLE
from bench.ingest import (
    Ack,
    Proc,
    Receiver,
    Setup,
    clean_env,
    clean_redis,
    free_port,
    load_clients,
    otklik_command,
    otklik_env,
    percentile,
    redis_available,
    run_fast,
    scan_log,
    serve_receiver,
    start_process,
    stop_process,
    tail,
    wait_ready,
)
from nlu.evaluation_sets import load_sets

REPO = Path(__file__).resolve().parents[1]
NLU_DATA = REPO / "nlu" / "data"
EVALUATION = REPO / "nlu" / "evaluation"
RULES = REPO / "dialogs" / "flows" / "_rules.yml"
LONG_EDGE = 50  # turns at each end of the long conversation that are compared
# bench/bot.py's cycle without the closing remarks the flows rightly leave unanswered ("Всё понятно", "Не нужно")
LONG_TEXTS = [text for text in LONG_CYCLE if text not in {"Всё понятно", "Не нужно"}]
RASA_READY_TIMEOUT = 300.0  # loading TensorFlow and the model takes a while on a busy machine


# ------------------------------------------------------------------------------------------ /proc figures


def _children() -> dict[int, list[int]]:
    """Every process's children, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
                tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def process_tree(roots: list[int]) -> list[int]:
    """The given pids and all their descendants."""
    tree, found, todo = _children(), [], list(roots)
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(tree.get(pid, []))
    return found


def tree_cpu_seconds(roots: list[int]) -> float:
    """utime + stime of the processes and their live descendants, plus what their reaped children used."""
    total = 0
    for pid in process_tree(roots):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            total += sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return total / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(roots: list[int]) -> float:
    """Resident memory of the processes and their descendants, MiB."""
    total = 0.0
    for pid in process_tree(roots):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
    return total


# ------------------------------------------------------------------------------------------------ turns


@dataclass
class Turn:
    """One message as the simulated shopper saw it."""

    sent: float
    first_reply: float | None = None  # perf_counter() at the first reply's arrival; None: no reply
    handed_over: bool = False  # the conversation went to people on (or before) this turn
    error: str = ""

    @property
    def ms(self) -> float:
        """POST -> first reply."""
        return math.nan if self.first_reply is None else (self.first_reply - self.sent) * 1000


class Bot(Protocol):
    """A bot under test, reached over HTTP."""

    name: str
    base_url: str
    procs: list[Proc]

    async def turn(self, client: httpx.AsyncClient, user: str, message_id: str, text: str) -> Turn:
        """Send one message and wait for the first reply."""
        ...

    def replies(self, message_id: str) -> int:
        """How many replies the message got so far."""
        ...

    def with_people(self, user: str) -> bool:
        """Whether the user's conversation was handed over to people (the bot will not answer again)."""
        ...


def handover_texts() -> set[str]:
    """What Otklik's shipped flows say when they hand a conversation to people (every language)."""
    rules = yaml.safe_load(RULES.read_text())["rules"]
    return {str(text) for text in rules["handover"]["text"].values()}


class ReplyReceiver(Receiver):
    """The callback endpoint: resolves the waiting turn of the message each reply answers (`reply_to`)."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting: dict[str, asyncio.Future[tuple[float, bool]]] = {}  # message_id -> (first reply, handover)
        self.waiting_user: dict[str, str] = {}  # user -> message_id it waits on
        self.counts: dict[str, int] = {}  # message_id -> replies
        self.handovers = handover_texts()
        self.handed_over: set[str] = set()  # users whose conversation went to people

    def expect(self, user: str, message_id: str) -> asyncio.Future[tuple[float, bool]]:
        """A future resolved by the first reply to `message_id` (or the user's handover)."""
        future: asyncio.Future[tuple[float, bool]] = asyncio.get_running_loop().create_future()
        self.waiting[message_id] = future
        self.waiting_user[user] = message_id
        return future

    def received(self, ack: Ack, payload: dict[str, Any]) -> None:
        """Count the reply and resolve the turn it answers; a handover also ends the user's current wait."""
        answered = str(payload.get("reply_to") or "")
        self.counts[answered] = self.counts.get(answered, 0) + 1
        handover = payload.get("text") in self.handovers
        future = self.waiting.pop(answered, None)
        if future is not None and not future.done():
            future.set_result((ack.at, handover))
        if handover and ack.user_id is not None:  # the next turn, if already sent, will get no bot answer
            self.handed_over.add(ack.user_id)
            current = self.waiting.pop(self.waiting_user.get(ack.user_id, ""), None)
            if current is not None and not current.done():
                current.set_result((math.nan, True))

    def forget(self) -> None:
        """Drop every count and wait (between phases)."""
        self.clear()
        self.waiting.clear()
        self.waiting_user.clear()
        self.counts.clear()
        self.handed_over.clear()


@dataclass
class OtklikBot:
    """`otklik serve` (and workers): api-channel POSTs in, replies to the callback receiver."""

    base_url: str
    token: str
    receiver: ReplyReceiver
    timeout: float
    procs: list[Proc] = field(default_factory=list)
    name: str = "otklik"

    async def turn(self, client: httpx.AsyncClient, user: str, message_id: str, text: str) -> Turn:
        """POST the message; wait for the first reply that answers it."""
        waiting = self.receiver.expect(user, message_id)
        body = json.dumps({"user_id": user, "message_id": message_id, "text": text}, ensure_ascii=False).encode()
        sent = time.perf_counter()
        try:
            response = await client.post(f"/channels/api/{ACCOUNT}/messages", content=body, headers={
                "authorization": f"Bearer {self.token}", "content-type": "application/json"})
        except httpx.HTTPError as e:
            self.receiver.waiting.pop(message_id, None)
            return Turn(sent, error=f"{type(e).__name__}: {e}")
        if response.status_code != 202:
            self.receiver.waiting.pop(message_id, None)
            return Turn(sent, error=f"{response.status_code} {response.text[:200]}")
        try:
            at, handover = await asyncio.wait_for(waiting, self.timeout)
        except TimeoutError:
            self.receiver.waiting.pop(message_id, None)
            return Turn(sent, error="no reply")
        return Turn(sent, None if math.isnan(at) else at, handed_over=handover)

    def replies(self, message_id: str) -> int:
        """Replies that named the message in reply_to."""
        return self.receiver.counts.get(message_id, 0)

    def with_people(self, user: str) -> bool:
        """Whether Otklik's handover text reached the user."""
        return user in self.receiver.handed_over


@dataclass
class RasaBot:
    """`rasa run` with the REST channel: the replies come back in the POST's response."""

    base_url: str
    procs: list[Proc] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    name: str = "rasa"

    async def turn(self, client: httpx.AsyncClient, user: str, message_id: str, text: str) -> Turn:
        """POST to the REST webhook; the first reply arrives with its response."""
        sent = time.perf_counter()
        try:
            response = await client.post("/webhooks/rest/webhook", json={"sender": user, "message": text})
        except httpx.HTTPError as e:
            return Turn(sent, error=f"{type(e).__name__}: {e}")
        if response.status_code != 200:
            return Turn(sent, error=f"{response.status_code} {response.text[:200]}")
        replies = response.json()
        self.counts[message_id] = len(replies)
        return Turn(sent, time.perf_counter() if replies else None, error="" if replies else "no reply")

    def replies(self, message_id: str) -> int:
        """Replies in the message's response."""
        return self.counts.get(message_id, 0)

    def with_people(self, user: str) -> bool:
        """The bench's Rasa bot never hands over."""
        return False


ACCOUNT = "bench"


# ----------------------------------------------------------------------------------------------- phases


@dataclass
class Phase:
    """What one bot did in one phase."""

    name: str
    turns: list[Turn] = field(default_factory=list)
    replies: int = 0
    sessions: int = 0
    wall: float = 0.0
    cpu: float = 0.0  # server CPU seconds over the phase
    rss: float = 0.0  # server RSS at its end, MiB
    errors: list[str] = field(default_factory=list)

    @property
    def answered(self) -> list[Turn]:
        """Turns that got a reply."""
        return [t for t in self.turns if t.first_reply is not None]

    @property
    def rate(self) -> float:
        """Answered turns per second of wall time."""
        return len(self.answered) / self.wall if self.wall else math.nan

    @property
    def cpu_ms(self) -> float:
        """Server CPU ms per answered turn."""
        return self.cpu / len(self.answered) * 1000 if self.answered else math.nan

    def latency(self, p: float) -> float:
        """Percentile of POST -> first reply, ms."""
        return percentile([t.ms for t in self.answered], p)


class Texts:
    """The evaluation messages, shuffled once, handed out in turn (cycling)."""

    def __init__(self, seed: int) -> None:
        texts = [item.text for item in load_sets(EVALUATION)]
        random.Random(seed).shuffle(texts)
        self._cycle = itertools.cycle(texts)
        self.count = len(texts)

    def next(self) -> str:
        """The next message."""
        return next(self._cycle)


@contextlib.contextmanager
def measured(phase: Phase, bot: Bot) -> Iterator[None]:
    """Fill the phase's wall time, server CPU and RSS around the block."""
    roots = [p.popen.pid for p in bot.procs]
    cpu, started = tree_cpu_seconds(roots), time.perf_counter()
    yield
    phase.wall = time.perf_counter() - started
    phase.cpu = tree_cpu_seconds(roots) - cpu
    phase.rss = tree_rss_mb(roots)


def note(phase: Phase, bot: Bot, turn: Turn, message_id: str) -> None:
    """Keep the turn, its reply count and the first few errors."""
    phase.turns.append(turn)
    phase.replies += bot.replies(message_id)
    if turn.error and len(phase.errors) < 5:
        phase.errors.append(f"{message_id}: {turn.error}")


async def closed_loop(bot: Bot, client_for: Callable[[int], httpx.AsyncClient], texts: Texts, tag: str,
                      users: int, session_turns: int, total: int) -> Phase:
    """`users` shoppers in flight, each running sessions of `session_turns` until `total` turns were sent."""
    phase = Phase(f"closed, {users} in flight, sessions of {session_turns}")
    budget = itertools.count()
    sessions = itertools.count()

    async def shopper(n: int) -> None:
        client = client_for(n)
        while True:
            session = next(sessions)
            user = f"{tag}-u{session}"
            started = False
            for t in range(session_turns):
                if bot.with_people(user):  # the shopper read the handover: the session with the bot is over
                    break
                if next(budget) >= total:
                    return
                if not started:  # counted when its first turn goes out (the last ones end with the budget)
                    started = True
                    phase.sessions += 1
                message_id = f"{tag}-s{session}-t{t}"
                turn = await bot.turn(client, user, message_id, texts.next())
                note(phase, bot, turn, message_id)
                if turn.handed_over or turn.error:
                    break

    with measured(phase, bot):
        await asyncio.gather(*(shopper(n) for n in range(users)))
        await asyncio.sleep(0)
    return phase


async def open_loop(bot: Bot, client_for: Callable[[int], httpx.AsyncClient], texts: Texts, tag: str,
                    rate: float, total: int) -> Phase:
    """A new one-turn conversation every 1/rate s, whatever the answers do."""
    phase = Phase(f"open, {rate:g} new conversations/s")
    start = time.perf_counter()

    async def one(n: int) -> None:
        message_id = f"{tag}-m{n}"
        note(phase, bot, await bot.turn(client_for(n), f"{tag}-u{n}", message_id, texts.next()), message_id)

    with measured(phase, bot):
        tasks = []
        for n in range(total):
            if (wait := start + n / rate - time.perf_counter()) > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(n)))
        await asyncio.gather(*tasks)
    phase.sessions = total
    return phase


@dataclass
class Long:
    """One conversation's turns: latency and server CPU of the first and last LONG_EDGE."""

    turns: list[Turn]
    cpu_first: float
    cpu_last: float

    def median_ms(self, part: list[Turn]) -> float:
        """Median latency of the answered turns in `part`."""
        answered = [t.ms for t in part if t.first_reply is not None]
        return statistics.median(answered) if answered else math.nan


async def long_conversation(bot: Bot, client: httpx.AsyncClient, tag: str, turns: int) -> Long:
    """One shopper, `turns` messages in one conversation, each after the previous one's first reply."""
    roots = [p.popen.pid for p in bot.procs]
    done: list[Turn] = []
    cpu_first = cpu_last = 0.0
    for n in range(turns):
        if n in (0, turns - LONG_EDGE):
            cpu = tree_cpu_seconds(roots)
        message_id = f"{tag}-long-{n}"
        done.append(await bot.turn(client, f"{tag}-long", message_id, LONG_TEXTS[n % len(LONG_TEXTS)]))
        if n == LONG_EDGE - 1:
            cpu_first = tree_cpu_seconds(roots) - cpu
    cpu_last = tree_cpu_seconds(roots) - cpu
    return Long(done, cpu_first / LONG_EDGE, cpu_last / LONG_EDGE)


# ------------------------------------------------------------------------------------------------ servers


def otklik_bot_env(args: argparse.Namespace, tmp: Path, token: str, receiver: Receiver, prefix: str) -> dict[str, str]:
    """bench/ingest.py's configuration with the bot on: shipped flows, the trained model, the demo CRM."""
    env = otklik_env(Setup("bot", "", otklik=True, bus="redis" if args.redis else "memory"), tmp, token, receiver,
                     prefix)
    del env["OTKLIK_DIALOGS_DIR"]  # the shipped flows
    env.update({"OTKLIK_NLU_MODEL_DIR": str(tmp / "nlu"), "OTKLIK_CONTEXT_PROVIDER": "demo",
                "OTKLIK_NLU_RELOAD_SECONDS": "3600"})
    return env


@contextlib.asynccontextmanager
async def otklik_running(args: argparse.Namespace, receiver: ReplyReceiver) -> AsyncIterator[OtklikBot]:
    """Train the model, start serve (and workers); stop them and clean up afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="otklik-bench-http-bot-"))
    token = "bench-token-" + secrets.token_hex(16)
    port = free_port()
    prefix = f"otklik-bench-{uuid.uuid4().hex[:12]}:"
    env = otklik_bot_env(args, tmp, token, receiver, prefix)
    bot = OtklikBot(f"http://127.0.0.1:{port}", token, receiver, args.reply_timeout)
    try:
        trained = await asyncio.to_thread(
            subprocess.run, [*otklik_command(), "nlu", "train", "--data", str(NLU_DATA), "--models", str(tmp / "nlu")],
            env=env, cwd=tmp, capture_output=True, text=True)
        if trained.returncode != 0:
            raise RuntimeError(f"otklik nlu train failed:\n{trained.stdout[-2000:]}{trained.stderr[-2000:]}")
        # --skip-checks: the bench's empty directory has none of the groups the shipped routes name
        bot.procs.append(start_process("api", [*otklik_command(), "serve", "--port", str(port), "--skip-checks"],
                                       env, tmp))
        await wait_ready(bot.base_url, bot.procs[0])
        for n in range(args.workers if args.redis else 0):  # after serve migrated: never two at once
            bot.procs.append(start_process(f"worker{n + 1}", [*otklik_command(), "worker"], env, tmp))
        yield bot
    finally:
        for proc in bot.procs:
            await stop_process(proc)
        if args.redis:
            await clean_redis(prefix)
        problems = {p.name: scan_log(p.log).summary(3) for p in bot.procs}
        for name, lines in problems.items():
            for line in lines:
                print(f"  {name} log: {line}")
        if args.keep or any(problems.values()):
            print(f"  kept {tmp} (database, logs)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


RASA_CONFIG = """\
# Rasa 3.6's default pipeline and policies, written out (what `rasa init` suggests)
recipe: default.v1
language: ru
assistant_id: otklik-bench
pipeline:
  - name: WhitespaceTokenizer
  - name: RegexFeaturizer
  - name: LexicalSyntacticFeaturizer
  - name: CountVectorsFeaturizer
  - name: CountVectorsFeaturizer
    analyzer: char_wb
    min_ngram: 1
    max_ngram: 4
  - name: DIETClassifier
    epochs: {epochs}
    constrain_similarities: true
  - name: EntitySynonymMapper
  - name: ResponseSelector
    epochs: {epochs}
    constrain_similarities: true
  - name: FallbackClassifier
    threshold: 0.3
    ambiguity_threshold: 0.1
policies:
  - name: MemoizationPolicy
  - name: RulePolicy
  - name: UnexpecTEDIntentPolicy
    max_history: 5
    epochs: {epochs}
  - name: TEDPolicy
    max_history: 5
    epochs: {epochs}
    constrain_similarities: true
"""


def write_rasa_project(project: Path, epochs: int) -> str:
    """Write the Rasa project from nlu/data; a hash of everything that goes into training."""
    from nlu.rasa_yaml import load_paths

    data = load_paths([NLU_DATA])
    intents = sorted({e.intent for e in data.examples})
    entities = sorted({ent.entity for e in data.examples for ent in e.entities})
    (project / "data").mkdir(parents=True, exist_ok=True)
    for path in sorted(NLU_DATA.glob("*.yml")):
        shutil.copyfile(path, project / "data" / path.name)
    domain = {"version": "3.1", "intents": intents, "entities": entities,
              "responses": {f"utter_{i}": [{"text": f"[{i}] ok"}] for i in intents},
              "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True}}
    rules = {"version": "3.1", "rules": [{"rule": f"answer {i}", "steps": [{"intent": i}, {"action": f"utter_{i}"}]}
                                         for i in intents]}
    files = {"domain.yml": domain, "data/rules.yml": rules}
    for name, content in files.items():
        (project / name).write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False))
    (project / "config.yml").write_text(RASA_CONFIG.format(epochs=epochs))
    (project / "credentials.yml").write_text("rest:\n")
    (project / "endpoints.yml").write_text("")
    digest = hashlib.sha256()
    for path in sorted([*project.glob("*.yml"), *(project / "data").glob("*.yml")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@contextlib.asynccontextmanager
async def rasa_running(args: argparse.Namespace) -> AsyncIterator[RasaBot]:
    """Train (unless an up-to-date model is there) and start `rasa run` with the REST channel."""
    project = Path(args.rasa_dir)
    rasa = str(Path(args.rasa_venv) / "bin" / "rasa")
    digest = write_rasa_project(project, args.rasa_epochs)
    model = project / "models" / f"bench-{digest}.tar.gz"
    env = {**clean_env(), "TF_CPP_MIN_LOG_LEVEL": "2", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    if not model.exists():
        print(f"  training Rasa into {model} (epochs {args.rasa_epochs}; minutes on 2 cores)...", flush=True)
        started = time.perf_counter()
        trained = await asyncio.to_thread(subprocess.run, [
            rasa, "train", "--fixed-model-name", model.name.removesuffix(".tar.gz"), "--out", str(model.parent)],
            cwd=project, env=env, capture_output=True, text=True)
        if trained.returncode != 0 or not model.exists():
            raise RuntimeError(f"rasa train failed:\n{trained.stdout[-3000:]}\n{trained.stderr[-3000:]}")
        print(f"  trained in {time.perf_counter() - started:.0f} s", flush=True)
    port = free_port()
    bot = RasaBot(f"http://127.0.0.1:{port}")
    bot.procs.append(start_process("rasa", [rasa, "run", "--model", str(model), "--port", str(port),
                                            "--interface", "127.0.0.1", "--credentials", "credentials.yml"],
                                   env, project))
    try:
        await rasa_ready(bot)
        yield bot
    finally:
        for proc in bot.procs:
            await stop_process(proc)


async def rasa_ready(bot: RasaBot) -> None:
    """Wait for `GET /` to answer (Rasa's "Hello from Rasa")."""
    deadline = time.monotonic() + RASA_READY_TIMEOUT
    proc = bot.procs[0]
    async with httpx.AsyncClient(base_url=bot.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc.popen.poll() is not None:
                raise RuntimeError(f"rasa exited with {proc.popen.returncode}:\n" + tail(proc.log, 40))
            with contextlib.suppress(httpx.TransportError):
                if (await client.get("/")).status_code == 200:
                    return
            await asyncio.sleep(0.5)
    raise RuntimeError("rasa not ready:\n" + tail(proc.log, 40))


# --------------------------------------------------------------------------------------------------- run


@dataclass
class Results:
    """Every phase of one bot, by a short key."""

    bot: str
    phases: dict[str, Phase] = field(default_factory=dict)
    long: Long | None = None
    idle_rss: float = 0.0


async def run_bot(bot: Bot, args: argparse.Namespace, tag: str) -> Results:
    """Warm up, then every phase the arguments ask for."""
    results = Results(bot.name, idle_rss=tree_rss_mb([p.popen.pid for p in bot.procs]))
    texts = Texts(args.seed)
    top = max(args.users)
    async with load_clients(bot.base_url, top) as clients:
        def client_for(n: int) -> httpx.AsyncClient:
            return clients[n % len(clients)]

        print(f"  {bot.name}: warm-up ({args.warmup} turns)", flush=True)
        await closed_loop(bot, client_for, texts, f"{tag}w", min(8, top), 1, args.warmup)
        runs: list[tuple[str, Callable[[], Awaitable[Phase]]]] = [
            (f"closed-{u}", lambda u=u: closed_loop(bot, client_for, texts, f"{tag}c{u}", u, 1, args.turns))  # type: ignore[misc]
            for u in args.users]
        if args.session_turns > 1:
            runs.append(("sessions", lambda: closed_loop(bot, client_for, texts, f"{tag}s", args.session_users,
                                                          args.session_turns, args.turns)))
        if args.rate:
            runs.append(("open", lambda: open_loop(bot, client_for, texts, f"{tag}o", args.rate, args.turns)))
        for key, run in runs:
            results.phases[key] = phase = await run()
            print(f"  {bot.name}: {phase.name}: {phase.rate:.1f} turns/s, p50 {phase.latency(50):.1f} ms, "
                  f"cpu {phase.cpu_ms:.2f} ms/turn", flush=True)
        if args.long:
            results.long = await long_conversation(bot, clients[0], tag, args.long)
    return results


def fmt(value: float, spec: str = ".1f") -> str:
    """A figure, or '-' when there is none."""
    return "-" if value is None or math.isnan(value) else format(value, spec)


def ratio(a: float, b: float) -> str:
    """a / b, or '-'."""
    return "-" if not b or math.isnan(a) or math.isnan(b) else f"{a / b:.2f}x"


def report(all_results: list[Results]) -> None:
    """One table per phase, the bots side by side, with Otklik / Rasa ratios when both ran."""
    names = [r.bot for r in all_results]
    both = [r.bot for r in all_results] == ["otklik", "rasa"]
    print("\n== results (turns/s: answered turns per wall second; latency: POST -> first reply; cpu: all server "
          "processes per answered turn)")
    keys = list(dict.fromkeys(k for r in all_results for k in r.phases))
    for key in keys:
        phases = [r.phases.get(key) for r in all_results]
        title = next(p.name for p in phases if p is not None)
        print(f"\n{title}")
        rows: list[tuple[str, Callable[[Phase], float], str]] = [
            ("turns/s", lambda p: p.rate, ".1f"), ("p50 ms", lambda p: p.latency(50), ".1f"),
            ("p99 ms", lambda p: p.latency(99), ".1f"), ("cpu ms/turn", lambda p: p.cpu_ms, ".2f"),
            ("rss MiB (end)", lambda p: p.rss, ".0f"),
            ("replies/turn", lambda p: p.replies / len(p.turns) if p.turns else math.nan, ".2f"),
            ("turns sent", lambda p: float(len(p.turns)), ".0f"),
            ("unanswered", lambda p: float(len(p.turns) - len(p.answered)), ".0f"),
            ("turns/session", lambda p: len(p.turns) / p.sessions if p.sessions else math.nan, ".1f"),
        ]
        print(f"  {'':16}" + "".join(f"{n:>12}" for n in names) + (f"{'otklik/rasa':>14}" if both else ""))
        for label, get, spec in rows:
            values = [get(p) if p is not None else math.nan for p in phases]
            print(f"  {label:16}" + "".join(f"{fmt(v, spec):>12}" for v in values)
                  + (f"{ratio(values[0], values[1]):>14}" if both else ""))
        for r, p in zip(all_results, phases, strict=True):
            for line in (p.errors if p is not None else []):
                print(f"  {r.bot} e.g. {line}")
    longs = [(r.bot, r.long) for r in all_results if r.long is not None]
    if longs:
        print(f"\nlong conversation: first {LONG_EDGE} turns against the last {LONG_EDGE} of one conversation")
        for name, lg in longs:
            first, last = lg.turns[:LONG_EDGE], lg.turns[-LONG_EDGE:]
            mf, ml = lg.median_ms(first), lg.median_ms(last)
            unanswered = sum(t.first_reply is None for t in lg.turns)
            print(f"  {name:8} {len(lg.turns)} turns: turn 1 {fmt(lg.turns[0].ms)} ms, turn {len(lg.turns)} "
                  f"{fmt(lg.turns[-1].ms)} ms; median first {fmt(mf)} ms, last {fmt(ml)} ms "
                  f"(last/first {ratio(ml, mf)}); turns/s first {fmt(1000 / mf)}, last {fmt(1000 / ml)}; "
                  f"cpu first {lg.cpu_first * 1000:.2f} ms/turn, last {lg.cpu_last * 1000:.2f} "
                  f"(last/first {ratio(lg.cpu_last, lg.cpu_first)}); unanswered {unanswered}")
    print("\nserver RSS after start-up (before load): "
          + ", ".join(f"{r.bot} {r.idle_rss:.0f} MiB" for r in all_results))


async def main_async(args: argparse.Namespace) -> int:
    """Run Otklik (and Rasa) and print the comparison."""
    topology = f"serve + {args.workers} worker(s) on Redis Streams" if args.redis else "embedded (serve only)"
    print(f"HTTP bot benchmark: Otklik {topology}; {Texts(args.seed).count} evaluation messages, "
          f"{args.turns} turns per phase, users in flight {args.users}, sessions of {args.session_turns} "
          f"({args.session_users} in flight)" + (f", open loop {args.rate:g}/s" if args.rate else ""))
    print(f"machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}; the load "
          "generator and the receiver share the cores with the servers: compare ratios from one run")
    if args.redis and (why := await redis_available()) is not None:
        print(f"Redis does not answer: {why}")
        return 1
    results = []
    receiver = ReplyReceiver()
    if not args.skip_otklik:
        async with serve_receiver(receiver):
            print("\n== otklik", flush=True)
            async with otklik_running(args, receiver) as otklik:
                results.append(await run_bot(otklik, args, "o"))
    if args.rasa_venv:
        print("\n== rasa", flush=True)
        async with rasa_running(args) as rasa:
            results.append(await run_bot(rasa, args, "r"))
    report(results)
    troubled = [(r.bot, k) for r in results for k, p in r.phases.items() if p.errors]
    return 1 if troubled else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     epilog="Rasa: ~/.pyenv/versions/3.10.13/bin/python -m venv /work/rasa-venv && "
                                            "/work/rasa-venv/bin/pip install 'rasa==3.6.*', then --rasa-venv "
                                            "/work/rasa-venv. See the module docstring and bench/README.md.")
    parser.add_argument("--users", default="1,8,32", help="shoppers in flight, comma-separated (default 1,8,32)")
    parser.add_argument("--turns", type=int, default=400, help="turns per phase (default 400)")
    parser.add_argument("--session-turns", type=int, default=20, help="turns of a multi-turn session; 1: none")
    parser.add_argument("--session-users", type=int, default=8, help="shoppers in flight in sessions (default 8)")
    parser.add_argument("--rate", type=float, default=0.0, help="open loop: new conversations/s (default: off)")
    parser.add_argument("--long", type=int, default=1000, help="turns of the long conversation; 0: skip")
    parser.add_argument("--warmup", type=int, default=40, help="uncounted turns before the phases")
    parser.add_argument("--reply-timeout", type=float, default=10.0, help="seconds a turn waits for its reply")
    parser.add_argument("--redis", action="store_true", help="production topology: serve + workers on Redis")
    parser.add_argument("--workers", type=int, default=1, help="otklik worker processes with --redis")
    parser.add_argument("--rasa-venv", help="a Python 3.10 venv with rasa 3.6 installed: also run Rasa")
    parser.add_argument("--rasa-dir", default=str(Path(tempfile.gettempdir()) / "otklik-bench-rasa"),
                        help="Rasa project and trained models (kept, reused while nlu/data is unchanged)")
    parser.add_argument("--rasa-epochs", type=int, default=100, help="epochs of DIET / TED (Rasa's default 100)")
    parser.add_argument("--skip-otklik", action="store_true", help="run only Rasa (checking a Rasa install)")
    parser.add_argument("--seed", type=int, default=20, help="message order")
    parser.add_argument("--keep", action="store_true", help="keep Otklik's temp dir (database, logs)")
    args = parser.parse_args(argv)
    args.users = [int(u) for u in str(args.users).split(",") if u]
    if not args.users or min(args.users) < 1 or args.turns < 1 or args.session_turns < 1 or args.workers < 1:
        parser.error("--users, --turns, --session-turns and --workers must be positive")
    if args.long and args.long < 2 * LONG_EDGE:
        parser.error(f"--long needs at least {2 * LONG_EDGE} turns (or 0)")
    return args


def main() -> int:
    """Entry point."""
    return run_fast(main_async(parse_args()))


if __name__ == "__main__":
    sys.exit(main())
