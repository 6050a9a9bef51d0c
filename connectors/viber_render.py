"""Viber's outbound side: send_message bodies, quick-reply keyboards, the welcome message, and the sender.

Implements, from the Viber REST Bot API (https://developers.viber.com/docs/api/rest-bot-api/ and
https://creators.viber.com/docs/bots-api/):
- "Send Message": general parameters (receiver, min_api_version, sender.name ≤ 28 chars, sender.avatar,
  tracking_data ≤ 4000 chars) and the message types text (≤ 7000 chars), picture (media + text as its
  description), video (media, size), file (media, size, file_name) and url (media);
- "Keyboards" (https://developers.viber.com/docs/tools/keyboards/): a keyboard of "reply" buttons, whose
  ActionBody comes back to the bot as the user's text message;
- "Sending a welcome message": the answer to conversation_started is a send_message body without receiver;
- "Error Codes": the `status` of Viber's HTTP 200 answers, mapped to retryable or final SendErrors.

One OutboundMessage may need several send_message calls (Viber carries one picture or file per message):
attachments go first, the text last, and the keyboard rides on the last one so it stays on screen.
"""

from __future__ import annotations

import html
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

from connectors.base import SendReceipt
from models.errors import SendError
from models.messages import Attachment, Button, OutboundMessage

DEFAULT_API_BASE = "https://chatapi.viber.com"
AUTH_HEADER = "X-Viber-Auth-Token"
MAX_TEXT = 7000  # send_message text limit
MAX_CAPTION = 512  # picture descriptions are shown short; a longer text goes in a message of its own
MAX_SENDER_NAME = 28
MAX_FILE_NAME = 256
KEYBOARD_WIDTH = 6  # a keyboard row is six columns wide


def sender_of(name: str, avatar: str | None = None) -> dict[str, str]:
    """The `sender` object every send_message body carries: the bot's display name and avatar."""
    return {"name": name, "avatar": avatar} if avatar else {"name": name}


def keyboard(buttons: list[Button]) -> dict[str, Any]:
    """Quick replies as a Viber keyboard: up to three buttons a row, each replying with its payload."""
    per_row = len(buttons) if len(buttons) <= 3 else 2
    return {
        "Type": "keyboard",
        "DefaultHeight": False,
        "Buttons": [
            {"ActionType": "reply", "ActionBody": b.payload, "Text": html.escape(b.title, quote=False),
             "Columns": KEYBOARD_WIDTH // per_row, "Rows": 1}
            for b in buttons
        ],
    }


def send_bodies(msg: OutboundMessage, sender: dict[str, str]) -> list[dict[str, Any]]:
    """The send_message bodies for one outbound message, in sending order; [] if Viber could show nothing."""
    media = [a for a in msg.attachments if a.url is not None]  # a file id from another channel means nothing here
    text = msg.text.strip()
    contents: list[dict[str, Any]] = []
    if len(media) == 1 and media[0].kind == "image" and len(text) <= MAX_CAPTION:
        contents.append(_media(media[0], caption=text))
        text = ""
    else:
        contents.extend(_media(a) for a in media)
    contents.extend({"type": "text", "text": part} for part in _split(text))
    common: dict[str, Any] = {"receiver": msg.recipient, "sender": sender, "tracking_data": msg.id}
    bodies = [{**common, **content} for content in contents]
    if bodies and msg.buttons:
        bodies[-1].update(min_api_version=1, keyboard=keyboard(msg.buttons))
    return bodies


def welcome_body(text: str, sender: dict[str, str], tracking_data: str | None = None) -> dict[str, Any]:
    """The welcome message answering a conversation_started callback (a send_message body without receiver)."""
    body: dict[str, Any] = {"type": "text", "text": text[:MAX_TEXT], "sender": sender}
    if tracking_data:
        body["tracking_data"] = tracking_data
    return body


def _media(attachment: Attachment, caption: str = "") -> dict[str, Any]:
    url = str(attachment.url)
    if attachment.kind == "image":
        return {"type": "picture", "media": url, "text": caption}
    if attachment.kind == "video" and attachment.size is not None:
        return {"type": "video", "media": url, "size": attachment.size}
    if attachment.size is not None:
        return {"type": "file", "media": url, "size": attachment.size, "file_name": _file_name(attachment, url)}
    # Viber refuses a file message without its size; a link still lets the shopper open the document.
    return {"type": "url", "media": url}


def _file_name(attachment: Attachment, url: str) -> str:
    name = attachment.name or unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or "file"
    return name[:MAX_FILE_NAME]


def _split(text: str) -> list[str]:
    """Text in pieces Viber accepts, cut at the last line break or space before the limit where there is one."""
    parts: list[str] = []
    while len(text) > MAX_TEXT:
        cut = max(text.rfind("\n", 0, MAX_TEXT), text.rfind(" ", 0, MAX_TEXT))
        cut = cut if cut > MAX_TEXT // 2 else MAX_TEXT
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*parts, text] if text else parts


