"""Test mails built in code: what shoppers' clients, their robots and mail servers really send.

Each function returns the raw bytes of one mail, as an IMAP server would hand them over.
"""

from __future__ import annotations

import base64
import quopri
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

SHOP = "support@shop.example"
SHOPPER = "ivan.petrov@example.ru"
SENT_AT = datetime(2024, 4, 5, 9, 30, tzinfo=UTC)


def _mail(subject: str = "Заказ 4512", sender: str = "Иван Петров <Ivan.Petrov@Example.RU>",
          message_id: str | None = "<c1@mail.example.ru>", **headers: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = SHOP
    mail["Subject"] = subject
    mail["Date"] = format_datetime(SENT_AT)
    if message_id:
        mail["Message-ID"] = message_id
    for name, value in headers.items():
        mail[name.replace("_", "-")] = value
    return mail


def plain(text: str = "Здравствуйте! Где мой заказ 4512?", **headers: str) -> bytes:
    """A plain text mail with a Cyrillic display name and subject (RFC 2047 encoded by the email package)."""
    mail = _mail(**headers)
    mail.set_content(text)
    return bytes(mail)


def html_only() -> bytes:
    """An HTML-only mail with styles, a script, entities, a list and a quoted block."""
    mail = _mail(message_id="<h1@mail.example.ru>")
    mail.set_content(
        "<html><head><style>p {color: red}</style><title>x</title></head><body>"
        "<p>Добрый день!</p><p>Заказ&nbsp;4512 &laquo;не пришёл&raquo;.<br>Проверьте, пожалуйста:</p>"
        "<ul><li>адрес</li><li>телефон</li></ul><script>alert(1)</script>"
        "<div>5 апр. 2024 г., 12:00, Магазин &lt;support@shop.example&gt;:</div>"
        "<blockquote><p>Ваш заказ передан в доставку</p></blockquote></body></html>",
        subtype="html",
    )
    return bytes(mail)


def _eight_bit(body: bytes, content_type: str, subject: bytes, message_id: str, cte: str = "8bit") -> bytes:
    """A mail assembled from bytes, as a mailer that predates MIME-aware libraries writes it."""
    sender = b"=?windows-1251?B?" + _b64("Ольга Смирнова".encode("cp1251")) + b"?= <olga@example.ru>"
    return (b"From: " + sender + b"\r\nTo: support@shop.example\r\nSubject: " + subject + b"\r\n"
            b"Message-ID: " + message_id.encode() + b"\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: " + content_type.encode() + b"\r\nContent-Transfer-Encoding: " + cte.encode() + b"\r\n"
            b"\r\n" + body)


def _b64(data: bytes) -> bytes:
    return base64.b64encode(data)


RUSSIAN = "Здравствуйте! Посылка пришла мятая, верните деньги за заказ 4512."


def windows_1251() -> bytes:
    """A windows-1251 body (8bit) and a windows-1251 RFC 2047 subject, as The Bat! and old Outlook send."""
    subject = b"=?windows-1251?B?" + _b64("Возврат".encode("cp1251")) + b"?="
    return _eight_bit(RUSSIAN.encode("cp1251"), "text/plain; charset=windows-1251", subject, "<cp1251@example.ru>")


def koi8_r() -> bytes:
    """A koi8-r body (quoted-printable) and a koi8-r Q-encoded subject, as old Unix mailers send."""
    subject = b"=?koi8-r?Q?" + quopri.encodestring("Возврат".encode("koi8-r"), header=True) + b"?="
    return _eight_bit(quopri.encodestring(RUSSIAN.encode("koi8-r")), "text/plain; charset=koi8-r", subject,
                      "<koi8@example.ru>", cte="quoted-printable")


def undeclared_1251() -> bytes:
    """windows-1251 bytes with no charset at all, and a raw 8-bit subject: the mailer forgot both."""
    return _eight_bit(RUSSIAN.encode("cp1251"), "text/plain", "Возврат".encode("cp1251"), "<nocharset@example.ru>")


def koi8_declared_as_1251() -> bytes:
    """koi8-r bytes declared as windows-1251: a wrong declaration."""
    return _eight_bit(RUSSIAN.encode("koi8-r"), "text/plain; charset=windows-1251", b"Return", "<wrong@example.ru>")


def with_attachments(big: int = 0) -> bytes:
    """Text, a small PDF, an inline photo and (when `big` > 0) a file of `big` bytes."""
    mail = _mail(message_id="<att@mail.example.ru>")
    mail.set_content("Чек и фото во вложении.")
    mail.add_attachment(b"%PDF-1.4 receipt", maintype="application", subtype="pdf", filename="чек 4512.pdf")
    mail.add_attachment(b"\x89PNG\r\n\x1a\nphoto", maintype="image", subtype="png", filename="photo.png",
                        disposition="inline")
    if big:
        mail.add_attachment(b"v" * big, maintype="video", subtype="mp4", filename="unboxing.mp4")
    return bytes(mail)


def reply_with_history(in_reply_to: str = "<otklik.abc@shop.example>") -> bytes:
    """A shopper's answer on top of our quoted mail, with a signature: only the first line is the reply."""
    text = ("Спасибо, заказ получила.\n\nС уважением,\nАнна\n+7 916 000-00-00\n\n"
            "пт, 5 апр. 2024 г. в 12:00, Магазин <support@shop.example>:\n"
            "> Ваш заказ 4512 передан в доставку.\n>\n> -- \n> Служба заботы\n")
    return plain(text, subject="Re: Заказ 4512", message_id="<r1@mail.example.ru>", In_Reply_To=in_reply_to,
                 References=f"<first@mail.example.ru> {in_reply_to}")


def outlook_reply() -> bytes:
    """An Outlook top-post: the history starts at "-----Original Message-----"."""
    text = ("Да, адрес верный.\n\n-----Original Message-----\nFrom: support@shop.example\n"
            "Sent: Friday, April 5, 2024 12:00 PM\nTo: ivan.petrov@example.ru\nSubject: Заказ 4512\n\n"
            "Проверьте адрес.\n")
    return plain(text, message_id="<o1@mail.example.ru>")


def auto_reply() -> bytes:
    """A vacation responder's answer (RFC 3834): Auto-Submitted: auto-replied."""
    return plain("Я в отпуске до 15 апреля.", subject="Re: Заказ 4512", message_id="<auto@mail.example.ru>",
                 Auto_Submitted="auto-replied")


def out_of_office() -> bytes:
    """An Exchange out-of-office with nothing but its subject to tell."""
    return plain("I am out of the office until Monday.", subject="Automatic reply: Заказ 4512",
                 message_id="<oof@mail.example.ru>")


def bulk() -> bytes:
    """A newsletter: Precedence: bulk and a List-Id."""
    return plain("Скидки недели!", subject="Скидки", message_id="<news@list.example>", Precedence="bulk",
                 List_Id="<offers.list.example>")


def from_ourselves() -> bytes:
    """A copy of our own mail (a forwarder loops it back, or Bcc to ourselves)."""
    return plain("Ваш заказ готов.", sender=f"Магазин <{SHOP.upper()}>", message_id="<own@shop.example>")


def without_message_id() -> bytes:
    """A mail whose client set no Message-ID."""
    return plain("Нет идентификатора.", message_id=None)


def dsn(original_id: str, action: str = "failed") -> bytes:
    """A Postfix bounce: RFC 6522 multipart/report with an RFC 3464 delivery-status and the returned headers."""
    return (
        "From: MAILER-DAEMON@mx.shop.example (Mail Delivery System)\r\n"
        f"To: {SHOP}\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        "Message-ID: <20240405.bounce@mx.shop.example>\r\nAuto-Submitted: auto-replied\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B0UND"\r\n\r\n'
        "--B0UND\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "I'm sorry to have to inform you that your message could not be delivered.\r\n\r\n"
        "--B0UND\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.shop.example\r\nArrival-Date: Fri,  5 Apr 2024 12:00:00 +0300\r\n\r\n"
        f"Final-Recipient: rfc822; {SHOPPER}\r\nOriginal-Recipient: rfc822;{SHOPPER}\r\n"
        f"Action: {action}\r\nStatus: 5.1.1\r\nRemote-MTA: dns; mx.example.ru\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <ivan.petrov@example.ru>: Recipient address\r\n"
        " rejected: User unknown\r\n\r\n"
        "--B0UND\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: {SHOP}\r\nTo: {SHOPPER}\r\nSubject: Re: Заказ 4512\r\nMessage-ID: {original_id}\r\n\r\n"
        "--B0UND--\r\n"
    ).encode()


def daemon_bounce(original_id: str) -> bytes:
    """A qmail-style failure notice: no DSN, the returned mail attached as message/rfc822."""
    mail = _mail(subject="failure notice", sender="MAILER-DAEMON@mx.example.ru", message_id="<qmail@mx.example.ru>")
    mail.set_content("Hi. This is the qmail-send program.\n\n<ivan.petrov@example.ru>:\nmailbox is full\n")
    returned = _mail(subject="Re: Заказ 4512", sender=SHOP, message_id=original_id)
    returned.set_content("Ваш заказ готов.")
    mail.add_attachment(returned)
    return bytes(mail)
