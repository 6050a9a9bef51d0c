"""Report projection benchmark: one event's refresh of a short conversation against a long one (issue 20).

Builds, on SQLite, a conversation of 10 messages and one of 1,000 (two inbound with NLU readings to one
reply, as a bot conversation runs), then times `refresh_conversation` on each, interleaved so machine noise
hits both alike. Prints p50 wall and CPU per refresh and the long/short ratio (target: about 1).

Run: `.venv/bin/python bench/reports_projection.py [--rounds N --long N]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from the checkout

from api.wiring import opened_report_store, running_hub
from bench.cases import settings_for
from hub.core import Hub
from hub.reports.projection import refresh_conversation
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.messages import AuthorKind, Direction, Message
from models.nlu import ParseResult

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def conversation_of(hub: Hub, length: int) -> Conversation:
    """A bot conversation with `length` messages."""
    customer = Customer(name="Anna", identities=[Identity(kind=IdentityKind.TELEGRAM, value=f"u{length}")])
    await hub.stores.customers.create(customer)
    conversation = Conversation.open(customer.id, Channel.TELEGRAM, "tg-main", at=START)
    await hub.stores.conversations.create(conversation)
    for n in range(length):
        when, inbound = START + timedelta(seconds=n), n % 3 != 2
        reading = ParseResult(text=f"где заказ {n}", intent="order_status", confidence=0.8, engine="builtin",
                              close_call=n % 5 == 0, out_of_scope=n % 7 == 0) if inbound else None
        await hub.stores.messages.add(Message(
            conversation_id=conversation.id, customer_id=customer.id,
            direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
            author=AuthorKind.CUSTOMER if inbound else AuthorKind.BOT, channel=Channel.TELEGRAM,
            account_id="tg-main", text=f"где мой заказ номер {n}, уже неделю жду",
            external_id=f"{length}-{n}" if inbound else None, idempotency_key=None if inbound else f"{length}-k{n}",
            sent_at=when, created_at=when, nlu=reading))
    return conversation


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="otklik-bench-projection-") as folder:
        settings = settings_for(Path(folder))
        async with running_hub(settings) as hub, opened_report_store(settings) as store:
            short, long = await conversation_of(hub, 10), await conversation_of(hub, args.long)
            wall: dict[str, list[float]] = {"short": [], "long": []}
            cpu: dict[str, list[float]] = {"short": [], "long": []}
            for _ in range(args.rounds):
                for name, conversation in (("short", short), ("long", long)):
                    started, started_cpu = time.perf_counter(), time.process_time()
                    await refresh_conversation(hub, store, conversation.id)
                    wall[name].append(time.perf_counter() - started)
                    cpu[name].append(time.process_time() - started_cpu)
            for name in ("short", "long"):
                print(f"{name:5}: p50 {statistics.median(wall[name]) * 1e3:.3f} ms wall, "
                      f"{statistics.median(cpu[name]) * 1e3:.3f} ms CPU per refresh")
            ratio = {name: statistics.median(d["long"]) / statistics.median(d["short"])
                     for name, d in (("wall", wall), ("CPU", cpu))}
            print(f"long/short ({args.long} vs 10 messages): wall x{ratio['wall']:.2f}, CPU x{ratio['CPU']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--long", type=int, default=1000)
    asyncio.run(main(parser.parse_args()))
