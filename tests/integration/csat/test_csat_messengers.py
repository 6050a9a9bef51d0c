"""CSAT through Telegram (inline keyboard), Viber (keyboard) and WhatsApp (a Content template outside the 24-hour
window and a typed digit back; the quick-reply template inside it) end to end against the local fakes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from hub.csat.asking import QUESTION
from models.conversations import ConversationState
from models.messages import Direction
from tests.fakes.telegram_api import FakeTelegramApi, fake_telegram_api
from tests.fakes.twilio_api import FakeTwilioApi, twilio_api
from tests.fakes.viber_api import FakeViberApi, fake_viber_api
from tests.integration.channels import test_telegram_channel as tg
from tests.integration.channels import test_viber_channel as vb
from tests.integration.channels import test_whatsapp_channel as wa
from tests.integration.csat_support import csat_inbox, csat_kinds, question, resolved_by_operator, staff
from tests.integration.helpers import eventually

CSAT_TEMPLATE = "HX" + "3" * 32


@pytest.fixture
async def bot_api() -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API server."""
    async with fake_telegram_api() as server:
        yield server


@pytest.fixture
async def viber_api() -> AsyncIterator[FakeViberApi]:
    """The fake Viber Bot API."""
    async with fake_viber_api(vb.TOKEN) as api:
        yield api


@pytest.fixture
async def twilio() -> AsyncIterator[FakeTwilioApi]:
    """The fake Twilio API for the test account."""
    async with twilio_api(wa.ACCOUNT_SID, wa.TOKEN) as server:
        yield server


def pressed(conversation_id: str, score: int, n: int) -> dict[str, Any]:
    """Telegram's callback query for a press of the rating keyboard's `score` (the n-th press)."""
    update = tg.update("callback_query__button")
    update["update_id"] += n
    update["callback_query"]["id"] = f"press-{n}"
    update["callback_query"]["data"] = f"csat:{conversation_id}:{score}"
    return update


def typed(text: str, n: int) -> dict[str, Any]:
    """Telegram's update for the n-th typed message."""
    update = tg.update("message__text")
    update["update_id"] += 100 + n
    update["message"]["message_id"] += 100 + n
    update["message"]["text"] = text
    return update


