"""The clarifying question end to end through the api channel, with the model trained from nlu/data: a close
call is asked about with buttons, a pressed candidate starts its flow in the shopper's language, and the
other button hands over marked unsure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.conversations import ConversationState
from models.messages import Direction
from tests.conftest import auth
from tests.integration.bot_support import api_user, bot_settings, bot_texts, conversation_of, replies_after


def said(user: str, message_id: str, text: str, **extra: Any) -> dict[str, Any]:
    """An api-channel message."""
    return {"user_id": user, "message_id": message_id, "text": text, **extra}


async def test_a_close_call_in_russian_is_asked_and_the_pressed_topic_answers_in_russian(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    olga = api_user("olga")
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json=said("olga", "m1", "заказ ещё не пришёл"))
        asked = await replies_after(running.hub, olga, inbound=1, at_least=2)
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json=said("olga", "m2", "order_status", button=True))
        thread = await replies_after(running.hub, olga, inbound=2, at_least=3)
        conversation = await conversation_of(running.hub, olga)

    [first] = [m for m in asked if m.direction is Direction.INBOUND]
    assert first.nlu is not None and first.nlu.close_call  # the trained model doubts this one
    question = [m for m in asked if m.direction is Direction.OUTBOUND][-1]
    assert question.text == "Уточните, пожалуйста, о чём ваш вопрос?"
    assert {b.title for b in question.buttons} == {"Статус заказа", "Проблема с доставкой", "Другое / оператор"}
    assert "номер заказа" in bot_texts(thread)[-1]  # the order flow asks in Russian, not English for "order_status"
    assert conversation.state is ConversationState.BOT


async def test_the_other_button_in_english_hands_over_marked_unsure(
    make_settings: Any, start_app: Any, nlu_model: Path
) -> None:
    tom = api_user("tom")
    async with start_app(bot_settings(make_settings, nlu_model)) as running:
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json=said("tom", "m1", "my order is late"))
        asked = await replies_after(running.hub, tom, inbound=1, at_least=2)
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json=said("tom", "m2", "human", button=True))
        thread = await replies_after(running.hub, tom, inbound=2, at_least=3)
        conversation = await conversation_of(running.hub, tom)

    question = [m for m in asked if m.direction is Direction.OUTBOUND][-1]
    assert [b.payload for b in question.buttons][-1] == "human" and "Something else / operator" in {
        b.title for b in question.buttons}
    assert "Connecting you to an operator" in bot_texts(thread)[-1]
    assert conversation.state in (ConversationState.QUEUED, ConversationState.ASSIGNED)
    assert conversation.handover_summary["unsure"] is True and conversation.handover_summary["reason"] == "unsure"
