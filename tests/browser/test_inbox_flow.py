"""An operator's day in a real browser: sign in, a handed-over conversation appears live, two operators race
for it (one wins), reply, note, transfer, resolve; the shopper's side (the api channel's callback) receives
exactly the reply and the outcome. Screenshots of the main pages go to tests/artefacts/screenshots/."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, Page, expect

from hub.inbox import canned
from models.canned import CannedResponse
from models.conversations import ConversationState
from models.messages import Direction
from tests.fakes.http_receiver import HttpReceiver, free_port
from tests.fakes.serving import serving
from tests.integration.helpers import eventually
from tests.integration.inbox_world import (
    PASSWORD,
    World,
    build_world,
    customer_writes,
    handed_over,
    inbox_settings,
)

S = ConversationState
REPLY = "Shopper shopper-1, проверяю заказ, минуту"
LIVE = 15_000  # ms a live update may take on a loaded 2-core machine


@asynccontextmanager
async def served(running: Any) -> AsyncIterator[str]:
    """The running app on a free local port, as a browser reaches it."""
    port = free_port()
    async with serving(running.app, port):
        yield f"http://127.0.0.1:{port}"


async def signed_in_page(browser: Browser, base: str, login: str, shot: Path | None = None) -> Page:
    """A fresh browser context signed in through the login form."""
    context = await browser.new_context(base_url=base, locale="en-US", viewport={"width": 1400, "height": 900})
    page = await context.new_page()
    await page.goto("/login?next=/inbox")
    if shot is not None:
        await page.screenshot(path=str(shot), full_page=True)
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    await page.click("button[type=submit].primary")
    await page.wait_for_url("**/inbox")
    return page


def texts(receiver: HttpReceiver) -> list[str]:
    """What reached the shopper's side (the api channel's callback), in order."""
    return [json.loads(r.body)["text"] for r in receiver.requests]


async def received(receiver: HttpReceiver, text: str) -> None:
    """Wait until `text` has reached the shopper's side."""
    async def probe() -> list[str]:
        return texts(receiver)

    await eventually(probe, lambda sent: text in sent, timeout=LIVE / 1000)


