"""Outbound Telegram: an OutboundMessage as Bot API calls (sendMessage, sendPhoto, sendDocument, keyboards),
made through the account's aiogram Bot, with the Bot API's failures mapped to SendError.

Implemented from https://core.telegram.org/bots/api:
- "sendMessage": text of 1-4096 characters (longer text goes out in several messages); sent without
  `parse_mode`, so what an operator or a customer typed is never read as markup.
- "sendPhoto" / "sendDocument": a `file_id` Telegram knows or an HTTP URL it fetches itself ("Sending files");
  the caption is 0-1024 characters, so a longer text goes first as its own message.
- "InlineKeyboardMarkup" / "InlineKeyboardButton": `callback_data` is 1-64 bytes; the press comes back as a
  callback query carrying it. The default rendering of buttons.
- "ReplyKeyboardMarkup" / "KeyboardButton": with account option buttons="reply", a one-time keyboard whose
  press sends the button's title as a message; `request_contact` asks for the user's own verified phone.
- "Making requests": a failure is `{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`;
  aiogram raises it as TelegramRetryAfter (429), TelegramForbiddenError (403 "bot was blocked by the user"),
  TelegramBadRequest (400 "chat not found"), TelegramServerError (5xx), TelegramNetworkError (timeouts).
Telegram counts lengths in UTF-16 code units, as `_units` does.
"""

from __future__ import annotations

from collections import OrderedDict

from aiogram import Bot
from aiogram.exceptions import (
    AiogramError,
    ClientDecodeError,
    TelegramEntityTooLarge,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendDocument, SendMessage, SendPhoto
from aiogram.types import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)

from connectors.base import SendReceipt
from models.channels import ChannelAccount
from models.errors import SendError
from models.messages import Attachment, Button, OutboundMessage

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes
# A button with this payload asks the customer to share their phone (a reply keyboard; inline ones cannot).
REQUEST_CONTACT = "telegram:request_contact"

SendCall = SendMessage | SendPhoto | SendDocument
Keyboard = InlineKeyboardMarkup | ReplyKeyboardMarkup


def render(msg: OutboundMessage, chat_id: int, *, reply_keyboard: bool = False) -> list[SendCall]:
    """The calls that deliver `msg`, in order; the keyboard rides on the last. SendError if nothing to send."""
    files = [a for a in msg.attachments if a.file_id or a.url]
    as_caption = bool(files) and _units(msg.text) <= CAPTION_LIMIT
    calls: list[SendCall] = []
    if msg.text and not as_caption:
        calls += [SendMessage(chat_id=chat_id, text=part) for part in split_text(msg.text)]
    for n, attachment in enumerate(files):
        calls.append(_file_call(chat_id, attachment, msg.text if as_caption and n == 0 and msg.text else None))
    if not calls:
        raise SendError("nothing to send: no text and no attachment with a file id or URL", retryable=False)
    markup = keyboard(msg.buttons, reply=reply_keyboard)
    if markup is not None:
        calls[-1] = calls[-1].model_copy(update={"reply_markup": markup})
    return calls


def keyboard(buttons: list[Button], *, reply: bool = False) -> Keyboard | None:
    """The buttons as an inline keyboard (one per row), or a one-time reply keyboard; None without buttons."""
    if not buttons:
        return None
    if reply or any(b.payload == REQUEST_CONTACT for b in buttons):
        rows = [[KeyboardButton(text=b.title, request_contact=True if b.payload == REQUEST_CONTACT else None)]
                for b in buttons]
        return ReplyKeyboardMarkup(keyboard=rows, one_time_keyboard=True, resize_keyboard=True)
    for b in buttons:
        if len(b.payload.encode()) > CALLBACK_DATA_LIMIT:
            raise SendError(f"button {b.title!r}: payload over Telegram's {CALLBACK_DATA_LIMIT}-byte callback_data "
                            "limit", retryable=False)
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=b.title, callback_data=b.payload)]
                                                 for b in buttons])


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` UTF-16 units, never splitting a character."""
    parts: list[str] = []
    start, size = 0, 0
    for i, ch in enumerate(text):
        width = _units(ch)
        if size + width > limit:
            parts.append(text[start:i])
            start, size = i, 0
        size += width
    parts.append(text[start:])
    return parts


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _file_call(chat_id: int, attachment: Attachment, caption: str | None) -> SendCall:
    source = attachment.file_id or str(attachment.url)
    if attachment.kind == "image":
        return SendPhoto(chat_id=chat_id, photo=source, caption=caption)
    return SendDocument(chat_id=chat_id, document=source, caption=caption)


class TelegramSender:
    """Sends through the account's Bot; Bot API failures become SendError (the outbox does the retrying)."""

    _REMEMBERED = 1024

    def __init__(self, bot: Bot, account: ChannelAccount) -> None:
        self.bot = bot
        self.reply_keyboard = account.options.get("buttons") == "reply"
        # Parts of a multi-part message already delivered, by idempotency key: a retry after part 2 of 3
        # failed sends only what is left, so the customer never gets part 1 twice.
        self._delivered: OrderedDict[str, list[str]] = OrderedDict()

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Deliver one message (text, files, keyboard) to the chat in `msg.recipient`."""
        try:
            chat_id = int(msg.recipient)
        except ValueError as e:
            raise SendError(f"recipient {msg.recipient!r} is not a Telegram chat id", retryable=False) from e
        calls = render(msg, chat_id, reply_keyboard=self.reply_keyboard)
        done = self._delivered.setdefault(msg.idempotency_key, [])
        while len(self._delivered) > self._REMEMBERED:
            self._delivered.popitem(last=False)
        for call in calls[len(done):]:
            sent = await _call(self.bot, call)
            done.append(f"{sent.chat.id}:{sent.message_id}")
        self._delivered.pop(msg.idempotency_key, None)
        return SendReceipt(external_id=done[0])


async def _call(bot: Bot, call: SendCall) -> Message:
    try:
        return await bot(call)
    except AiogramError as e:
        raise as_send_error(type(call).__name__, e) from e


def as_send_error(method: str, e: AiogramError) -> SendError:
    """aiogram's view of the Bot API's answer -> whether the outbox may try again, and when."""
    reason = f"{method}: {getattr(e, 'message', None) or e}"[:1000]
    if isinstance(e, TelegramRetryAfter):  # 429 flood control: parameters.retry_after seconds
        return SendError(reason, retryable=True, retry_after=float(e.retry_after))
    if isinstance(e, TelegramEntityTooLarge):  # a network error subclass, but trying again will not help
        return SendError(reason, retryable=False)
    if isinstance(e, TelegramServerError | TelegramNetworkError | ClientDecodeError):  # 5xx, timeouts, a proxy's page
        return SendError(reason, retryable=True)
    return SendError(reason, retryable=False)  # 400 chat not found, 403 blocked, 401 bad token...
