"""Threading on a real (SQLite) store: join, reopen inside the window, a fresh conversation after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from hub.customers.identity import resolve
from hub.inbound.threads import Attached, attach
from hub.stores.sqlite.stores import SqliteStores
from models.channels import Channel
from models.conversations import ConversationState
from models.messages import ContactHints, InboundMessage

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)


@pytest.fixture
async def stores(tmp_path: Path) -> AsyncIterator[SqliteStores]:
    s = SqliteStores(str(tmp_path / "t.sqlite3"))
    await s.open()
    yield s
    await s.close()


def message(n: int, channel: Channel = Channel.TELEGRAM, user: str = "555", **contact: str) -> InboundMessage:
    return InboundMessage(channel=channel, account_id="acc", external_user_id=user, external_id=f"m{n}",
                          text=f"text {n}", contact=ContactHints.model_validate(contact))


async def test_messages_of_one_customer_join_one_open_conversation(stores: SqliteStores) -> None:
    found = await resolve(message(1), stores.customers)
    customer, created = found.customer, found.created
    first, how1 = await attach(message(1), customer, stores.conversations, window=WINDOW, at=T0)
    second, how2 = await attach(message(2), customer, stores.conversations, window=WINDOW, at=T0)
    assert created and (how1, how2) == (Attached.OPENED, Attached.JOINED) and first.id == second.id


async def test_a_message_inside_the_window_reopens_and_after_it_starts_afresh(stores: SqliteStores) -> None:
    customer = (await resolve(message(1), stores.customers)).customer
    conversation, _ = await attach(message(1), customer, stores.conversations, window=WINDOW, at=T0)
    conversation.transition(ConversationState.RESOLVED, note="answered", at=T0)
    await stores.conversations.save(conversation, expected_version=conversation.version)

    reopened, how = await attach(message(2), customer, stores.conversations, window=WINDOW, at=T0 + timedelta(hours=1))
    assert how is Attached.REOPENED and reopened.id == conversation.id and reopened.state is ConversationState.BOT

    reopened.transition(ConversationState.RESOLVED, note="answered again", at=T0 + timedelta(hours=2))
    await stores.conversations.save(reopened, expected_version=reopened.version)
    later = T0 + timedelta(hours=2) + WINDOW + timedelta(minutes=1)
    fresh, how = await attach(message(3), customer, stores.conversations, window=WINDOW, at=later)

    assert how is Attached.OPENED and fresh.id != conversation.id
    old = await stores.conversations.get(conversation.id)
    assert old.state is ConversationState.CLOSED and old.history[-1].note == "reopen window passed"


async def test_a_known_email_the_channel_proves_links_a_new_channel_to_the_same_customer(
        stores: SqliteStores) -> None:
    by_viber = (await resolve(message(1, Channel.VIBER, "vbr-1"), stores.customers)).customer
    by_mail = await resolve(message(2, Channel.EMAIL, "Anna@Example.ru", email="Anna@Example.ru"), stores.customers)
    assert by_mail.created and by_mail.claims == []
    # a trusted CRM account asserts both: the mail address and the Viber user are one customer
    by_crm = await resolve(message(3, Channel.API, "crm-1", email="anna@example.ru"), stores.customers, trusted=True)
    assert not by_crm.created and by_crm.customer.id == by_mail.customer.id
    again = await stores.customers.get(by_mail.customer.id)
    assert {i.key for i in again.identities} == {"email:anna@example.ru", "api:acc:crm-1"}
    assert (await stores.customers.get(by_viber.id)).identities[0].key == "viber:vbr-1"


async def test_an_e_mail_typed_in_another_channel_is_only_a_claim(stores: SqliteStores) -> None:
    by_mail = (await resolve(message(1, Channel.EMAIL, "anna@example.ru"), stores.customers)).customer
    by_viber = await resolve(message(2, Channel.VIBER, "vbr-1", email="Anna@Example.ru"), stores.customers)
    assert by_viber.created and by_viber.customer.id != by_mail.id
    assert [c.key for c in by_viber.claims] == ["email:anna@example.ru"]
    assert {i.key for i in by_viber.customer.identities} == {"viber:vbr-1"}


def shared_own(n: int, user: str, phone: str) -> InboundMessage:
    """Telegram's own-contact share: the connector vouches for the phone (verified)."""
    return message(n, user=user).model_copy(update={"contact": ContactHints(phone=phone, verified=True)})


async def test_an_identity_owned_by_someone_else_is_not_stolen(stores: SqliteStores) -> None:
    anna = (await resolve(shared_own(1, "anna", "+79160000001"), stores.customers)).customer
    boris = (await resolve(shared_own(2, "boris", "+79160000002"), stores.customers)).customer
    # Boris's telegram account now vouches for Anna's phone: Boris stays Boris, Anna keeps her phone
    who = await resolve(shared_own(3, "boris", "+79160000001"), stores.customers)
    assert not who.created and who.customer.id == boris.id
    assert (await stores.customers.get(anna.id)).has(anna.identities[1])
    assert len((await stores.customers.get(boris.id)).identities) == 2