async def test_telegram_inline_keyboard_score_then_comment_and_a_double_press_changes_nothing(
    make_settings: Any, start_app: Any, tmp_path: Path, bot_api: FakeTelegramApi
) -> None:
    settings = make_settings(accounts=[tg.account_config(bot_api.url)], inbox_config_path=csat_inbox(tmp_path))
    async with start_app(settings) as running:
        hub = running.hub
        await staff(hub)
        assert (await tg.post(running, tg.update("message__text"))).status_code == 200
        await bot_api.wait_for("sendMessage", 1)
        conversation = await tg.conversation_of(running)
        await resolved_by_operator(hub, conversation.id)
        await question(hub, conversation.id)
        asked = (await bot_api.wait_for("sendMessage", 3))[2]
        first = await tg.post(running, pressed(conversation.id, 4, 1))
        await bot_api.wait_for("sendMessage", 4)  # thanks
        again = await tg.post(running, pressed(conversation.id, 2, 2))
        await tg.post(running, typed("Курьер был вежлив", 1))
        await bot_api.wait_for("sendMessage", 5)  # thanks for the comment
        after = await eventually(lambda: hub.stores.conversations.get(conversation.id),
                                 lambda c: "csat_commented" in csat_kinds(c))
        conversations = await hub.stores.conversations.list_for_customer(conversation.customer_id)
        sent = [c.params["text"] for c in bot_api.of("sendMessage")]

    keyboard = asked.params["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == [f"csat:{conversation.id}:{n}" for n in range(1, 6)]
    assert QUESTION in asked.params["text"]
    assert first.json()["method"] == again.json()["method"] == "answerCallbackQuery"  # both presses answered
    assert csat_kinds(after) == ["csat_requested", "csat_answered", "csat_commented"]
    answered, commented = (e for e in after.history if e.kind in ("csat_answered", "csat_commented"))
    assert (answered.data["score"], commented.data["comment"]) == (4, "Курьер был вежлив")
    assert after.state is ConversationState.RESOLVED and len(conversations) == 1  # a good score reopens nothing
    assert len(sent) == 5 and sent[3].startswith("Спасибо за оценку") and sent[4].startswith("Спасибо, мы передали")


async def test_whatsapp_outside_the_window_asks_with_the_csat_template_and_a_typed_low_digit_reopens(
    make_settings: Any, start_app: Any, tmp_path: Path, twilio: FakeTwilioApi
) -> None:
    twilio.customer_wrote(wa.SHOPPER, datetime.now(UTC) - timedelta(days=2))  # Twilio's view: the window is shut
    settings = wa.whatsapp_settings(make_settings, twilio, templates={"case_update": wa.CASE_UPDATE,
                                                                      "csat": CSAT_TEMPLATE})
    settings = settings.model_copy(update={"inbox_config_path": csat_inbox(tmp_path)})
    async with start_app(settings) as running:
        hub = running.hub
        await staff(hub)
        inbound, _ = await wa.store_old_conversation(running, days=2)
        await resolved_by_operator(hub, inbound.conversation_id)
        await question(hub, inbound.conversation_id)
        calls = await twilio.wait_for(2)  # the outcome (session template), then the question
        answer = wa.fixture("message__text", Body="2", MessageSid="SM" + "4" * 32)
        await wa.customer_writes(running, twilio, answer)
        after = await eventually(lambda: hub.stores.conversations.get(inbound.conversation_id),
                                 lambda c: "csat_escalated" in csat_kinds(c))
        await wa.post(running, answer)  # Twilio delivers the same webhook again
        thanks = (await twilio.wait_for(3))[2]
        messages = await hub.stores.messages.list_for_conversation(inbound.conversation_id)
        final = await hub.stores.conversations.get(inbound.conversation_id)

    asked = calls[1]
    assert asked.answered == 201 and asked.one("Body") is None and asked.one("ContentSid") == CSAT_TEMPLATE
    assert json.loads(asked.one("ContentVariables") or "") == {"1": QUESTION}
    assert (after.state, after.group) == (ConversationState.QUEUED, "supervisors")
    assert csat_kinds(final) == ["csat_requested", "csat_answered", "csat_escalated"]
    assert [m.text for m in messages if m.direction is Direction.INBOUND].count("2") == 1
    assert thanks.answered == 201 and "старшему смены" in (thanks.one("Body") or "")  # inside the window now


async def test_viber_keyboard_press_is_the_score(
    make_settings: Any, start_app: Any, tmp_path: Path, viber_api: FakeViberApi
) -> None:
    settings = make_settings(accounts=[vb.account(viber_api)], public_url="http://otklik.test",
                             inbox_config_path=csat_inbox(tmp_path))
    async with start_app(settings) as running:
        hub = running.hub
        await staff(hub)
        await vb.post(running, vb.callback("message__text"))
        await viber_api.wait_for(1)
        customer = await vb.customer_of(running)
        assert customer is not None
        conversation = await hub.stores.conversations.current_for(customer.id)
        assert conversation is not None
        await resolved_by_operator(hub, conversation.id)
        await question(hub, conversation.id)
        asked = (await viber_api.wait_for(3))[2]
        button = asked.body["keyboard"]["Buttons"][4]
        await vb.post(running, vb.callback("message__text", message_token=4912661846655238999,
                                           message={"text": button["ActionBody"]}))
        after = await eventually(lambda: hub.stores.conversations.get(conversation.id),
                                 lambda c: "csat_answered" in csat_kinds(c))

    assert [b["ActionBody"] for b in asked.body["keyboard"]["Buttons"]] == [
        f"csat:{conversation.id}:{n}" for n in range(1, 6)]
    assert next(e for e in after.history if e.kind == "csat_answered").data["score"] == 5
    assert after.state is ConversationState.RESOLVED


async def test_whatsapp_inside_the_window_asks_for_a_digit_or_with_the_quick_reply_template(
    make_settings: Any, start_app: Any, tmp_path: Path, twilio: FakeTwilioApi
) -> None:
    quick = "HX" + "5" * 32
    settings = wa.whatsapp_settings(make_settings, twilio, quick_reply_templates={"5": quick})
    settings = settings.model_copy(update={"inbox_config_path": csat_inbox(tmp_path)})
    async with start_app(settings) as running:
        hub = running.hub
        await staff(hub)
        await wa.customer_writes(running, twilio, wa.fixture("message__text"))
        await twilio.wait_for(1)  # the acknowledgement
        inbound, _ = await eventually(lambda: wa.thread(running), wa.settled(2))
        await resolved_by_operator(hub, inbound.conversation_id)
        await question(hub, inbound.conversation_id)
        asked = (await twilio.wait_for(3))[2]
        tap = wa.fixture("message__text", Body="5", ButtonText="5", MessageSid="SM" + "6" * 32)
        await wa.customer_writes(running, twilio, tap)
        after = await eventually(lambda: hub.stores.conversations.get(inbound.conversation_id),
                                 lambda c: "csat_answered" in csat_kinds(c))

    variables = json.loads(asked.one("ContentVariables") or "")
    assert asked.one("ContentSid") == quick and variables["2"] == "1"
    assert variables["11"] == f"csat:{inbound.conversation_id}:5"
    assert next(e for e in after.history if e.kind == "csat_answered").data["score"] == 5
