"""The shopper's web chat in a real browser, at a desk (1366×768) and on a phone (390×844): the bot's buttons are
drawn and pressing «Оператор» hands over; the page says where the shopper is in the queue, who joined, shows a
typing indicator while the bot answers, and keeps customer text as text. Screenshots go to the artefacts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, BrowserContext, Page, expect

from connectors import webchat
from hub.core import Hub
from hub.inbox import assignment, replies
from models.conversations import Conversation
from tests.browser.test_inbox_flow import LIVE, served
from tests.integration.bot_support import bot_settings
from tests.integration.inbox_world import build_world
from tests.integration.webchat_support import SECRET, visitor_identity

DESK, PHONE = {"width": 1366, "height": 768}, {"width": 390, "height": 844}
HOSTILE = '<img src=x onerror="window.pwned=1"><b>жирный</b>'
# Set before the page's own script runs: records whether the typing indicator was ever shown.
WATCH_TYPING = """
window.typingShown = false;
document.addEventListener("DOMContentLoaded", () => {
  const typing = document.getElementById("typing");
  new MutationObserver(() => { if (!typing.hidden) window.typingShown = true; })
    .observe(typing, {attributes: true});
});
"""


async def chat(browser: Browser, base: str, viewport: dict[str, int]) -> tuple[BrowserContext, Page]:
    """A new shopper (their own cookie jar) on the chat page, in Russian."""
    context = await browser.new_context(base_url=base, locale="ru-RU", viewport=viewport)  # type: ignore[arg-type]
    await context.add_init_script(WATCH_TYPING)
    page = await context.new_page()
    await page.goto("/chat")
    return context, page


async def write(page: Page, text: str) -> None:
    """Type a message and press Enter."""
    await page.fill("#text", text)
    await page.press("#text", "Enter")


async def conversation_of(hub: Hub, context: BrowserContext) -> Conversation:
    """The conversation of the shopper whose browser this is."""
    cookie = next(c["value"] for c in await context.cookies() if c["name"] == "otklik_chat")
    customer = await hub.stores.customers.find_by_identity(visitor_identity(webchat.verify_visitor(cookie, SECRET)))
    assert customer is not None
    conversation = await hub.stores.conversations.current_for(customer.id)
    assert conversation is not None
    return conversation


async def fits(page: Page, width: int) -> None:
    """Nothing on the page is wider than the window, and every button is inside it."""
    assert await page.evaluate("document.scrollingElement.scrollWidth") <= width
    for button in await page.locator("button:visible").all():
        box = await button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, await button.text_content()


async def test_shopper_presses_operator_waits_in_the_queue_and_an_operator_joins(
    chromium: Browser, make_settings: Any, start_app: Any, screenshots: Path, nlu_model: Path
) -> None:
    settings = bot_settings(make_settings, nlu_model, webchat_keepalive_seconds=1.0)
    async with start_app(settings) as running, served(running) as base:
        hub: Hub = running.hub
        world = await build_world(hub)
        desk, page = await chat(chromium, base, DESK)
        phone, mobile = await chat(chromium, base, PHONE)
        try:
            # The bot greets with its menu: buttons, drawn on a desk and on a phone.
            await write(page, "Здравствуйте")
            operator_button = page.locator(".buttons .quick", has_text="Оператор")
            await expect(operator_button).to_be_visible(timeout=LIVE)
            assert await page.evaluate("window.typingShown")  # while the bot's answer was pending
            await expect(page.locator("#typing")).to_be_hidden()
            await page.screenshot(path=str(screenshots / "webchat-menu-1366.png"))
            await write(mobile, "Здравствуйте")
            await expect(mobile.locator(".buttons .quick", has_text="Оператор")).to_be_visible(timeout=LIVE)
            await fits(mobile, PHONE["width"])
            await mobile.screenshot(path=str(screenshots / "webchat-menu-390.png"))

            # «Оператор» posts its payload; the page shows the title, drops the spent buttons, and the queue.
            await operator_button.click()
            await expect(page.locator(".msg.inbound .bubble").last).to_have_text("Оператор")
            await expect(page.locator(".buttons")).to_have_count(0)
            await expect(page.locator("#queue")).to_have_text("Вы в очереди к оператору: вы следующий.", timeout=LIVE)
            await expect(page.locator(".note", has_text="Вы в очереди")).to_be_visible()
            await page.screenshot(path=str(screenshots / "webchat-queue-1366.png"))
            conversation = await conversation_of(hub, desk)
            assert conversation.state == "queued" and conversation.group == "general"
            stored = await hub.stores.messages.list_for_conversation(conversation.id)
            assert "human" in [m.text for m in stored]  # the button's payload, as a messenger sends it

            # An operator takes it and answers; customer and operator text stay text.
            await assignment.claim(hub, conversation.id, world.anna)
            await expect(page.locator(".note", has_text="Оператор Anna подключился к чату.")).to_be_visible(
                timeout=LIVE)
            await expect(page.locator("#queue")).to_be_hidden()
            await replies.reply(hub, conversation.id, "<b>Проверю</b> заказ", operator=world.anna,
                                         key="reply-1")
            await expect(page.locator(".msg.operator .bubble")).to_have_text("<b>Проверю</b> заказ", timeout=LIVE)
            await expect(page.locator(".msg.operator .author")).to_have_text("Оператор Anna")
            await write(page, HOSTILE)
            await expect(page.locator(".msg.inbound .bubble").last).to_have_text(HOSTILE)
            await expect(page.locator(".msg.inbound .bubble.pending")).to_have_count(0, timeout=LIVE)
            assert await page.locator("#log img, #log b").count() == 0
            assert await page.evaluate("window.pwned") is None
            await fits(page, DESK["width"])
            await page.screenshot(path=str(screenshots / "webchat-operator-1366.png"))
            await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
            await fits(page, PHONE["width"])
            await page.screenshot(path=str(screenshots / "webchat-operator-390.png"))

            # A reload shows the same session from history: the spent buttons stay gone, the state is known.
            await page.reload()
            await expect(page.locator(".msg.operator .bubble")).to_have_text("<b>Проверю</b> заказ", timeout=LIVE)
            await expect(page.locator(".msg.inbound .bubble", has_text="Оператор")).to_have_count(1)
            await expect(page.locator(".buttons")).to_have_count(0)
        finally:
            for context in (desk, phone):
                await context.close()  # closes the live streams before the server stops

    for name in ("menu-1366", "menu-390", "queue-1366", "operator-1366", "operator-390"):
        assert (screenshots / f"webchat-{name}.png").stat().st_size > 10_000
