"""Erasing one customer (152-FZ art. 21, GDPR art. 17): anonymised in every store and its files deleted,
the audit log notes who did it, and `customer.erased` tells the CRM. Repeating it is harmless."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from hub import events
from hub.privacy.audit import record_read
from hub.privacy.export import current_customer
from hub.privacy.files import remove_files
from models.clock import utcnow
from models.ids import CustomerId
from models.privacy import Erasure, ReadKind

if TYPE_CHECKING:
    from hub.core import Hub


async def erase_customer(hub: Hub, customer_id: CustomerId, *, actor: str, via: str) -> Erasure:
    """Anonymise the customer (and those merged into them) everywhere; what changed."""
    customer = await current_customer(hub, customer_id)
    erased = await hub.stores.privacy.erase(customer, at=utcnow())
    await asyncio.to_thread(remove_files, hub, erased.files)  # a slow disk must not stall the event loop
    await record_read(hub, actor=actor, customer_id=customer.id, kind=ReadKind.ERASE, via=via)
    # The event id is the customer's: a repeated erasure republishes it, and subscribers drop the repeat.
    await events.emit(hub, "customer.erased", customer.id, customer_id=customer.id, actor=actor,
                      messages=erased.messages, conversations=erased.conversations, cases=erased.cases)
    return erased
