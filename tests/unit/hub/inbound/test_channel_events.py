"""Delivery status updates: only forward, and not lost when they beat our own record of the send."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from api.wiring import running_hub
from hub.inbound.dispatch import advances, apply_status
from models.channel_events import DeliveryUpdate
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.messages import DeliveryStatus, Message, OutboundMessage

D = DeliveryStatus


@pytest.mark.parametrize(
    ("current", "new", "moves"),
    [(D.PENDING, D.SENT, True), (D.SENT, D.DELIVERED, True), (D.DELIVERED, D.READ, True),
     (D.READ, D.DELIVERED, False), (D.READ, D.SENT, False), (D.SENT, D.FAILED, True),
     (D.DELIVERED, D.FAILED, False), (D.FAILED, D.DELIVERED, False), (D.SENT, D.SENT, False)],
)
def test_status_only_moves_forward(current: D, new: D, moves: bool) -> None:
    assert advances(current, new) is moves


async def test_a_receipt_that_beats_the_record_of_its_send_is_still_applied(make_settings: Any) -> None:
    async with running_hub(make_settings()) as hub:
        customer = Customer(identities=[Identity(kind=IdentityKind.API, value="crm:u")])
        await hub.stores.customers.create(customer)
        conversation = Conversation.open(customer.id, Channel.API, "crm", at=customer.created_at)
        await hub.stores.conversations.create(conversation)
        sent = Message.from_outbound(OutboundMessage(conversation_id=conversation.id, customer_id=customer.id,
                                                     channel=Channel.API, account_id="crm", recipient="u",
                                                     text="hi", idempotency_key="k1"))
        await hub.stores.messages.add(sent)

        receipt = DeliveryUpdate(channel=Channel.API, account_id="crm", external_id="ext-1", status=D.DELIVERED)
        applying = asyncio.create_task(apply_status(receipt, hub))
        await asyncio.sleep(0.1)  # the receipt is waiting; now the outbox records the send
        await hub.stores.messages.set_status(sent.id, D.SENT, external_id="ext-1")
        await applying
        assert (await hub.stores.messages.get(sent.id)).status is D.DELIVERED
