"""WhatsApp through Twilio: incoming messages and status callbacks in, messages (or templates) out.

Twilio docs followed:
- "Twilio's request to your incoming message Webhook URL" (https://www.twilio.com/docs/messaging/guides/
  webhook-request): form-encoded MessageSid, AccountSid, From/To ("whatsapp:+..."), Body, NumMedia,
  MediaUrl{N}/MediaContentType{N}, and the WhatsApp parameters ProfileName, WaId, ButtonText/ButtonPayload
  (quick-reply taps), Latitude/Longitude/Address/Label (shared locations), OriginalRepliedMessageSid (replies).
- "Outbound Message Status in Status Callbacks" (https://www.twilio.com/docs/messaging/guides/
  outbound-message-status-in-status-callbacks): MessageSid, MessageStatus (queued, sent, delivered, read,
  undelivered, failed...), ErrorCode; no callback for the initial status.
- Message resource, "Create a Message" (https://www.twilio.com/docs/messaging/api/message-resource): To, From or
  MessagingServiceSid, Body, MediaUrl, ContentSid + ContentVariables, StatusCallback.
- "The 24-hour customer service window" (https://www.twilio.com/docs/whatsapp/key-concepts) and error 63016:
  outside it only approved templates (Content API, https://www.twilio.com/docs/content) are delivered;
  quick replies are Content API "twilio/quick-reply" templates.

Signatures: connectors.twilio_common (RequestValidator against the public URL). The two webhook routes share
`parse_inbound`, which tells a status callback (it has MessageStatus) from an incoming message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from twilio.base.exceptions import TwilioException

from connectors import twilio_common
from connectors.base import SenderContext, SendReceipt
from connectors.twilio_common import FormParams
from models.channel_events import DeliveryUpdate
from models.channels import Channel, ChannelAccount
from models.clock import utcnow
from models.customers import normalize_phone
from models.errors import PayloadError, SendError
from models.messages import (
    MAX_TEXT,
    Attachment,
    Button,
    ContactHints,
    DeliveryStatus,
    InboundMessage,
    OutboundMessage,
)

log = logging.getLogger(__name__)

# WhatsApp allows free-form messages until 24 h after the customer's last message; keep a minute in hand for
# the time the message spends in Twilio's queue.
WINDOW = timedelta(hours=24) - timedelta(minutes=1)
WINDOW_CLOSED = "outside the 24-hour window"
OUTSIDE_WINDOW = f"{WINDOW_CLOSED} and no template configured"
ContentSid = Annotated[str, Field(pattern=r"^HX[0-9a-fA-F]{32}$")]
_SID = r"^[A-Z]{2}[0-9a-fA-F]{32}$"
_URL = r"^https?://\S+$"

_STATUS = {
    "sent": DeliveryStatus.SENT, "delivered": DeliveryStatus.DELIVERED, "read": DeliveryStatus.READ,
    "failed": DeliveryStatus.FAILED, "undelivered": DeliveryStatus.FAILED, "canceled": DeliveryStatus.FAILED,
}  # queued/accepted/scheduled/sending tell nothing our receipt did not; received/receiving are inbound
_KNOWN_ERRORS = {
    "63016": f"{WINDOW_CLOSED}: only templates are delivered",
    "63003": "the recipient is not a WhatsApp user", "63024": "invalid message recipient",
    "21211": "invalid 'To' number", "21610": "the recipient unsubscribed (STOP)",
    "63018": "rate limit exceeded for this WhatsApp sender", "63049": "Meta chose not to deliver this message",
}


class _Options(BaseModel):
    """A WhatsApp account's options (OTKLIK_ACCOUNTS[].options)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    from_: str | None = Field(default=None, alias="from", pattern=r"^whatsapp:\+[1-9]\d{6,14}$")
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    api_base: str = Field(default=twilio_common.API_BASE, pattern=_URL)
    webhook_url: str | None = Field(default=None, pattern=_URL)  # this account's inbound URL as Twilio calls it
    templates: dict[str, ContentSid] = Field(default_factory=dict)  # OutboundMessage.template -> Content SID
    quick_reply_templates: dict[str, ContentSid] = Field(default_factory=dict)  # "2" (buttons) -> Content SID
    session_template: ContentSid | None = None  # {{1}} = the text: free-form text outside the window

    @model_validator(mode="after")
    def _sender(self) -> _Options:
        if not (self.from_ or self.messaging_service_sid):
            raise ValueError("needs 'from' (whatsapp:+E164) or 'messaging_service_sid'")
        return self

    @property
    def status_callback(self) -> str | None:
        """Where Twilio posts delivery status of what we send."""
        return None if self.webhook_url is None else self.webhook_url.rstrip("/") + "/status"


