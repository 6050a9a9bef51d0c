"""Inbox benchmark: how fast the queue page and the conversation page open with 50,000 conversations stored.

What it does:

1. Fills a fresh SQLite store (in a temp dir; rows in the store adapters' schema, read back through them)
   with --conversations conversations (default 50,000) of as many customers, each with --messages
   messages (customer / bot / operator turns and an internal note), spread over --groups groups: 10 %
   queued (mixed priorities, SLA deadlines, some breached), 2 % assigned to operators, the rest resolved
   or closed. The timed user ("bench", operator and supervisor) works in every group, so its queue page
   sorts the largest queue there is.
2. Starts the real app (`create_app`, its lifespan, uvicorn on a free 127.0.0.1 port) in this process,
   signs in through the login form like a browser, and times sequential GETs over TCP:
   `/healthz` (the floor: the same server, no store work), `/inbox` (the queue page), a random queued
   conversation's page `/inbox/conversations/{id}` and the supervisor board `/inbox/board`.
3. Prints p50 / p90 / p99 / max per page (milliseconds, client-side, request start to full body).

Run: `.venv/bin/python -m bench.inbox [--conversations 50000] [--requests 300]` (as a module: the folder has
an `nlu.py` that must not shadow the `nlu` package). Exit code 1 if any page answered other than 200 or
the queue or conversation page's p99 is over --budget-ms (default 200).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import httpx
import uvicorn
from asgi_lifespan import LifespanManager

from api.app import create_app
from api.signin import LOGIN_CSRF_COOKIE
from hub.directory import users
from hub.settings import Settings
from hub.stores.sqlite.db import execute_many
from hub.stores.sqlite.stores import SqliteStores
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation, ConversationEvent, ConversationState, Priority
from models.customers import Customer, Identity, IdentityKind
from models.ids import ConversationId, CustomerId, new_id
from models.messages import AuthorKind, DeliveryStatus, Direction, Message
from models.staff import Group, GroupId, Role, User

S = ConversationState
PASSWORD = "bench-password-0123"
CHANNELS = [Channel.TELEGRAM, Channel.WHATSAPP, Channel.VIBER, Channel.EMAIL, Channel.API]
BATCH = 1000
QUEUE, CONVERSATION = "GET /inbox (queue page)", "GET /inbox/conversations/{id}"
BUDGETED = (QUEUE, CONVERSATION)  # the promise: these two open in under 200 ms at 50,000 conversations
PRIORITIES = [Priority.NORMAL] * 6 + [Priority.HIGH] * 2 + [Priority.URGENT, Priority.LOW]


@dataclass
class Filled:
    """What the fill produced, for the timed phase."""

    queued: list[ConversationId]
    seconds: float
    messages: int


def _conversation(n: int, customer: CustomerId, groups: list[str], operators: list[str]) -> Conversation:
    """Conversation number n: queued, assigned, resolved or closed by its place in the run."""
    now = utcnow()
    opened = now - timedelta(minutes=n % 5000 + 5)
    channel = CHANNELS[n % len(CHANNELS)]
    conversation = Conversation.open(customer, channel, "bench", at=opened)
    conversation.topic = ["order_status", "delivery_problem", "return_refund", "loyalty_card"][n % 4]
    conversation.priority = PRIORITIES[n % len(PRIORITIES)]
    kind = n % 100
    if kind < 12:  # queued (10 %) and assigned (2 %)
        group = groups[n % len(groups)]
        conversation.history.append(ConversationEvent(at=opened, kind="handed_over", actor="bot", note="bench"))
        conversation.transition(S.QUEUED, actor="bot", at=opened, group=group)
        conversation.queued_at = opened
        conversation.handover_note = f"Клиент спрашивает про заказ {n}"
        conversation.sla_first_response_due = opened + timedelta(hours=1)
        conversation.sla_resolution_due = opened + timedelta(hours=24)
        conversation.sla_next_due = conversation.sla_first_response_due
        if conversation.sla_first_response_due < now:
            conversation.sla_breached = ["first_response"]
            conversation.sla_next_due = conversation.sla_resolution_due
        if kind >= 10:
            conversation.transition(S.ASSIGNED, actor="auto", at=opened, assignee=operators[n % len(operators)])
    else:
        conversation.transition(S.RESOLVED, actor="bot", at=opened, note="Решено ботом")
        if kind >= 40:
            conversation.transition(S.CLOSED, actor="system", at=opened)
    return conversation


def _messages(conversation: Conversation, count: int) -> list[Message]:
    """A plausible exchange: the customer, the bot's answer, an operator's reply, a note, and so on."""
    turns = [(Direction.INBOUND, AuthorKind.CUSTOMER), (Direction.OUTBOUND, AuthorKind.BOT),
             (Direction.OUTBOUND, AuthorKind.OPERATOR), (Direction.INTERNAL, AuthorKind.OPERATOR)]
    found = []
    for i in range(count):
        direction, author = turns[i % len(turns)]
        found.append(Message(
            conversation_id=conversation.id, customer_id=conversation.customer_id, direction=direction,
            author=author, channel=conversation.channel, account_id="bench",
            external_id=f"{conversation.id}-{i}" if direction is Direction.INBOUND else None,
            idempotency_key=None if direction is Direction.INBOUND else f"bench:{conversation.id}:{i}",
            text=f"Сообщение {i} по обращению: где мой заказ? " * 3,
            status=DeliveryStatus.RECEIVED if direction is Direction.INBOUND else DeliveryStatus.DELIVERED,
            sent_at=conversation.created_at + timedelta(seconds=30 * i),
        ))
    return found


async def fill(path: str, conversations: int, per_conversation: int, groups: list[str]) -> Filled:
    """Write the data set into a SQLite store: rows in the adapters' own schema, a thousand conversations per
    transaction (the adapters' one-write-per-transaction API would take minutes); read back through them."""
    stores = SqliteStores(path)
    await stores.open()
    started = time.perf_counter()
    try:
        await stores.directory.upsert_groups([Group(id=GroupId(g), name=f"Группа {g}") for g in groups])
        operators = [User(login=f"op{i}", name=f"Оператор {i}", roles=frozenset({Role.OPERATOR}),
                          groups=[GroupId(g) for g in groups]) for i in range(20)]
        await stores.directory.upsert_users(operators)
        operator_ids = [u.id for u in (await stores.directory.list_users(role=Role.OPERATOR, limit=100))]
        queued: list[ConversationId] = []
        written = 0
        for start in range(0, conversations, BATCH):
            made = [_made(n, groups, operator_ids, per_conversation)
                    for n in range(start, min(start + BATCH, conversations))]
            await _write(stores, made)
            queued += [conversation.id for _, conversation, _ in made if conversation.state is S.QUEUED]
            written += sum(len(messages) for _, _, messages in made)
            if start % 10_000 == 0:
                print(f"  filled {start:>6} conversations ({time.perf_counter() - started:.0f} s)", flush=True)
        await _check(stores, queued[0], per_conversation)
        return Filled(queued, time.perf_counter() - started, written)
    finally:
        await stores.close()


Made = tuple[Customer, Conversation, list[Message]]


def _made(n: int, groups: list[str], operators: list[str], count: int) -> Made:
    customer = Customer(id=CustomerId(new_id()), name=f"Покупатель {n}",
                        identities=[Identity(kind=IdentityKind.PHONE, value=f"+7916{n:07d}")])
    conversation = _conversation(n, customer.id, groups, operators)
    return customer, conversation, _messages(conversation, count)


async def _write(stores: SqliteStores, made: list[Made]) -> None:
    """One transaction with the same rows `create` / `add` of the SQLite adapters write."""
    async with stores.db.transaction() as conn:
        await execute_many(conn, "INSERT INTO customers (id, version, doc) VALUES (?, ?, ?)",
                           [(c.id, c.version, c.model_dump_json()) for c, _, _ in made])
        await execute_many(conn, "INSERT INTO identities (key, customer_id) VALUES (?, ?)",
                           [(i.key, c.id) for c, _, _ in made for i in c.identities])
        await execute_many(
            conn, "INSERT INTO conversations (id, customer_id, state, open_key, updated_at, version, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(v.id, v.customer_id, v.state, None if v.state is S.CLOSED else v.customer_id, v.updated_at.isoformat(),
              v.version, v.model_dump_json()) for _, v, _ in made])
        await execute_many(
            conn, "INSERT INTO messages (id, conversation_id, customer_id, direction, channel, account_id,"
            " external_id, idempotency_key, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(m.id, m.conversation_id, m.customer_id, m.direction, m.channel, m.account_id, m.external_id,
              m.idempotency_key, m.model_dump_json()) for _, _, messages in made for m in messages])


