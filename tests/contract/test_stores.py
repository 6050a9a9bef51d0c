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
from models.messages import Attachment, AuthorKind, DeliveryStatus, Direction, InboundTally, Message
from models.nlu import ParseResult
from models.webhooks import Delivery, Subscription, WebhookStatus, delivery_id
from tests.report_tally import tally_as_loaded

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


async def test_a_send_is_claimed_by_one_delivery_until_its_claim_runs_out(stores: Stores) -> None:
    message = outbound(conversation(CustomerId("c1")), "reply-1")
    await stores.messages.add(message)
    assert await stores.messages.claim_send(message.id, "a", until=at(5), now=at(0))
    assert not await stores.messages.claim_send(message.id, "b", until=at(6), now=at(1))  # a holds it
    assert await stores.messages.claim_send(message.id, "a", until=at(7), now=at(2))  # a prolongs its own
    assert not await stores.messages.claim_send(message.id, "b", until=at(8), now=at(6))  # a ran out at 7 (next)
    assert await stores.messages.claim_send(message.id, "b", until=at(12), now=at(7) + timedelta(seconds=1))
    await stores.messages.set_status(message.id, DeliveryStatus.SENT)
    assert not await stores.messages.claim_send(message.id, "b", until=at(20), now=at(13))  # no longer pending
    assert (await stores.messages.get(message.id)).status is DeliveryStatus.SENT


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
    from hub.directory import tokens
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


# --- Outbound webhooks (issue 5)


def webhook_subscription(**overrides: object) -> Subscription:
    """A subscription to every event."""
    values: dict[str, object] = {"url": "https://crm.example.ru/hooks", "secret": "whsec_" + "A" * 32,
                                 "events": ["*"], "created_at": T0, **overrides}
    return Subscription.model_validate(values)


def webhook_delivery(subscription_id: str, event_id: str, *, lane: str = "conv-1", minute: int = 0) -> Delivery:
    """A pending delivery of a message.received event, due at T0 + minute."""
    return Delivery(
        id=delivery_id(subscription_id, event_id), subscription_id=subscription_id, event_id=event_id,
        event_type="message.received", event_at=at(minute), lane=lane, conversation_id=lane,
        payload=f'{{"id":"{event_id}"}}', created_at=at(minute), next_attempt_at=at(minute),
        budget_started_at=at(minute),
    )


async def test_webhook_subscriptions_keep_their_secret_and_can_be_switched_off_and_removed(stores: Stores) -> None:
    first, second = webhook_subscription(), webhook_subscription(events=["message.*"], created_at=at(1))
    await stores.webhooks.add_subscription(first)
    await stores.webhooks.add_subscription(second)
    with pytest.raises(Conflict):
        await stores.webhooks.add_subscription(first)

    loaded = await stores.webhooks.get_subscription(first.id)
    assert loaded.secret.get_secret_value() == "whsec_" + "A" * 32 and loaded == first
    assert [s.id for s in await stores.webhooks.list_subscriptions()] == [first.id, second.id]
    assert await stores.webhooks.set_active(second.id, False) is True
    assert (await stores.webhooks.get_subscription(second.id)).active is False
    assert await stores.webhooks.remove_subscription(first.id) is True
    assert await stores.webhooks.remove_subscription(first.id) is False
    assert await stores.webhooks.set_active("wh_missing", True) is False
    with pytest.raises(NotFound):
        await stores.webhooks.get_subscription(first.id)


async def test_the_active_subscriptions_follow_every_change_made_through_the_store(stores: Stores) -> None:
    first, second = webhook_subscription(), webhook_subscription(events=["message.*"], created_at=at(1))
    await stores.webhooks.add_subscription(first)
    assert [s.id for s in await stores.webhooks.active_subscriptions()] == [first.id]  # cached from here
    await stores.webhooks.add_subscription(second)
    assert [s.id for s in await stores.webhooks.active_subscriptions()] == [first.id, second.id]
    await stores.webhooks.set_active(first.id, False)
    assert [s.id for s in await stores.webhooks.active_subscriptions()] == [second.id]
    await stores.webhooks.set_active(first.id, True)
    await stores.webhooks.remove_subscription(second.id)
    assert [s.id for s in await stores.webhooks.active_subscriptions()] == [first.id]


