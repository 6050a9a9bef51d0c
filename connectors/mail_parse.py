"""Reading one mail into what the e-mail connector needs: ids, people, text, files, and delivery reports.

The standard library's `email` package (`policy=default`) gives the MIME structure; header values are
read raw and decoded by `connectors.mail_text.header_text`, which survives charsets that lie.
Followed: RFC 5322 §3.6.4 (Message-ID, In-Reply-To, References), RFC 2045-2047 and RFC 2231 (MIME,
encoded words and parameters), RFC 2183 (Content-Disposition), RFC 6522 and RFC 3464 (multipart/report;
report-type=delivery-status: the per-recipient Action, Status and Diagnostic-Code fields).
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage, Message
from email.utils import getaddresses, parsedate_to_datetime

from connectors.mail_text import decode_bytes, header_text, html_to_text
from models.messages import Attachment

_MAX_DEPTH = 20  # MIME nesting deeper than this is an attack, not a mail
_MSGID = re.compile(r"<([^<>\s]{1,250})>")
_ORIGINAL_MSGID = re.compile(r"^\s*message-id:\s*(<[^<>\s]{1,250}>)", re.I | re.M)
_REPORT_PARTS = {"message/delivery-status", "text/rfc822-headers", "message/disposition-notification"}
_TELLING = re.compile(r"@|\b[45]\d\d\b|\b[45]\.\d{1,3}\.\d{1,3}\b")
_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon"}
_BOUNCE_SUBJECT = re.compile(r"undeliver|delivery (status|failure)|failure notice|returned mail|mail delivery failed"
                             r"|не доставлено|недоставленное|не может быть доставлено", re.I)


@dataclass(frozen=True)
class MailFile:
    """An attachment as found: its description, and its bytes when they are within the size limit."""

    attachment: Attachment
    data: bytes | None


@dataclass(frozen=True)
class Bounce:
    """A delivery report: which message of ours it is about, whether delivery failed, and why."""

    original_id: str | None
    failed: bool
    reason: str


@dataclass(frozen=True)
class Mail:
    """One mail, decoded."""

    message: EmailMessage
    message_id: str | None
    in_reply_to: str | None
    references: list[str]
    subject: str
    sender: str | None  # lower-cased address
    sender_name: str
    recipients: list[str]
    date: datetime | None
    text: str  # the plain text body, or the HTML body as text
    files: list[MailFile]

    def header(self, name: str) -> str:
        """A header's decoded text ("" when absent)."""
        return raw_header(self.message, name)


def read_mail(raw: bytes, *, max_attachment_bytes: int) -> Mail:
    """Decode a mail; larger attachments are described but their bytes dropped."""
    message = email.message_from_bytes(raw, _class=EmailMessage, policy=email.policy.default)
    references = message_ids(raw_header(message, "References"))
    sender_name, sender = _first_address(message, "From") or _first_address(message, "Sender") or ("", None)
    plain, html, files = _contents(message, max_attachment_bytes)
    text = plain if plain.strip() else html_to_text(html)
    return Mail(
        message=message,
        message_id=next(iter(message_ids(raw_header(message, "Message-ID"))), None),
        in_reply_to=next(iter(message_ids(raw_header(message, "In-Reply-To"))), None) or _last(references),
        references=references[-20:],
        subject=raw_header(message, "Subject"),
        sender=sender,
        sender_name=sender_name,
        recipients=[a for _, a in _addresses(message, "To")],
        date=_date(raw_header(message, "Date")),
        text=text,
        files=files,
    )


def _last(ids: list[str]) -> str | None:
    return ids[-1] if ids else None


def derived_id(raw: bytes) -> str:
    """A stable Message-ID for a mail that has none: the same bytes always give the same id."""
    return f"<{hashlib.sha256(raw).hexdigest()[:40]}@derived.otklik.invalid>"


def raw_header(message: Message, name: str) -> str:
    """The first `name` header's text, decoded, or ""."""
    wanted = name.lower()
    for key, value in message.raw_items():
        if key.lower() == wanted:
            return header_text(str(value))
    return ""


def message_ids(value: str) -> list[str]:
    """The <id@host> tokens of a Message-ID, In-Reply-To or References value, in order."""
    return [f"<{token}>" for token in _MSGID.findall(value)]


def _raw_value(message: Message, name: str) -> str:
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            text = re.sub(r"\r?\n[ \t]", " ", str(value))
            return decode_bytes(text.encode("utf-8", "surrogateescape"))
    return ""


def _addresses(message: Message, name: str) -> list[tuple[str, str]]:
    """(display name, lower-cased address) pairs of an address header; entries without "@" dropped."""
    pairs = getaddresses([_raw_value(message, name)])
    return [(header_text(n)[:200], a.strip().lower()) for n, a in pairs if "@" in a and len(a) <= 254]


def _first_address(message: Message, name: str) -> tuple[str, str | None] | None:
    found = _addresses(message, name)
    return (found[0][0], found[0][1]) if found else None


