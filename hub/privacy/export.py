"""Everything about one customer in one document: profile and identities, unproven claims, every
conversation with its messages, and the cases opened for them. Reading it is recorded in the audit log."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.privacy.audit import record_read
from models.clock import utcnow
from models.customers import Customer
from models.errors import NotFound
from models.ids import CustomerId
from models.messages import Message
from models.privacy import ConversationRecord, CustomerExport, ReadKind

if TYPE_CHECKING:
    from hub.core import Hub

PAGE = 500  # messages read per query: a customer with years of history never loads in one read
MERGE_HOPS = 10


async def current_customer(hub: Hub, customer_id: CustomerId) -> Customer:
    """The customer, following merges to the one who holds their data now; NotFound if absent."""
    customer = await hub.stores.customers.get(customer_id)
    for _ in range(MERGE_HOPS):
        if customer.merged_into is None:
            return customer
        customer = await hub.stores.customers.get(customer.merged_into)
    raise NotFound(f"customer {customer_id}: merged more than {MERGE_HOPS} times over")


async def export_customer(hub: Hub, customer_id: CustomerId, *, actor: str, via: str) -> CustomerExport:
    """The customer's whole record, oldest first inside each part; the audit log notes who took it."""
    customer = await current_customer(hub, customer_id)
    await record_read(hub, actor=actor, customer_id=customer.id, kind=ReadKind.EXPORT, via=via)
    messages = await _messages(hub, customer.id)
    conversations = [ConversationRecord(conversation=c, messages=messages.pop(c.id, []))
                     for c in await hub.stores.privacy.conversations_of(customer.id)]
    return CustomerExport(
        exported_at=utcnow(), customer=customer, claims=await hub.stores.claims.of_customer(customer.id),
        conversations=conversations, cases=await hub.stores.privacy.cases_of(customer.id),
    )


async def _messages(hub: Hub, customer_id: CustomerId) -> dict[str, list[Message]]:
    """Every message of the customer by conversation, read a page at a time."""
    found: dict[str, list[Message]] = {}
    after = 0
    while page := await hub.stores.privacy.messages_of(customer_id, after=after, limit=PAGE):
        for seq, message in page:
            found.setdefault(message.conversation_id, []).append(message)
            after = seq
    return found
