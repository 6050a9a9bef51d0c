"""Proactive messages: idempotent by the client's key, through the best channel, into a conversation."""

from __future__ import annotations

import asyncio
from typing import Any

from models.messages import AuthorKind, Direction
from tests.integration.crm.conftest import Crm


async def _upsert(crm: Crm, *identities: tuple[str, str], **attributes: Any) -> str:
    body = {"identities": [{"kind": k, "value": v} for k, v in identities], "attributes": attributes}
    response = await crm.client.post("/api/v1/customers", json=body, headers=crm.headers)
    assert response.status_code in (200, 201), response.text
    return str(response.json()["id"])


async def test_the_same_key_twice_sends_one_message_and_answers_the_same(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1")
    await crm.sent(1)  # the bot's acknowledgement
    url = f"/api/v1/customers/{customer.id}/messages"
    body = {"text": "Ваш промокод: SPRING500", "idempotency_key": "promo-1"}
    first = await crm.client.post(url, json=body, headers=crm.headers)
    await crm.sent(2)
    again = await crm.client.post(url, json=body, headers=crm.headers)
    racing = {**body, "idempotency_key": "p-2"}
    concurrent = await asyncio.gather(*[crm.client.post(url, headers=crm.headers, json=racing) for _ in range(3)])
    await crm.sent(3)
    await asyncio.sleep(0.2)  # room for a duplicate to show up, if there were one

    assert first.status_code == 202 and again.status_code == 200
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert len({r.json()["message_id"] for r in concurrent}) == 1
    assert sorted(r.status_code for r in concurrent) == [200, 200, 202]
    texts = [r.body.decode() for r in crm.receiver.requests]
    assert len(texts) == 3 and sum("SPRING500" in t for t in texts) == 2
    stored = await crm.running.hub.stores.messages.get(first.json()["message_id"])
    assert (stored.author, stored.direction, stored.channel) == (AuthorKind.SYSTEM, Direction.OUTBOUND, "api")


async def test_it_joins_the_open_conversation_or_opens_one_resolved_that_a_reply_reopens(crm: Crm) -> None:
    talking = await crm.inbound("u-1", "m-1")
    quiet = await _upsert(crm, ("api", "crm:u-2"))
    joined = await crm.client.post(f"/api/v1/customers/{talking.id}/messages", headers=crm.headers,
                                   json={"text": "Курьер будет в 15:00", "idempotency_key": "k-1"})
    opened = await crm.client.post(f"/api/v1/customers/{quiet}/messages", headers=crm.headers,
                                   json={"text": "Скидка 10% на молочку", "idempotency_key": "k-2"})
    current = await crm.running.hub.stores.conversations.current_for(talking.id)
    fresh = (await crm.client.get(f"/api/v1/conversations/{opened.json()['conversation_id']}",
                                  headers=crm.headers)).json()
    await crm.inbound("u-2", "m-2", text="А на сыр?")
    reopened = await crm.running.hub.stores.conversations.get(opened.json()["conversation_id"])

    assert current is not None and joined.json()["conversation_id"] == current.id
    assert (fresh["state"], fresh["outcome"], fresh["customer_id"]) == ("resolved", "proactive message", quiet)
    assert [m["text"] for m in fresh["messages"]] == ["Скидка 10% на молочку"]
    assert reopened.state == "bot" and reopened.history[-1].kind == "reopened"


async def test_the_channel_is_the_requested_then_the_preferred_then_any_that_reaches_them(crm: Crm) -> None:
    both = await _upsert(crm, ("api", "crm:u-3"), ("webchat", "visitor-3"), preferred_channel="webchat")
    plain = await _upsert(crm, ("webchat", "visitor-4"), ("api", "crm:u-4"))
    unreachable = await _upsert(crm, ("phone", "+79160000000"), ("telegram", "777"))
    stopped = await _upsert(crm, ("api", "crm:u-5"), unsubscribed=["api:crm:u-5"])

    async def channel_of(customer_id: str, key: str, **extra: str) -> Any:
        response = await crm.client.post(f"/api/v1/customers/{customer_id}/messages", headers=crm.headers,
                                         json={"text": "Новости магазина", "idempotency_key": key, **extra})
        return response.json()["channel"] if response.status_code == 202 else response.status_code

    assert await channel_of(both, "a") == "webchat"
    assert await channel_of(both, "b", channel="api") == "api"
    assert await channel_of(both, "c", channel="telegram") == "webchat"  # no telegram identity: preferred
    assert await channel_of(plain, "d") == "webchat"  # the first identity linked
    assert await channel_of(unreachable, "e") == 409  # the hotline cannot be pushed to, telegram is not set up
    assert await channel_of(stopped, "f") == 409
    assert await channel_of("nobody", "g") == 404


async def test_the_channel_they_last_wrote_through_wins_over_an_older_one(crm: Crm) -> None:
    known = await _upsert(crm, ("webchat", "visitor-6"), ("api", "crm:u-6"))  # web chat linked first
    customer = await crm.inbound("u-6", "m-1")  # but they wrote through the api channel
    response = await crm.client.post(f"/api/v1/customers/{customer.id}/messages", headers=crm.headers,
                                     json={"text": "Ваш заказ собран", "idempotency_key": "k"})

    assert customer.id == known and response.json()["channel"] == "api"