class _MessageForm(BaseModel):
    """The fields of an incoming-message webhook we use (Twilio sends more; new ones appear unannounced)."""

    message_sid: str = Field(alias="MessageSid", pattern=_SID)
    account_sid: str = Field(alias="AccountSid", pattern=_SID)
    from_: str = Field(alias="From", pattern=r"^whatsapp:\+?\d{6,15}$")
    body: str = Field(default="", alias="Body", max_length=MAX_TEXT)
    num_media: int = Field(default=0, alias="NumMedia", ge=0, le=10)
    profile_name: str | None = Field(default=None, alias="ProfileName")
    wa_id: str | None = Field(default=None, alias="WaId", pattern=r"^\d{6,15}$")
    button_text: str | None = Field(default=None, alias="ButtonText", max_length=MAX_TEXT)
    latitude: float | None = Field(default=None, alias="Latitude", ge=-90, le=90)
    longitude: float | None = Field(default=None, alias="Longitude", ge=-180, le=180)
    label: str | None = Field(default=None, alias="Label")
    address: str | None = Field(default=None, alias="Address")
    replied_sid: str | None = Field(default=None, alias="OriginalRepliedMessageSid", max_length=256)


class _StatusForm(BaseModel):
    """The fields of a status callback we use."""

    message_sid: str = Field(alias="MessageSid", pattern=_SID)
    account_sid: str = Field(alias="AccountSid", pattern=_SID)
    message_status: str = Field(alias="MessageStatus", max_length=32)
    error_code: str | None = Field(default=None, alias="ErrorCode", max_length=16)
    error_message: str | None = Field(default=None, alias="ErrorMessage", max_length=500)
    channel_message: str | None = Field(default=None, alias="ChannelStatusMessage", max_length=500)


def options_of(account: ChannelAccount) -> _Options:
    """The account's validated options; ValueError naming the first problems."""
    try:
        return _Options.model_validate(account.options)
    except ValidationError as e:
        raise ValueError(f"whatsapp account {account.id!r}: options invalid: {_describe(e)}") from e


def check_account(account: ChannelAccount) -> None:
    """ValueError naming what the account's configuration lacks (a Twilio auth token, SIDs, sender)."""
    if not account.token.get_secret_value().strip():
        raise ValueError(f"whatsapp account {account.id!r}: token must be the Twilio auth token")
    options_of(account)


def verify(headers: Mapping[str, str], body: bytes, url: str, account: ChannelAccount) -> None:
    """Raise SignatureError unless X-Twilio-Signature signs `url` (the public URL Twilio called) and the form."""
    twilio_common.check_signature(headers, twilio_common.form_params(body), url, account)


def parse_inbound(body: bytes, account: ChannelAccount) -> list[InboundMessage | DeliveryUpdate]:
    """Twilio webhook form -> an incoming message, or a delivery status; [] for what we do not track."""
    params = twilio_common.form_params(body)
    # A status callback names the status of a message we sent; an incoming message has none (or "received").
    callback = (params.first("MessageStatus") or "received").lower() not in ("received", "receiving")
    try:
        events = _status(params, account) if callback else _message(params, account)
    except ValidationError as e:
        raise PayloadError(_describe(e)) from e
    return events


