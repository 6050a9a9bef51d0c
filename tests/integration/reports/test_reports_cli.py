"""`otklik reports backfill` as a user runs it: a process on the install's store, facts built from history."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.demo.reports import seed_report_history
from api.wiring import opened_report_store
from models.report_cube import CASES, CONVERSATIONS
from tests.inbox_fixtures import hub_on
from tests.integration.admin.test_check_cli import otklik


async def test_backfill_rebuilds_the_report_store_from_history(make_settings: Any, tmp_path: Path) -> None:
    settings = make_settings(sqlite_path=str(tmp_path / "otklik.sqlite3"), bus_journal_path="")
    async with hub_on(settings) as hub, opened_report_store(settings) as store:
        await seed_report_history(hub, store, now=datetime(2026, 3, 18, 12, tzinfo=UTC), count=40)
        cases = await store.count_facts(CASES)
        await store.clear()  # as if the reports had been lost

    done = otklik(["reports", "backfill"], tmp_path, OTKLIK_DIALOGS_DIR="")

    assert done.returncode == 0, done.stdout + done.stderr
    assert f"40 conversations and {cases} cases in the reports" in done.stdout
    async with opened_report_store(settings) as store:
        assert await store.count_facts(CONVERSATIONS) == 40 and await store.count_facts(CASES) == cases
