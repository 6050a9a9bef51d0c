"""The generic JSON "api" channel: any system POSTs customer messages, replies are POSTed back.

Inbound: `POST /channels/api/{account}/messages` with `Authorization: Bearer <token>` and a JSON body
(`ApiMessageIn`). Outbound, for an account without a callback URL: the client reads replies from
`GET /channels/api/{account}/users/{user}/messages`. With one: a JSON POST to the account's callback URL, signed with
`X-Otklik-Signature: sha256=<hex HMAC-SHA256 of the body keyed by the account token>` and carrying
`Idempotency-Key`, so the receiver can verify it and drop retries it has already seen.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors.base import SenderContext, SendReceipt
from models.channels import Channel, ChannelAccount
from models.egress import EgressClient, EgressError, EgressReply
from models.errors import PayloadError, SendError, SignatureError
from models.messages import MAX_TEXT, Attachment, ContactHints, InboundMessage, OutboundMessage


class ApiMessageIn(BaseModel):
    """A customer's message as an API client sends it."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = Field(min_length=1, max_length=256, description="The client's id for the customer")
    message_id: str = Field(min_length=1, max_length=256, description="The client's id for this message: "
                            "sending the same id again is a no-op")
    text: str = Field(default="", max_length=MAX_TEXT)
    sent_at: datetime | None = None
    contact: ContactHints = Field(default_factory=ContactHints)
    attachments: list[Attachment] = Field(default_factory=list, max_length=20)
    reply_to: str | None = Field(default=None, max_length=256)
    button: bool = Field(default=False, description="The text is the payload of a button the customer pressed")


def verify(headers: Mapping[str, str], account: ChannelAccount) -> None:
    """Raise SignatureError unless `Authorization: Bearer <token>` matches the account's token."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise SignatureError("missing bearer token")
    if not hmac.compare_digest(token.encode(), account.token.get_secret_value().encode()):
        raise SignatureError("wrong token for this account")


def parse_inbound(body: bytes, account: ChannelAccount) -> InboundMessage:
    """API client JSON -> our message; PayloadError with the first problems if it does not validate."""
    try:
        payload = ApiMessageIn.model_validate_json(body)
    except ValidationError as e:
        raise PayloadError(_describe(e)) from e
    if not payload.text.strip() and not payload.attachments:
        raise PayloadError("a message needs text or attachments")
    extra: dict[str, Any] = {} if payload.sent_at is None else {"sent_at": payload.sent_at}
    return InboundMessage(
        channel=Channel.API, account_id=account.id, external_user_id=payload.user_id,
        external_id=payload.message_id, text=payload.text, attachments=payload.attachments,
        contact=payload.contact, reply_to=payload.reply_to, button_press=payload.button, raw=json.loads(body), **extra,
    )


def _describe(error: ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()[:5]]
    return "; ".join(problems)


def sign(body: bytes, token: str) -> str:
    """The signature header value for a callback body."""
    return "sha256=" + hmac.new(token.encode(), body, hashlib.sha256).hexdigest()


class ApiCallbackSender:
    """POSTs replies to the account's callback URL; maps HTTP failures to retryable or final SendErrors."""

    def __init__(self, http: EgressClient, account: ChannelAccount) -> None:
        self.http = http
        self.account = account

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Deliver one reply."""
        if not self.account.callback_url:
            return SendReceipt()  # a pull account: the reply waits on the thread endpoint, which marks it delivered
        body = json.dumps(_callback_body(msg), ensure_ascii=False).encode()
        headers = {
            "content-type": "application/json",
            "idempotency-key": msg.idempotency_key,
            "x-otklik-signature": sign(body, self.account.token.get_secret_value()),
        }
        try:
            reply = await self.http.post(self.account.callback_url, body, headers)
        except EgressError as e:  # timeouts, refused connections: the receiver may come back
            raise SendError(f"callback {e}", retryable=True) from e
        return _receipt(reply)


def build_sender(account: ChannelAccount, ctx: SenderContext) -> ApiCallbackSender:
    """The account's sender, on the client that reaches only public addresses (a client chose the URL)."""
    if ctx.outbound_http is None:
        raise ValueError("the api channel's callbacks need SenderContext.outbound_http (hub/egress.py)")
    return ApiCallbackSender(ctx.outbound_http, account)


def _callback_body(msg: OutboundMessage) -> dict[str, Any]:
    return {
        "type": "message",
        "message_id": msg.id,
        "conversation_id": msg.conversation_id,
        "user_id": msg.recipient,
        "author": msg.author.value,
        "text": msg.text,
        "reply_to": msg.reply_to,  # the client's message_id this answers (None for proactive messages)
        "buttons": [b.model_dump() for b in msg.buttons],
        "attachments": [a.model_dump(mode="json", exclude_none=True) for a in msg.attachments],
    }


def _receipt(reply: EgressReply) -> SendReceipt:
    status = reply.status
    if 200 <= status < 300:
        return SendReceipt(external_id=None)
    reason = f"callback answered {status}: {reply.text[:200]}"
    if status == 429 or status >= 500:
        retry_after = reply.retry_after
        delay = float(retry_after) if retry_after and retry_after.isascii() and retry_after.isdigit() else None
        raise SendError(reason, retryable=True, retry_after=delay)
    raise SendError(reason, retryable=False)
