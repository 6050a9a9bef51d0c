"""Personal-data work on a fresh SQLite store: export and erase one customer with a long history, and a
retention walk over every message, each against a baseline measured in the same run.

    .venv/bin/python -m bench.privacy [--history 5000] [--others 20000] [--batch 500]

Baseline: reading the customer's messages page by page (what an export must do at least). Retention's figure
that matters is the longest single step: batches are bounded, so a step never holds the write lock long.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from hub.core import Hub
from hub.privacy import RetentionPolicy, enforce_retention, erase_customer, export_customer
from hub.stores.sqlite.stores import SqliteStores
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.customers import Customer, Identity, IdentityKind
from models.ids import CustomerId
from models.messages import AuthorKind, Direction, Message

NOW = datetime(2027, 1, 1, tzinfo=UTC)


async def _fill(stores: SqliteStores, customer: Customer, count: int, start_day: int) -> None:
    """`count` messages of the customer, one minute apart, in conversations of 20."""
    conversation: Conversation | None = None
    for n in range(count):
        at = NOW - timedelta(days=start_day) + timedelta(minutes=n)
        if n % 20 == 0:
            conversation = Conversation.open(customer.id, Channel.TELEGRAM, "tg", at=at)
            conversation.state = ConversationState.CLOSED  # history: only the last may be open
            await stores.conversations.create(conversation)
        assert conversation is not None
        await stores.messages.add(Message(
            conversation_id=conversation.id, customer_id=customer.id, direction=Direction.INBOUND,
            author=AuthorKind.CUSTOMER, channel=Channel.TELEGRAM, account_id="tg",
            external_id=f"{customer.id}:{n}", text=f"Заказ {n}, телефон +7916{n:07d}", created_at=at, sent_at=at))


class _Bus:
    """Events go nowhere: the bench measures the stores."""

    async def publish(self, stream: str, payload: str) -> str:
        return "0"

    async def broadcast(self, topic: str, payload: str) -> None:
        return None


async def run(history: int, others: int, batch: int) -> None:
    """Fill, then time the baseline, export, erase and retention."""
    with tempfile.TemporaryDirectory() as tmp:
        stores = SqliteStores(str(Path(tmp) / "bench.sqlite3"))
        await stores.open()
        try:
            shopper = Customer(name="Анна", identities=[Identity(kind=IdentityKind.TELEGRAM, value="1")])
            crowd = Customer(name="Все остальные")
            for c in (shopper, crowd):
                await stores.customers.create(c)
            await _fill(stores, shopper, history, 400)
            await _fill(stores, crowd, others, 200)
            settings = SimpleNamespace(reply_files_dir=str(Path(tmp) / "files"), case_files_dir=str(Path(tmp) / "c"))
            hub = cast(Hub, SimpleNamespace(stores=stores, bus=_Bus(), settings=settings, accounts=[]))
            await _measure(hub, stores, shopper.id, history + others, batch)
        finally:
            await stores.close()


async def _timed(label: str, work: Any) -> float:
    started = time.perf_counter()
    await work
    took = time.perf_counter() - started
    print(f"{label}: {took:.3f} s")
    return took


async def _measure(hub: Hub, stores: SqliteStores, customer_id: CustomerId, total: int, batch: int) -> None:
    async def read_all() -> None:
        after = 0
        while page := await stores.privacy.messages_of(customer_id, after=after, limit=500):
            after = page[-1][0]

    base = await _timed("baseline: read the customer's messages", read_all())
    export = await _timed("export (JSON-ready)", export_customer(hub, customer_id, actor="bench", via="bench"))
    erase = await _timed("erase", erase_customer(hub, customer_id, actor="bench", via="bench"))
    print(f"export / baseline: {export / base:.1f}x; erase / baseline: {erase / base:.1f}x")
    policy = RetentionPolicy(messages=timedelta(days=100), batch=batch)
    steps, longest, started, expired = 0, 0.0, time.perf_counter(), 0
    while True:
        step_started = time.perf_counter()
        step = await enforce_retention(hub, policy, now=NOW)
        longest = max(longest, time.perf_counter() - step_started)
        steps, expired = steps + 1, expired + step.messages
        if not step.more:
            break
    took = time.perf_counter() - started
    print(f"retention: {expired} of {total} texts expired in {steps} steps of <= {batch}, {took:.2f} s "
          f"({expired / took:.0f} messages/s); longest step {longest * 1000:.0f} ms")


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--history", type=int, default=5000, help="messages of the exported and erased customer")
    parser.add_argument("--others", type=int, default=20000, help="messages of everyone else")
    parser.add_argument("--batch", type=int, default=500, help="retention batch")
    args = parser.parse_args()
    asyncio.run(run(args.history, args.others, args.batch))


if __name__ == "__main__":
    main()
