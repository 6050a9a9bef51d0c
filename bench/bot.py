"""Dialog-bot benchmark: bot turns per second and turn latency, next to the ingest-only pipeline, in one run.

Everything runs in this process on the embedded default (SQLite file in a temp dir, in-process bus), with an
NLU model trained from nlu/data into the temp dir, the shipped flows (dialogs/flows), the demo CRM and a
directory with the stores the scripts ask about. Each message goes through the worker's handler,
`hub.inbound.ingest.handle_inbound` (dedupe, identity, threading, store, NLU reading, then the follow-up), and its
latency is "inbound to reply in the outbox": the handler's time until every reply is stored as pending.

* ingest-only - the same scripts with the bot off (OTKLIK_DIALOGS_DIR=""): each message gets the plain
                acknowledgement; the pipeline's cost without dialogs.
* bot         - the shipped flows answer (welcome, menus, order lookups, complaint intake with cases and
                handovers...).
* long        - one shopper writes 1,000 messages to one conversation (a cycle of questions that never
                hand over); the latency of turn 1 against turn 1,000 (and the medians of the first and
                last 50) shows whether a turn's cost grows with the conversation: the bot reads only the
                compact dialog state, never the history.

The scripted mix: --users conversations (default 300), each one of the scripts below (ru and en), run
--concurrency at a time (default 8), a user's messages in order. Run:
`.venv/bin/python bench/bot.py [--users N] [--concurrency C] [--long 1000]`.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo before bench/ (bench/nlu.py is not nlu)

from api.wiring import running_hub
from bots.flows import NLU_DATA
from hub.core import Hub
from hub.inbound.ingest import handle_inbound
from hub.settings import Settings
from models.channels import Channel
from models.messages import ContactHints, InboundMessage
from models.retail_stores import RetailStore
from nlu.artefacts import ModelDirectory
from nlu.rasa_yaml import load_paths
from nlu.training import train

T = TypeVar("T")
SCRIPTS: list[list[str]] = [
    ["Здравствуйте", "Где мой заказ", "104512", "Нет, спасибо"],
    ["Hello", "Where is my order 104512?", "No, thanks"],
    ["до скольки работает магазин 118?", "сколько баллов на карте", "спасибо, до свидания"],
    ["what time does store 118 close", "how many points on my card", "bye"],
    ["купила просроченный творог", "118", "вчера", "Творог с истёкшим сроком, пахнет кислым"],
    ["the cashier was rude to me", "118", "today", "He shouted at me at the till"],
    ["как вернуть товар", "Всё понятно", "как применить промокод", "Где взять промокод"],
    ["спасибо, отличный магазин!", "магазин 118, кассир Марина"],
]
LONG_CYCLE = ["Здравствуйте", "до скольки работает магазин 118?", "сколько баллов на карте", "как вернуть товар",
              "Всё понятно", "как применить промокод", "Всё понятно", "спасибо, отличный магазин!", "Не нужно"]


def settings_for(tmp: Path, name: str, *, bot: bool) -> Settings:
    """An embedded install in `tmp/name` with the trained model; the bot on or off."""
    return Settings(
        _env_file=None, secret_key="bench-secret-key-0123456789", sqlite_path=str(tmp / name / "otklik.sqlite3"),
        bus_journal_path="", nlu_model_dir=str(tmp / "nlu"), nlu_reload_seconds=3600.0,
        api_accounts=[{"id": "bench", "token": "bench-token-0123456789"}], context_provider="demo",
        dialogs_dir=None if bot else "", log_json=False, log_level="WARNING",
    )


def message(user: str, n: int, text: str) -> InboundMessage:
    """An api-channel message of `user` (each with a phone of its own: a CRM record of its own)."""
    phone = f"+7999{abs(hash(user)) % 10_000_000:07d}"
    return InboundMessage(channel=Channel.API, account_id="bench", external_user_id=user, external_id=f"{user}-{n}",
                          text=text, contact=ContactHints(phone=phone))


async def timed(hub: Hub, msg: InboundMessage) -> float:
    """Seconds from the worker taking the message to its replies being in the outbox."""
    started = time.perf_counter()
    await handle_inbound(msg, hub)
    return time.perf_counter() - started


async def mix(hub: Hub, users: int, concurrency: int) -> tuple[list[float], float, float]:
    """Every user's script, `concurrency` users at a time; latencies, wall time and CPU time."""
    latencies: list[float] = []
    gate = asyncio.Semaphore(concurrency)

    async def converse(n: int) -> None:
        async with gate:
            for i, text in enumerate(SCRIPTS[n % len(SCRIPTS)]):
                latencies.append(await timed(hub, message(f"user{n}", i, text)))

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(converse(n) for n in range(users)))
    return latencies, time.perf_counter() - started, time.process_time() - cpu