async def _check(stores: SqliteStores, conversation_id: ConversationId, count: int) -> None:
    """The adapters read what was written (a schema drift would fail here, not in the timings)."""
    conversation = await stores.conversations.get(conversation_id)
    messages = await stores.messages.list_for_conversation(conversation_id)
    queue = await stores.inbox.queue([conversation.group or ""], limit=1)
    if len(messages) != count or not queue:
        raise SystemExit(f"the filled store does not read back: {len(messages)} messages, queue {queue}")


async def sign_in(client: httpx.AsyncClient, login: str) -> None:
    """Through the login form, as a browser does."""
    await client.get("/login")
    token = client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    response = await client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    if response.status_code != 303:
        raise SystemExit(f"sign-in failed: {response.status_code} {response.text[:300]}")


async def timed(client: httpx.AsyncClient, urls: list[str]) -> tuple[list[float], list[int]]:
    """Milliseconds per GET (one at a time) and any non-200 statuses."""
    times, bad = [], []
    for url in urls:
        started = time.perf_counter()
        response = await client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            bad.append(response.status_code)
    return times, bad


def summary(name: str, times: list[float]) -> str:
    """One table row: p50, p90, p99, max in ms."""
    cuts = statistics.quantiles(times, n=100, method="inclusive")
    return f"{name:<34} {cuts[49]:>8.1f} {cuts[89]:>8.1f} {cuts[98]:>8.1f} {max(times):>8.1f}"


