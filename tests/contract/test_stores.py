"""The store contract (hub/stores/base.py), run over every adapter by the `stores` fixture.

Timestamps are whole milliseconds: MongoDB keeps BSON dates to the millisecond, and every adapter must
give back what it was given.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from hub.stores.base import Stores
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.customers import Customer, Identity, IdentityKind
from models.errors import Conflict, NotFound, Unavailable
from models.ids import ConversationId, CustomerId, MessageId
from models.messages import Attachment, AuthorKind, DeliveryStatus, Direction, Message

S = ConversationState
StoresFactory = Callable[[], Stores]  # as in conftest: a new, unopened Stores on the same data
T0 = datetime(2025, 3, 1, 9, 30, 15, 123000, tzinfo=UTC)


def at(minutes: int) -> datetime:
    """T0 plus some minutes: distinct, ordered, millisecond-exact instants."""
    return T0 + timedelta(minutes=minutes)


def phone(value: str = "+79161234567") -> Identity:
    """A phone identity."""
    return Identity(kind=IdentityKind.PHONE, value=value)


def telegram(value: str = "1001") -> Identity:
    """A Telegram user identity."""
    return Identity(kind=IdentityKind.TELEGRAM, value=value)


def customer(*identities: Identity, name: str = "Anna") -> Customer:
    """A customer with these identities."""
    return Customer(name=name, identities=list(identities), attributes={"city": "Kazan", "tags": ["vip"]},
                    created_at=T0)


def conversation(customer_id: CustomerId, *, minute: int = 0) -> Conversation:
    """A new conversation of this customer, in the bot's hands."""
    return Conversation.open(customer_id, Channel.TELEGRAM, "tg-main", at=at(minute))


def inbound(
    conv: Conversation, external_id: str, *, channel: Channel = Channel.TELEGRAM, account_id: str = "tg-main",
    minute: int = 0,
) -> Message:
    """A customer's message in the conversation."""
    return Message(
        conversation_id=conv.id, customer_id=conv.customer_id, direction=Direction.INBOUND,
        author=AuthorKind.CUSTOMER, channel=channel, account_id=account_id, external_id=external_id,
        text=f"question {external_id}", sent_at=at(minute), created_at=at(minute), raw={"update_id": 7},
    )


def outbound(conv: Conversation, key: str, *, minute: int = 0, external_id: str | None = None) -> Message:
    """A bot's reply in the conversation, still pending."""
    return Message(
        conversation_id=conv.id, customer_id=conv.customer_id, direction=Direction.OUTBOUND,
        author=AuthorKind.BOT, channel=conv.channel, account_id=conv.account_id, idempotency_key=key,
        external_id=external_id, text=f"answer {key}", status=DeliveryStatus.PENDING,
        sent_at=at(minute), created_at=at(minute),
    )


def assert_utc(value: datetime | None) -> None:
    """Timezone-aware, and UTC."""
    assert value is not None and value.tzinfo is not None and value.utcoffset() == timedelta(0)


async def close(stores: Stores, conv: Conversation, *, minute: int) -> None:
    """Close the conversation and save it."""
    version = conv.version
    conv.transition(S.CLOSED, at=at(minute))
    await stores.conversations.save(conv, expected_version=version)


# --- customers ---------------------------------------------------------------------------------------


async def test_get_missing_customer_raises_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.customers.get(CustomerId("nobody"))


async def test_created_customer_round_trips(stores: Stores) -> None:
    anna = customer(phone(), telegram())
    await stores.customers.create(anna)
    got = await stores.customers.get(anna.id)
    assert got == anna
    assert_utc(got.created_at)


async def test_find_by_identity_returns_the_customer_after_create(stores: Stores) -> None:
    anna = customer(phone(), telegram())
    await stores.customers.create(anna)
    found = await stores.customers.find_by_identity(telegram())
    assert found is not None and found.id == anna.id
    assert await stores.customers.find_by_identity(telegram("2002")) is None