async def long_conversation(hub: Hub, turns: int) -> list[tuple[float, float]]:
    """One shopper, `turns` messages in one conversation; each turn's (wall, CPU) seconds.

    One message at a time, so the process's CPU time of a turn is that turn's own work (the SQLite thread
    included), which other load on the machine does not move the way it moves wall time.
    """
    costs = []
    for i in range(turns):
        cpu = time.process_time()
        wall = await timed(hub, message("long-user", i, LONG_CYCLE[i % len(LONG_CYCLE)]))
        costs.append((wall, time.process_time() - cpu))
    return costs


async def with_hub(settings: Settings, run: Callable[[Hub], Awaitable[T]]) -> T:
    """Run `run` on a freshly opened hub with the stores the scripts ask about, after one warm-up message."""
    async with running_hub(settings) as hub:
        await hub.stores.directory.upsert_stores([
            RetailStore(id="118", name="Профсоюзная", city="Москва", address="ул. Профсоюзная, 56",
                        opening_hours="08:00-23:00", phone="+74951110118")])
        await handle_inbound(message("warm-up", 0, "Здравствуйте"), hub)  # loads the NLU model, warms the caches
        return await run(hub)


def pct(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def report(name: str, latencies: list[float], wall: float, cpu: float) -> None:
    """One line of the mix's figures."""
    print(f"{name:12} {len(latencies):6} turns  {len(latencies) / wall:7.1f} turns/s   "
          f"p50 {pct(latencies, 0.5):6.1f} ms   p99 {pct(latencies, 0.99):6.1f} ms   "
          f"CPU {1000 * cpu / len(latencies):5.2f} ms/turn")


def report_long(name: str, costs: list[tuple[float, float]]) -> None:
    """Turn 1 against the last turn, and the medians (wall and CPU) of the first and last 50."""
    edge = min(50, len(costs) // 2)
    first, last = costs[:edge], costs[-edge:]

    def median(part: list[tuple[float, float]], i: int) -> float:
        return 1000 * statistics.median(c[i] for c in part)

    print(f"long conversation, {name:11}: turn 1 {1000 * costs[0][0]:5.1f} ms, turn {len(costs)} "
          f"{1000 * costs[-1][0]:5.1f} ms; turns 1-{edge} median {median(first, 0):5.1f} ms (CPU "
          f"{median(first, 1):4.2f}), last {edge} median {median(last, 0):5.1f} ms (CPU {median(last, 1):4.2f})")


async def main(args: argparse.Namespace) -> None:
    """Train, run the mix without and with the bot, then the long conversation; print the figures."""
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="otklik-bench-bot-") as name:
        tmp = Path(name)
        ModelDirectory(tmp / "nlu").save(train(load_paths([NLU_DATA])))
        print(f"scripted mix: {args.users} conversations, {args.concurrency} at a time, "
              f"Python {sys.version.split()[0]}")
        ingest = await with_hub(settings_for(tmp, "ingest", bot=False), lambda h: mix(h, args.users, args.concurrency))
        bot = await with_hub(settings_for(tmp, "bot", bot=True), lambda h: mix(h, args.users, args.concurrency))
        report("ingest-only", *ingest)
        report("bot", *bot)
        for bot_on in (False, True):
            name = "bot" if bot_on else "ingest-only"
            report_long(name, await with_hub(settings_for(tmp, f"long-{name}", bot=bot_on),
                                             lambda h: long_conversation(h, args.long)))

if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--long", type=int, default=1000)
    asyncio.run(main(parser.parse_args()))
