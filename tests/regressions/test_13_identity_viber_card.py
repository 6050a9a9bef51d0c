"""Issue 13: a Viber contact card of someone else does not link its sender to that person.

Before: `connectors/viber.py` passed the card's phone as a hint and it linked the sender's Viber id to
the customer who owns the phone (Anna), so the sender wrote into Anna's conversation. Viber cannot tell
whose card it is: now it is only the sender's claim.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from models.customers import Identity, IdentityKind
from models.messages import Direction
from tests.conftest import API_TOKEN, auth
from tests.fakes.viber_api import FakeViberApi, fake_viber_api
from tests.integration.channels.test_viber_channel import TOKEN, USER, account, callback, post
from tests.integration.helpers import eventually

ANNA_PHONE = Identity(kind=IdentityKind.PHONE, value="+79161234567")  # the phone on the fixture's card


@pytest.fixture
async def viber_api() -> AsyncIterator[FakeViberApi]:
    """The fake Viber Bot API on a free port."""
    async with fake_viber_api(TOKEN) as api:
        yield api


async def test_someone_elses_viber_contact_card_does_not_make_the_sender_that_customer(
    make_settings: Any, start_app: Any, viber_api: FakeViberApi
) -> None:
    settings = make_settings(accounts=[account(viber_api)], public_url="http://otklik.test",
                             api_accounts=[{"id": "crm", "token": API_TOKEN, "trusted": True}])
    async with start_app(settings) as running:
        store = running.hub.stores
        await running.client.post("/channels/api/crm/messages", headers=auth(), json={
            "user_id": "anna-1", "message_id": "a-1", "text": "Где мой заказ?", "contact": {"phone": "+79161234567"}})
        anna = await eventually(lambda: store.customers.find_by_identity(ANNA_PHONE), lambda c: c is not None)
        assert anna is not None
        assert (await post(running, callback("message__contact"))).status_code == 200
        await post(running, callback("message__text", message_token=5000000000000000001,
                                     message={"text": "Это Анна, отмените заказ"}))
        sender = Identity(kind=IdentityKind.VIBER, value=USER)
        viber_customer = await eventually(lambda: store.customers.find_by_identity(sender), lambda c: c is not None)
        assert viber_customer is not None
        theirs = await eventually(lambda: store.messages.list_for_customer(viber_customer.id),
                                  lambda ms: len([m for m in ms if m.direction is Direction.INBOUND]) == 2)
        annas = await store.messages.list_for_customer(anna.id)
        anna_now = await store.customers.get(anna.id)
        [claim] = await store.claims.of_customer(viber_customer.id)

    assert viber_customer.id != anna.id
    assert "Это Анна, отмените заказ" not in [m.text for m in annas]
    assert {i.key for i in anna_now.identities} == {"api:crm:anna-1", ANNA_PHONE.key}
    assert [i.kind for i in viber_customer.identities] == [IdentityKind.VIBER]
    assert claim.identity == ANNA_PHONE and len(theirs) >= 2
