"""The demo's report history: real conversations and cases, backfilled; every report has numbers behind it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from api.demo.reports import seed_report_history
from api.wiring import opened_report_store
from hub.reports import Filters
from hub.reports.catalog import DASHBOARDS, REPORTS, build
from models.clock import local_date
from models.report_cube import CONVERSATIONS
from tests.inbox_fixtures import hub_on


async def test_the_demo_history_fills_every_report_and_is_seeded_once(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub, opened_report_store(hub.settings) as store:
        now = datetime(2026, 3, 18, 12, 0, tzinfo=UTC)  # a Wednesday: the last complete week is 9-15 March
        assert await seed_report_history(hub, store, now=now) == 360
        assert await seed_report_history(hub, store, now=now) == 0  # a second start adds nothing
        assert await store.count_facts(CONVERSATIONS) == 360
        today = local_date(now, hub.settings.timezone)
        period = Filters(start=(today - timedelta(days=27)).isoformat(), end=today.isoformat())
        for name in [*REPORTS, *DASHBOARDS]:
            report = await build(name, store, period.but(store="118") if name == "store" else period)
            assert report.tables and any(t.rows for t in report.tables), name
        csat = await build("csat", store, period)
        assert isinstance(csat.headline["answers"], int) and csat.headline["answers"] > 0
        voice = await build("voice", store, period)
        rising = next(t for t in voice.tables if t.name == "rising_store")
        assert "23" in [row[0] for row in rising.rows]  # the planted burst of staff complaints
