"""The SQLite report store's per-store sums read the narrow store index, not the wide rollup rows.

The management dashboard's store table and the voice of the customer group 16,000 stores' weekly rows by
store: the statements they really issue (traced) must be answered from that covering index, in store order.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hub.reports import catalog
from hub.stores.reports import Filters
from hub.stores.sqlite.reports import SqliteReportStore
from models.report_facts import ConversationFact

BASE = ConversationFact(
    conversation_id="c", customer_id="u", opened_at="2026-03-10T07:00:00+00:00", day="2026-03-10", hour=10,
    week="2026-03-09", topic="delivery_problem", channel="telegram", store="118", region="moscow",
    state="resolved", resolved=True, messages=1, text="late")


async def test_store_sums_read_the_covering_store_index(tmp_path: Path) -> None:
    store = SqliteReportStore(str(tmp_path / "reports.sqlite3"))
    await store.open()
    try:
        await store.load([replace(BASE, conversation_id=f"c{n}", store=f"{n % 3}") for n in range(6)], [])
        traced: list[str] = []
        await store.db.conn.set_trace_callback(traced.append)
        for name in ("management", "voice"):
            await catalog.build(name, store, Filters(start="2026-01-01", end="2026-03-31"))
        await store.db.conn.set_trace_callback(None)
        by_store = [sql for sql in traced if 'GROUP BY "store"' in sql and "rollups" in sql]
        assert len(by_store) == 2  # the store table's top 30 and the voice's rising stores
        for sql in by_store:
            plan = " ".join(str(row[-1]) for row in await store.db.rows(f"EXPLAIN QUERY PLAN {sql}"))
            assert "COVERING INDEX report_conversations_rollups_store_sums" in plan, (sql, plan)
            assert "TEMP B-TREE FOR GROUP BY" not in plan, plan
    finally:
        await store.close()