class ViberSender:
    """POSTs send_message to the Viber API; maps Viber's answers to SendReceipt or SendError."""

    def __init__(
        self, http: httpx.AsyncClient, api_base: str, token: str, sender: dict[str, str], *, timeout: float = 10.0
    ) -> None:
        self.http = http
        self.url = api_base.rstrip("/") + "/pa/send_message"
        self.headers = {AUTH_HEADER: token}
        self.sender = sender
        self.timeout = timeout

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Deliver one message (one send_message call per part); the receipt names the last part's token."""
        bodies = send_bodies(msg, self.sender)
        if not bodies:
            raise SendError("nothing Viber can show: no text and no attachment with a URL", retryable=False)
        token = None
        for body in bodies:
            # Viber has no idempotency key: a retry after a partial success repeats the earlier parts.
            token = await self._post(body)
        return SendReceipt(external_id=token)

    async def _post(self, body: dict[str, Any]) -> str | None:
        try:
            response = await self.http.post(self.url, json=body, headers=self.headers, timeout=self.timeout)
        except httpx.TransportError as e:  # timeouts, refused connections: Viber may be back soon
            raise SendError(f"viber {type(e).__name__}: {e}", retryable=True) from e
        return _outcome(response)


def _outcome(response: httpx.Response) -> str | None:
    """The message token of an accepted message; SendError for anything else."""
    if response.status_code == 429 or response.status_code >= 500:
        retry_after = response.headers.get("retry-after", "")
        delay = float(retry_after) if retry_after.isascii() and retry_after.isdigit() else None
        raise SendError(f"viber answered HTTP {response.status_code}", retryable=True, retry_after=delay)
    if response.status_code != 200:
        raise SendError(f"viber answered HTTP {response.status_code}: {response.text[:200]}", retryable=False)
    try:
        answer = response.json()
    except ValueError as e:  # a proxy's error page: the call may not have reached Viber
        raise SendError("viber answered something that is not JSON", retryable=True) from e
    if not isinstance(answer, dict):
        raise SendError("viber answered JSON that is not an object", retryable=True)
    status = answer.get("status")
    if status == 0:
        token = answer.get("message_token")
        return None if token is None else str(token)
    reason = f"viber status {status} ({answer.get('status_message', 'no status message')})"
    if status == 12:  # tooManyRequests: rate control, passes
        raise SendError(reason, retryable=True)
    # 5 receiverNotRegistered, 6 receiverNotSubscribed: the shopper left Viber or the bot, and retrying cannot
    # change that; the hub's unsubscribed list (kept from 'unsubscribed' callbacks) keeps the outbox from trying
    # again. 2 invalidAuthToken, 7 blocked account, 3/4 bad data...: a configuration or a bug, not a hiccup.
    raise SendError(reason, retryable=False)
