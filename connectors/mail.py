"""E-mail connector: a mailbox read over IMAP (`connectors/mail_poller.py`), replies sent over SMTP.

`parse_inbound(raw, account)` turns one RFC 5322 mail into channel events (pure: attachment bytes go to
an optional `keep` callback, e.g. `AttachmentFolder.write`):

- mail from our own address (options "address", "aliases") -> [] : never ingest our own mail (loops);
- a delivery report (RFC 3464 DSN in an RFC 6522 multipart/report, or a mailer daemon's notice with the
  returned message attached) about a message we sent -> one DeliveryUpdate(FAILED, reason);
  a report of delay or success, or one about a message we cannot name -> [];
- a read receipt (RFC 8098 disposition notification, `connectors/mail_receipts.py`) of a message we sent ->
  one DeliveryUpdate(READ); any other disposition -> [] (never a shopper's message);
- anything else -> one InboundMessage: external_id = Message-ID (a hash of the bytes when missing),
  reply_to = In-Reply-To, text = the reply part only (quoted history and signature removed), and
  `auto_submitted` set for machine mail (RFC 3834 Auto-Submitted other than "no", Precedence bulk/junk/list,
  X-Autoreply / X-Autorespond, RFC 2919 List-Id, out-of-office subjects) so the bot never answers it.

Sending lives in `connectors/mail_send.py` (`SmtpSender`). Malformed input raises PayloadError only.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from email.errors import MessageError
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from connectors.base import Sender, SenderContext
from connectors.mail_parse import Mail, bounce_of, derived_id, read_mail
from connectors.mail_receipts import receipt_of
from connectors.mail_send import SmtpSender
from connectors.mail_text import reply_part
from models.channel_events import ChannelEvent, DeliveryUpdate
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError
from models.messages import MAX_TEXT, ContactHints, DeliveryStatus, InboundMessage

__all__ = ["AttachmentFolder", "SmtpSender", "build_sender", "check_account", "parse_inbound"]

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
DEFAULT_ATTACHMENTS_DIR = "var/attachments"
MAX_ATTACHMENTS = 20
REQUIRED_OPTIONS = ("address", "imap_host", "smtp_host")
TLS_MODES = ("ssl", "starttls", "none")

_OUT_OF_OFFICE = re.compile(r"^\s*(auto(matic)?[ -]?(reply|response|antwort)|auto:|autoreply|out of (the )?office"
                            r"|abwesenheit|автоответ|автоматический ответ|нет на месте|вне офиса|в отпуске)", re.I)
_RE_PREFIX = re.compile(r"^\s*((re|fwd?|aw|sv|ответ|отв|пересл)\s*(\[\d+\])?\s*:\s*)+", re.I)
# What the stdlib parser may raise on hostile input (its header and MIME parsers are lenient, not total).
_UNREADABLE = (ValueError, LookupError, TypeError, AttributeError, AssertionError, UnicodeError, MessageError)

Keep = Callable[[str, bytes], None]


def check_account(account: ChannelAccount) -> None:
    """ValueError naming what the account's configuration lacks."""
    for name in REQUIRED_OPTIONS:
        if not str(account.options.get(name) or "").strip():
            raise ValueError(f"email account {account.id!r} needs options.{name}")
    if "@" not in str(account.options["address"]):
        raise ValueError(f"email account {account.id!r}: options.address must be an e-mail address")
    for name in ("imap_tls", "smtp_tls"):
        if account.options.get(name, "ssl" if name == "imap_tls" else "starttls") not in TLS_MODES:
            raise ValueError(f"email account {account.id!r}: options.{name} must be one of {', '.join(TLS_MODES)}")


def build_sender(account: ChannelAccount, ctx: SenderContext) -> Sender:
    """The account's SMTP sender."""
    return SmtpSender(account, ctx.messages, timeout=ctx.timeout)


def own_addresses(account: ChannelAccount) -> set[str]:
    """The addresses our own mail comes from (the account's address and its aliases), lower-cased."""
    aliases = account.options.get("aliases") or []
    return {str(a).strip().lower() for a in [account.options.get("address", ""), *aliases] if a}


def parse_inbound(raw: bytes, account: ChannelAccount, *, keep: Keep | None = None) -> list[ChannelEvent]:
    """One raw mail -> channel events; `keep(file_id, data)` receives the bytes of every kept attachment."""
    if not raw.strip():
        raise PayloadError("empty mail")
    try:
        return _events(raw, account, keep)
    except PayloadError:
        raise
    except _UNREADABLE as e:
        raise PayloadError(f"unreadable mail: {type(e).__name__}: {str(e)[:200]}") from e


