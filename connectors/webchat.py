"""The built-in web chat: a page on our own site, so Otklik can be tried with no messenger at all.

A visitor is identified by a random id in an HMAC-signed cookie; replies reach the open page through
the bus's broadcast (`webchat:<visitor>`) and, if the page was closed, from history when it reopens.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.base import SendReceipt
from hub.bus.base import Bus
from models.channels import Channel
from models.errors import PayloadError, SignatureError
from models.messages import MAX_TEXT, ContactHints, InboundMessage, OutboundMessage

ACCOUNT_ID = "web"


class WebChatMessageIn(BaseModel):
    """What the chat page posts."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    text: str = Field(min_length=1, max_length=MAX_TEXT)
    contact: ContactHints = Field(default_factory=ContactHints)


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
        external_id=payload.client_id, text=payload.text, contact=payload.contact,
    )


def topic(visitor: str) -> str:
    """The broadcast topic an open chat page listens on."""
    return f"webchat:{visitor}"


class WebChatSender:
    """Pushes a reply to the visitor's open chat page."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Broadcast to the page; history covers a page that is closed right now."""
        await self.bus.broadcast(topic(msg.recipient), msg.model_dump_json(include={"id", "text", "author", "buttons"}))
        return SendReceipt(external_id=msg.id)
