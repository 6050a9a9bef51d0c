"""Issue 16, "same-key double sends without any fault": a message and its resend were handled at once, and both
deliveries sent it, because the sender checked "pending" without claiming it. Each attempt now claims the send
in the store: the other delivery waits for it, then finds it sent and only repeats the event.

Real parts: SQLite, the api channel's sender, a local HTTP server as the callback endpoint (slow, so the two
deliveries overlap).
"""

from __future__ import annotations

import asyncio

from api.wiring import running_hub
from hub.customers.identity import identity_on
from hub.inbound.ingest import handle_inbound
from hub.outbound import outbox
from models.channels import Channel
from models.messages import AuthorKind, DeliveryStatus, InboundMessage, OutboundMessage
from tests.conftest import API_TOKEN, LOCAL_RECEIVERS, SettingsFactory
from tests.fakes.http_receiver import HttpReceiver


async def test_two_deliveries_of_one_key_at_once_send_it_once(
        receiver: HttpReceiver, make_settings: SettingsFactory) -> None:
    account = {"id": "crm", "token": API_TOKEN, "callback_url": f"{receiver.url}/cb"}
    settings = make_settings(api_accounts=[account], outbound_allow=LOCAL_RECEIVERS, dialogs_dir="")
    async with running_hub(settings) as hub:
        await handle_inbound(InboundMessage(channel=Channel.API, account_id="crm", external_user_id="u-1",
                                            external_id="m-1", text="здравствуйте"), hub)
        customer = await hub.stores.customers.find_by_identity(identity_on(Channel.API, "crm", "u-1"))
        assert customer is not None
        first = (await hub.stores.messages.list_for_customer(customer.id))[0]
        reply = OutboundMessage(conversation_id=first.conversation_id, customer_id=first.customer_id,
                                channel=Channel.API, account_id="crm", recipient="u-1", text="ответ оператора",
                                author=AuthorKind.OPERATOR, idempotency_key="op:resent")
        stored = await outbox.enqueue(reply, hub)
        receiver.delay = 0.5  # both deliveries are inside the send at once
        await asyncio.gather(outbox.deliver(reply, hub), outbox.deliver(reply, hub))
        sent = await hub.stores.messages.find_by_key("op:resent")

    keys = [r.headers["idempotency-key"] for r in receiver.requests]
    assert keys.count(stored.idempotency_key) == 1
    assert sent is not None and sent.status is DeliveryStatus.SENT
