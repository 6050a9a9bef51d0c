"""Viber connector over the REST Bot API with httpx: verify and parse callbacks, send messages.

Implements, from the Viber REST Bot API (https://developers.viber.com/docs/api/rest-bot-api/, mirrored at
https://creators.viber.com/docs/bots-api/):
- "Authentication token": every API call carries `X-Viber-Auth-Token`;
- "Callbacks": each callback is signed with `X-Viber-Content-Signature`, the hex HMAC-SHA256 of the raw
  JSON body keyed by the account's auth token; Viber retries an unanswered callback for about an hour;
- callback events: `message` ("Receive message from user": text, picture, video, file, sticker, contact,
  location, url; `tracking_data` of our last message comes back with the reply), `subscribed`,
  `unsubscribed`, `conversation_started` (with the deep link's `context`; its answer may be a welcome
  message, see `welcome_message`), `delivered` / `seen` / `failed` ("Message receipts callbacks",
  "Failed callback" with `desc`) and `webhook` (sent once by set_webhook to check the URL);
- "Send Message" and "Error Codes": the sender, in `connectors/viber_render.py`.

Our mapping choices: a location becomes `Attachment(kind="location", name="geo:<lat>,<lon>")` (RFC 5870;
`url` must be http(s)); a shared contact becomes a phone hint plus the same details as text; the
conversation_started context reaches the hub through the welcome message's tracking data: Viber returns
it with the shopper's first reply, which then carries it as `deep_link` (no welcome configured: the
context is lost, as nothing can be stored before the shopper writes).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from connectors import viber_render as render
from connectors.base import Sender, SenderContext
from models.channel_events import ChannelEvent, DeliveryUpdate, SubscriptionChange
from models.channels import Channel, ChannelAccount
from models.clock import utcnow
from models.customers import normalize_phone
from models.errors import PayloadError, SignatureError
from models.messages import Attachment, ContactHints, DeliveryStatus, InboundMessage

SIGNATURE_HEADER = "x-viber-content-signature"
CONTEXT_PREFIX = "otklik-context:"  # tracking data of a welcome message that carries a deep-link context
MAX_TIMESTAMP_MS = 32_503_680_000_000  # year 3000: anything later is not a Viber timestamp
REPLAY_WINDOW = timedelta(hours=24)  # Viber retries an unanswered callback for about an hour


class _Options(BaseModel):
    """A Viber account's options (OTKLIK_ACCOUNTS[].options)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sender_name: str = Field(min_length=1, max_length=render.MAX_SENDER_NAME)
    sender_avatar: str | None = Field(default=None, pattern=r"^https?://")
    api_base: str = Field(default=render.DEFAULT_API_BASE, pattern=r"^https?://")
    welcome: str | None = Field(default=None, min_length=1, max_length=render.MAX_TEXT)
    replay_window_hours: float = Field(default=REPLAY_WINDOW.total_seconds() / 3600, gt=0)


class _User(BaseModel):
    id: str = Field(min_length=1, max_length=256)
    name: str | None = None


class _Contact(BaseModel):
    name: str | None = None
    phone_number: str | None = None


class _Location(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)

    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)


class _Message(BaseModel):
    type: str
    text: str | None = None
    media: str | None = None
    file_name: str | None = None
    size: int | None = Field(default=None, ge=0)
    sticker_id: int | str | None = None
    contact: _Contact | None = None
    location: _Location | None = None
    tracking_data: str | None = None


class _Callback(BaseModel):
    event: str
    timestamp: int | None = Field(default=None, ge=0, le=MAX_TIMESTAMP_MS)
    message_token: int | str | None = None
    sender: _User | None = None  # message
    user: _User | None = None  # subscribed, conversation_started
    user_id: str | None = Field(default=None, min_length=1, max_length=256)  # unsubscribed, receipts
    message: _Message | None = None
    desc: str | None = None
    context: str | None = None


def check_account(account: ChannelAccount) -> None:
    """ValueError naming what the account's configuration lacks (sender_name is required)."""
    if not account.token.get_secret_value().strip():
        raise ValueError(f"viber account {account.id!r}: token (the bot's auth token) is empty")
    _options(account)


def _options(account: ChannelAccount) -> _Options:
    try:
        return _Options.model_validate(account.options)
    except ValidationError as e:
        raise ValueError(f"viber account {account.id!r} options: {_describe(e)}") from e


