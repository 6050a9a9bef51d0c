"""CSAT through the web chat end to end: resolve → the worker asks with five buttons → a pressed low score
reopens the conversation to the supervisors with the comment → the answers reach a CRM webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.inbox.timeline import load_timeline
from hub.inbox.resolution import resolve
from models.conversations import ConversationState
from models.messages import Direction
from models.staff import Role
from tests.fakes.webhook_receiver import WebhookReceiver, webhook_receiver
from tests.integration.csat_support import csat_inbox, csat_kinds, outbound, question, resolved_by_operator, staff
from tests.integration.helpers import eventually
from tests.integration.helpers_webhooks import fast_settings, manage_token, subscribe
from tests.integration.webchat_support import handled, open_chat, say, visitor_identity
from tests.redis_keys import REDIS_URL, drop_keys
from tests.web_login import create_user, sign_in


@pytest.fixture
async def crm() -> AsyncIterator[WebhookReceiver]:
    """The CRM's webhook endpoint."""
    async with webhook_receiver() as receiver:
        yield receiver


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def bus(request: pytest.FixtureRequest, make_settings: Any) -> AsyncIterator[dict[str, Any]]:
    """Settings for the bus under test: in-process, or Redis Streams with the worker in the app."""
    if request.param == "memory":
        yield {}
        return
    prefix = make_settings().redis_prefix
    yield {"bus": "redis", "redis_url": REDIS_URL, "redis_prefix": prefix, "embedded_worker": True,
           "webhook_order_hold": 0.0}
    await drop_keys(prefix)


async def test_low_score_button_reopens_to_supervisors_with_the_comment_and_the_crm_gets_the_answers(
    make_settings: Any, start_app: Any, tmp_path: Path, crm: WebhookReceiver, bus: dict[str, Any]
) -> None:
    settings = fast_settings(make_settings, inbox_config_path=csat_inbox(tmp_path), **bus)
    async with start_app(settings) as running:
        hub, client = running.hub, running.client
        await staff(hub)
        await subscribe(running, await manage_token(running), crm, ["csat.*"])
        visitor = await open_chat(client)
        await say(client, "client-1", "Заказ 4512 так и не привезли")
        await handled(hub, visitor, "client-1")
        customer = await hub.stores.customers.find_by_identity(visitor_identity(visitor))
        assert customer is not None
        conversation = await hub.stores.conversations.current_for(customer.id)
        assert conversation is not None
        await resolved_by_operator(hub, conversation.id)
        asked = await question(hub, conversation.id)
        one, five = asked.buttons[0], asked.buttons[4]
        await say(client, "client-2", one.payload, button=one.title)
        await handled(hub, visitor, "client-2")
        await say(client, "client-3", five.payload, button=five.title)  # a second press: the first score stays
        await handled(hub, visitor, "client-3")
        await say(client, "client-4", "Курьер не позвонил, ждала весь день")
        await handled(hub, visitor, "client-4")
        await crm.wait_until(lambda r: len(r.accepted) >= 3)
        after = await hub.stores.conversations.get(conversation.id)
        conversations = await hub.stores.conversations.list_for_customer(customer.id)
        messages = await hub.stores.messages.list_for_conversation(conversation.id)
        sam = await create_user(hub, "sam", "sam-password-0123", roles=[Role.SUPERVISOR], groups=["supervisors"],
                                language="ru")
        timeline, _ = await load_timeline(hub, after, sam)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=running.app),
                                     base_url="http://otklik.test") as supervisor:
            await sign_in(supervisor, "sam", "sam-password-0123")
            page = await supervisor.get(f"/inbox/conversations/{conversation.id}")
        thanks = [m.text for m in await outbound(hub, conversation.id) if m.idempotency_key != asked.idempotency_key]

    expected = [(str(n), f"csat:{conversation.id}:{n}") for n in range(1, 6)]
    assert [(b.title, b.payload) for b in asked.buttons] == expected
    assert asked.channel.value == "webchat" and "от 1 (плохо) до 5 (отлично)" in asked.text
    assert len(conversations) == 1  # the answer and the comment opened nothing new
    assert (after.state, after.group, after.assignee) == (ConversationState.QUEUED, "supervisors", None)
    assert csat_kinds(after) == ["csat_requested", "csat_answered", "csat_escalated", "csat_commented"]
    answered = next(e for e in after.history if e.kind == "csat_answered")
    assert (answered.data["score"], answered.data["via"]) == (1, "reply")
    notes = [m.text for m in messages if m.direction is Direction.INTERNAL]
    assert any(n.startswith("Низкая оценка CSAT: 1/5") for n in notes)
    assert "Комментарий к оценке 1/5: Курьер не позвонил, ждала весь день" in notes
    inbound = [m.text for m in messages if m.direction is Direction.INBOUND]
    assert inbound[-3:] == [one.payload, five.payload, "Курьер не позвонил, ждала весь день"]
    assert any("старшему смены" in t for t in thanks) and "Спасибо, мы передали ваш комментарий." in thanks
    payloads = [a.payload for a in crm.accepted]
    assert [(p["type"], p["data"].get("revision")) for p in payloads] == [
        ("csat.requested", None), ("csat.answered", 1), ("csat.answered", 2)]
    data = payloads[2]["data"]
    assert {k: data[k] for k in ("conversation_id", "customer_id", "score", "comment", "channel", "group",
                                 "operator_id", "topic")} == {
        "conversation_id": conversation.id, "customer_id": customer.id, "score": 1,
        "comment": "Курьер не позвонил, ждала весь день", "channel": "webchat", "group": "general",
        "operator_id": "u-olga", "topic": "delivery_problem"}
    assert payloads[1]["data"]["request_id"] == payloads[2]["data"]["request_id"] == data["request_id"]
    shown = {i.event: i for i in timeline if i.kind == "event" and (i.event or "").startswith("csat_")}
    assert set(shown) == {"csat_requested", "csat_answered", "csat_commented", "csat_escalated"}
    assert shown["csat_answered"].event_detail == "1/5"
    assert shown["csat_commented"].event_detail == "Курьер не позвонил, ждала весь день"
    assert {f.key: f.value for f in shown["csat_requested"].facts}["channel"] == "webchat"
    assert page.status_code == 200 and 'data-event="csat_answered"' in page.text
    assert "Оценка клиента (CSAT)" in page.text and "Запрошена оценка (CSAT)" in page.text


async def test_a_bot_only_chat_is_not_asked_unless_configured(
    make_settings: Any, start_app: Any, tmp_path: Path
) -> None:
    async with start_app(make_settings(inbox_config_path=csat_inbox(tmp_path))) as running:
        hub, client = running.hub, running.client
        visitor = await open_chat(client)
        await say(client, "client-1", "Спасибо, всё понятно")
        await handled(hub, visitor, "client-1")
        customer = await hub.stores.customers.find_by_identity(visitor_identity(visitor))
        assert customer is not None
        conversation = await hub.stores.conversations.current_for(customer.id)
        assert conversation is not None
        await resolve(hub, conversation.id, "Вопрос решён ботом", key="bot-1", actor="bot")
        await say(client, "client-2", "5")  # a digit with nothing asked is an ordinary message
        await handled(hub, visitor, "client-2")
        after = await eventually(lambda: hub.stores.conversations.get(conversation.id),
                                 lambda c: c.state is not ConversationState.RESOLVED)

    assert csat_kinds(after) == [] and after.state is ConversationState.BOT  # reopened for the bot as usual