async def test_a_delivery_is_added_once_per_subscription_and_event(stores: Stores) -> None:
    first = webhook_delivery("wh_a", "message.received:1")
    assert await stores.webhooks.add_delivery(first) is True
    assert await stores.webhooks.add_delivery(first.model_copy(update={"payload": "{}"})) is False
    assert await stores.webhooks.add_delivery(webhook_delivery("wh_b", "message.received:1")) is True

    loaded = await stores.webhooks.get_delivery(first.id)
    assert loaded.payload == first.payload and loaded.seq > 0 and loaded.event_at == at(0)
    assert_utc(loaded.next_attempt_at)
    with pytest.raises(NotFound):
        await stores.webhooks.get_delivery("msg_missing")


async def test_deliveries_are_listed_newest_first_with_filters_and_a_cursor(stores: Stores) -> None:
    for n in range(5):
        await stores.webhooks.add_delivery(webhook_delivery("wh_a" if n % 2 == 0 else "wh_b", f"e:{n}", minute=n))
    everything = await stores.webhooks.list_deliveries()
    assert [d.event_id for d in everything] == ["e:4", "e:3", "e:2", "e:1", "e:0"]
    page = await stores.webhooks.list_deliveries(limit=2)
    rest = await stores.webhooks.list_deliveries(before_seq=page[-1].seq, limit=10)
    assert [d.event_id for d in page + rest] == [d.event_id for d in everything]
    assert [d.event_id for d in await stores.webhooks.list_deliveries(subscription_id="wh_b")] == ["e:3", "e:1"]
    in_range = await stores.webhooks.list_deliveries(since=at(1), until=at(3))
    assert [d.event_id for d in in_range] == ["e:2", "e:1"]
    assert await stores.webhooks.list_deliveries(status=WebhookStatus.DELIVERED) == []


async def test_due_gives_only_the_first_open_delivery_of_each_lane(stores: Stores) -> None:
    for n, lane in enumerate(["c1", "c1", "c2", "c1"]):
        await stores.webhooks.add_delivery(webhook_delivery("wh_a", f"e:{n}", lane=lane, minute=n))
    await stores.webhooks.add_delivery(webhook_delivery("wh_b", "e:0", lane="c1", minute=0))  # another subscriber

    due = await stores.webhooks.due(at(10), limit=10)
    assert sorted((d.subscription_id, d.event_id) for d in due) == [("wh_a", "e:0"), ("wh_a", "e:2"), ("wh_b", "e:0")]
    assert [d.event_id for d in await stores.webhooks.due(at(10), limit=1)] == ["e:0"]


async def test_due_skips_what_is_not_yet_due_and_what_someone_holds(stores: Stores) -> None:
    await stores.webhooks.add_delivery(webhook_delivery("wh_a", "e:0", lane="c1", minute=0))
    await stores.webhooks.add_delivery(webhook_delivery("wh_a", "e:1", lane="c2", minute=5))
    assert [d.event_id for d in await stores.webhooks.due(at(1), limit=10)] == ["e:0"]

    held = await stores.webhooks.claim(delivery_id("wh_a", "e:0"), owner="w1", now=at(1), until=at(20))
    assert held is not None and held.attempts == 1 and held.lease_owner == "w1"
    assert [d.event_id for d in await stores.webhooks.due(at(10), limit=10)] == ["e:1"]


async def test_only_one_of_concurrent_claims_wins(stores_factory: StoresFactory) -> None:
    one, two = stores_factory(), stores_factory()
    await one.open()
    await two.open()
    try:
        ids = []
        for n in range(10):
            delivery = webhook_delivery("wh_a", f"e:{n}", lane=f"c{n}")
            await one.webhooks.add_delivery(delivery)
            ids.append(delivery.id)
        claims = [s.webhooks.claim(i, owner=name, now=at(1), until=at(5))
                  for i in ids for s, name in ((one, "w1"), (two, "w2"))]
        won = [c for c in await asyncio.gather(*claims) if c is not None]
    finally:
        await one.close()
        await two.close()
    assert sorted(c.id for c in won) == sorted(ids)


