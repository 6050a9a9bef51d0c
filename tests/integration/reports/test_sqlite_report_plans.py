"""The SQLite report store's per-store sums read the rows they need, the narrowest way.

The management dashboard's store table groups 16,000 stores' weekly rows by store: the statement it really
issues (traced) must stream through that covering index in store order. The voice of the customer reads only
two weeks: it must keep to the primary key's period range, not walk every week of history in the index.
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
        await store.db.set_trace_callback(traced.append)
        for name in ("management", "voice"):
            await catalog.build(name, store, Filters(start="2026-01-01", end="2026-03-31"))
        await store.db.set_trace_callback(None)
        by_store = [sql for sql in traced if 'GROUP BY "store"' in sql and "rollups" in sql]
        assert len(by_store) == 2  # the store table's top 30 and the voice's rising stores
        plans = {sql: " ".join(str(row[-1]) for row in await store.db.rows(f"EXPLAIN QUERY PLAN {sql}"))
                 for sql in by_store}
        for sql, plan in plans.items():
            if "CASE WHEN period" in sql:  # the voice's two weeks: a range of the (grain, period) key
                assert "USING PRIMARY KEY (grain=? AND period>? AND period<?)" in plan, plan
            else:  # the whole period's store table: streams through the store index, no sort by store
                assert "COVERING INDEX report_conversations_rollups_store_sums" in plan, plan
                assert "TEMP B-TREE FOR GROUP BY" not in plan, plan
    finally:
        await store.close()