async def test_customers_without_identities_do_not_collide(stores: Stores) -> None:
    first, second = customer(), customer(name="Boris")
    await stores.customers.create(first)
    await stores.customers.create(second)
    assert (await stores.customers.get(second.id)).name == "Boris"


async def test_create_rejects_taken_identity_and_writes_nothing(stores: Stores) -> None:
    await stores.customers.create(customer(phone()))
    boris = customer(telegram("2002"), phone(), name="Boris")
    with pytest.raises(Conflict):
        await stores.customers.create(boris)
    with pytest.raises(NotFound):
        await stores.customers.get(boris.id)
    assert await stores.customers.find_by_identity(telegram("2002")) is None


async def test_phone_identity_is_the_same_however_written(stores: Stores) -> None:
    anna = customer(phone("8 (916) 123-45-67"))
    await stores.customers.create(anna)
    found = await stores.customers.find_by_identity(phone("+79161234567"))
    assert found is not None and found.id == anna.id
    with pytest.raises(Conflict):
        await stores.customers.create(customer(phone("+7 916 123 45 67"), name="Boris"))


async def test_email_identity_ignores_case(stores: Stores) -> None:
    anna = customer(Identity(kind=IdentityKind.EMAIL, value="Anna.Petrova@Example.RU"))
    await stores.customers.create(anna)
    found = await stores.customers.find_by_identity(Identity(kind=IdentityKind.EMAIL, value="anna.petrova@example.ru"))
    assert found is not None and found.id == anna.id


async def test_link_adds_identity_to_customer(stores: Stores) -> None:
    anna = customer(telegram())
    await stores.customers.create(anna)
    await stores.customers.link(anna.id, phone("8 916 123-45-67"))
    assert (await stores.customers.get(anna.id)).identities == [telegram(), phone()]
    found = await stores.customers.find_by_identity(phone())
    assert found is not None and found.id == anna.id


async def test_link_is_a_no_op_when_identity_is_already_theirs(stores: Stores) -> None:
    anna = customer(telegram(), phone())
    await stores.customers.create(anna)
    await stores.customers.link(anna.id, phone("89161234567"))
    assert (await stores.customers.get(anna.id)).identities == [telegram(), phone()]


async def test_link_rejects_identity_of_another_customer(stores: Stores) -> None:
    anna, boris = customer(phone()), customer(telegram("2002"), name="Boris")
    await stores.customers.create(anna)
    await stores.customers.create(boris)
    with pytest.raises(Conflict):
        await stores.customers.link(boris.id, phone())
    assert (await stores.customers.get(boris.id)).identities == [telegram("2002")]
    found = await stores.customers.find_by_identity(phone())
    assert found is not None and found.id == anna.id


async def test_link_to_missing_customer_raises_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.customers.link(CustomerId("nobody"), phone())
    assert await stores.customers.find_by_identity(phone()) is None


# --- conversations -----------------------------------------------------------------------------------


async def test_get_missing_conversation_raises_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.conversations.get(ConversationId("none"))


