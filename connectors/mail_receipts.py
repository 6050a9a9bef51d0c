"""Read receipts: RFC 8098 message disposition notifications (MDNs).

A shopper's mail client answers a read-receipt request with a `multipart/report;
report-type=disposition-notification` whose `message/disposition-notification` part names the mail it is
about (`Original-Message-ID`, RFC 8098 §3.2.5) and what happened to it (`Disposition`, §3.2.6). It is the
client speaking, not the shopper: never a message to store, answer or hand over. "displayed" is a read
receipt for the mail we sent; every other disposition (deleted, dispatched, processed) tells us nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.message import Message

from connectors.mail_parse import Mail, message_ids, raw_header

REPORT = "multipart/report"
NOTIFICATION = "message/disposition-notification"


@dataclass(frozen=True)
class Receipt:
    """One disposition notification: the Message-ID of our mail (when named) and whether it was displayed."""

    original_id: str | None
    displayed: bool


def receipt_of(mail: Mail) -> Receipt | None:
    """The read receipt this mail is, or None for any other mail."""
    message = mail.message
    kind = str(message.get_param("report-type") or "").lower()
    if message.get_content_type() != REPORT or kind != "disposition-notification":
        return None
    fields = _fields(message)
    if fields is None:
        return Receipt(original_id=mail.in_reply_to, displayed=False)
    # "Disposition: manual-action/MDN-sent-manually; displayed" (the type follows the semicolon)
    disposition = raw_header(fields, "Disposition").partition(";")[2].split("/")[0].strip().lower()
    named = message_ids(raw_header(fields, "Original-Message-ID"))
    return Receipt(original_id=named[0] if named else mail.in_reply_to, displayed=disposition == "displayed")


def _fields(report: Message) -> Message | None:
    """The notification's fields: the `message/disposition-notification` part, parsed as one header block."""
    parts = report.get_payload()
    for part in parts if isinstance(parts, list) else []:
        if isinstance(part, Message) and part.get_content_type() == NOTIFICATION:
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
    return None
