"""The dialog bot end to end through the api channel: trained NLU, shipped flows, demo CRM, real SQLite."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from bots import participant
from models.conversations import ConversationState
from models.messages import Direction, InboundMessage
from models.retail_stores import RetailStore
from tests.conftest import auth
from tests.integration.bot_support import (
    ANNA_PHONE,
    api_user,
    bot_settings,
    bot_texts,
    conversation_of,
    replies_after,
    thread_of,
)


def said(user: str, message_id: str, text: str, **extra: Any) -> dict[str, Any]:
    """An api-channel message."""
    return {"user_id": user, "message_id": message_id, "text": text, **extra}


async def test_order_status_in_russian_answers_then_hands_a_late_order_to_delivery(
    make_settings: Any, start_app: Any, nlu_model: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bots.participant")  # the engine's records are logged at INFO
    anna = api_user("anna")
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        await running.client.post("/channels/api/crm/messages", headers=auth(), json=said(
            "anna", "m1", "Где мой заказ 4512?", contact={"phone": ANNA_PHONE}))
        thread = await replies_after(running.hub, anna, inbound=1, at_least=4)
        conversation = await conversation_of(running.hub, anna)

    texts = bot_texts(thread)
    assert "виртуальный помощник" in texts[0]  # conversation_started: the welcome
    assert texts[1].startswith("Заказ №4512 в пути") and "Интервал доставки" in texts[1]
    assert "опаздывает" in texts[2] and "службу доставки" in texts[2]
    assert conversation.state is ConversationState.QUEUED and conversation.group == "delivery"
    assert conversation.topic == "delivery_problem" and conversation.priority == "high"
    notes = [m.text for m in thread if m.direction is Direction.INTERNAL]
    assert any("Заказ №4512 опаздывает" in n and "Где мой заказ 4512?" in n for n in notes)
    logged = [r for r in caplog.records if r.name == "bots.participant" and r.getMessage() == "bot action"]
    assert logged and logged[0].__dict__["detail"]["name"] == "order_status"


async def test_order_status_in_english_never_tells_a_stranger_about_someone_elses_order(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    stranger = api_user("stranger")
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        await running.client.post("/channels/api/crm/messages", headers=auth(), json=said(
            "stranger", "m1", "Hello", contact={"phone": "+79990001122"}))
        menu = await replies_after(running.hub, stranger, inbound=1, at_least=2)
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json=said("stranger", "m2", "Where is my order 4512?"))
        after = await replies_after(running.hub, stranger, inbound=2, at_least=4)
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json=said("stranger", "m3", "Yes, a person"))
        await replies_after(running.hub, stranger, inbound=3, at_least=5)
        conversation = await conversation_of(running.hub, stranger)

    greeting = [m for m in menu if m.direction is Direction.OUTBOUND][1]
    assert greeting.text.startswith("How can I help?") and "Where is my order" in [b.title for b in greeting.buttons]
    answer = bot_texts(after)[2]
    assert "couldn't find order 4512" in answer and "on its way" not in "\n".join(bot_texts(after))
    assert conversation.state is ConversationState.QUEUED and conversation.topic == "order_status"
    assert conversation.group == "delivery"


async def test_store_hours_loyalty_and_a_quality_complaint_in_russian(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    anna = api_user("anna")
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        await running.hub.stores.directory.upsert_stores([RetailStore(
            id="118", name="Профсоюзная", city="Москва", address="ул. Профсоюзная, 56", opening_hours="08:00-23:00")])
        script = ["до скольки работает магазин 118?", "сколько баллов на карте", "купила просроченный творог",
                  "118", "вчера", "Творог с истёкшим сроком, пахнет кислым"]
        for n, text in enumerate(script, start=1):
            await running.client.post("/channels/api/crm/messages", headers=auth(),
                                      json=said("anna", f"m{n}", text, contact={"phone": ANNA_PHONE}))
            thread = await replies_after(running.hub, anna, inbound=n, at_least=n + 1)
        conversation = await conversation_of(running.hub, anna)
        case = await running.hub.stores.cases.get_by_number(1)

    texts = "\n".join(bot_texts(thread))
    assert "Магазин №118, ул. Профсоюзная, 56. Часы работы: 08:00-23:00" in texts
    assert "уровень «Золотой»" in texts
    assert "Когда была покупка?" in texts and "Жалоба зарегистрирована, номер обращения #1." in texts
    assert "отдел качества" in texts
    assert conversation.state is ConversationState.QUEUED and conversation.topic == "product_quality"
    assert conversation.group == "quality"
    notes = [m.text for m in thread if m.direction is Direction.INTERNAL]
    assert any("магазин №118" in n and "Творог с истёкшим сроком" in n and "Обращение #1" in n for n in notes)
    assert (case.request_type, case.store_id, case.conversation_id) == ("spoiled_goods", "118", conversation.id)


async def test_a_redelivered_message_is_answered_once(make_settings: Any, start_app: Any, nlu_model: Path) -> None:
    user = api_user("u1")
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        for _ in range(3):  # the channel delivers the webhook three times
            await running.client.post("/channels/api/crm/messages", headers=auth(),
                                      json=said("u1", "m1", "Здравствуйте"))
        first = await replies_after(running.hub, user, inbound=1, at_least=2)
        # a worker that died after answering but before marking the message handled: the bot runs again
        inbound = next(m for m in first if m.direction is Direction.INBOUND)
        conversation = await conversation_of(running.hub, user)
        message = InboundMessage(channel=inbound.channel, account_id=inbound.account_id, external_user_id="u1",
                                 external_id="m1", text=inbound.text)
        bot = running.hub.participant
        assert bot is not None
        await bot.answer(message, inbound, conversation)
        saved = await running.hub.stores.dialog_states.get(conversation.id)
        # ...and one that died after queueing the replies but before saving the state: the same replies, once
        await running.hub.stores.dialog_states.delete(conversation.id)
        await bot.answer(message, inbound, conversation)
        again = await thread_of(running.hub, user)
        state = await running.hub.stores.dialog_states.get(conversation.id)
        # ...and m1 redelivered once a later message was answered (a reclaimed entry comes back late)
        await running.client.post("/channels/api/crm/messages", headers=auth(), json=said("u1", "m2", "Пока"))
        later = await replies_after(running.hub, user, inbound=2, at_least=3)
        await bot.answer(message, inbound, conversation)
        last = await thread_of(running.hub, user)
        final = await running.hub.stores.dialog_states.get(conversation.id)

    assert bot_texts(again) == bot_texts(first) and len(bot_texts(first)) == 2
    assert saved is not None and saved.version == 1 and saved.turn_key == inbound.id
    assert state is not None and state.data == saved.data
    assert bot_texts(last) == bot_texts(later)
    assert final is not None and final.version == 2 and final.earlier_turns == [inbound.id]


async def test_the_dialog_state_stays_small_over_a_long_conversation(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    user, cycle = api_user("long"), ["Здравствуйте", "сколько баллов на карте", "как вернуть товар", "Всё понятно"]
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        for n in range(40):
            await running.client.post("/channels/api/crm/messages", headers=auth(),
                                      json=said("long", f"long-{n}", cycle[n % len(cycle)]))
        await replies_after(running.hub, user, inbound=40, at_least=40)
        conversation = await conversation_of(running.hub, user)
        saved = await running.hub.stores.dialog_states.get(conversation.id)

    assert conversation.state is ConversationState.BOT
    assert saved is not None and saved.version == 40 and len(saved.earlier_turns) == participant.KEPT_TURNS
    assert len(saved.data["recent"]) <= 6 and len(saved.model_dump_json()) < 4000  # no history piles up in it


async def test_a_late_delivery_in_english_gets_a_real_promo_code_a_case_and_the_delivery_team(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    anna = api_user("anna-en")
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        await running.client.post("/channels/api/crm/messages", headers=auth(), json=said(
            "anna-en", "m1", "The courier never came, order 4512", contact={"phone": ANNA_PHONE}))
        thread = await replies_after(running.hub, anna, inbound=1, at_least=5)
        conversation = await conversation_of(running.hub, anna)
        code = await running.hub.stores.dialog_states.kept_code(conversation.id, "promo")
        case = await running.hub.stores.cases.get_by_number(1)

    texts = "\n".join(bot_texts(thread))
    assert code is not None and json.loads(code)["code"] in texts  # the code the CRM issued, kept and told
    assert "Your request is registered as case #1." in texts and "delivery team" in texts
    assert (case.request_type, case.order_id, case.conversation_id) == ("late_delivery", "4512", conversation.id)
    assert conversation.state is ConversationState.QUEUED and conversation.group == "delivery"
    assert conversation.topic == "delivery_problem" and conversation.priority == "high"
