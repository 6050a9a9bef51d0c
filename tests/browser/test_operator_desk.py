"""The operator's screen at a real desk (1366×768) and the case list on a phone (390×844), in Debian's chromium:
the timeline opens at the newest line and keeps the operator's reply in view; a queue row with a very long
message keeps its wait time and SLA clock on screen; the case list needs no sideways scrolling; /docs draws
Swagger UI with the browser's network limited to this machine. Screenshots go to tests/artefacts/screenshots/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, Page, Route, expect

from api.i18n import t
from tests.fakes.http_receiver import HttpReceiver, free_port
from tests.fakes.serving import serving
from tests.integration.case_world import build_case_world, shopper_conversation, store_case
from tests.integration.inbox_world import PASSWORD, build_world, customer_writes, handed_over, inbox_settings

DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
LIVE = 15_000  # ms a live update may take on a loaded 2-core machine
LONG = ("Здравствуйте, заказ 4512 так и не привезли, курьер не звонил, в приложении статус не меняется " * 12).strip()


@asynccontextmanager
async def served(running: Any) -> AsyncIterator[str]:
    """The running app on a free local port, as a browser reaches it."""
    port = free_port()
    async with serving(running.app, port):
        yield f"http://127.0.0.1:{port}"


@asynccontextmanager
async def signed_in(browser: Browser, base: str, login: str, viewport: dict[str, int], path: str,
                    ) -> AsyncIterator[Page]:
    """A fresh browser context of this size, signed in through the login form, on `path`; closed at the end
    whatever happens (its live streams would otherwise keep the server from stopping)."""
    context = await browser.new_context(base_url=base, locale="ru-RU", viewport=viewport)  # type: ignore[arg-type]
    try:
        page = await context.new_page()
        await page.goto(f"/login?next={path}")
        await page.fill("#login", login)
        await page.fill("#password", PASSWORD)
        await page.click("button[type=submit].primary")
        await page.wait_for_url(f"**{path}")
        yield page
    finally:
        await context.close()


async def newest_in_view(page: Page, selector: str) -> bool:
    """Whether the timeline is scrolled to its end and its last `selector` line lies inside its visible box
    and inside the window."""
    return bool(await page.evaluate("""(selector) => {
        const box = document.getElementById("timeline");
        const lines = box.querySelectorAll(selector);
        const last = lines[lines.length - 1].getBoundingClientRect(), seen = box.getBoundingClientRect();
        const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 2;
        return atEnd && last.top >= seen.top - 1 && last.bottom <= seen.bottom + 1 && last.bottom <= innerHeight;
    }""", selector))


async def test_the_timeline_opens_at_the_newest_line_and_keeps_the_operators_reply_in_view(
    chromium: Browser, make_settings: Any, receiver: HttpReceiver, start_app: Any, screenshots: Path,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running, served(running) as base:
        await build_world(running.hub)
        conversation = await customer_writes(running.client, running.hub, "u-long", "Здравствуйте!")
        for n in range(2, 16):  # a long story: the first lines are far above the box's fold
            await customer_writes(running.client, running.hub, "u-long", f"Сообщение {n}: {LONG[:160]}", n=n)
        await handed_over(running.hub, conversation)
        async with signed_in(chromium, base, "anna", DESK, f"/inbox/conversations/{conversation.id}") as page:
            await expect(page.locator("#timeline .item").last).to_be_visible()
            assert await page.evaluate("document.getElementById('timeline').scrollHeight > "
                                       "2 * document.getElementById('timeline').clientHeight")
            assert await newest_in_view(page, ".item.inbound")  # opened at "Сообщение 15", not at the top
            await expect(page.locator("#timeline .item.inbound").last).to_contain_text("Сообщение 15")

            await page.click("#claim")
            await page.wait_for_load_state()
            assert await newest_in_view(page, ".item")
            await expect(page.locator("#reply-text")).to_be_in_viewport()  # the reply box, without scrolling
            await page.fill("#reply-text", "Проверяю заказ 4512, минуту")
            await page.click("#reply-send")
            await expect(page.locator("#timeline .item.outbound").last).to_contain_text("Проверяю заказ 4512",
                                                                                        timeout=LIVE)
            assert await newest_in_view(page, ".item.outbound")  # the operator's own reply, in view
            await page.screenshot(path=str(screenshots / "desk-conversation-1366.png"))

            await customer_writes(running.client, running.hub, "u-long", "Спасибо, жду", n=16)  # a live line
            await expect(page.locator("#timeline .item.inbound").last).to_contain_text("Спасибо, жду", timeout=LIVE)
            await page.wait_for_timeout(200)  # the swap's scroll happens right after the new line is drawn
            assert await newest_in_view(page, ".item.inbound")


async def test_a_queue_row_with_a_long_message_keeps_its_wait_and_sla_on_a_1366_screen(
    chromium: Browser, make_settings: Any, receiver: HttpReceiver, start_app: Any, screenshots: Path,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running, served(running) as base:
        await build_world(running.hub)
        conversation = await customer_writes(running.client, running.hub, "u-row", LONG)
        await handed_over(running.hub, conversation, note="Бот: " + LONG)
        async with signed_in(chromium, base, "anna", DESK, "/inbox") as page:
            row = page.locator(f'#queue [data-conversation="{conversation.id}"]')
            await expect(row).to_be_visible(timeout=LIVE)
            await page.screenshot(path=str(screenshots / "desk-queue-1366.png"))

            # Measured in one script run on the row as it is then: a live redraw may replace it at any moment.
            seen = await page.evaluate("""id => {
                const row = document.querySelector(`#queue [data-conversation="${id}"]`);
                const edges = Object.fromEntries([".sla", ".wait", "[data-action=claim]"].map(cell => {
                    const box = row.querySelector(cell).getBoundingClientRect();
                    return [cell, [box.left, box.right, box.width]]; }));
                const preview = row.querySelector(".preview");
                return {edges, title: preview.title, cut: preview.scrollWidth > preview.clientWidth,
                        overflow: getComputedStyle(preview).textOverflow,
                        whoHeight: row.querySelector(".who").getBoundingClientRect().height,
                        pageWidth: document.documentElement.scrollWidth};
            }""", conversation.id)
            for cell, (left, right, width) in seen["edges"].items():
                assert width > 0 and left >= 0 and right <= DESK["width"], (cell, left, right)
            assert seen["pageWidth"] <= DESK["width"]
            assert seen["title"] == " ".join(LONG.split())  # the whole text on hover
            assert seen["cut"] and seen["overflow"] == "ellipsis"  # cut short, with an ellipsis
            assert seen["whoHeight"] < 40  # one line


async def test_the_case_list_works_on_a_390_px_phone(
    chromium: Browser, make_settings: Any, receiver: HttpReceiver, start_app: Any, screenshots: Path,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running, served(running) as base:
        await build_case_world(running.hub)
        conversation = await shopper_conversation(running.client, running.hub, "u-phone", "Ценник 79, на кассе 95")
        case = await store_case(running.hub, conversation, "118", "Ценник на молоко 79 ₽, на кассе пробили 95 ₽")
        async with signed_in(chromium, base, "ivan", PHONE, "/cases") as page:
            await page.screenshot(path=str(screenshots / "phone-cases-390.png"), full_page=True)

            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scroll
            link = page.locator(f'a[href="/cases/{case.id}"]')
            await expect(link).to_be_in_viewport()
            labels = await page.locator("tr.case-row").first.evaluate(
                "row => [...row.cells].map(c => getComputedStyle(c, '::before').content)")
            for column in ("type", "state", "sla", "opened"):  # each value says what it is (ivan reads English)
                assert f'"{t(f"cases.col.{column}", "en")}"' in labels
            await page.select_option("select[name=state]", "all")  # the filters still work (HTMX redraw)
            await expect(link).to_be_visible()
            await link.click()
            await page.wait_for_url(f"**/cases/{case.id}")
            await expect(page.locator("h1")).to_contain_text(case.label)
            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            await page.screenshot(path=str(screenshots / "phone-case-390.png"), full_page=True)


async def test_the_api_docs_draw_swagger_ui_with_no_internet(
    chromium: Browser, make_settings: Any, start_app: Any, screenshots: Path,
) -> None:
    async with start_app(make_settings()) as running, served(running) as base:
        context = await chromium.new_context(base_url=base, viewport=DESK)  # type: ignore[arg-type]
        elsewhere: list[str] = []

        async def only_this_machine(route: Route) -> None:
            if route.request.url.startswith(base):
                await route.continue_()
            else:
                elsewhere.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_this_machine)
        page = await context.new_page()
        await page.goto("/docs")
        await expect(page.locator(".swagger-ui .info .title")).to_contain_text("Otklik", timeout=LIVE)
        await expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
        await page.screenshot(path=str(screenshots / "docs-offline-1366.png"))
        await context.close()

    assert elsewhere == []  # nothing was even tried outside this machine
