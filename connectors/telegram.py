"""Telegram, through the Bot API and aiogram 3: verify a webhook call, read an Update, send replies.

Implemented from https://core.telegram.org/bots/api:
- "setWebhook": the `secret_token` given there comes back in the `X-Telegram-Bot-Api-Secret-Token` header of
  every webhook call; `verify` compares it in constant time and refuses a missing one.
- "Getting updates" / "Update": `message`, `edited_message`, `callback_query` and `my_chat_member` are read;
  every other update type is genuine but unsupported, so it gives [] (and the webhook answers 200).
- "ChatMemberUpdated": in a private chat, the bot's status turning "kicked" means the user blocked the bot
  (a SubscriptionChange: the outbox stops messaging them) and "member" that they unblocked it.
- "Message", "PhotoSize", "Document", "Audio", "Video", "Voice", "VideoNote", "Sticker": files become
  attachments by `file_id` (fetched later, never here); the largest photo size is kept; a caption is the text.
- "Contact" (and "KeyboardButton.request_contact"): a contact whose `user_id` is the sender's own id is the
  phone Telegram verified for them, so it becomes a verified phone hint that links the identities.
- "CallbackQuery": the button's `data` becomes the text; the query must be answered ("answerCallbackQuery"),
  which in webhook mode rides on the webhook's response ("Making requests when getting updates").
- https://core.telegram.org/bots/features#deep-linking: "/start PAYLOAD", PAYLOAD of 1-64 `A-Za-z0-9_-`.
- "Making requests": failures are `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`,
  which aiogram's `check_response` raises as exceptions; connectors.telegram_render maps those to SendError.

A message id is unique only within its chat, so a message's external id is "<chat id>:<message id>".
Only private chats are read for now: groups and channels give [] (replies go to the chat id, which is the
sender's user id only in a private chat).
"""

from __future__ import annotations

import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field, ValidationError

from connectors.base import SenderContext
from models.channel_events import ChannelEvent, MessageEdit, SubscriptionChange
from models.channels import Channel, ChannelAccount
from models.customers import normalize_phone
from models.errors import PayloadError, SignatureError
from models.messages import Attachment, ContactHints, InboundMessage

if TYPE_CHECKING:  # aiogram takes seconds to import: only processes that talk to Telegram pay for it
    from aiogram import Bot

    from connectors.telegram_render import TelegramSender

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
WEBHOOK_SECRET = "webhook_secret"  # account.secrets key; sent to setWebhook as secret_token
ALLOWED_UPDATES = ["message", "edited_message", "callback_query", "my_chat_member"]  # for setWebhook, getUpdates
_BOT_TOKEN = re.compile(r"[0-9]+:\S+")  # aiogram's validate_token: "<bot id>:<secret>", no spaces
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # setWebhook: "1-256 characters A-Z, a-z, 0-9, _ and -"
_DEEP_LINK = re.compile(r"/start(?:@\w+)? ([A-Za-z0-9_-]{1,64})")
_LATEST = 253_402_300_799  # 9999-12-31: a Unix time past this cannot be a datetime


class _User(BaseModel):
    id: int
    first_name: str = ""
    last_name: str | None = None


class _Chat(BaseModel):
    id: int
    type: str


class _File(BaseModel):
    file_id: str = Field(min_length=1, max_length=512)
    file_size: int | None = Field(default=None, ge=0)
    mime_type: str | None = Field(default=None, max_length=127)
    file_name: str | None = Field(default=None, max_length=255)


class _PhotoSize(_File):
    width: int = 0
    height: int = 0


class _Sticker(_File):
    emoji: str | None = None


class _Contact(BaseModel):
    phone_number: str = Field(max_length=64)
    first_name: str = ""
    last_name: str | None = None
    user_id: int | None = None


class _Message(BaseModel):
    message_id: int
    sender: _User | None = Field(default=None, alias="from")
    chat: _Chat
    date: int = Field(ge=0, le=_LATEST)  # 0 for an inaccessible message inside a callback query
    edit_date: int | None = Field(default=None, ge=0, le=_LATEST)
    text: str | None = None
    caption: str | None = None
    photo: list[_PhotoSize] = Field(default_factory=list)
    document: _File | None = None
    audio: _File | None = None
    video: _File | None = None
    voice: _File | None = None
    video_note: _File | None = None
    sticker: _Sticker | None = None
    contact: _Contact | None = None


class _CallbackQuery(BaseModel):
    id: str = Field(min_length=1, max_length=128)
    sender: _User = Field(alias="from")
    message: _Message | None = None
    data: str | None = None