def _date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def leaves(part: Message, depth: int = 0) -> Iterator[Message]:
    """The non-multipart parts in order; an attached message (message/*) is one leaf, not opened."""
    if depth > _MAX_DEPTH:
        return
    payload = part.get_payload()
    if part.get_content_maintype() == "multipart" and isinstance(payload, list):
        for sub in payload:
            if isinstance(sub, Message):
                yield from leaves(sub, depth + 1)
    else:
        yield part


def _contents(message: EmailMessage, limit: int) -> tuple[str, str, list[MailFile]]:
    plain: list[str] = []
    html: list[str] = []
    files: list[MailFile] = []
    for part in leaves(message):
        kind = part.get_content_type()
        inline = part.get_content_disposition() != "attachment" and not part.get_filename()
        if kind in _REPORT_PARTS or kind.startswith("multipart/"):
            continue
        if inline and kind in ("text/plain", "text/html"):
            (plain if kind == "text/plain" else html).append(_text_of(part))
        else:
            files.append(_file(part, limit))
    return "\n".join(plain), "\n".join(html), files


def _text_of(part: Message) -> str:
    data = part.get_payload(decode=True)
    return decode_bytes(data, part.get_content_charset()) if isinstance(data, bytes) else ""


def _file(part: Message, limit: int) -> MailFile:
    kind = part.get_content_type()
    data = _bytes_of(part)
    name = header_text(part.get_filename() or "") or _default_name(part)
    attachment = Attachment(
        kind=next((k for k in ("image", "audio", "video") if kind.startswith(k + "/")), "file"),
        file_id=hashlib.sha256(data).hexdigest() if len(data) <= limit else None,
        name=name[:255] or None, mime_type=kind[:127], size=len(data),
    )
    return MailFile(attachment, data if attachment.file_id else None)


def _bytes_of(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = _attached(part)
    if inner is not None:
        try:
            return inner.as_bytes()
        except (ValueError, LookupError, TypeError, UnicodeError):
            return b""
    return b""


def _attached(part: Message) -> Message | None:
    """The mail inside a message/* part, if it holds one."""
    inner = part.get_payload()
    return inner[0] if isinstance(inner, list) and inner and isinstance(inner[0], Message) else None


def _default_name(part: Message) -> str:
    inner = _attached(part) if part.get_content_type() == "message/rfc822" else None
    return "" if inner is None else f"{raw_header(inner, 'Subject') or 'message'}.eml"


# --- delivery reports ------------------------------------------------------------------------------

def bounce_of(mail: Mail) -> Bounce | None:
    """The delivery report this mail is (a DSN, or a mailer daemon's notice), or None for any other mail."""
    message = mail.message
    report_type = message.get_param("report-type")
    if message.get_content_type() == "multipart/report" and str(report_type).lower() == "delivery-status":
        return _dsn(message, mail.text)
    local = (mail.sender or "").partition("@")[0]
    null_sender = raw_header(message, "Return-Path").strip() == "<>"
    if local in _DAEMONS or (null_sender and _BOUNCE_SUBJECT.search(mail.subject)):
        return Bounce(_original_id(message, mail.text), failed=True, reason=_notice_reason(mail)[:1000])
    return None


def _notice_reason(mail: Mail) -> str:
    """The paragraph of a free-form bounce that names the address or the SMTP code, else its first one."""
    paragraphs = [" ".join(p.split()) for p in mail.text.split("\n\n") if p.strip()]
    telling = [p for p in paragraphs if _TELLING.search(p)]
    return (telling or paragraphs or [mail.subject])[0]


def _dsn(message: Message, text: str) -> Bounce:
    """RFC 3464: failed if any recipient's Action is "failed"; the reason is its Status and Diagnostic-Code."""
    reasons: list[str] = []
    failed = False
    for part in leaves(message):
        blocks = part.get_payload() if part.get_content_type() == "message/delivery-status" else None
        for block in (blocks or [])[1:] if isinstance(blocks, list) else []:
            if isinstance(block, Message) and raw_header(block, "Action").lower().startswith("failed"):
                failed = True
                reasons.append(f"{raw_header(block, 'Status')} {raw_header(block, 'Diagnostic-Code')}".strip())
    reason = "; ".join(r for r in reasons if r) or "delivery failed"
    return Bounce(_original_id(message, text), failed=failed, reason=reason[:1000])


def _original_id(message: Message, text: str) -> str | None:
    """The Message-ID of the returned message: from its attached headers or copy, else quoted in the text."""
    for part in leaves(message):
        kind = part.get_content_type()
        if kind == "text/rfc822-headers":
            found = _ORIGINAL_MSGID.search(_text_of(part))
            if found:
                return found.group(1)
        elif kind == "message/rfc822" and (inner := _attached(part)) is not None:
            ids = message_ids(raw_header(inner, "Message-ID"))
            if ids:
                return ids[0]
    found = _ORIGINAL_MSGID.search(text)
    return found.group(1) if found else None
