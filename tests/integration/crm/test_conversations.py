"""Conversations through the CRM API: pages, reading, internal notes, triage and resolving with an outcome."""

from __future__ import annotations

from typing import Any

from hub.directory import tokens
from hub.outbound import outbox
from hub.stores.crm import ConversationQuery
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation, ConversationState
from models.ids import CustomerId, new_id
from models.messages import DeliveryStatus, Direction, OutboundMessage
from models.staff import Group, GroupId
from models.tokens import Scope
from tests.conftest import API_TOKEN, auth
from tests.integration.crm.conftest import Crm
from tests.integration.helpers import eventually

S = ConversationState


async def _open(crm: Crm, count: int, *, channel: Channel = Channel.TELEGRAM) -> list[Conversation]:
    """`count` conversations of new customers, opened one after another."""
    opened = []
    for _ in range(count):
        conversation = Conversation.open(CustomerId(new_id()), channel, "acc", at=utcnow())
        await crm.running.hub.stores.conversations.create(conversation)
        opened.append(conversation)
    return opened


async def test_paging_while_conversations_are_added_misses_and_repeats_none(crm: Crm) -> None:
    before = await _open(crm, 7)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await crm.client.get("/api/v1/conversations", params=params, headers=crm.headers)).json()
        seen += [c["id"] for c in page["items"]]
        if len(seen) <= 6:
            await _open(crm, 2)  # new ones arrive between pages
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert len(seen) == len(set(seen)) == 7 + 2 * 2
    assert seen[:7] == [c.id for c in before]


