"""The fallback participant when no dialog flows are served (OTKLIK_DIALOGS_DIR=""): acknowledge each message.

It tells the shopper they were heard, in their language, through the channel they wrote from; the dialog
bot (bots/participant.py) takes its place whenever flows are loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.outbound import outbox
from models.conversations import Conversation
from models.messages import AuthorKind, InboundMessage, Message, OutboundMessage
from nlu.language import UNKNOWN as UNKNOWN_LANGUAGE
from nlu.language import detect as detect_language

if TYPE_CHECKING:
    from hub.core import Hub

TEXTS = {
    "ru": "Спасибо, мы получили ваше сообщение (обращение №{number}). Ответим здесь же.",
    "en": "Thank you, we have your message (request no. {number}). We will answer here.",
}


def acknowledgement(inbound: InboundMessage, stored: Message, conversation: Conversation, *,
                    default_language: str = "ru") -> OutboundMessage:
    """The reply to `stored` in the shopper's language (the install's default when the text tells nothing),
    keyed on it so a redelivered message is acknowledged once."""
    language = detect_language(inbound.text)
    text = TEXTS[default_language if language == UNKNOWN_LANGUAGE else language].format(
        number=conversation.id[:8].upper())
    return OutboundMessage(
        conversation_id=conversation.id, customer_id=conversation.customer_id, channel=inbound.channel,
        account_id=inbound.account_id, recipient=inbound.external_user_id, text=text,
        author=AuthorKind.BOT, idempotency_key=f"ack:{stored.id}", reply_to=inbound.external_id,
    )


class Acknowledger:
    """The participant when no flows are served: one acknowledgement per customer message."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    async def answer(self, msg: InboundMessage, stored: Message, conversation: Conversation) -> None:
        """Queue the acknowledgement of `stored` (keyed on it: a redelivery is acknowledged once)."""
        await outbox.enqueue(acknowledgement(msg, stored, conversation,
                                             default_language=self.hub.settings.default_language), self.hub)

    async def serving(self) -> str | None:
        """Fixed replies: no version."""
        return None
