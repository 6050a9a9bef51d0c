"""The report dashboards at a 1366 px desk in Debian's chromium: the supervisor's day with its chart, the
management dashboard, and a drill-down from a region's number to the conversations behind it.
Screenshots go to tests/artefacts/screenshots/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, expect

from models.clock import utcnow
from models.report_facts import ConversationFact, Period
from models.staff import Role
from tests.browser.test_operator_desk import DESK, served, signed_in
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.inbox_world import PASSWORD, inbox_settings
from tests.web_login import create_user


def facts_of_today(zone: str) -> list[ConversationFact]:
    """Twelve conversations opened this hour: two regions, three topics, some handed over and rated."""
    now = utcnow()
    period = Period.of(now, zone)
    topics = ["order_status", "staff_complaint", "delivery_problem"]
    return [ConversationFact(
        conversation_id=f"c{n:02d}", customer_id=f"u{n}", opened_at=now.isoformat(), day=period.day,
        hour=period.hour, week=period.week, topic=topics[n % 3], channel="telegram", store=f"{100 + n % 4}",
        region="msk" if n % 2 else "spb", group="" if n % 3 == 0 else "delivery", handed_over=n % 3 != 0,
        resolved=True, contained=n % 3 == 0, operator="" if n % 3 == 0 else "u-anna", csat=1 + n % 5,
        text=f"Обращение {n}") for n in range(12)]


async def test_a_supervisor_opens_the_dashboards_and_drills_down_to_conversations(
    chromium: Browser, make_settings: Any, receiver: HttpReceiver, start_app: Any, screenshots: Path,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running, served(running) as base:
        facts = facts_of_today(running.hub.settings.timezone)
        await running.app.state.reports.load(facts, [])
        await create_user(running.hub, "boss", PASSWORD, roles=[Role.SUPERVISOR])
        async with signed_in(chromium, base, "boss", DESK, "/reports/supervisor") as page:
            await expect(page.locator(".kpi").first).to_contain_text("12")
            await expect(page.locator("svg.chart")).to_have_count(1)
            assert await page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
            await page.screenshot(path=str(screenshots / "reports-supervisor-1366.png"), full_page=True)

            await page.click('nav.report-tabs a[href^="/reports/management"]')
            await page.wait_for_url("**/reports/management?**")
            region = page.locator('section[data-table="by_region"] a.drill', has_text="msk")
            await expect(region).to_be_visible()
            assert await page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
            await page.screenshot(path=str(screenshots / "reports-management-1366.png"), full_page=True)

            await region.click()
            await page.wait_for_url("**/reports/drill?**region=msk**")
            rows = page.locator("table.drill-rows tbody tr")
            await expect(rows).to_have_count(6)  # the odd-numbered six are in msk
            links = page.locator('table.drill-rows a[href^="/inbox/conversations/c"]')
            assert sorted(await links.all_inner_texts()) == [f"c{n:02d}" for n in range(1, 12, 2)]
            await page.screenshot(path=str(screenshots / "reports-drill-1366.png"), full_page=True)