async def test_created_conversation_round_trips(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    got = await stores.conversations.get(conv.id)
    assert got == conv
    for value in (got.created_at, got.updated_at, got.last_message_at, got.history[0].at):
        assert_utc(value)


async def test_history_round_trips_every_transition(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    conv.transition(S.QUEUED, at=at(1), group="returns", note="asked for a person")
    conv.transition(S.ASSIGNED, at=at(2), assignee="op-7", actor="supervisor")
    conv.transition(S.RESOLVED, at=at(3), actor="op-7", note="refund issued")
    await stores.conversations.save(conv, expected_version=0)
    got = await stores.conversations.get(conv.id)
    assert got.history == conv.history
    assert [(e.kind, e.from_state, e.to_state) for e in got.history] == [
        ("opened", None, S.BOT), ("state_changed", S.BOT, S.QUEUED),
        ("state_changed", S.QUEUED, S.ASSIGNED), ("state_changed", S.ASSIGNED, S.RESOLVED),
    ]
    assert got.history[1].data == {"group": "returns"}
    assert (got.state, got.outcome, got.resolved_at, got.assignee) == (S.RESOLVED, "refund issued", at(3), "op-7")
    assert_utc(got.resolved_at)


async def test_current_for_returns_the_open_conversation(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    await stores.conversations.create(conversation(CustomerId("c2")))
    assert await stores.conversations.current_for(CustomerId("c1")) == conv
    assert await stores.conversations.current_for(CustomerId("c3")) is None


async def test_current_for_returns_a_resolved_conversation(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    conv.transition(S.RESOLVED, at=at(1), note="answered by the bot")
    await stores.conversations.save(conv, expected_version=0)
    current = await stores.conversations.current_for(CustomerId("c1"))
    assert current is not None and current.id == conv.id and current.state is S.RESOLVED


async def test_current_for_ignores_a_closed_conversation(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    await close(stores, conv, minute=1)
    assert await stores.conversations.current_for(CustomerId("c1")) is None


async def test_create_rejects_a_second_unclosed_conversation(stores: Stores) -> None:
    first, second = conversation(CustomerId("c1")), conversation(CustomerId("c1"), minute=1)
    await stores.conversations.create(first)
    with pytest.raises(Conflict):
        await stores.conversations.create(second)
    with pytest.raises(NotFound):
        await stores.conversations.get(second.id)


async def test_create_allows_a_new_conversation_once_the_last_is_closed(stores: Stores) -> None:
    first, second = conversation(CustomerId("c1")), conversation(CustomerId("c1"), minute=2)
    await stores.conversations.create(first)
    await close(stores, first, minute=1)
    await stores.conversations.create(second)
    current = await stores.conversations.current_for(CustomerId("c1"))
    assert current is not None and current.id == second.id


async def test_save_writes_back_and_bumps_version(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    conv.topic = "delivery"
    conv.transition(S.QUEUED, at=at(1), group="logistics")
    await stores.conversations.save(conv, expected_version=0)
    assert conv.version == 1
    got = await stores.conversations.get(conv.id)
    assert (got.version, got.topic, got.state, got.group) == (1, "delivery", S.QUEUED, "logistics")
    assert got.updated_at == at(1)
    got.transition(S.ASSIGNED, at=at(2), assignee="op-1")
    await stores.conversations.save(got, expected_version=1)
    assert (await stores.conversations.get(conv.id)).version == 2


async def test_save_rejects_stale_version(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    mine, theirs = await stores.conversations.get(conv.id), await stores.conversations.get(conv.id)
    theirs.transition(S.QUEUED, at=at(1), group="returns")
    await stores.conversations.save(theirs, expected_version=0)
    mine.transition(S.CLOSED, at=at(2))
    with pytest.raises(Conflict):
        await stores.conversations.save(mine, expected_version=0)
    stored = await stores.conversations.get(conv.id)
    assert (stored.state, stored.version, stored.group) == (S.QUEUED, 1, "returns")
    assert stored.history == theirs.history


async def test_list_for_customer_returns_newest_first(stores: Stores) -> None:
    convs = []
    for n in range(3):
        conv = conversation(CustomerId("c1"), minute=10 * n)
        await stores.conversations.create(conv)
        if n < 2:
            await close(stores, conv, minute=10 * n + 5)
        convs.append(conv)
    await stores.conversations.create(conversation(CustomerId("c2"), minute=100))
    listed = await stores.conversations.list_for_customer(CustomerId("c1"))
    assert [c.id for c in listed] == [c.id for c in reversed(convs)]
    latest = await stores.conversations.list_for_customer(CustomerId("c1"), limit=2)
    assert [c.id for c in latest] == [convs[2].id, convs[1].id]
    assert await stores.conversations.list_for_customer(CustomerId("c9")) == []


# --- messages ----------------------------------------------------------------------------------------


async def test_get_missing_message_raises_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.messages.get(MessageId("none"))


async def test_added_message_round_trips(stores: Stores) -> None:
    message = inbound(conversation(CustomerId("c1")), "m1").model_copy(
        update={"attachments": [Attachment(kind="image", url="https://cdn.example.ru/a.png", size=10)]}
    )
    assert await stores.messages.add(message)
    got = await stores.messages.get(message.id)
    assert got == message
    assert_utc(got.sent_at)
    assert_utc(got.created_at)


async def test_add_ignores_a_redelivered_inbound_message(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    first, again = inbound(conv, "m1"), inbound(conv, "m1", minute=1)
    assert await stores.messages.add(first) is True
    assert await stores.messages.add(again) is False
    with pytest.raises(NotFound):
        await stores.messages.get(again.id)
    assert await stores.messages.count() == 1


async def test_add_ignores_an_outbound_message_with_a_used_idempotency_key(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    first, retry = outbound(conv, "reply-1"), outbound(conv, "reply-1", minute=1)
    assert await stores.messages.add(first) is True
    assert await stores.messages.add(retry) is False
    assert await stores.messages.count() == 1


async def test_same_external_id_elsewhere_is_another_message(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    assert await stores.messages.add(inbound(conv, "42"))
    assert await stores.messages.add(inbound(conv, "42", account_id="tg-second"))
    assert await stores.messages.add(inbound(conv, "42", channel=Channel.VIBER))
    assert await stores.messages.add(outbound(conv, "reply-1", external_id="42"))
    assert await stores.messages.count() == 4


async def test_messages_without_external_id_do_not_collide(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    assert await stores.messages.add(outbound(conv, "reply-1"))
    assert await stores.messages.add(outbound(conv, "reply-2"))
    assert await stores.messages.count() == 2


async def test_concurrent_redeliveries_store_one_message(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    results = await asyncio.gather(*(stores.messages.add(inbound(conv, "m1")) for _ in range(20)))
    assert results.count(True) == 1
    assert await stores.messages.count() == 1


async def test_find_external_returns_the_message_the_channel_knows(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    message = inbound(conv, "m1")
    await stores.messages.add(message)
    assert await stores.messages.find_external(Channel.TELEGRAM, "tg-main", Direction.INBOUND, "m1") == message
    assert await stores.messages.find_external(Channel.TELEGRAM, "tg-main", Direction.OUTBOUND, "m1") is None
    assert await stores.messages.find_external(Channel.TELEGRAM, "tg-other", Direction.INBOUND, "m1") is None
    assert await stores.messages.find_external(Channel.VIBER, "tg-main", Direction.INBOUND, "m1") is None


async def test_find_by_key_returns_the_outbound_message(stores: Stores) -> None:
    message = outbound(conversation(CustomerId("c1")), "reply-1")
    await stores.messages.add(message)
    assert await stores.messages.find_by_key("reply-1") == message
    assert await stores.messages.find_by_key("reply-2") is None


async def test_list_for_conversation_returns_oldest_first(stores: Stores) -> None:
    conv, other = conversation(CustomerId("c1")), conversation(CustomerId("c2"))
    thread = [inbound(conv, "q1"), outbound(conv, "a1"), inbound(conv, "q2"), outbound(conv, "a2")]
    for message in thread[:2]:
        await stores.messages.add(message)
    await stores.messages.add(inbound(other, "x1"))
    for message in thread[2:]:
        await stores.messages.add(message)
    assert await stores.messages.list_for_conversation(conv.id) == thread
    assert await stores.messages.list_for_conversation(ConversationId("none")) == []


async def test_list_for_conversation_limit_keeps_the_latest(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    thread = [inbound(conv, f"q{n}", minute=n) for n in range(5)]
    for message in thread:
        await stores.messages.add(message)
    assert await stores.messages.list_for_conversation(conv.id, limit=2) == thread[3:]


async def test_list_for_customer_spans_conversations(stores: Stores) -> None:
    old, new = conversation(CustomerId("c1")), conversation(CustomerId("c1"), minute=10)
    history = [inbound(old, "q1"), outbound(old, "a1", minute=1), inbound(new, "q2", minute=10),
               outbound(new, "a2", minute=11)]
    for message in history:
        await stores.messages.add(message)
    await stores.messages.add(inbound(conversation(CustomerId("c2")), "x1", minute=5))
    assert await stores.messages.list_for_customer(CustomerId("c1")) == history
    assert await stores.messages.list_for_customer(CustomerId("c1"), limit=3) == history[1:]


async def test_set_status_records_status_and_the_channels_id(stores: Stores) -> None:
    message = outbound(conversation(CustomerId("c1")), "reply-1")
    await stores.messages.add(message)
    await stores.messages.set_status(message.id, DeliveryStatus.SENT, external_id="wamid.1")
    sent = await stores.messages.find_external(Channel.TELEGRAM, "tg-main", Direction.OUTBOUND, "wamid.1")
    assert sent is not None and sent.id == message.id and sent.status is DeliveryStatus.SENT
    await stores.messages.set_status(message.id, DeliveryStatus.FAILED, reason="bot was blocked")
    failed = await stores.messages.get(message.id)
    assert (failed.status, failed.status_reason, failed.external_id) == (
        DeliveryStatus.FAILED, "bot was blocked", "wamid.1"
    )
    await stores.messages.set_status(message.id, DeliveryStatus.DELIVERED)
    delivered = await stores.messages.get(message.id)
    assert (delivered.status, delivered.status_reason) == (DeliveryStatus.DELIVERED, None)
    assert delivered.model_dump(exclude={"status", "status_reason", "external_id"}) == message.model_dump(
        exclude={"status", "status_reason", "external_id"}
    )


async def test_set_status_of_missing_message_raises_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.messages.set_status(MessageId("none"), DeliveryStatus.SENT)


async def test_mark_handled_is_visible_on_get(stores: Stores) -> None:
    message = inbound(conversation(CustomerId("c1")), "m1")
    await stores.messages.add(message)
    assert (await stores.messages.get(message.id)).handled is False
    await stores.messages.mark_handled(message.id)
    handled = await stores.messages.get(message.id)
    assert handled.handled is True
    assert handled.model_dump(exclude={"handled"}) == message.model_dump(exclude={"handled"})


async def test_count_counts_stored_messages(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    assert await stores.messages.count() == 0
    for n in range(3):
        await stores.messages.add(inbound(conv, f"m{n}"))
    await stores.messages.add(inbound(conv, "m0"))
    assert await stores.messages.count() == 3


# --- lifecycle ---------------------------------------------------------------------------------------


async def test_ping_answers_when_open(stores: Stores) -> None:
    await stores.ping()


async def test_ping_raises_unavailable_after_close(stores: Stores) -> None:
    await stores.close()
    with pytest.raises(Unavailable):
        await stores.ping()


async def test_data_survives_close_and_reopen(stores_factory: StoresFactory) -> None:
    anna = customer(phone())
    conv = conversation(anna.id)
    message = inbound(conv, "m1")
    first = stores_factory()
    await first.open()
    await first.customers.create(anna)
    await first.conversations.create(conv)
    await first.messages.add(message)
    await first.close()

    second = stores_factory()
    await second.open()
    try:
        assert await second.customers.find_by_identity(phone()) == anna
        assert await second.conversations.current_for(anna.id) == conv
        assert await second.messages.list_for_conversation(conv.id) == [message]
        assert await second.messages.add(inbound(conv, "m1")) is False
    finally:
        await second.close()


# --- attributes, edits, last inbound time (issue 3)


async def test_set_attributes_merges_and_none_removes_a_key(stores: Stores) -> None:
    anna = customer(phone())
    await stores.customers.create(anna)
    updated = await stores.customers.set_attributes(anna.id, {"city": None, "unsubscribed": ["viber:v1"]})
    got = await stores.customers.get(anna.id)
    assert updated.attributes == got.attributes == {"tags": ["vip"], "unsubscribed": ["viber:v1"]}
    assert got.version == anna.version + 1


async def test_set_attributes_of_a_missing_customer_raises_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.customers.set_attributes(CustomerId("nobody"), {"a": 1})


async def test_edit_replaces_the_text_and_keeps_the_earlier_one(stores: Stores) -> None:
    anna = customer(phone())
    await stores.customers.create(anna)
    conv = conversation(anna.id)
    await stores.conversations.create(conv)
    message = inbound(conv, "55:7")
    await stores.messages.add(message)
    picture = Attachment(kind="image", file_id="AgAD-1")

    edited = await stores.messages.edit(Channel.TELEGRAM, "tg-main", "55:7", "fixed text", [picture], at=at(5))
    again = await stores.messages.edit(Channel.TELEGRAM, "tg-main", "55:7", "fixed text", [picture], at=at(6))
    got = await stores.messages.get(message.id)

    assert edited is not None and again is not None
    assert (got.text, got.edits, got.attachments, got.edited_at) == ("fixed text", ["question 55:7"], [picture], at(5))
    assert await stores.messages.count() == 1


async def test_edit_of_an_unknown_message_returns_none(stores: Stores) -> None:
    assert await stores.messages.edit(Channel.TELEGRAM, "tg-main", "nope", "x", [], at=at(1)) is None


async def test_last_inbound_at_is_the_latest_inbound_on_that_channel_account(stores: Stores) -> None:
    anna = customer(phone())
    await stores.customers.create(anna)
    conv = conversation(anna.id)
    await stores.conversations.create(conv)
    assert await stores.messages.last_inbound_at(anna.id, Channel.TELEGRAM, "tg-main") is None
    await stores.messages.add(inbound(conv, "a", minute=1))
    await stores.messages.add(inbound(conv, "b", minute=3))
    await stores.messages.add(inbound(conv, "c", channel=Channel.WHATSAPP, account_id="wa", minute=9))
    await stores.messages.add(outbound(conv, "k", minute=10))
    last = await stores.messages.last_inbound_at(anna.id, Channel.TELEGRAM, "tg-main")
    assert last == at(3)
    assert_utc(last)


async def test_cursors_are_saved_overwritten_and_kept_across_a_reopen(stores_factory: StoresFactory) -> None:
    first = stores_factory()
    await first.open()
    try:
        assert await first.cursors.get("imap:support:INBOX") is None
        await first.cursors.set("imap:support:INBOX", "1700000000:41")
        await first.cursors.set("imap:support:INBOX", "1700000000:42")
    finally:
        await first.close()
    again = stores_factory()
    await again.open()
    try:
        assert await again.cursors.get("imap:support:INBOX") == "1700000000:42"
    finally:
        await again.close()


# --- API tokens (issue 5)


async def test_tokens_are_issued_checked_and_revoked(stores: Stores) -> None:
    from hub import tokens
    from models.errors import SignatureError
    from models.tokens import Scope

    token, full = await tokens.issue(stores.tokens, "crm", [Scope.CUSTOMERS_READ])
    assert (await tokens.check(stores.tokens, full)).id == token.id
    assert full not in (await stores.tokens.get(token.id) or token).model_dump_json()  # only a hash is kept
    for forged in (full[:-1] + ("A" if full[-1] != "A" else "B"), "otk_nope_secret", "Bearer x", ""):
        with pytest.raises(SignatureError):
            await tokens.check(stores.tokens, forged)
    assert await tokens.revoke(stores.tokens, token.id) is True
    first = (await stores.tokens.get(token.id) or token).revoked_at
    assert await tokens.revoke(stores.tokens, token.id) is True
    assert (await stores.tokens.get(token.id) or token).revoked_at == first is not None
    with pytest.raises(SignatureError, match="revoked"):
        await tokens.check(stores.tokens, full)
    assert await tokens.revoke(stores.tokens, "missing") is False
    assert [t.name for t in await stores.tokens.list()] == ["crm"]