def _events(raw: bytes, account: ChannelAccount, keep: Keep | None) -> list[ChannelEvent]:
    limit = int(account.options.get("max_attachment_bytes", DEFAULT_MAX_ATTACHMENT_BYTES))
    mail = read_mail(raw, max_attachment_bytes=limit)
    if mail.sender is None:
        raise PayloadError("mail without a sender address")
    if mail.sender in own_addresses(account):
        return []  # our own mail (a copy, a loop through a forwarder): never a customer's message
    bounce = bounce_of(mail)
    if bounce is not None:
        if not bounce.failed or bounce.original_id is None:
            return []  # a delay warning, a success report, or about a message we cannot name
        return [DeliveryUpdate(channel=Channel.EMAIL, account_id=account.id, external_id=bounce.original_id,
                               status=DeliveryStatus.FAILED, reason=bounce.reason or None)]
    receipt = receipt_of(mail)
    if receipt is not None:
        if not receipt.displayed or receipt.original_id is None:
            return []
        return [DeliveryUpdate(channel=Channel.EMAIL, account_id=account.id, external_id=receipt.original_id,
                               status=DeliveryStatus.READ)]
    files = mail.files[:MAX_ATTACHMENTS]
    if keep is not None:
        for found in files:
            if found.attachment.file_id and found.data is not None:
                keep(found.attachment.file_id, found.data)
    text = reply_part(mail.text) or _RE_PREFIX.sub("", mail.subject)
    extra: dict[str, Any] = {} if mail.date is None else {"sent_at": mail.date}
    return [InboundMessage(
        channel=Channel.EMAIL, account_id=account.id, external_user_id=mail.sender,
        external_id=mail.message_id or derived_id(raw), text=text[:MAX_TEXT],
        attachments=[f.attachment for f in files], contact=_contact(mail), reply_to=mail.in_reply_to,
        auto_submitted=machine_reason(mail) is not None, raw=_raw(mail, raw), **extra,
    )]


def machine_reason(mail: Mail) -> str | None:
    """Why this mail was sent by a machine (auto-reply, list, out-of-office), or None for a person's mail."""
    auto = mail.header("Auto-Submitted").strip().lower()
    if auto and not auto.startswith("no"):
        return f"auto-submitted: {auto[:50]}"
    precedence = mail.header("Precedence").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Autoresponder", "List-Id"):
        if mail.header(name).strip():
            return name.lower()
    if _OUT_OF_OFFICE.match(mail.subject):
        return "out-of-office subject"
    return None


def _contact(mail: Mail) -> ContactHints:
    try:
        return ContactHints(email=mail.sender, name=mail.sender_name or None)
    except ValidationError:  # an address pydantic will not take as e-mail: the channel id still has it
        return ContactHints(name=mail.sender_name or None)


def _raw(mail: Mail, raw: bytes) -> dict[str, Any]:
    """The headers worth keeping for audit and for threading the reply: small and JSON-serialisable."""
    return {
        "message_id": mail.message_id or derived_id(raw),
        "in_reply_to": mail.in_reply_to,
        "references": mail.references,
        "subject": mail.subject[:500],
        "from": mail.sender,
        "to": mail.recipients[:10],
        "date": mail.header("Date")[:100] or None,
        "machine": machine_reason(mail),
        "size": len(raw),
        "attachments_dropped": max(0, len(mail.files) - MAX_ATTACHMENTS),
    }


class AttachmentFolder:
    """Keeps attachment bytes on disk under their content hash (the attachment's `file_id`)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    @classmethod
    def of(cls, account: ChannelAccount) -> AttachmentFolder:
        """The folder an account's options name (options "attachments_dir", default var/attachments)."""
        return cls(account.options.get("attachments_dir") or DEFAULT_ATTACHMENTS_DIR)

    def path(self, file_id: str) -> Path:
        """Where a file id's bytes live."""
        if not re.fullmatch(r"[0-9a-f]{64}", file_id):
            raise ValueError(f"not a file id: {file_id!r}")
        return self.root / file_id[:2] / file_id

    def write(self, file_id: str, data: bytes) -> None:
        """Store the bytes once (content-addressed: a second write of the same file is a no-op)."""
        target = self.path(file_id)
        if target.exists():
            return
        if hashlib.sha256(data).hexdigest() != file_id:
            raise ValueError("file id does not match the content")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a crash never leaves a half-written file under the hash
