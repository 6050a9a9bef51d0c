"""Issue 16, low severity: an e-mail read receipt (RFC 8098 `multipart/report;
report-type=disposition-notification`) was stored as the shopper's message, and answered. Now a "displayed"
receipt marks our reply read, and any other disposition is dropped; neither is a message."""

from __future__ import annotations

from typing import Any

import pytest

from connectors.mail_poller import poll_once
from hub.inbound import acceptor
from models.messages import DeliveryStatus, Direction
from tests.integration.channels.test_mail_channel import (  # noqa: F401 - the e-mail suite's fixtures
    account_config,
    answered,
    dovecot,
    email_account,
    mailbox,
    messages_of,
    smtp,
)
from tests.integration.helpers import eventually
from tests.servers.dovecot import DovecotServer, MailUser, deliver, dovecot_binary
from tests.servers.smtp import SmtpRecorder
from tests.unit.connectors import mail_corpus as corpus

pytestmark = pytest.mark.skipif(dovecot_binary() is None,
                                reason="needs the dovecot binary: apt-get install -y dovecot-imapd")


def read_receipt(original_id: str, disposition: str = "displayed", n: int = 1) -> bytes:
    """What Thunderbird sends when the shopper agrees to confirm reading our mail (RFC 8098 §9 example)."""
    return (
        f"From: Иван Петров <{corpus.SHOPPER}>\r\nTo: {corpus.SHOP}\r\n"
        "Subject: Read: Re: Заказ 4512\r\n"
        f"Message-ID: <mdn-{n}@example.ru>\r\nIn-Reply-To: {original_id}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=disposition-notification; boundary="MDN"\r\n\r\n'
        "--MDN\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "This is a Return Receipt for the mail that you sent. The message was displayed.\r\n\r\n"
        "--MDN\r\nContent-Type: message/disposition-notification\r\n\r\n"
        "Reporting-UA: example.ru; Thunderbird 115\r\n"
        f"Final-Recipient: rfc822;{corpus.SHOPPER}\r\nOriginal-Message-ID: {original_id}\r\n"
        f"Disposition: manual-action/MDN-sent-manually; {disposition}\r\n\r\n"
        "--MDN--\r\n"
    ).encode()


async def test_a_read_receipt_marks_our_reply_read_and_is_no_shoppers_message(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder,  # noqa: F811
    account_config: dict[str, Any], make_settings: Any, start_app: Any,  # noqa: F811
) -> None:
    await deliver(dovecot, mailbox, corpus.plain())
    async with start_app(make_settings(read_mail_in_api=False, accounts=[account_config])) as running:
        hub = running.hub
        await poll_once(acceptor(hub), hub.stores.cursors, email_account(hub))
        _, reply = await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 1))
        assert reply.external_id is not None
        await deliver(dovecot, mailbox, read_receipt(reply.external_id, "deleted", n=1))
        await deliver(dovecot, mailbox, read_receipt(reply.external_id, "displayed", n=2))
        events: list[Any] = []
        await poll_once(acceptor(hub), hub.stores.cursors, email_account(hub), accepted=events)
        read = await eventually(lambda: hub.stores.messages.get(reply.id), lambda m: m.status is DeliveryStatus.READ)
        stored = await messages_of(hub)

    assert read.status is DeliveryStatus.READ
    assert [(e.kind, e.status) for e in events] == [("status", DeliveryStatus.READ)]  # "deleted" tells nothing
    assert [m.direction for m in stored] == [Direction.INBOUND, Direction.OUTBOUND]  # no receipt among them
    assert len(smtp.received) == 1  # nobody answered the receipts
