"""The api channel end to end on the embedded default: webhook → bus → worker → store → outbox → callback."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from connectors import webchat
from hub.settings import Settings
from models.channels import Channel
from models.conversations import ConversationState
from models.customers import Identity, IdentityKind
from models.messages import DeliveryStatus, Direction, Message
from tests.conftest import API_TOKEN, auth
from tests.fakes.http_receiver import HttpReceiver
from tests.integration.helpers import eventually
from tests.integration.webchat_support import open_chat


def payload(
    message_id: str = "m-1", user_id: str = "u-1", text: str = "Где мой заказ 4512?", **extra: Any
) -> dict[str, Any]:
    """A valid api channel message."""
    return {"user_id": user_id, "message_id": message_id, "text": text, **extra}


def settings_with_callback(make_settings: Any, receiver: HttpReceiver, **overrides: Any) -> Settings:
    """Settings whose api account POSTs replies to the receiver."""
    account = {"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/otklik"}
    return make_settings(api_accounts=[account], **overrides)  # type: ignore[no-any-return]


async def messages_of(running: Any, user_id: str = "u-1") -> list[Message]:
    """Everything stored for the api user, oldest first."""
    who = Identity(kind=IdentityKind.API, value=f"crm:{user_id}")
    customer = await running.hub.stores.customers.find_by_identity(who)
    return [] if customer is None else await running.hub.stores.messages.list_for_customer(customer.id)


async def test_message_is_stored_as_conversation_and_acknowledged_through_callback(
    make_settings: Any, receiver: HttpReceiver, start_app: Any
) -> None:
    async with start_app(settings_with_callback(make_settings, receiver)) as running:
        response = await running.client.post("/channels/api/crm/messages", json=payload(), headers=auth())
        assert response.status_code == 202
        assert response.json() == {"status": "accepted", "message_id": "m-1"}

        [callback] = await receiver.wait_for(1)
        stored = await eventually(lambda: messages_of(running), lambda ms: len(ms) == 2 and ms[1].status == "sent")

    inbound, reply = stored
    assert (inbound.direction, inbound.text, inbound.external_id) == (Direction.INBOUND, "Где мой заказ 4512?", "m-1")
    assert reply.direction is Direction.OUTBOUND and reply.conversation_id == inbound.conversation_id
    body = json.loads(callback.body)
    assert body["user_id"] == "u-1" and body["message_id"] == reply.id
    assert body["reply_to"] == "m-1"  # the client's message it answers: a client matches replies to its POSTs
    assert "получили ваше сообщение" in body["text"]
    assert callback.headers["idempotency-key"] == f"ack:{inbound.id}"
    expected = "sha256=" + hmac.new(API_TOKEN.encode(), callback.body, hashlib.sha256).hexdigest()
    assert callback.headers["x-otklik-signature"] == expected


async def test_same_webhook_twice_stores_one_message_and_sends_one_reply(
    make_settings: Any, receiver: HttpReceiver, start_app: Any
) -> None:
    async with start_app(settings_with_callback(make_settings, receiver)) as running:
        for _ in range(3):
            response = await running.client.post("/channels/api/crm/messages", json=payload(), headers=auth())
            assert response.status_code == 202
        await receiver.wait_for(1)
        await eventually(lambda: messages_of(running), lambda ms: len(ms) == 2 and ms[1].status == "sent")
        # one more message from the same user proves the duplicates were all processed before it
        await running.client.post("/channels/api/crm/messages", json=payload("m-2", text="ещё"), headers=auth())
        stored = await eventually(lambda: messages_of(running), lambda ms: len(ms) == 4 and ms[3].status == "sent")

    assert [m.external_id for m in stored if m.direction is Direction.INBOUND] == ["m-1", "m-2"]
    assert len(receiver.requests) == 2
    assert len({m.conversation_id for m in stored}) == 1


async def test_a_trusted_accounts_phone_is_proven_and_a_web_visitor_typing_it_only_claims_it(
    make_settings: Any, start_app: Any
) -> None:
    trusted = [{"id": "crm", "token": API_TOKEN, "trusted": True}]
    async with start_app(make_settings(api_accounts=trusted)) as running:
        first = payload(contact={"phone": "+7 916 123-45-67", "name": "Анна"})
        assert (await running.client.post("/channels/api/crm/messages", json=first, headers=auth())).status_code == 202
        session = await open_chat(running.client)
        chat = {"client_id": "webchat-msg-0001", "text": "Это снова я, по тому же заказу",
                "contact": {"phone": "89161234567"}}
        assert (await running.client.post("/chat/messages", json=chat)).status_code == 202

        store = running.hub.stores
        phone = Identity(kind=IdentityKind.PHONE, value="+79161234567")
        customer = await eventually(lambda: store.customers.find_by_identity(phone), lambda c: c is not None)
        assert customer is not None
        visitor = await eventually(lambda: store.messages.find_external(
            Channel.WEBCHAT, webchat.ACCOUNT_ID, Direction.INBOUND, webchat.message_key(session, "webchat-msg-0001")),
            lambda m: m is not None)
        assert visitor is not None
        inbound = await store.messages.list_for_customer(customer.id)
        conversations = await store.conversations.list_for_customer(customer.id)
        claims = await store.claims.of_customer(visitor.customer_id)

    assert {i.kind for i in customer.identities} == {IdentityKind.API, IdentityKind.PHONE}
    assert visitor.customer_id != customer.id and visitor.conversation_id != conversations[0].id
    assert [m.channel for m in inbound if m.direction is Direction.INBOUND] == ["api"]
    assert [c.identity.key for c in claims] == ["phone:+79161234567"]
    assert conversations[0].state is ConversationState.BOT and conversations[0].channel == "api"


async def test_callback_failures_are_retried_with_the_same_idempotency_key(
    make_settings: Any, receiver: HttpReceiver, start_app: Any
) -> None:
    receiver.script.extend([(503, {}), (429, {"retry-after": "1"}), (200, {})])
    async with start_app(settings_with_callback(make_settings, receiver)) as running:
        await running.client.post("/channels/api/crm/messages", json=payload(), headers=auth())
        await receiver.wait_for(3)
        stored = await eventually(lambda: messages_of(running), lambda ms: len(ms) == 2 and ms[1].status == "sent")

    assert len({r.headers["idempotency-key"] for r in receiver.requests}) == 1
    assert stored[1].status is DeliveryStatus.SENT


async def test_callback_rejecting_the_reply_marks_it_failed_without_retrying(
    make_settings: Any, receiver: HttpReceiver, start_app: Any
) -> None:
    receiver.script.append((400, {}))
    async with start_app(settings_with_callback(make_settings, receiver)) as running:
        await running.client.post("/channels/api/crm/messages", json=payload(), headers=auth())
        stored = await eventually(lambda: messages_of(running), lambda ms: len(ms) == 2 and ms[1].status == "failed")

    assert len(receiver.requests) == 1
    assert stored[1].status_reason is not None and "400" in stored[1].status_reason


async def test_pull_account_reads_its_thread_and_that_marks_replies_delivered(
    make_settings: Any, start_app: Any
) -> None:
    async with start_app(make_settings()) as running:
        await running.client.post("/channels/api/crm/messages", json=payload(), headers=auth())
        await eventually(lambda: messages_of(running), lambda ms: len(ms) == 2 and ms[1].status == "sent")
        thread = await running.client.get("/channels/api/crm/users/u-1/messages", headers=auth())
        assert thread.status_code == 200
        after = await messages_of(running)
        other = await running.client.get("/channels/api/crm/users/u-1/messages", headers=auth("wrong-token-000000000"))

    texts = [(m["direction"], m["status"]) for m in thread.json()["messages"]]
    assert texts == [("inbound", "received"), ("outbound", "delivered")]
    assert after[1].status is DeliveryStatus.DELIVERED
    assert other.status_code == 401