async def test_list_filters_by_state_channel_group_topic_and_time(crm: Crm) -> None:
    [queued, bot] = await _open(crm, 2)
    [email] = await _open(crm, 1, channel=Channel.EMAIL)
    await crm.running.hub.stores.directory.save_group(Group(id=GroupId("logistics"), name="Логистика"))
    await crm.client.patch(f"/api/v1/conversations/{queued.id}", json={"topic": "delivery", "group": "logistics"},
                           headers=crm.headers)
    stored = await crm.running.hub.stores.conversations.get(queued.id)
    version = stored.version
    stored.transition(S.QUEUED)
    await crm.running.hub.stores.conversations.save(stored, expected_version=version)

    async def ids(**params: Any) -> list[str]:
        response = await crm.client.get("/api/v1/conversations", params=params, headers=crm.headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await ids(state="queued") == [queued.id]
    assert await ids(state=["bot", "queued"]) == [bot.id, email.id, queued.id]
    assert await ids(channel="email") == [email.id]
    assert await ids(group="logistics", topic="delivery") == [queued.id]
    assert await ids(updated_after=email.updated_at.isoformat()) == [queued.id]
    assert await ids(customer="nobody") == []


async def test_a_conversation_reads_with_its_messages_oldest_first(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1", text="Где заказ 4512?")
    conversation = await crm.running.hub.stores.conversations.current_for(customer.id)
    assert conversation is not None
    await eventually(lambda: crm.running.hub.stores.messages.list_for_conversation(conversation.id),
                     lambda ms: len(ms) == 2 and ms[1].status is DeliveryStatus.SENT)
    response = await crm.client.get(f"/api/v1/conversations/{conversation.id}", headers=crm.headers)
    missing = await crm.client.get("/api/v1/conversations/nope", headers=crm.headers)

    body = response.json()
    assert (body["id"], body["state"], body["channel"]) == (conversation.id, "bot", "api")
    assert [(m["direction"], m["author"]) for m in body["messages"]] == [("inbound", "customer"), ("outbound", "bot")]
    assert body["messages"][0]["text"] == "Где заказ 4512?"
    assert missing.status_code == 404


async def test_notes_stay_inside_never_sent_nor_shown_to_the_customer(make_settings: Any, start_app: Any,
                                                                    receiver: Any) -> None:
    pull_token = "pull-token-0123456789"
    accounts = [{"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/otklik"},
                {"id": "pull", "token": pull_token}]
    async with start_app(make_settings(api_accounts=accounts)) as running:
        _, full = await tokens.issue(running.hub.stores.tokens, "crm", [Scope.CONVERSATIONS_WRITE])
        crm_headers = {"authorization": f"Bearer {full}"}
        pulled_before, note = await _note_on_each_account(running, crm_headers, pull_token)
        await running.client.post("/channels/api/crm/messages", headers=auth(),
                                  json={"user_id": "u-1", "message_id": "m-2", "text": "ещё вопрос"})
        await receiver.wait_for(2)  # the two acknowledgements: everything queued before them was sent
        delivered = await _deliver_with_the_notes_key(running, note)
        pulled = await running.client.get("/channels/api/pull/users/u-9/messages",
                                          headers={"authorization": f"Bearer {pull_token}"})

    assert all("Клиент VIP" not in r.body.decode() for r in receiver.requests)
    assert len(receiver.requests) == 2
    assert [m["direction"] for m in pulled.json()["messages"]] == [m["direction"] for m in pulled_before]
    assert all(m["direction"] != "internal" for m in pulled.json()["messages"])
    assert delivered.direction is Direction.INTERNAL and delivered.status is DeliveryStatus.RECEIVED


async def _note_on_each_account(running: Any, headers: dict[str, str], pull_token: str) -> tuple[Any, Any]:
    """A customer on each api account, a note on each conversation; the pull thread before the notes."""
    pull = {"authorization": f"Bearer {pull_token}"}
    await running.client.post("/channels/api/crm/messages", headers=auth(),
                               json={"user_id": "u-1", "message_id": "m-1", "text": "вопрос"})
    await running.client.post("/channels/api/pull/messages", headers=pull,
                              json={"user_id": "u-9", "message_id": "m-9", "text": "вопрос"})
    stores = running.hub.stores
    conversations = await eventually(lambda: stores.crm.conversations_page(ConversationQuery(), after=None, limit=5),
                                     lambda cs: len(cs) == 2)
    await eventually(lambda: running.client.get("/channels/api/pull/users/u-9/messages", headers=pull),
                     lambda r: len(r.json()["messages"]) == 2)
    before = (await running.client.get("/channels/api/pull/users/u-9/messages", headers=pull)).json()["messages"]
    note = None
    for conversation in conversations:
        body = {"text": "Клиент VIP, извиниться", "idempotency_key": f"n-{conversation.id}"}
        response = await running.client.post(f"/api/v1/conversations/{conversation.id}/notes", headers=headers,
                                             json=body)
        assert response.status_code == 201 and response.json()["direction"] == "internal"
        note = response.json()
    return before, note


async def _deliver_with_the_notes_key(running: Any, note: dict[str, Any]) -> Any:
    """Hand the outbox a message under a note's key, as a buggy caller might: it must refuse to send."""
    stored = await running.hub.stores.messages.get(note["id"])
    assert stored.idempotency_key is not None
    await outbox.deliver(OutboundMessage(
        conversation_id=stored.conversation_id, customer_id=stored.customer_id, channel=stored.channel,
        account_id=stored.account_id, recipient="u-1", text=stored.text, idempotency_key=stored.idempotency_key,
    ), running.hub)
    return await running.hub.stores.messages.get(stored.id)


async def test_a_repeated_note_key_adds_one_note(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1")
    conversation = await crm.running.hub.stores.conversations.current_for(customer.id)
    assert conversation is not None
    url = f"/api/v1/conversations/{conversation.id}/notes"
    body = {"text": "перезвонить завтра", "author_name": "Мария", "idempotency_key": "n-7"}
    first = await crm.client.post(url, json=body, headers=crm.headers)
    second = await crm.client.post(url, json=body, headers=crm.headers)
    detail = (await crm.client.get(f"/api/v1/conversations/{conversation.id}", headers=crm.headers)).json()

    assert (first.status_code, second.status_code) == (201, 200) and first.json() == second.json()
    assert [m["text"] for m in detail["messages"] if m["direction"] == "internal"] == ["перезвонить завтра"]


async def test_topic_priority_and_group_changes_are_recorded_in_the_history(crm: Crm) -> None:
    [conversation] = await _open(crm, 1)
    await crm.running.hub.stores.directory.save_group(Group(id=GroupId("returns-desk"), name="Возвраты"))
    url = f"/api/v1/conversations/{conversation.id}"
    changed = await crm.client.patch(url, json={"topic": "returns", "priority": "urgent"}, headers=crm.headers)
    same = await crm.client.patch(url, json={"topic": "returns"}, headers=crm.headers)
    cleared = await crm.client.patch(url, json={"topic": None, "group": "returns-desk"}, headers=crm.headers)

    body = cleared.json()
    assert (body["topic"], body["priority"], body["group"]) == (None, "urgent", "returns-desk")
    assert same.json()["version"] == changed.json()["version"]  # nothing changed, nothing saved
    kinds = [(e["kind"], e["data"].get("to"), e["actor"]) for e in body["history"][1:]]
    assert kinds == [("topic_changed", "returns", "api:crm"), ("priority_changed", "urgent", "api:crm"),
                     ("topic_changed", None, "api:crm"), ("group_changed", "returns-desk", "api:crm")]


async def test_resolving_sends_the_outcome_through_the_channel_of_origin_once(crm: Crm) -> None:
    customer = await crm.inbound("u-1", "m-1", text="Не привезли молоко")
    conversation = await crm.running.hub.stores.conversations.current_for(customer.id)
    assert conversation is not None and conversation.state is S.BOT
    await crm.sent(1)  # the bot's acknowledgement
    body = {"outcome": "Вернули 89 ₽ за молоко, извините!", "idempotency_key": "case-1"}
    url = f"/api/v1/conversations/{conversation.id}/resolve"
    async with crm.events() as seen:
        first = await crm.client.post(url, json=body, headers=crm.headers)
        [_, callback] = await crm.sent(2)
        again = await crm.client.post(url, json=body, headers=crm.headers)
    later = await crm.client.post(url, json={**body, "idempotency_key": "case-2"}, headers=crm.headers)

    assert first.status_code == 200 and first.json()["conversation"]["state"] == "resolved"
    assert first.json()["conversation"]["outcome"] == body["outcome"]
    assert (callback["user_id"], callback["author"], callback["text"]) == ("u-1", "operator", body["outcome"])
    assert callback["message_id"] == first.json()["message"]["id"] == again.json()["message"]["id"]
    assert again.status_code == 200 and len(crm.receiver.requests) == 2
    assert later.status_code == 409 and later.json()["error"]["code"] == "invalid_transition"
    history = first.json()["conversation"]["history"]
    assert (history[-1]["from_state"], history[-1]["to_state"], history[-1]["actor"]) == ("bot", "resolved", "api:crm")
    assert [e.type for e in seen if e.conversation_id == conversation.id].count("conversation.resolved") == 1


async def test_resolving_without_notifying_sends_nothing(crm: Crm) -> None:
    [conversation] = await _open(crm, 1)
    url, body = f"/api/v1/conversations/{conversation.id}/resolve", {
        "outcome": "дубль обращения", "idempotency_key": "d-1", "notify": False}
    response = await crm.client.post(url, json=body, headers=crm.headers)
    repeated = await crm.client.post(url, json=body, headers=crm.headers)

    assert response.status_code == 200 and response.json()["message"] is None
    assert response.json()["conversation"]["state"] == "resolved"
    assert repeated.status_code == 200 and repeated.json() == response.json()
    assert await crm.running.hub.stores.messages.list_for_conversation(conversation.id) == []