async def test_an_expired_lease_is_claimed_again_and_its_old_owner_cannot_settle(stores: Stores) -> None:
    await stores.webhooks.add_delivery(webhook_delivery("wh_a", "e:0"))
    the_id = delivery_id("wh_a", "e:0")
    crashed = await stores.webhooks.claim(the_id, owner="w1", now=at(1), until=at(2))
    assert crashed is not None
    assert await stores.webhooks.claim(the_id, owner="w2", now=at(1), until=at(3)) is None
    again = await stores.webhooks.claim(the_id, owner="w2", now=at(2), until=at(4))
    assert again is not None and again.attempts == 2

    late = crashed.model_copy(update={"status": WebhookStatus.DELIVERED, "lease_owner": None, "lease_until": None})
    assert await stores.webhooks.settle(late, owner="w1") is False
    assert (await stores.webhooks.get_delivery(the_id)).lease_owner == "w2"


async def test_settle_writes_the_outcome_and_lets_the_next_in_the_lane_go(stores: Stores) -> None:
    await stores.webhooks.add_delivery(webhook_delivery("wh_a", "e:0", minute=0))
    await stores.webhooks.add_delivery(webhook_delivery("wh_a", "e:1", minute=1))
    held = await stores.webhooks.claim(delivery_id("wh_a", "e:0"), owner="w1", now=at(2), until=at(3))
    assert held is not None
    failed = held.model_copy(update={"status": WebhookStatus.FAILED, "next_attempt_at": at(9), "last_error": "HTTP 503",
                                     "lease_owner": None, "lease_until": None})
    assert await stores.webhooks.settle(failed, owner="w1") is True
    assert await stores.webhooks.due(at(5), limit=10) == []  # e:1 waits behind the failed e:0
    assert [d.event_id for d in await stores.webhooks.due(at(9), limit=10)] == ["e:0"]

    held = await stores.webhooks.claim(delivery_id("wh_a", "e:0"), owner="w1", now=at(9), until=at(10))
    assert held is not None
    dead = held.model_copy(update={"status": WebhookStatus.DEAD, "lease_owner": None, "lease_until": None})
    assert await stores.webhooks.settle(dead, owner="w1") is True
    assert [d.event_id for d in await stores.webhooks.due(at(9), limit=10)] == ["e:1"]
    stored = await stores.webhooks.get_delivery(held.id)
    assert (stored.status, stored.attempts, stored.last_error) == (WebhookStatus.DEAD, 2, "HTTP 503")
    assert [d.event_id for d in await stores.webhooks.list_deliveries(status=WebhookStatus.DEAD)] == ["e:0"]


async def test_replay_makes_a_delivery_due_again_unless_it_is_being_sent(stores: Stores) -> None:
    await stores.webhooks.add_delivery(webhook_delivery("wh_a", "e:0"))
    the_id = delivery_id("wh_a", "e:0")
    held = await stores.webhooks.claim(the_id, owner="w1", now=at(1), until=at(3))
    assert held is not None
    assert await stores.webhooks.replay(the_id, now=at(2)) is None
    dead = held.model_copy(update={"status": WebhookStatus.DEAD, "lease_owner": None, "lease_until": None})
    await stores.webhooks.settle(dead, owner="w1")

    replayed = await stores.webhooks.replay(the_id, now=at(4))
    assert replayed is not None
    stored = await stores.webhooks.get_delivery(the_id)
    assert (stored.status, stored.replays, stored.budget_attempts, stored.attempts) == (WebhookStatus.PENDING, 1, 0, 1)
    assert stored.budget_started_at == at(4) and stored.payload == held.payload
    assert [d.id for d in await stores.webhooks.due(at(4), limit=10)] == [the_id]
    with pytest.raises(NotFound):
        await stores.webhooks.replay("msg_missing", now=at(4))


async def test_webhooks_survive_close_and_reopen(stores_factory: StoresFactory) -> None:
    first = stores_factory()
    await first.open()
    subscription = webhook_subscription()
    try:
        await first.webhooks.add_subscription(subscription)
        await first.webhooks.add_delivery(webhook_delivery(subscription.id, "e:0"))
    finally:
        await first.close()
    again = stores_factory()
    await again.open()
    try:
        assert (await again.webhooks.get_subscription(subscription.id)).secret == subscription.secret
        assert [d.event_id for d in await again.webhooks.due(at(1), limit=10)] == ["e:0"]
    finally:
        await again.close()


