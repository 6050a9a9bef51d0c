"""The newcomer's journey (issue 13, section 6) on the demo as `otklik demo` seeds it, in a real browser: a shopper
asks the bot in the web chat, presses its buttons and «Оператор»; an operator signed in as a demo login sees the
conversation arrive live, reads the customer panel, replies, opens a case for the store and resolves; the demo store's
staff find the case on their list and solve it; every answer and outcome reaches the shopper's chat page.
Screenshots of each main step at 1366×768 and 390×844 go to tests/artefacts/screenshots/journey-*.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("playwright")

from playwright.async_api import Browser, Page, expect

from api.demo.seed import seed
from api.demo.staff import DEMO_STORE_GROUP
from hub.core import Hub
from hub.stores.cases import CaseQuery
from models.cases import CaseState
from models.conversations import ConversationState
from tests.browser.journey_support import (
    LIVE,
    PASSWORD,
    Shots,
    demo_settings,
    shopper_chat,
    signed_in,
)
from tests.browser.test_inbox_flow import served
from tests.browser.test_webchat import conversation_of, write

S = ConversationState
PRICE = "В магазине №118 на ценнике молоко 79 ₽, а на кассе пробили 95 ₽"
REPLY = "Понимаю, неприятно. Передаю в магазин №118, там проверят ценник и вернут разницу."
OUTCOME = "Магазин №118 проверит ценник и вернёт разницу; мы напишем вам сюда."
SOLUTION = "Ценник исправили, разницу 16 ₽ вернули на бонусную карту."


async def test_newcomer_journey_from_the_web_chat_to_a_solved_store_case(
    chromium: Browser, make_settings: Any, start_app: Any, screenshots: Path, nlu_model: Path,
) -> None:
    settings = demo_settings(make_settings, nlu_model)
    await seed(settings, PASSWORD)  # what `otklik demo` loads: people, groups, canned answers, a trained model
    async with start_app(settings) as running, served(running) as base:
        hub: Hub = running.hub
        operator = await signed_in(chromium, base, "operator1", "/inbox")  # at the desk before the shopper writes
        shopper, chat = await shopper_chat(chromium, base)
        store: Page | None = None
        taken = Shots(screenshots)
        try:
            # 1. The shopper greets; the bot answers with its menu. A button asks for a store, the bot answers.
            await write(chat, "Здравствуйте")
            await expect(chat.locator(".msg.bot .bubble", has_text="виртуальный помощник")).to_be_visible(
                timeout=LIVE)
            stores_button = chat.locator(".buttons .quick", has_text="Магазины и часы работы")
            await expect(stores_button).to_be_visible(timeout=LIVE)
            await taken(chat, "1-chat-menu")
            await stores_button.click()
            await expect(chat.locator(".msg.bot .bubble", has_text="номер магазина")).to_be_visible(timeout=LIVE)
            await write(chat, "118")
            answer = chat.locator(".msg.bot .bubble", has_text="Магазин №118")
            await expect(answer).to_be_visible(timeout=LIVE)
            await expect(answer).to_contain_text("Тверская")
            await taken(chat, "1-chat-answer")

            # … then asks for a person: the menu again, «Оператор» pressed, the queue shown.
            await write(chat, "Здравствуйте")
            operator_button = chat.locator(".buttons .quick", has_text="Оператор")
            await expect(operator_button).to_be_visible(timeout=LIVE)
            await operator_button.click()
            await expect(chat.locator("#queue")).to_contain_text("Вы в очереди к оператору", timeout=LIVE)
            await taken(chat, "1-chat-queued")
            conversation = await conversation_of(hub, shopper)
            assert conversation.state is S.QUEUED and conversation.group == "contact_centre"  # operator1's line

            # 2. The conversation appears live in the operator's queue; the operator opens it and claims it.
            row = operator.locator(f'#queue [data-conversation="{conversation.id}"]')
            await expect(row).to_be_visible(timeout=LIVE)
            await expect(row.locator(".preview")).to_have_text("Оператор")  # the shopper's last words as pressed
            await taken(operator, "2-inbox-queue")
            await row.locator("a.open").click()
            await operator.wait_for_url(f"**/inbox/conversations/{conversation.id}")
            await operator.click("#claim")
            await expect(operator.locator("[data-state=assigned]")).to_be_visible(timeout=LIVE)
            await expect(chat.locator(".note", has_text="Оператор Ирина подключился")).to_be_visible(timeout=LIVE)

            # The timeline holds what the shopper and the bot said; the customer panel shows who this is.
            timeline = operator.locator("#timeline")
            await expect(timeline).to_contain_text("Магазин №118")
            pressed = timeline.locator(".text", has_text="Магазины и часы работы")  # what the shopper pressed, and
            await expect(pressed).to_have_count(1)  # not the button's payload ("stores")
            await expect(operator.locator("#customer .identities")).to_contain_text("webchat")
            await expect(operator.locator("#customer .previous")).to_be_visible()

            # The shopper leaves a name and an e-mail and explains; it appears live. The e-mail is the shopper's word
            # only: the panel shows it as claimed, not verified.
            await chat.click("#contact summary")
            await chat.fill("#name", "Мария")
            await chat.fill("#email", "maria@example.ru")
            await write(chat, PRICE)
            await expect(timeline).to_contain_text(PRICE, timeout=LIVE)
            await operator.reload()  # the customer panel is drawn with the page; it does not follow live
            claims = operator.locator("#customer .claims")
            await expect(claims).to_contain_text("maria@example.ru", timeout=LIVE)
            await expect(claims).to_contain_text("заявлено, не подтверждено")
            await operator.fill("#reply-text", REPLY)
            await operator.click("#reply-send")
            await expect(timeline).to_contain_text(REPLY, timeout=LIVE)
            await taken(operator, "2-conversation")
            await expect(chat.locator(".msg.operator .bubble", has_text=REPLY)).to_be_visible(timeout=LIVE)
            await expect(chat.locator(".msg.operator .author").last).to_contain_text("Ирина")
            await taken(chat, "2-chat-reply")

            # 3. The operator opens a case for the store from the conversation, then resolves the conversation.
            await operator.click("a.open-case")
            await operator.wait_for_url("**/cases/new?conversation=*")
            await operator.select_option("#request_type", "price_tag_mismatch")
            await expect(operator.locator("#request_type option:checked")).to_have_text(
                "Цена на ценнике не совпадает с кассой (нужно: номер магазина)")  # the form's words, not store_id
            await operator.fill("#store_id", "118")
            await operator.fill("#description", PRICE)
            await taken(operator, "3-case-new")
            await operator.click("form[action='/cases/new'] button.primary")
            await operator.wait_for_url("**/cases/*")
            await expect(operator.locator("h1")).to_contain_text("Цена на ценнике не совпадает с кассой")
            await taken(operator, "3-case-opened")
            cases = await hub.stores.cases.find(CaseQuery(conversation_id=conversation.id))
            assert len(cases) == 1 and cases[0].group == DEMO_STORE_GROUP

            await operator.goto(f"/inbox/conversations/{conversation.id}")
            case_link = timeline.locator(f'[data-case="{cases[0].id}"] a.case-link')  # the case, in the timeline
            await expect(case_link).to_have_text(f"{cases[0].label} · Цена на ценнике не совпадает с кассой")
            await operator.click("details.resolve summary")
            await operator.fill("#resolve-form textarea[name=outcome]", OUTCOME)
            await operator.click("#resolve-form button[type=submit]")
            await expect(operator.locator("[data-state=resolved]")).to_be_visible(timeout=LIVE)
            await taken(operator, "3-resolved")
            await expect(chat.locator("#log")).to_contain_text(OUTCOME, timeout=LIVE)
            await expect(chat.locator(".note", has_text="Обращение решено")).to_be_visible(timeout=LIVE)
            await taken(chat, "3-chat-resolved")

            # 4. The store's staff sign in, find the case on their list, take it and solve it; the shopper is told.
            store = await signed_in(chromium, base, "store118", "/cases")
            case_row = store.locator(".case-row", has_text=cases[0].label)
            await expect(case_row).to_be_visible(timeout=LIVE)
            await taken(store, "4-store-cases")
            await case_row.locator("a").first.click()
            await store.wait_for_url(f"**/cases/{cases[0].id}")
            await expect(store.locator("body")).to_contain_text(PRICE)
            await store.fill("#solution", SOLUTION)
            await store.click("form[action$='/solve'] button.primary")
            await expect(store.locator(".badge.state-solved").first).to_be_visible(timeout=LIVE)
            await taken(store, "4-case-solved")
            told = chat.locator(".msg .bubble", has_text=SOLUTION)
            await expect(told).to_be_visible(timeout=LIVE)
            await expect(told).to_contain_text(f"Ваше обращение {cases[0].label} решено")
            await taken(chat, "4-chat-told")

            solved = await hub.stores.cases.get(cases[0].id)
            final = await hub.stores.conversations.get(conversation.id)
        finally:
            for page in (chat, operator, store):
                if page is not None:
                    await page.context.close()  # closes the live streams before the server stops

    assert solved.state is CaseState.SOLVED and solved.solution == SOLUTION
    assert final.state is S.RESOLVED and final.outcome == OUTCOME
    assert len(taken.paths) == 2 * 13 and all(p.stat().st_size > 10_000 for p in taken.paths), taken.paths
