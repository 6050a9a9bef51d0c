"""Replies by e-mail: an RFC 5322 message that threads in the shopper's client, sent with aiosmtplib.

Threading (RFC 5322 §3.6.4): In-Reply-To = the Message-ID of the mail we answer, References = its
References plus that Message-ID, Subject "Re: <its subject>". Our Message-ID is the SendReceipt's
external id, so a bounce (RFC 3464 DSN) naming it marks this message failed. The bot's own mail carries
`Auto-Submitted: auto-replied` (RFC 3834 §5) and `X-Auto-Response-Suppress: All` (Microsoft's
[MS-OXCMAIL] §2.2.3.2.14) so vacation responders do not answer it: no mail loops between robots.

Failures (RFC 5321 §4.2.1 reply codes): connection errors, timeouts and 4xx replies are retryable;
5xx replies (recipient refused, message rejected, authentication failed) are final.
"""

from __future__ import annotations

import html
import re
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

import aiosmtplib

from connectors.base import SendReceipt
from models.channels import Channel, ChannelAccount
from models.clock import utcnow
from models.errors import SendError
from models.messages import AuthorKind, Direction, Message, OutboundMessage
from models.sending import MessageHistory

DEFAULT_SUBJECT = "Ваше обращение"
_ANSWERED_PREFIX = re.compile(r"^\s*(re|ответ|отв|aw|sv)\s*(\[\d+\])?\s*:", re.I)
_MAX_REFERENCES = 10


class SmtpSender:
    """Sends one account's replies through its SMTP server; reads the answered mail to thread on it."""

    def __init__(self, account: ChannelAccount, messages: MessageHistory, *, timeout: float = 10.0) -> None:
        self.account = account
        self.messages = messages
        self.timeout = timeout

    async def send(self, msg: OutboundMessage) -> SendReceipt:
        """Deliver one reply; its Message-ID is the receipt's external id."""
        answered = await self._answered(msg)
        try:
            mail = compose(msg, self.account, answered)
        except ValueError as e:  # a recipient or subject no header may carry (line breaks): never sendable
            raise SendError(f"cannot build the mail: {e}", retryable=False) from e
        options = self.account.options
        tls = options.get("smtp_tls", "starttls")
        user = options.get("smtp_user", options["address"])
        try:
            await aiosmtplib.send(
                mail, hostname=options["smtp_host"], port=int(options.get("smtp_port") or _default_port(tls)),
                username=user or None, password=self.account.token.get_secret_value() if user else None,
                use_tls=tls == "ssl", start_tls=tls == "starttls",
                cert_bundle=options.get("ca_file"), timeout=self.timeout,
            )
        except aiosmtplib.SMTPException as e:
            raise _send_error(e) from e
        except OSError as e:  # refused connection, DNS failure, TLS handshake: the server may come back
            raise SendError(f"smtp connection failed: {e}", retryable=True) from e
        return SendReceipt(external_id=str(mail["Message-ID"]))

    async def _answered(self, msg: OutboundMessage) -> Message | None:
        """The customer's mail this reply answers: the one it names, else their latest in the conversation."""
        messages = self.messages
        if msg.reply_to:
            return await messages.find_external(Channel.EMAIL, self.account.id, Direction.INBOUND, msg.reply_to)
        history = await messages.list_for_conversation(msg.conversation_id)
        return next((m for m in reversed(history) if m.direction is Direction.INBOUND
                     and m.channel is Channel.EMAIL and m.account_id == self.account.id), None)


def _default_port(tls: str) -> int:
    return {"ssl": 465, "starttls": 587}.get(tls, 25)


def compose(msg: OutboundMessage, account: ChannelAccount, answered: Message | None) -> EmailMessage:
    """The reply as a multipart/alternative text + HTML mail, threaded on `answered` when there is one."""
    options = account.options
    address = str(options["address"])
    mail = EmailMessage()
    mail["From"] = formataddr((str(options.get("display_name") or ""), address))
    mail["To"] = msg.recipient
    mail["Subject"] = _subject(msg, options.get("subject"), answered)
    mail["Date"] = format_datetime(utcnow())
    # Stable per message: a retry after an ambiguous failure re-sends the same id, which receivers dedupe
    # and which a later bounce still maps to this message.
    mail["Message-ID"] = f"<otklik.{msg.id}@{address.rpartition('@')[2]}>"
    parent = (answered.raw.get("message_id") if answered else None) or msg.reply_to
    if parent:
        earlier = [str(r) for r in (answered.raw.get("references") or [])] if answered else []
        mail["In-Reply-To"] = parent
        mail["References"] = " ".join([*earlier[-(_MAX_REFERENCES - 1):], parent])
    if msg.author is AuthorKind.BOT:
        mail["Auto-Submitted"] = "auto-replied"
        mail["X-Auto-Response-Suppress"] = "All"
    text = body_text(msg)
    mail.set_content(text)
    mail.add_alternative(body_html(text), subtype="html")
    return mail


def _subject(msg: OutboundMessage, configured: object, answered: Message | None) -> str:
    original = str(answered.raw.get("subject") or "").strip() if answered else ""
    if original:
        return original if _ANSWERED_PREFIX.match(original) else f"Re: {original}"
    return f"{configured or DEFAULT_SUBJECT} №{msg.conversation_id[:8].upper()}"


def body_text(msg: OutboundMessage) -> str:
    """The plain text: the message, its buttons as a numbered list, its attachments as links."""
    parts = [msg.text.strip()]
    if msg.buttons:
        parts.append("\n".join(f"{n}. {b.title}" for n, b in enumerate(msg.buttons, start=1)))
    links = [f"{a.name or a.kind}: {a.url}" for a in msg.attachments if a.url]
    if links:
        parts.append("\n".join(links))
    return "\n\n".join(p for p in parts if p) + "\n"


def body_html(text: str) -> str:
    """The HTML alternative: the same text, escaped, line breaks kept."""
    escaped = html.escape(text.rstrip("\n")).replace("\n", "<br>\n")
    return f'<!DOCTYPE html>\n<html><body><div style="font-family: sans-serif">{escaped}</div></body></html>\n'


def _send_error(error: aiosmtplib.SMTPException) -> SendError:
    """An SMTP failure as a SendError: 4xx and lost connections are retryable, 5xx and config errors final."""
    if isinstance(error, aiosmtplib.SMTPRecipientsRefused) and error.recipients:
        error = error.recipients[0]
    if isinstance(error, aiosmtplib.SMTPResponseException):
        return SendError(f"smtp {error.code}: {error.message[:300]}", retryable=400 <= error.code < 500)
    if isinstance(error, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError | aiosmtplib.SMTPTimeoutError):
        return SendError(f"smtp {type(error).__name__}: {error}", retryable=True)
    return SendError(f"smtp {type(error).__name__}: {error}", retryable=False)  # e.g. STARTTLS or AUTH unsupported