# --- CRM API: conversation pages, customer merges (issue 5)


async def test_conversations_page_runs_in_updated_order_from_after_the_cursor(stores: Stores) -> None:
    from hub.stores.crm import ConversationQuery

    convs = [conversation(CustomerId(f"c{n}"), minute=10 - n) for n in range(4)]  # created newest first
    twin = conversation(CustomerId("c9"), minute=7)  # the same updated_at as convs[3]: the id breaks the tie
    for conv in [*convs, twin]:
        await stores.conversations.create(conv)
    expected = sorted([*convs, twin], key=lambda c: (c.updated_at, c.id))
    first = await stores.crm.conversations_page(ConversationQuery(), after=None, limit=3)
    assert [c.id for c in first] == [c.id for c in expected[:3]]
    after = (first[-1].updated_at, first[-1].id)
    rest = await stores.crm.conversations_page(ConversationQuery(), after=after, limit=3)
    assert [c.id for c in rest] == [c.id for c in expected[3:]]


async def test_conversations_page_filters_by_every_field_of_the_query(stores: Stores) -> None:
    from datetime import timezone

    from hub.stores.crm import ConversationQuery

    queued = conversation(CustomerId("c1"), minute=1)
    queued.topic = "delivery"
    queued.transition(S.QUEUED, at=at(2), group="logistics")
    other = Conversation.open(CustomerId("c2"), Channel.WHATSAPP, "wa", at=at(3))
    closed = conversation(CustomerId("c3"), minute=4)
    for conv in (queued, other, closed):
        await stores.conversations.create(conv)
    await close(stores, closed, minute=5)

    async def ids(query: ConversationQuery) -> list[ConversationId]:
        return [c.id for c in await stores.crm.conversations_page(query, after=None, limit=10)]

    assert await ids(ConversationQuery(states=frozenset({S.QUEUED, S.CLOSED}))) == [queued.id, closed.id]
    assert await ids(ConversationQuery(channel=Channel.WHATSAPP)) == [other.id]
    assert await ids(ConversationQuery(group="logistics", topic="delivery")) == [queued.id]
    assert await ids(ConversationQuery(topic="returns")) == []
    assert await ids(ConversationQuery(customer_id=CustomerId("c3"))) == [closed.id]
    assert await ids(ConversationQuery(updated_after=at(3))) == [closed.id]
    moscow = timezone(timedelta(hours=3))
    assert await ids(ConversationQuery(updated_after=at(3).astimezone(moscow))) == [closed.id]


async def test_save_may_give_a_conversation_to_another_customer(stores: Stores) -> None:
    from hub.stores.crm import ConversationQuery

    conv = conversation(CustomerId("c1"))
    await stores.conversations.create(conv)
    conv.customer_id = CustomerId("c2")
    await stores.conversations.save(conv, expected_version=0)
    assert await stores.conversations.current_for(CustomerId("c1")) is None
    assert [c.id for c in await stores.conversations.list_for_customer(CustomerId("c2"))] == [conv.id]
    page = await stores.crm.conversations_page(ConversationQuery(customer_id=CustomerId("c2")), after=None, limit=5)
    assert [c.id for c in page] == [conv.id]


async def test_merge_customers_moves_identities_and_leaves_a_redirect(stores: Stores) -> None:
    keeper, gone = customer(phone(), name="Anna"), customer(telegram(), name="Anya")
    keeper.attributes = {"city": "Kazan", "unsubscribed": ["phone:+79161234567"]}
    gone.attributes = {"city": "Moscow", "card": "7001", "unsubscribed": ["telegram:1001"]}
    await stores.customers.create(keeper)
    await stores.customers.create(gone)
    merged = await stores.crm.merge_customers(keeper.id, gone.id)
    assert [i.key for i in merged.identities] == ["phone:+79161234567", "telegram:1001"]
    assert merged.attributes == {"city": "Kazan", "card": "7001",
                                 "unsubscribed": ["phone:+79161234567", "telegram:1001"]}
    assert await stores.customers.get(keeper.id) == merged
    found = await stores.customers.find_by_identity(telegram())
    assert found is not None and found.id == keeper.id
    redirect = await stores.customers.get(gone.id)
    assert (redirect.merged_into, redirect.identities) == (keeper.id, [])
    await stores.customers.create(customer(Identity(kind=IdentityKind.EMAIL, value="a@b.ru")))  # index still fine