class _Member(BaseModel):
    status: str


class _MemberUpdate(BaseModel):
    chat: _Chat
    date: int = Field(ge=0, le=_LATEST)
    new_chat_member: _Member


class _Update(BaseModel):
    update_id: int
    message: _Message | None = None
    edited_message: _Message | None = None
    callback_query: _CallbackQuery | None = None
    my_chat_member: _MemberUpdate | None = None


@dataclass(frozen=True)
class TelegramUpdate:
    """What one Update means to Otklik: its events, and the callback query it obliges us to answer."""

    events: list[ChannelEvent] = field(default_factory=list)
    callback_query_id: str | None = None

    def webhook_answer(self) -> dict[str, str] | None:
        """The Bot API call to make in the webhook's response body (answerCallbackQuery), if any."""
        if self.callback_query_id is None:
            return None
        return {"method": "answerCallbackQuery", "callback_query_id": self.callback_query_id}


def check_account(account: ChannelAccount) -> None:
    """ValueError naming what the account's configuration lacks: a bot token, the webhook secret, sane options."""
    where = f"telegram account {account.id!r}"
    if not _BOT_TOKEN.fullmatch(account.token.get_secret_value()):
        raise ValueError(f"{where}: token is not a bot token ('<digits>:<secret>' from @BotFather)")
    if WEBHOOK_SECRET not in account.secrets:
        raise ValueError(f"{where} needs secrets.{WEBHOOK_SECRET} (set as secret_token, checked on every webhook)")
    if not _SECRET_TOKEN.fullmatch(account.secret(WEBHOOK_SECRET)):
        raise ValueError(f"{where}: secrets.{WEBHOOK_SECRET} must be 1-256 characters of A-Z a-z 0-9 _ -")
    if account.options.get("buttons", "inline") not in ("inline", "reply"):
        raise ValueError(f"{where}: options.buttons must be 'inline' or 'reply'")
    base = account.options.get("api_base")
    if base is not None and not (isinstance(base, str) and base.startswith(("http://", "https://"))):
        raise ValueError(f"{where}: options.api_base must be an http(s) URL")


def verify(headers: Mapping[str, str], account: ChannelAccount) -> None:
    """Raise SignatureError unless the secret-token header equals the account's webhook secret."""
    given = next((v for k, v in headers.items() if k.lower() == SECRET_HEADER.lower()), "")
    if not given:
        raise SignatureError(f"missing {SECRET_HEADER} header")
    expected = account.secrets.get(WEBHOOK_SECRET)
    if expected is None or not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise SignatureError(f"wrong {SECRET_HEADER} for this bot")


def parse_inbound(body: bytes, account: ChannelAccount) -> list[ChannelEvent]:
    """A webhook body (one Update) -> our events. Pure; unsupported updates -> []."""
    return read_update(body, account).events


