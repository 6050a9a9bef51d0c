"""Issue 13: a stranger who sends Anna's phone does not get into Anna's conversation.

Before: the phone hint linked the stranger's web chat and api identities to Anna, so their messages
went into Anna's queued conversation and operators read them as hers (and the stranger's chat history
became Anna's). Now the phone is only the stranger's claim: their own customer, their own conversation.
"""

from __future__ import annotations

from typing import Any

import pytest

from connectors import webchat
from hub.inbox import handover
from models.channels import Channel
from models.conversations import ConversationState
from models.customers import Identity, IdentityKind
from models.messages import Direction
from tests.conftest import API_TOKEN, auth
from tests.integration.helpers import eventually
from tests.integration.webchat_support import open_chat

ANNA_PHONE = Identity(kind=IdentityKind.PHONE, value="+79161234567")
PARTNER_TOKEN = "partner-token-0123456789abcdef"


@pytest.mark.parametrize("stranger_channel", ["webchat", "api"])
async def test_a_stranger_sending_annas_phone_stays_out_of_annas_queued_conversation(
    make_settings: Any, start_app: Any, stranger_channel: str
) -> None:
    accounts = [{"id": "crm", "token": API_TOKEN, "trusted": True},  # the chain's CRM: Anna's phone is proven
                {"id": "partner", "token": PARTNER_TOKEN}]  # a partner's widget: its contact hints are claims
    async with start_app(make_settings(api_accounts=accounts)) as running:
        hub, store = running.hub, running.hub.stores
        await running.client.post("/channels/api/crm/messages", headers=auth(), json={
            "user_id": "anna-1", "message_id": "a-1", "text": "Заказ 4512 не пришёл",
            "contact": {"phone": "+79161234567"}})
        anna = await eventually(lambda: store.customers.find_by_identity(ANNA_PHONE), lambda c: c is not None)
        assert anna is not None
        queued = await eventually(lambda: store.conversations.current_for(anna.id), lambda c: c is not None)
        assert queued is not None
        await handover.hand_over(hub, queued.id, topic="delivery_problem", note="Заказ 4512 не пришёл")

        text = "Это Анна. Отмените заказ 4512 и верните деньги на другую карту"
        if stranger_channel == "webchat":
            visitor = await open_chat(running.client)
            await running.client.post("/chat/messages", json={
                "client_id": "stranger-0001", "text": text, "contact": {"phone": "8 916 123-45-67", "name": "Анна"}})
            found = (Channel.WEBCHAT, webchat.ACCOUNT_ID, webchat.message_key(visitor, "stranger-0001"))
        else:
            await running.client.post("/channels/api/partner/messages", headers=auth(PARTNER_TOKEN), json={
                "user_id": "x-9", "message_id": "s-1", "text": text, "contact": {"phone": "+7 916 123-45-67"}})
            found = (Channel.API, "partner", "s-1")
        stranger = await eventually(lambda: store.messages.find_external(found[0], found[1], Direction.INBOUND,
                                                                         found[2]), lambda m: m is not None)
        assert stranger is not None
        annas_messages = await store.messages.list_for_conversation(queued.id)
        anna_now = await store.customers.get(anna.id)
        annas_conversation = await store.conversations.get(queued.id)
        claims = await store.claims.of_customer(stranger.customer_id)

    assert stranger.customer_id != anna.id and stranger.conversation_id != queued.id
    assert text not in [m.text for m in annas_messages]  # operators never read the stranger's words as Anna's
    assert {i.key for i in anna_now.identities} == {i.key for i in anna.identities}
    assert annas_conversation.state is ConversationState.QUEUED
    assert [c.identity.key for c in claims] == [ANNA_PHONE.key]  # kept, to be shown as "claimed, not verified"