def verify(
    headers: Mapping[str, str], body: bytes, token: str, *, now: datetime | None = None,
    window: timedelta = REPLAY_WINDOW,
) -> None:
    """Raise SignatureError unless X-Viber-Content-Signature = hex HMAC-SHA256(body, token), sent recently."""
    signature = next((v for k, v in headers.items() if k.lower() == SIGNATURE_HEADER), "")
    if not token:
        raise SignatureError("no auth token configured for this viber account")
    if not signature.strip():
        raise SignatureError("missing X-Viber-Content-Signature header")
    expected = hmac.new(token.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature.strip().lower().encode(), expected.encode()):
        raise SignatureError("wrong X-Viber-Content-Signature for this account")
    try:
        raw = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: parse_inbound says why (422)
    if not isinstance(raw, dict):
        return
    sent = _timestamp_of(raw)  # signed, so a replayed callback cannot move it
    if sent is None:  # every Viber callback carries one; without it the replay window could not apply
        raise SignatureError("callback without a timestamp: the replay window cannot be checked")
    reference = int((now or utcnow()).timestamp() * 1000)
    if abs(reference - sent) > window.total_seconds() * 1000:
        raise SignatureError("callback timestamp is outside the replay window")


def replay_window(account: ChannelAccount) -> timedelta:
    """How far a signed callback's timestamp may be from now (option replay_window_hours, default 24)."""
    return timedelta(hours=_options(account).replay_window_hours)


def _timestamp_of(raw: dict[str, Any]) -> int | None:
    value = raw.get("timestamp")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_inbound(body: bytes, account: ChannelAccount) -> list[ChannelEvent]:
    """Viber callback -> our events. Pure; genuine but unsupported events -> []; malformed -> PayloadError."""
    raw = _json(body)
    event = raw.get("event")
    if not isinstance(event, str):
        raise PayloadError("event: a Viber callback names its event")
    handler = _HANDLERS.get(event)
    if handler is None:
        return []  # client_status and events Viber may add later: nothing to store
    try:
        return handler(_Callback.model_validate(raw), raw, account)
    except ValidationError as e:
        raise PayloadError(_describe(e)) from e


def welcome_message(body: bytes, account: ChannelAccount) -> dict[str, Any] | None:
    """The answer to a conversation_started callback: the configured welcome (with the user's name), or None."""
    options = _options(account)
    raw = _json(body)
    if raw.get("event") != "conversation_started" or options.welcome is None:
        return None
    try:
        callback = _Callback.model_validate(raw)
    except ValidationError as e:
        raise PayloadError(_describe(e)) from e
    name = (callback.user.name if callback.user else None) or ""
    text = options.welcome.replace("{name}", name)  # not str.format: the user's name is not a template
    context = (callback.context or "").strip()
    tracking = CONTEXT_PREFIX + context if context and len(context) <= 256 else None
    return render.welcome_body(text, render.sender_of(options.sender_name, options.sender_avatar), tracking)


def _json(body: bytes) -> dict[str, Any]:
    try:
        raw = json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as e:
        raise PayloadError(f"body: not JSON ({type(e).__name__})") from e
    if not isinstance(raw, dict):
        raise PayloadError("body: a Viber callback is a JSON object")
    return raw


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _message(cb: _Callback, raw: dict[str, Any], account: ChannelAccount) -> list[ChannelEvent]:
    if cb.sender is None or cb.message is None or cb.message_token is None:
        raise PayloadError("a message callback needs sender, message and message_token")
    build = _CONTENT.get(cb.message.type)
    if build is None:
        return []  # rich media and other types a shopper does not write
    text, attachments, contact = build(cb.message)
    name = contact.name or cb.sender.name  # a shared contact's name, else the sender's own
    hints = ContactHints(phone=contact.phone, name=name[:200] if name else None)
    return [InboundMessage(
        channel=Channel.VIBER, account_id=account.id, external_user_id=cb.sender.id,
        external_id=str(cb.message_token), text=text, attachments=attachments, contact=hints,
        deep_link=_deep_link(cb.message.tracking_data), raw=raw, **_sent_at(cb),
    )]


def _deep_link(tracking_data: str | None) -> str | None:
    if not tracking_data or not tracking_data.startswith(CONTEXT_PREFIX):
        return None  # our own message id, echoed back with the reply
    return tracking_data.removeprefix(CONTEXT_PREFIX)[:256] or None


def _sent_at(cb: _Callback) -> dict[str, Any]:
    return {} if cb.timestamp is None else {"sent_at": datetime.fromtimestamp(cb.timestamp / 1000, tz=UTC)}