def read_update(body: bytes, account: ChannelAccount) -> TelegramUpdate:
    """One Update -> its events and the callback query to answer; PayloadError if it is not an Update."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError) as e:  # bad JSON or UTF-8, absurd nesting
        raise PayloadError(f"body is not JSON: {type(e).__name__}") from e
    if not isinstance(payload, dict):
        raise PayloadError("body: an Update must be a JSON object")
    try:
        return _meaning(_Update.model_validate(payload), payload, account)
    except ValidationError as e:
        raise PayloadError(_describe(e)) from e


def _describe(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors()[:5])


def _meaning(update: _Update, raw: dict[str, Any], account: ChannelAccount) -> TelegramUpdate:
    if update.message is not None:
        return TelegramUpdate(_new_message(update.message, raw, account))
    if update.edited_message is not None:
        return TelegramUpdate(_edit(update.edited_message, account))
    if update.callback_query is not None:
        query = update.callback_query
        return TelegramUpdate(_button_press(query, raw, account), callback_query_id=query.id)
    if update.my_chat_member is not None:
        return TelegramUpdate(_subscription(update.my_chat_member, account))
    return TelegramUpdate()


def _private(m: _Message) -> bool:
    return m.chat.type == "private" and m.sender is not None


def _key(m: _Message) -> str:
    return f"{m.chat.id}:{m.message_id}"


def _time(unix: int) -> datetime:
    return datetime.fromtimestamp(unix, UTC)


def _name(user: _User | None) -> str | None:
    full = " ".join(p for p in (user.first_name, user.last_name) if p).strip() if user else ""
    return full[:200] or None


def _new_message(m: _Message, raw: dict[str, Any], account: ChannelAccount) -> list[ChannelEvent]:
    if not _private(m):
        return []
    text, attachments = _content(m)
    if not text and not attachments:
        return []  # service messages, polls, locations...: nothing we keep yet
    link = _DEEP_LINK.fullmatch(m.text.strip()) if m.text else None
    return [InboundMessage(
        channel=Channel.TELEGRAM, account_id=account.id, external_user_id=str(m.chat.id), external_id=_key(m),
        sent_at=_time(m.date), text=text, attachments=attachments, contact=_hints(m),
        deep_link=link.group(1) if link else None, raw=raw,
    )]


def _edit(m: _Message, account: ChannelAccount) -> list[ChannelEvent]:
    if not _private(m):
        return []
    text, attachments = _content(m)
    return [MessageEdit(channel=Channel.TELEGRAM, account_id=account.id, external_user_id=str(m.chat.id),
                        external_id=_key(m), text=text, attachments=attachments, at=_time(m.edit_date or m.date))]


def _button_press(query: _CallbackQuery, raw: dict[str, Any], account: ChannelAccount) -> list[ChannelEvent]:
    if not query.data or (query.message is not None and query.message.chat.type != "private"):
        return []  # a game button, or a button in a group
    return [InboundMessage(
        channel=Channel.TELEGRAM, account_id=account.id, external_user_id=str(query.sender.id),
        external_id=f"callback:{query.id}", text=query.data, contact=ContactHints(name=_name(query.sender)),
        reply_to=_key(query.message) if query.message is not None else None, button_press=True, raw=raw,
    )]


def _subscription(change: _MemberUpdate, account: ChannelAccount) -> list[ChannelEvent]:
    # In a private chat this update means exactly: the user blocked the bot ("kicked") or unblocked it.
    if change.chat.type != "private" or change.new_chat_member.status not in ("kicked", "member"):
        return []
    return [SubscriptionChange(channel=Channel.TELEGRAM, account_id=account.id, external_user_id=str(change.chat.id),
                               subscribed=change.new_chat_member.status == "member", at=_time(change.date))]


def _content(m: _Message) -> tuple[str, list[Attachment]]:
    found: list[Attachment] = []
    if m.photo:
        best = max(m.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
        found.append(Attachment(kind="image", file_id=best.file_id, size=best.file_size, mime_type=best.mime_type))
    files = (("file", m.document), ("audio", m.audio), ("video", m.video), ("audio", m.voice),
             ("video", m.video_note), ("sticker", m.sticker))
    for kind, f in files:
        if f is not None:
            found.append(Attachment(kind=kind, file_id=f.file_id, name=f.file_name, mime_type=f.mime_type,
                                    size=f.file_size))
    text = m.text or m.caption or ""
    if not text and m.contact is not None:  # a shared contact card shows as "Name: phone"
        who = " ".join(p for p in (m.contact.first_name, m.contact.last_name) if p)
        text = f"{who}: {m.contact.phone_number}" if who else m.contact.phone_number
    if not text and m.sticker is not None:
        text = m.sticker.emoji or ""
    return text, found


def _hints(m: _Message) -> ContactHints:
    name = _name(m.sender)
    shared = m.contact
    if shared is None or m.sender is None or shared.user_id != m.sender.id:
        return ContactHints(name=name)  # someone else's card: a phone we cannot vouch for
    try:
        phone = normalize_phone(shared.phone_number, international=True)  # Telegram omits the '+'
    except ValueError:
        return ContactHints(name=name)
    return ContactHints(phone=phone, verified=True, name=name)


def make_bot(account: ChannelAccount, *, timeout: float = 60.0) -> Bot:
    """The account's aiogram Bot, talking to options["api_base"] (default: the real Bot API); close its session."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import PRODUCTION, TelegramAPIServer

    base = account.options.get("api_base")
    api = TelegramAPIServer.from_base(base) if isinstance(base, str) and base else PRODUCTION
    return Bot(account.token.get_secret_value(), session=AiohttpSession(api=api, timeout=timeout))


def build_sender(account: ChannelAccount, ctx: SenderContext) -> TelegramSender:
    """The account's sender: one Bot, its HTTP session closed with the hub."""
    from connectors.telegram_render import TelegramSender

    bot = make_bot(account, timeout=ctx.timeout)
    ctx.exit_stack.push_async_callback(bot.session.close)
    return TelegramSender(bot, account)
