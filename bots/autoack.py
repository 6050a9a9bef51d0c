"""The fallback participant when no dialog flows are served (OTKLIK_DIALOGS_DIR=""): acknowledge each message.

It tells the shopper they were heard, in their language, through the channel they wrote from; the dialog
bot (bots/participant.py) takes its place whenever flows are loaded.
"""

from __future__ import annotations

import re

from models.conversations import Conversation
from models.messages import AuthorKind, InboundMessage, Message, OutboundMessage

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)

TEXTS = {
    "ru": "Спасибо, мы получили ваше сообщение (обращение №{number}). Ответим здесь же.",
    "en": "Thank you, we have your message (request no. {number}). We will answer here.",
}


def language_of(text: str) -> str:
    """'ru' for text with Cyrillic letters, else 'en' (the NLU layer will do better)."""
    return "ru" if _CYRILLIC.search(text) else "en"


def acknowledgement(inbound: InboundMessage, stored: Message, conversation: Conversation) -> OutboundMessage:
    """The reply to `stored`, keyed on it so a redelivered message is acknowledged once."""
    text = TEXTS[language_of(inbound.text)].format(number=conversation.id[:8].upper())
    return OutboundMessage(
        conversation_id=conversation.id, customer_id=conversation.customer_id, channel=inbound.channel,
        account_id=inbound.account_id, recipient=inbound.external_user_id, text=text,
        author=AuthorKind.BOT, idempotency_key=f"ack:{stored.id}", reply_to=inbound.external_id,
    )
