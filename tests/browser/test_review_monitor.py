"""The review monitoring page in Debian's chromium: trends by store and region, negative topics, response rate
and time, the store whose rating dropped, the burst; a screenshot in tests/artefacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, expect

from models.clock import utcnow
from tests.browser.test_operator_desk import DESK, served, signed_in
from tests.integration.inbox_world import build_world
from tests.integration.reviews.history import write_history
from tests.integration.reviews.world import LOCATION, build_review_world


async def test_the_monitoring_page_shows_trends_topics_responses_and_the_drop(
    chromium: Browser, make_settings: Any, start_app: Any, screenshots: Path,
) -> None:
    async with start_app(make_settings()) as running, served(running) as base:
        hub = running.hub
        await build_world(hub)  # sam, the supervisor
        await build_review_world(hub)
        await write_history(hub, utcnow(), LOCATION)
        async with signed_in(chromium, base, "sam", DESK, "/reviews") as page:
            drops = page.locator("[data-metric=drops] li")
            await expect(drops).to_have_count(1)
            await expect(drops.first).to_have_attribute("data-store", "118")
            await expect(page.locator("[data-metric=bursts] li[data-store='118']")).to_contain_text("3")
            topics = page.locator("[data-metric=negative-topics] .topic")
            await expect(topics.first).to_have_text("queues")
            await expect(page.locator("[data-metric=response-rate] .big")).to_have_text("33 %")
            await expect(page.locator("[data-metric=response-time]")).to_contain_text("4.0")
            store_rows = page.locator("table[data-table=store] tbody tr")
            await expect(store_rows).to_have_count(2)
            await expect(store_rows.first).to_have_attribute("data-key", "118")  # the worst first
            await expect(page.locator("table[data-table=region] tbody tr")).to_have_count(2)
            points = await page.locator("tr[data-key='205'] svg.spark polyline").first.get_attribute("points")
            assert points is not None and len(points.split()) == 5  # a point per week with reviews (none lately)
            await page.screenshot(path=str(screenshots / "reviews-monitor-1366.png"), full_page=True)
            await page.goto("/reviews?region=north")
            await expect(page.locator("table[data-table=store] tbody tr")).to_have_count(1)
            await expect(page.locator("[data-metric=drops] li")).to_have_count(0)
