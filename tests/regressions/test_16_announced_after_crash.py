"""Issue 16, the fault campaign's "unannounced": a worker killed after creating the customer and opening the
conversation, but before storing the message, left customer.created and conversation.opened unpublished for good,
because ingest announced them only on the attempt that created them. The redelivery announces them again (the
same event ids, so a subscriber that did get them drops the repeat).
"""

from __future__ import annotations

from api.wiring import running_hub
from hub.customers import identity
from hub.inbound.ingest import handle_inbound
from hub.inbound.threads import attach
from models.channels import Channel
from models.clock import utcnow
from models.messages import InboundMessage
from tests.conftest import SettingsFactory
from tests.integration.helpers import events_so_far


def _message(external_id: str) -> InboundMessage:
    return InboundMessage(channel=Channel.API, account_id="crm", external_user_id="u-1", external_id=external_id,
                          text="здравствуйте")


async def test_the_redelivery_announces_what_a_crashed_delivery_created(make_settings: SettingsFactory) -> None:
    msg = _message("m-1")
    async with running_hub(make_settings()) as hub:
        crashed = await identity.resolve(msg, hub.stores.customers, trusted=False)  # the killed worker got this far
        conversation, _ = await attach(msg, crashed.customer, hub.stores.conversations, window=hub.reopen_window,
                                       at=utcnow())
        await handle_inbound(msg, hub)  # the redelivery
        await handle_inbound(_message("m-2"), hub)  # the customer's next message: nothing to announce again
        ids = [e.id for e in await events_so_far(hub)]

    assert crashed.created
    assert ids.count(f"customer.created:{crashed.customer.id}") == 1
    assert ids.count(f"conversation.opened:{conversation.id}:0") == 1


async def test_the_redelivery_announces_a_customer_created_before_any_conversation(
        make_settings: SettingsFactory) -> None:
    msg = _message("m-1")
    async with running_hub(make_settings()) as hub:
        crashed = await identity.resolve(msg, hub.stores.customers, trusted=False)  # killed right after this
        await handle_inbound(msg, hub)  # the redelivery opens the conversation
        ids = [e.id for e in await events_so_far(hub)]

    assert crashed.created
    assert ids.count(f"customer.created:{crashed.customer.id}") == 1
    assert sum(i.startswith("conversation.opened:") for i in ids) == 1