async def test_operator_day_in_the_browser(
    chromium: Browser, make_settings: Any, receiver: HttpReceiver, start_app: Any, screenshots: Path,
) -> None:
    async with start_app(inbox_settings(make_settings, receiver)) as running, served(running) as base:
        world: World = await build_world(running.hub)
        await canned.save(running.hub, CannedResponse(shortcut="check", title="Checking", language="en",
                                                      text="{name}, проверяю заказ, минуту"), actor=world.eve)
        anna = await signed_in_page(chromium, base, "anna", screenshots / "login.png")
        boris = await signed_in_page(chromium, base, "boris")
        await expect(anna.locator("#queue .empty")).to_be_visible()

        # A shopper writes; the bot hands the conversation over; both operators see it appear live.
        conversation = await customer_writes(running.client, running.hub, "shopper-1", "Заказ 4512 не приехал <b>!</b>")
        await handed_over(running.hub, conversation, note="Заказ 4512 опаздывает, клиент недоволен")
        row = f'#queue [data-conversation="{conversation.id}"]'
        await expect(anna.locator(row)).to_be_visible(timeout=LIVE)
        await expect(boris.locator(row)).to_be_visible(timeout=LIVE)
        await expect(anna.locator(row)).to_contain_text("Shopper shopper-1")
        await anna.screenshot(path=str(screenshots / "queue.png"), full_page=True)
        supervisor = await signed_in_page(chromium, base, "sam")
        await supervisor.goto("/inbox/board")
        await expect(supervisor.locator(f'.board-longest [data-conversation="{conversation.id}"]')).to_be_visible()
        await expect(supervisor.locator('[data-group="general"] [data-queued]')).to_have_text("1")
        await supervisor.screenshot(path=str(screenshots / "board.png"), full_page=True)

        # Both claim at once: exactly one gets it, the other is told it was taken.
        await asyncio.gather(anna.click(f"{row} [data-action=claim]"), boris.click(f"{row} [data-action=claim]"))
        await asyncio.gather(anna.wait_for_load_state(), boris.wait_for_load_state())
        claimed = await running.hub.stores.conversations.get(conversation.id)
        assert claimed.state is S.ASSIGNED and claimed.assignee in (world.anna.id, world.boris.id)
        assert sum(1 for e in claimed.history if e.to_state is S.ASSIGNED) == 1
        winner, loser = (anna, boris) if claimed.assignee == world.anna.id else (boris, anna)
        other = world.boris if winner is anna else world.anna
        await expect(loser.locator(".inbox-error")).to_contain_text("already taken")
        await expect(winner.locator("[data-state=assigned]")).to_be_visible()
        await expect(winner.locator("#timeline")).to_contain_text("Заказ 4512 не приехал <b>!</b>")  # as text
        await expect(winner.locator("#timeline .handover")).to_contain_text("Заказ 4512 опаздывает")

        # Reply with the keyboard: r focuses the box, "/check" + Tab inserts the canned answer (the customer's name
        # filled in), Ctrl+Enter sends; it reaches the shopper.
        await winner.keyboard.press("r")
        await winner.keyboard.type("/check")
        await winner.keyboard.press("Tab")
        await expect(winner.locator("#reply-text")).to_have_value(REPLY)
        await winner.keyboard.press("Control+Enter")
        await received(receiver, REPLY)
        await expect(winner.locator("#timeline")).to_contain_text(REPLY, timeout=LIVE)

        # An internal note (n): shown in the timeline, never sent.
        await winner.keyboard.press("Escape")
        await winner.keyboard.press("n")
        await winner.keyboard.type("Позвонила в службу доставки")
        await winner.click("#note-send")
        await expect(winner.locator("#timeline .note").last).to_contain_text("Позвонила в службу доставки",
                                                                              timeout=LIVE)
        await winner.screenshot(path=str(screenshots / "conversation.png"), full_page=True)

        # The customer writes again: it appears live in the open conversation.
        await customer_writes(running.client, running.hub, "shopper-1", "Жду ответа", n=2)
        await expect(winner.locator("#timeline")).to_contain_text("Жду ответа", timeout=LIVE)

        # Transfer to the other operator with a note.
        await winner.click("details.transfer summary")
        await winner.select_option("#transfer-form select[name=target]", f"user:{other.id}")
        await winner.fill("#transfer-form textarea[name=note]", "Передаю: нужен возврат")
        await winner.click("#transfer-form button[type=submit]")
        await winner.wait_for_url("**/inbox")
        moved = await running.hub.stores.conversations.get(conversation.id)
        assert moved.assignee == other.id

        # The new holder sees it in their list live, opens it and resolves with an outcome (e).
        holder = loser
        await holder.goto("/inbox")
        await expect(holder.locator(f'#mine [data-conversation="{conversation.id}"]')).to_be_visible(timeout=LIVE)
        await holder.goto(f"/inbox/conversations/{conversation.id}")
        await expect(holder.locator("#timeline")).to_contain_text("Передаю: нужен возврат")
        await holder.keyboard.press("e")
        await holder.keyboard.type("Деньги за заказ 4512 вернём в течение 3 дней")
        await holder.click("#resolve-form button[type=submit]")
        await expect(holder.locator("[data-state=resolved]")).to_be_visible(timeout=LIVE)
        await received(receiver, "Деньги за заказ 4512 вернём в течение 3 дней")

        await expect(supervisor.locator(f'.board-longest [data-conversation="{conversation.id}"]')).to_have_count(
            0, timeout=LIVE)  # the board redraws by itself: nothing waits any more
        await expect(supervisor.locator(f'[data-operator="{world.anna.id}"]')).to_be_visible()
        for page in (anna, boris, supervisor):
            await page.context.close()  # closes the live streams before the server stops
        final = await running.hub.stores.conversations.get(conversation.id)
        stored = await running.hub.stores.messages.list_for_conversation(conversation.id)

    sent = texts(receiver)  # the bot's own answers may be there too; ours exactly once each, the notes never
    assert sent.count(REPLY) == 1
    assert sent.count("Деньги за заказ 4512 вернём в течение 3 дней") == 1
    assert not {"Позвонила в службу доставки", "Передаю: нужен возврат"} & set(sent)
    assert final.state is S.RESOLVED and final.outcome == "Деньги за заказ 4512 вернём в течение 3 дней"
    assert [m.text for m in stored if m.direction is Direction.INTERNAL][-2:] == [
        "Позвонила в службу доставки", "Передаю: нужен возврат"]
    for name in ("login", "queue", "conversation", "board"):
        assert (screenshots / f"{name}.png").stat().st_size > 10_000