def _message(params: FormParams, account: ChannelAccount) -> list[InboundMessage | DeliveryUpdate]:
    form = _MessageForm.model_validate(params.flat())
    _same_account(form.account_sid, account)
    wa_id = form.wa_id or form.from_.removeprefix("whatsapp:").removeprefix("+")
    try:
        phone = normalize_phone(wa_id, international=True)
    except ValueError as e:
        raise PayloadError(f"WaId/From: {e}") from e
    attachments = _media(params, form.num_media) + _location(form)
    text = form.body or form.button_text or ""
    if not text.strip() and not attachments:
        return []  # nothing a person wrote (e.g. a message type Twilio passes without content)
    name = (form.profile_name or "").strip()[:200] or None
    return [InboundMessage(
        channel=Channel.WHATSAPP, account_id=account.id, external_user_id=wa_id, external_id=form.message_sid,
        text=text, attachments=attachments, contact=ContactHints(phone=phone, name=name),
        reply_to=form.replied_sid or None, button_press=form.button_text is not None, raw=params.flat(),
    )]


def _media(params: FormParams, count: int) -> list[Attachment]:
    found = []
    for n in range(count):
        url, mime = params.first(f"MediaUrl{n}"), params.first(f"MediaContentType{n}")
        if not url:
            raise PayloadError(f"NumMedia is {count} but MediaUrl{n} is missing")
        found.append(Attachment(kind=_kind(mime), url=url, mime_type=mime or None))
    return found


def _kind(mime: str | None) -> str:
    major = (mime or "").split("/")[0]
    if mime in ("text/vcard", "text/x-vcard"):
        return "contact"
    return major if major in ("image", "audio", "video") else "file"


def _location(form: _MessageForm) -> list[Attachment]:
    if form.latitude is None or form.longitude is None:
        return []
    name = (form.label or form.address or "").strip()[:255] or None
    return [Attachment(kind="location", file_id=f"geo:{form.latitude},{form.longitude}", name=name)]


def _status(params: FormParams, account: ChannelAccount) -> list[InboundMessage | DeliveryUpdate]:
    form = _StatusForm.model_validate(params.flat())
    _same_account(form.account_sid, account)
    status = _STATUS.get(form.message_status.lower())
    if status is None:
        return []
    reason = _reason(form) if status is DeliveryStatus.FAILED else None
    return [DeliveryUpdate(channel=Channel.WHATSAPP, account_id=account.id, external_id=form.message_sid,
                           status=status, reason=reason)]


def _reason(form: _StatusForm) -> str:
    if not form.error_code:
        return form.message_status.lower()
    known = _KNOWN_ERRORS.get(form.error_code, f"see https://www.twilio.com/docs/errors/{form.error_code}")
    theirs = f" ({form.error_message or form.channel_message})" if form.error_message or form.channel_message else ""
    return f"{form.message_status.lower()}: twilio error {form.error_code}: {known}{theirs}"


def _same_account(sid: str, account: ChannelAccount) -> None:
    if sid != account.options.get("account_sid"):
        raise PayloadError(f"AccountSid {sid} is not this account's: check the webhook URL set in Twilio")


def _describe(error: ValidationError) -> str:
    problems = [f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}" for e in error.errors()[:5]]
    return "; ".join(problems)


def render_text(text: str, buttons: list[Button]) -> str:
    """Text with the buttons as numbered options, for where WhatsApp has no buttons to show."""
    options = "\n".join(f"{n}. {b.title}" for n, b in enumerate(buttons, start=1))
    return "\n\n".join(part for part in (text, options) if part)


def in_window(last_inbound_at: datetime | None, now: datetime) -> bool:
    """Whether a free-form message may still be sent: the customer wrote less than 24 h ago."""
    if last_inbound_at is None:
        return False
    last = last_inbound_at if last_inbound_at.tzinfo else last_inbound_at.replace(tzinfo=UTC)
    return now - last < WINDOW