async def test_merge_customers_again_changes_nothing_and_other_merges_conflict(stores: Stores) -> None:
    first, second, third = customer(phone()), customer(telegram()), customer(telegram("2002"))
    for c in (first, second, third):
        await stores.customers.create(c)
    done = await stores.crm.merge_customers(first.id, second.id)
    assert await stores.crm.merge_customers(first.id, second.id) == done
    with pytest.raises(Conflict):
        await stores.crm.merge_customers(third.id, second.id)  # already merged into first
    with pytest.raises(Conflict):
        await stores.crm.merge_customers(second.id, third.id)  # second is only a redirect now
    with pytest.raises(Conflict):
        await stores.crm.merge_customers(first.id, first.id)
    with pytest.raises(NotFound):
        await stores.crm.merge_customers(first.id, CustomerId("nobody"))
    assert (await stores.customers.get(third.id)).identities == third.identities


async def test_move_messages_gives_every_message_of_one_customer_to_another(stores: Stores) -> None:
    conv = conversation(CustomerId("c1"))
    mine = [inbound(conv, "m1"), outbound(conv, "k1", minute=1)]
    theirs = inbound(conversation(CustomerId("c2")), "m2", minute=2)
    for message in [*mine, theirs]:
        await stores.messages.add(message)
    assert await stores.crm.move_messages(CustomerId("c1"), CustomerId("c2")) == 2
    moved = await stores.messages.list_for_customer(CustomerId("c2"))
    assert [m.id for m in moved] == [mine[0].id, mine[1].id, theirs.id]
    assert {m.customer_id for m in moved} == {"c2"}
    assert (await stores.messages.get(mine[0].id)).customer_id == "c2"
    assert await stores.messages.list_for_customer(CustomerId("c1")) == []
    assert await stores.crm.move_messages(CustomerId("c1"), CustomerId("c2")) == 0


async def test_set_nlu_stores_the_parse_result_with_the_message(stores: Stores) -> None:
    from models.nlu import Entity, IntentScore, ParseResult

    c = customer(phone())
    await stores.customers.create(c)
    conv = conversation(c.id)
    await stores.conversations.create(conv)
    message = inbound(conv, "nlu-1")
    await stores.messages.add(message)
    result = ParseResult(
        text="где заказ 4512", intent="order_status", confidence=0.91, language="ru", engine="builtin",
        model_version="v1", ranking=[IntentScore(name="order_status", confidence=0.91)],
        entities=[Entity(entity="order_id", value="4512", start=10, end=14, extractor="builtin", canonical="4512")])
    await stores.messages.set_nlu(message.id, result)
    assert (await stores.messages.get(message.id)).nlu == result
    again = result.model_copy(update={"intent": "out_of_scope", "out_of_scope": True})
    await stores.messages.set_nlu(message.id, again)  # a redelivery parses again: the newest reading wins
    assert (await stores.messages.get(message.id)).nlu == again
    with pytest.raises(NotFound):
        await stores.messages.set_nlu(MessageId("missing"), result)


async def test_list_unsure_gives_inbound_messages_handed_over_or_doubted_newest_first(stores: Stores) -> None:
    from models.nlu import ParseResult

    c = customer(phone())
    await stores.customers.create(c)
    conv = conversation(c.id)
    await stores.conversations.create(conv)
    readings = {"sure": ParseResult(text="где заказ", intent="order_status", confidence=0.9, engine="builtin"),
                "fell-back": ParseResult(text="?", intent="out_of_scope", confidence=0.2, engine="builtin",
                                         out_of_scope=True),
                "doubted": ParseResult(text="курьер и промокод", intent="delivery_problem", confidence=0.6,
                                       engine="builtin", close_call=True)}
    for minute, (name, reading) in enumerate(readings.items()):
        message = inbound(conv, name, minute=minute)
        await stores.messages.add(message)
        await stores.messages.set_nlu(message.id, reading)
    await stores.messages.add(inbound(conv, "unread", minute=5))  # never parsed: not listed
    unsure = await stores.messages.list_unsure()
    assert [m.external_id for m in unsure] == ["doubted", "fell-back"]
    assert [m.external_id for m in await stores.messages.list_unsure(limit=1)] == ["doubted"]


