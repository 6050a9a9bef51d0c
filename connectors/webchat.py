"""The built-in web chat: a page on our own site, so Otklik can be tried with no messenger at all.

A visitor is identified by a random id in an HMAC-signed cookie; replies reach the open page through
the bus's broadcast (`webchat:<visitor>`) and, if the page was closed, from history when it reopens.

The web chat is its own channel provider, so it names its messages itself: every message id it gives the
hub, in both directions, is `<visitor>:<id>`. History is filtered by that prefix: a visitor sees only the
messages of their own session, even when identity resolution puts two sessions under one customer.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.base import SendReceipt
from models.channels import Channel
from models.errors import PayloadError, SignatureError
from models.messages import (
    MAX_TEXT,
    AuthorKind,
    Button,
    ContactHints,
    Direction,
    InboundMessage,
    Message,
    OutboundMessage,
)
from models.sending import Broadcaster

ACCOUNT_ID = "web"
BUTTON_TITLE = "button"  # the raw payload's key for the title of the button a visitor pressed


class WebChatMessageIn(BaseModel):
    """What the chat page posts: typed text, or a pressed button's payload as text with its title."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    button: str | None = Field(default=None, min_length=1, max_length=64)
    contact: ContactHints = Field(default_factory=ContactHints)


class PageMessage(BaseModel):
    """One bubble as the chat page draws it (the `message` event of /chat/events)."""

    id: str
    client_id: str | None = None  # the page's own id of a visitor's message: it drops the repeat
    conversation_id: str
    direction: Literal["inbound", "outbound"]
    author: AuthorKind
    author_name: str | None = None
    text: str
    button: str | None = None  # the title the visitor pressed (the text is then its payload)
    buttons: list[Button] = Field(default_factory=list)


def new_visitor() -> str:
    """A fresh visitor id."""
    return secrets.token_urlsafe(16)


def sign_visitor(visitor: str, key: str) -> str:
    """The cookie value: visitor id and its signature."""
    mac = hmac.new(key.encode(), visitor.encode(), hashlib.sha256).hexdigest()
    return f"{visitor}.{mac}"


def verify_visitor(cookie: str | None, key: str) -> str:
    """The visitor id from a signed cookie; SignatureError if absent or forged."""
    visitor, _, mac = (cookie or "").rpartition(".")
    expected = hmac.new(key.encode(), visitor.encode(), hashlib.sha256).hexdigest()
    if not visitor or not hmac.compare_digest(mac, expected):
        raise SignatureError("no valid web chat session; reload the chat page")
    return visitor


def message_key(visitor: str, local_id: str) -> str:
    """The channel's id of a message of this visitor's session (visitor ids never contain ':')."""
    return f"{visitor}:{local_id}"


def local_id(visitor: str, external_id: str | None) -> str | None:
    """The page's id inside a message id of this visitor's session; None for anyone else's message."""
    prefix = f"{visitor}:"
    if external_id is None or not external_id.startswith(prefix):
        return None
    return external_id[len(prefix):]


def parse_inbound(body: bytes, visitor: str) -> InboundMessage:
    """Chat page JSON -> our message; the client id makes a resubmitted message a no-op."""
    try:
        payload = WebChatMessageIn.model_validate_json(body)
    except ValidationError as e:
        raise PayloadError("; ".join(f"{'.'.join(map(str, x['loc']))}: {x['msg']}" for x in e.errors()[:5])) from e
    if not payload.text.strip():
        raise PayloadError("text: empty message")
    return InboundMessage(
        channel=Channel.WEBCHAT, account_id=ACCOUNT_ID, external_user_id=visitor,
        external_id=message_key(visitor, payload.client_id), text=payload.text, contact=payload.contact,
        raw={BUTTON_TITLE: payload.button} if payload.button else {}, button_press=payload.button is not None,
    )


def page_message(message: Message, visitor: str) -> PageMessage | None:
    """A stored message as this visitor's page shows it; None unless it belongs to their session."""
    own = local_id(visitor, message.external_id)
    if own is None or message.channel is not Channel.WEBCHAT or message.direction is Direction.INTERNAL:
        return None
    inbound = message.direction is Direction.INBOUND
    title = message.raw.get(BUTTON_TITLE) if inbound else None
    return PageMessage(
        id=message.id, client_id=own if inbound else None, conversation_id=message.conversation_id,
        direction="inbound" if inbound else "outbound", author=message.author,
        author_name=shown_name(message.author_name), text=message.text,
        button=title if isinstance(title, str) else None, buttons=message.buttons,
    )


def shown_name(name: str | None) -> str | None:
    """How an operator is named to shoppers: the first name only (their full name stays inside)."""
    return name.split()[0] if name and name.split() else None


def topic(visitor: str) -> str:
    """The broadcast topic an open chat page listens on."""
    return f"webchat:{visitor}"


class WebChatSender:
    """Pushes a reply to the visitor's open chat page."""

    def __init__(self, bus: Broadcaster) -> None:
        self.bus = bus

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Broadcast to the page; history covers a page that is closed right now."""
        shown = PageMessage(
            id=msg.id, conversation_id=msg.conversation_id, direction="outbound", author=msg.author,
            author_name=shown_name(msg.author_name), text=msg.text, buttons=msg.buttons,
        )
        await self.bus.broadcast(topic(msg.recipient), shown.model_dump_json())
        return SendReceipt(external_id=message_key(msg.recipient, msg.id))