_Content = tuple[str, list[Attachment], ContactHints]
_MEDIA_KINDS = {"picture": "image", "video": "video", "file": "file"}


def _text(m: _Message) -> _Content:
    return m.text or "", [], ContactHints()


def _media(m: _Message) -> _Content:
    if not m.media:
        raise PayloadError(f"message.media: a {m.type} message carries its URL")
    name = m.file_name[:255] if m.file_name else None
    return m.text or "", [Attachment(kind=_MEDIA_KINDS[m.type], url=m.media, name=name, size=m.size)], ContactHints()


def _sticker(m: _Message) -> _Content:
    sticker_id = None if m.sticker_id is None else str(m.sticker_id)[:512]
    return m.text or "", [Attachment(kind="sticker", file_id=sticker_id, url=m.media or None)], ContactHints()


def _link(m: _Message) -> _Content:
    if not m.media:
        raise PayloadError("message.media: a url message carries its URL")
    return m.text or m.media, [Attachment(kind="url", url=m.media)], ContactHints()


def _contact(m: _Message) -> _Content:
    if m.contact is None:
        raise PayloadError("message.contact: a contact message carries the contact")
    shared = " ".join(p for p in (m.contact.name, m.contact.phone_number) if p)
    name = m.contact.name[:200] if m.contact.name else None
    return m.text or shared, [], ContactHints(phone=_phone(m.contact.phone_number), name=name)


def _location(m: _Message) -> _Content:
    if m.location is None:
        raise PayloadError("message.location: a location message carries lat and lon")
    geo = f"geo:{m.location.lat},{m.location.lon}"
    return m.text or "", [Attachment(kind="location", name=geo)], ContactHints()


def _phone(raw: str | None) -> str | None:
    """A shared number in E.164: as written in a Russian address book first, then as an international one
    without '+'; None if it is neither (the message is still kept, only the phone link is lost)."""
    for international in (False, True):
        try:
            return normalize_phone(raw or "", international=international)
        except ValueError:
            continue
    return None


_CONTENT: dict[str, Callable[[_Message], _Content]] = {
    "text": _text, "picture": _media, "video": _media, "file": _media, "sticker": _sticker,
    "url": _link, "contact": _contact, "location": _location,
}


def _subscription(cb: _Callback, raw: dict[str, Any], account: ChannelAccount) -> list[ChannelEvent]:
    who = cb.user.id if cb.user is not None else cb.user_id
    if who is None:
        raise PayloadError(f"a {cb.event} callback names the user")
    return [SubscriptionChange(channel=Channel.VIBER, account_id=account.id, external_user_id=who,
                               subscribed=cb.event == "subscribed", **_at(cb))]


def _receipt(cb: _Callback, raw: dict[str, Any], account: ChannelAccount) -> list[ChannelEvent]:
    if cb.message_token is None:
        raise PayloadError(f"message_token: a {cb.event} callback names the message")
    status = {"delivered": DeliveryStatus.DELIVERED, "seen": DeliveryStatus.READ}.get(cb.event, DeliveryStatus.FAILED)
    reason = (cb.desc or "failed without a description")[:1000] if status is DeliveryStatus.FAILED else None
    return [DeliveryUpdate(channel=Channel.VIBER, account_id=account.id, external_id=str(cb.message_token),
                           status=status, reason=reason, **_at(cb))]


def _at(cb: _Callback) -> dict[str, Any]:
    return {"at": when} if (when := _sent_at(cb).get("sent_at")) else {}


def _nothing(cb: _Callback, raw: dict[str, Any], account: ChannelAccount) -> list[ChannelEvent]:
    return []  # webhook: set_webhook's check; conversation_started: answered with the welcome, nothing stored


_HANDLERS: dict[str, Callable[[_Callback, dict[str, Any], ChannelAccount], list[ChannelEvent]]] = {
    "message": _message, "subscribed": _subscription, "unsubscribed": _subscription,
    "delivered": _receipt, "seen": _receipt, "failed": _receipt,
    "conversation_started": _nothing, "webhook": _nothing,
}


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()[:5])


def build_sender(account: ChannelAccount, ctx: SenderContext) -> Sender:
    """The account's sender, on the shared HTTP client."""
    options = _options(account)
    return render.ViberSender(
        ctx.http, options.api_base, account.token.get_secret_value(),
        render.sender_of(options.sender_name, options.sender_avatar), timeout=ctx.timeout,
    )
