"""One-time codes on their way: a code hub/customers/verification.py issued goes out as a proactive message."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub.customers import verification
from hub.customers.verification import Outcome
from hub.outbound import proactive
from models.channels import Channel
from models.customers import Customer, Identity
from models.errors import Conflict
from models.ids import ConversationId

if TYPE_CHECKING:
    from hub.core import Hub


async def send_code(hub: Hub, claimer: Customer, identity: Identity, *, channel: Channel, now: datetime,
                    language: str, conversation_id: ConversationId | None = None) -> Outcome:
    """Request a code proving `identity` and send it to its owner (once per challenge: keyed on it)."""
    outcome = await verification.request_code(hub, claimer, identity, channel=channel, now=now, language=language,
                                              conversation_id=conversation_id)
    message = outcome.code_message
    if message is None:
        return outcome
    try:
        await proactive.send(hub, message.owner_id, proactive.Notification(text=message.text, channel=message.channel),
                             key=message.key, actor="verification")
    except Conflict:
        return Outcome(False, "cannot_send")
    return outcome