def content_of(msg: OutboundMessage, options: _Options, now: datetime) -> dict[str, Any]:
    """What to send: Body/MediaUrl inside the window, else an approved template (ContentSid + variables)."""
    if msg.template:
        sid = options.templates.get(msg.template)
        if sid is None:
            raise SendError(f"template {msg.template!r} is not configured in options.templates", retryable=False)
        return _template(sid, msg.template_vars)
    if not in_window(msg.last_inbound_at, now):
        if options.session_template is None:
            raise SendError(OUTSIDE_WINDOW, retryable=False)
        return _template(options.session_template, {"1": render_text(msg.text, msg.buttons)})
    quick = options.quick_reply_templates.get(str(len(msg.buttons))) if msg.buttons else None
    if quick is not None:  # {{1}} the text, then each button's title and id: {{2}}, {{3}}, {{4}}, {{5}}...
        variables = {"1": msg.text}
        for n, button in enumerate(msg.buttons):
            variables[str(2 + 2 * n)], variables[str(3 + 2 * n)] = button.title, button.payload
        return _template(quick, variables)
    body, media = render_text(msg.text, msg.buttons), [str(a.url) for a in msg.attachments if a.url]
    if not body and not media:
        raise SendError("nothing to send: no text and no attachment with a URL", retryable=False)
    return {"body": body or None, "media_url": media or None}


def _template(sid: str, variables: dict[str, str]) -> dict[str, Any]:
    return {"content_sid": sid, "content_variables": json.dumps(variables, ensure_ascii=False) if variables else None}


class TwilioWhatsAppSender:
    """Sends through Twilio's Messages API with the async client; maps refusals to SendError."""

    def __init__(self, messages: Any, options: _Options, status_callback: str | None) -> None:
        self.messages = messages  # twilio's MessageList of the account
        self.options = options
        self.status_callback = status_callback

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Deliver one message; the receipt carries the Message SID that status callbacks name."""
        try:
            to = "whatsapp:" + normalize_phone(msg.recipient, international=True)
        except ValueError as e:
            raise SendError(f"recipient {msg.recipient!r} is not a WhatsApp number", retryable=False) from e
        params = {"to": to, "from_": self.options.from_, "messaging_service_sid": self.options.messaging_service_sid,
                  "status_callback": self.status_callback, **content_of(msg, self.options, utcnow())}
        try:
            created = await self.messages.create_async(**{k: v for k, v in params.items() if v is not None})
        except (TwilioException, ValueError) as e:  # 429/5xx/network: already retryable SendErrors (HTTP client)
            raise _refusal(e) from e
        return SendReceipt(external_id=str(created.sid), status=DeliveryStatus.SENT)  # queued at Twilio = sent


def _refusal(error: Exception) -> SendError:
    _, code, message = twilio_common.twilio_error(error)
    if code == 63016:
        return SendError(f"{WINDOW_CLOSED} (twilio error 63016: {message})", retryable=False)
    return twilio_common.permanent(error)


def build_sender(account: ChannelAccount, ctx: SenderContext) -> TwilioWhatsAppSender:
    """The account's sender: a twilio Client on aiohttp, pointed at options.api_base, closed with the hub."""
    options = options_of(account)
    # The account's own webhook URL wins; else our public address; else no status comes back.
    status_callback = options.status_callback or (
        f"{ctx.public_url.rstrip('/')}/webhooks/whatsapp/{account.id}/status" if ctx.public_url else None)
    if status_callback is None:
        log.warning("whatsapp account without OTKLIK_PUBLIC_URL or options.webhook_url: no StatusCallback, "
                    "delivery status unknown", extra={"account": account.id})
    client = twilio_common.build_client(options.account_sid, account.token.get_secret_value(), options.api_base,
                                        ctx.timeout, ctx.exit_stack)
    return TwilioWhatsAppSender(client.messages, options, status_callback)