async def measure(settings: Settings, filled: Filled, requests: int) -> dict[str, tuple[list[float], list[int]]]:
    """Serve the app on a free port and time each page, after a short warm-up."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=30):
        hub = app.state.hub
        groups = [g.id for g in await hub.stores.directory.list_groups()]
        await users.create_user(hub.stores.directory, login="bench", name="Bench Operator", password=PASSWORD,
                                roles=frozenset({Role.OPERATOR, Role.SUPERVISOR}), groups=groups)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off"))
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                await sign_in(client, "bench")
                rng = random.Random(7)
                pages = {
                    "GET /healthz (baseline)": ["/healthz"] * requests,
                    QUEUE: ["/inbox"] * requests,
                    CONVERSATION: [f"/inbox/conversations/{rng.choice(filled.queued)}" for _ in range(requests)],
                    "GET /inbox/board (supervisor)": ["/inbox/board"] * max(20, requests // 5),
                }
                for urls in pages.values():
                    await timed(client, urls[:10])  # warm-up: caches, first template compile
                return {name: await timed(client, urls) for name, urls in pages.items()}
        finally:
            server.should_exit = True
            await task


def main() -> int:
    """Fill, measure, print; exit 1 on a failed request or a p99 over budget."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=50_000)
    parser.add_argument("--messages", type=int, default=4, help="messages per conversation")
    parser.add_argument("--groups", type=int, default=10)
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--budget-ms", type=float, default=200.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="otklik-bench-inbox-") as tmp:
        path = str(Path(tmp) / "otklik.sqlite3")
        groups = [f"line-{i}" for i in range(args.groups)]
        print(f"filling {args.conversations} conversations x {args.messages} messages into {path}")
        filled = asyncio.run(fill(path, args.conversations, args.messages, groups))
        print(f"filled in {filled.seconds:.1f} s ({args.conversations / filled.seconds:.0f} conversations/s, "
              f"{filled.messages} messages); {len(filled.queued)} queued")
        settings = Settings(_env_file=None, secret_key="bench-secret-key-0123456789", sqlite_path=path,
                            bus_journal_path="", context_provider="none", log_json=False, log_level="WARNING")
        results = asyncio.run(measure(settings, filled, args.requests))
    print(f"\n{'page (signed in, sequential, TCP)':<34} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    failed = False
    for name, (times, bad) in results.items():
        print(summary(name, times) + (f"   non-200: {sorted(set(bad))}" if bad else ""))
        over = name in BUDGETED and statistics.quantiles(times, n=100, method="inclusive")[98] > args.budget_ms
        failed = failed or bool(bad) or over
    print(f"\nbudget: p99 under {args.budget_ms:.0f} ms for the queue and conversation pages -> "
          f"{'FAILED' if failed else 'met'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
