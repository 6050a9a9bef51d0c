"""SQLite's inbound tally: counted from the messages_readings index, and right on a database migrated to it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.stores.sqlite.db import SqliteDatabase
from hub.stores.sqlite.schema import MIGRATIONS
from hub.stores.sqlite.stores import SqliteMessageStore
from models.channels import Channel
from models.ids import ConversationId, CustomerId
from models.messages import AuthorKind, Direction, Message
from models.nlu import ParseResult
from tests.report_tally import tally_as_loaded

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CONVERSATION = ConversationId("conv-1")


def message(n: int) -> Message:
    """Two inbound to one reply; the inbound ones read sure, out of scope, a close call, both, or not at all."""
    inbound = n % 3 != 2
    flags = [None, (False, False), (True, False), (False, True), (True, True)][n % 5]
    reading = None if flags is None or not inbound else ParseResult(
        text=f"q{n}", intent="x", confidence=0.5, engine="builtin", out_of_scope=flags[0], close_call=flags[1])
    return Message(
        conversation_id=CONVERSATION, customer_id=CustomerId("anna"),
        direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
        author=AuthorKind.CUSTOMER if inbound else AuthorKind.BOT, channel=Channel.TELEGRAM, account_id="tg-main",
        text=f"text {n}", external_id=f"m{n}" if inbound else None, idempotency_key=None if inbound else f"k{n}",
        sent_at=T0 + timedelta(seconds=n), created_at=T0 + timedelta(seconds=n), nlu=reading)


async def test_a_database_from_before_the_index_counts_its_old_messages(tmp_path: Path) -> None:
    path = str(tmp_path / "otklik.sqlite3")
    before = SqliteDatabase(path, {"core": MIGRATIONS[:2]})  # the schema the messages were written under
    await before.open()
    try:
        for n in range(40):
            await SqliteMessageStore(before).add(message(n))
    finally:
        await before.close()
    after = SqliteDatabase(path, {"core": MIGRATIONS})
    await after.open()
    try:
        messages = SqliteMessageStore(after)
        tally = await messages.inbound_tally(CONVERSATION)
        assert tally == tally_as_loaded(await messages.list_for_conversation(CONVERSATION))
        assert (tally.messages, tally.fallbacks, tally.unsure) == (27, 11, 5)
    finally:
        await after.close()


async def test_the_tally_counts_from_the_index_without_reading_documents(tmp_path: Path) -> None:
    db = SqliteDatabase(str(tmp_path / "otklik.sqlite3"), {"core": MIGRATIONS})
    await db.open()
    try:
        messages = SqliteMessageStore(db)
        for n in range(30):
            await messages.add(message(n))
        traced: list[str] = []
        await db.set_trace_callback(traced.append)
        await messages.inbound_tally(CONVERSATION)
        await db.set_trace_callback(None)
        counts = next(sql for sql in traced if "count(*)" in sql)
        plan = " ".join(str(row[-1]) for row in await db.rows(f"EXPLAIN QUERY PLAN {counts}"))
        assert "COVERING INDEX messages_readings" in plan, plan
        assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), plan
    finally:
        await db.close()