async def test_an_operators_topic_correction_is_stored_with_the_message_and_listed(stores: Stores) -> None:
    from models.nlu import ParseResult

    c = customer(phone())
    await stores.customers.create(c)
    conv = conversation(c.id)
    await stores.conversations.create(conv)
    misread, fine, later = inbound(conv, "misread", minute=0), inbound(conv, "fine", minute=1), inbound(
        conv, "later", minute=2)
    for message in (misread, fine, later):
        await stores.messages.add(message)
    await stores.messages.set_nlu(misread.id, ParseResult(text="курьер не приехал", intent="order_status",
                                                          confidence=0.7, engine="builtin"))
    await stores.messages.set_corrected_topic(misread.id, "delivery_problem")
    await stores.messages.set_corrected_topic(later.id, "promo_code")

    stored = await stores.messages.get(misread.id)
    assert stored.corrected_topic == "delivery_problem" and stored.nlu is not None  # the reading stays beside it
    assert (await stores.messages.get(fine.id)).corrected_topic is None
    assert [m.external_id for m in await stores.messages.list_corrected()] == ["later", "misread"]
    assert [m.external_id for m in await stores.messages.list_corrected(limit=1)] == ["later"]
    await stores.messages.set_corrected_topic(later.id, None)  # taken back
    assert [m.external_id for m in await stores.messages.list_corrected()] == ["misread"]
    with pytest.raises(NotFound):
        await stores.messages.set_corrected_topic(MessageId("missing"), "promo_code")


# --- the inbound tally reports count ------------------------------------------------------------------


def _reading(n: int) -> ParseResult | None:
    """Every kind of reading in turn: none yet, sure, out of scope, a close call, both flags."""
    flags = [None, (False, False), (True, False), (False, True), (True, True)][n % 5]
    if flags is None:
        return None
    return ParseResult(text=f"q{n}", intent="out_of_scope" if flags[0] else "order_status", confidence=0.5,
                       engine="builtin", out_of_scope=flags[0], close_call=flags[1])


async def _chat(stores: Stores, conv: Conversation, length: int) -> None:
    """`length` messages: two inbound to one outbound, readings of every kind, some set after the fact."""
    for n in range(length):
        if n % 3 == 2:
            await stores.messages.add(outbound(conv, f"{conv.id}-k{n}", minute=n))
            continue
        message = inbound(conv, f"{conv.id}-m{n}", minute=n).model_copy(update={"nlu": _reading(n)})
        await stores.messages.add(message)
        if n % 7 == 0 and (later := _reading(n + 2)) is not None:
            await stores.messages.set_nlu(message.id, later)  # a reading that arrives after the message


async def test_inbound_tally_counts_what_the_loaded_messages_gave_under_200(stores: Stores) -> None:
    short, other = conversation(CustomerId("c1")), conversation(CustomerId("c2"))
    await _chat(stores, short, 150)
    await _chat(stores, other, 10)  # another conversation's messages are not counted
    loaded = await stores.messages.list_for_conversation(short.id, limit=200)  # what the projection read
    tally = await stores.messages.inbound_tally(short.id)
    assert tally == tally_as_loaded(loaded)
    assert (tally.messages, tally.first_text) == (100, f"question {short.id}-m0")
    assert tally.fallbacks > 0 and tally.unsure > 0


async def test_inbound_tally_counts_every_message_of_a_long_conversation(stores: Stores) -> None:
    long = conversation(CustomerId("c1"))
    await _chat(stores, long, 330)
    first = inbound(long, f"{long.id}-m0")
    edited = await stores.messages.edit(first.channel, first.account_id, f"{long.id}-m0", "fixed", [], at=at(400))
    assert edited is not None
    every = await stores.messages.list_for_conversation(long.id, limit=1000)
    tally = await stores.messages.inbound_tally(long.id)
    assert tally == tally_as_loaded(every)
    assert (tally.messages, tally.first_text) == (220, "fixed")
    capped = tally_as_loaded(await stores.messages.list_for_conversation(long.id, limit=200))
    assert (capped.messages, capped.first_text) == (133, f"question {long.id}-m130")  # the old cap undercounted
    assert await stores.messages.inbound_tally(ConversationId("none")) == InboundTally()
