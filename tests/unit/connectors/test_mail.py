"""The e-mail connector's parser on a corpus of real-shaped mails, fuzzed; and the reply it composes."""

from __future__ import annotations

import hashlib
import json
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from connectors import mail
from connectors.mail_send import compose
from models.channel_events import DeliveryUpdate
from models.channels import Channel, ChannelAccount
from models.errors import PayloadError
from models.ids import ConversationId, CustomerId, MessageId
from models.messages import AuthorKind, Button, DeliveryStatus, Direction, InboundMessage, Message, OutboundMessage
from tests.unit.connectors import mail_corpus as corpus

OPTIONS = {"address": corpus.SHOP, "imap_host": "imap.shop.example", "smtp_host": "smtp.shop.example",
           "display_name": "Магазин", "max_attachment_bytes": 1000}
ACCOUNT = ChannelAccount(id="support", channel=Channel.EMAIL, token=SecretStr("pw"), options=OPTIONS)


def inbound(raw: bytes, account: ChannelAccount = ACCOUNT) -> InboundMessage:
    """The one customer message a mail must give."""
    [event] = mail.parse_inbound(raw, account)
    assert isinstance(event, InboundMessage)
    return event


def test_a_plain_mail_is_a_customer_message_with_address_name_ids_and_date() -> None:
    msg = inbound(corpus.plain())
    assert (msg.channel, msg.account_id, msg.external_id) == (Channel.EMAIL, "support", "<c1@mail.example.ru>")
    assert msg.external_user_id == corpus.SHOPPER  # lower-cased
    assert (str(msg.contact.email), msg.contact.name) == (corpus.SHOPPER, "Иван Петров")
    assert msg.text == "Здравствуйте! Где мой заказ 4512?"
    assert msg.sent_at == corpus.SENT_AT and not msg.auto_submitted and msg.reply_to is None
    assert msg.raw["subject"] == "Заказ 4512" and msg.raw["message_id"] == "<c1@mail.example.ru>"


def test_raw_keeps_only_small_json_serialisable_headers() -> None:
    raw = inbound(corpus.with_attachments(big=5000)).raw
    assert len(json.dumps(raw, ensure_ascii=False)) < 1000
    assert set(raw) >= {"message_id", "in_reply_to", "references", "subject", "from"}


def test_an_html_only_mail_becomes_clean_text_without_markup_scripts_or_the_quoted_block() -> None:
    text = inbound(corpus.html_only()).text
    assert text == "Добрый день!\n\nЗаказ 4512 «не пришёл».\nПроверьте, пожалуйста:\n\n- адрес\n- телефон"


@pytest.mark.parametrize("build", [corpus.windows_1251, corpus.koi8_r, corpus.undeclared_1251,
                                   corpus.koi8_declared_as_1251])
def test_russian_bodies_decode_whatever_the_charset_says(build: Any) -> None:
    msg = inbound(build())
    assert msg.text == corpus.RUSSIAN
    assert msg.contact.name == "Ольга Смирнова"  # RFC 2047, windows-1251


@pytest.mark.parametrize("build", [corpus.windows_1251, corpus.koi8_r, corpus.undeclared_1251])
def test_russian_subjects_decode_from_encoded_words_and_raw_bytes(build: Any) -> None:
    assert inbound(build()).raw["subject"] == "Возврат"


def test_attachments_are_kept_by_content_hash_and_big_ones_only_described() -> None:
    kept: dict[str, bytes] = {}
    [msg] = mail.parse_inbound(corpus.with_attachments(big=2000), ACCOUNT, keep=kept.__setitem__)
    assert isinstance(msg, InboundMessage)
    pdf, photo, video = msg.attachments
    assert (pdf.kind, pdf.name, pdf.mime_type, pdf.size) == ("file", "чек 4512.pdf", "application/pdf", 16)
    assert pdf.file_id == hashlib.sha256(b"%PDF-1.4 receipt").hexdigest() and kept[pdf.file_id] == b"%PDF-1.4 receipt"
    assert (photo.kind, photo.name) == ("image", "photo.png") and photo.file_id in kept
    assert (video.kind, video.name, video.size, video.file_id) == ("video", "unboxing.mp4", 2000, None)
    assert len(kept) == 2 and msg.text == "Чек и фото во вложении."


def test_attachment_folder_stores_bytes_under_their_hash_once(tmp_path: Path) -> None:
    folder = mail.AttachmentFolder(tmp_path / "files")
    file_id = hashlib.sha256(b"photo").hexdigest()
    folder.write(file_id, b"photo")
    folder.write(file_id, b"photo")
    assert folder.path(file_id).read_bytes() == b"photo"
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [file_id]
    with pytest.raises(ValueError):
        folder.write(hashlib.sha256(b"other").hexdigest(), b"photo")


def test_a_reply_keeps_only_the_new_text_and_threads_on_in_reply_to() -> None:
    msg = inbound(corpus.reply_with_history("<otklik.abc@shop.example>"))
    assert msg.text == "Спасибо, заказ получила."  # no quoted history, no "С уважением, Анна" and phone
    assert msg.reply_to == "<otklik.abc@shop.example>"
    assert msg.raw["references"] == ["<first@mail.example.ru>", "<otklik.abc@shop.example>"]


def test_an_outlook_reply_drops_the_original_message_block() -> None:
    assert inbound(corpus.outlook_reply()).text == "Да, адрес верный."


@pytest.mark.parametrize(("build", "reason"), [
    (corpus.auto_reply, "auto-submitted: auto-replied"),
    (corpus.out_of_office, "out-of-office subject"),
    (corpus.bulk, "precedence: bulk"),
    (lambda: corpus.plain(List_Id="<news.shop.example>"), "list-id"),
    (lambda: corpus.plain(X_Autoreply="yes"), "x-autoreply"),
    (lambda: corpus.plain(subject="Автоответ: Заказ 4512"), "out-of-office subject"),
])
def test_machine_mail_is_ingested_marked_auto_submitted(build: Any, reason: str) -> None:
    msg = inbound(build())
    assert msg.auto_submitted and msg.raw["machine"] == reason


def test_auto_submitted_no_is_a_person() -> None:
    assert not inbound(corpus.plain(Auto_Submitted="no")).auto_submitted


def test_our_own_mail_gives_nothing_whatever_the_case_or_alias() -> None:
    assert mail.parse_inbound(corpus.from_ourselves(), ACCOUNT) == []
    aliased = ACCOUNT.model_copy(update={"options": {**OPTIONS, "aliases": [corpus.SHOPPER]}})
    assert mail.parse_inbound(corpus.plain(), aliased) == []


def test_a_dsn_bounce_marks_the_message_we_sent_failed_with_status_and_diagnostic() -> None:
    [update] = mail.parse_inbound(corpus.dsn("<otklik.m1@shop.example>"), ACCOUNT)
    assert isinstance(update, DeliveryUpdate)
    assert (update.channel, update.account_id, update.external_id, update.status) == (
        Channel.EMAIL, "support", "<otklik.m1@shop.example>", DeliveryStatus.FAILED)
    assert update.reason == "5.1.1 smtp; 550 5.1.1 <ivan.petrov@example.ru>: Recipient address rejected: User unknown"


def test_a_delay_report_changes_nothing() -> None:
    assert mail.parse_inbound(corpus.dsn("<otklik.m1@shop.example>", action="delayed"), ACCOUNT) == []


def test_a_mailer_daemon_notice_with_the_returned_mail_attached_is_a_failure() -> None:
    [update] = mail.parse_inbound(corpus.daemon_bounce("<otklik.m2@shop.example>"), ACCOUNT)
    assert isinstance(update, DeliveryUpdate) and update.external_id == "<otklik.m2@shop.example>"
    assert update.reason == "<ivan.petrov@example.ru>: mailbox is full"


def test_a_mail_without_message_id_gets_a_stable_one_from_its_bytes() -> None:
    first, again = inbound(corpus.without_message_id()), inbound(corpus.without_message_id())
    assert first.external_id == again.external_id and first.external_id.endswith("@derived.otklik.invalid>")
    assert inbound(corpus.plain("другой текст", message_id=None)).external_id != first.external_id


def test_a_reply_with_only_references_threads_on_the_last_one() -> None:
    msg = inbound(corpus.plain("ok", References="<a@x.example> <b@x.example>"))
    assert msg.reply_to == "<b@x.example>"


@pytest.mark.parametrize("raw", [b"", b"\r\n\r\n", b"Subject: hi\r\n\r\nno sender", b"From: nobody\r\n\r\nx"])
def test_mail_without_a_sender_address_is_a_payload_error(raw: bytes) -> None:
    with pytest.raises(PayloadError):
        mail.parse_inbound(raw, ACCOUNT)


CORPUS = [corpus.plain(), corpus.html_only(), corpus.windows_1251(), corpus.koi8_r(), corpus.undeclared_1251(),
          corpus.with_attachments(big=1500), corpus.reply_with_history(), corpus.outlook_reply(), corpus.auto_reply(),
          corpus.bulk(), corpus.dsn("<x@shop.example>"), corpus.daemon_bounce("<y@shop.example>")]


def parses_or_refuses(raw: bytes) -> None:
    """The property: a list of events, or a PayloadError with a reason, never another exception."""
    try:
        events = mail.parse_inbound(raw, ACCOUNT)
    except PayloadError as e:
        assert e.reason
        return
    assert isinstance(events, list) and len(events) <= 1
    for event in events:
        json.dumps(event.model_dump(mode="json"))


@settings(deadline=None)  # parsing time varies with machine load; only the outcome is under test
@given(st.binary(max_size=600))
def test_arbitrary_bytes_parse_or_raise_payload_error(raw: bytes) -> None:
    parses_or_refuses(raw)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(CORPUS), st.floats(min_value=0, max_value=1))
def test_truncated_corpus_mails_parse_or_raise_payload_error(raw: bytes, fraction: float) -> None:
    parses_or_refuses(raw[: int(len(raw) * fraction)])


header_values = st.binary(max_size=80).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" "))


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(["From", "Subject", "Message-ID", "In-Reply-To", "References", "Date", "Content-Type",
                        "Content-Transfer-Encoding", "Content-Disposition", "Auto-Submitted"]),
       header_values, st.sampled_from(CORPUS))
def test_corpus_mails_with_a_garbled_header_parse_or_raise_payload_error(name: str, value: bytes, raw: bytes) -> None:
    parses_or_refuses(name.encode() + b": " + value + b"\r\n" + raw)


def test_check_account_names_the_missing_option() -> None:
    for name in ("address", "imap_host", "smtp_host"):
        broken = ACCOUNT.model_copy(update={"options": {k: v for k, v in OPTIONS.items() if k != name}})
        with pytest.raises(ValueError, match=f"options.{name}"):
            mail.check_account(broken)
    with pytest.raises(ValueError, match="smtp_tls"):
        mail.check_account(ACCOUNT.model_copy(update={"options": {**OPTIONS, "smtp_tls": "tls"}}))
    mail.check_account(ACCOUNT)


# --- the reply we compose ---------------------------------------------------------------------------

def outbound(**overrides: Any) -> OutboundMessage:
    """The bot's reply to the shopper's mail."""
    values: dict[str, Any] = {
        "id": MessageId("m0123456789"), "conversation_id": ConversationId("abcdef0123456789"),
        "customer_id": CustomerId("c1"), "channel": Channel.EMAIL, "account_id": "support",
        "recipient": corpus.SHOPPER, "text": "Спасибо!\nОтветим <скоро> & здесь же.", "idempotency_key": "ack:1",
        "reply_to": "<r1@mail.example.ru>",
    }
    return OutboundMessage(**{**values, **overrides})


def answered(subject: str = "Заказ 4512") -> Message:
    """The shopper's stored mail, as the sender finds it."""
    return Message(conversation_id=ConversationId("abcdef0123456789"), customer_id=CustomerId("c1"),
                   direction=Direction.INBOUND, author=AuthorKind.CUSTOMER, channel=Channel.EMAIL, account_id="support",
                   external_id="<r1@mail.example.ru>",
                   raw={"message_id": "<r1@mail.example.ru>", "subject": subject, "references": ["<a@x>", "<b@x>"]})


def parts(composed: EmailMessage) -> dict[str, str]:
    """Content type -> content of a multipart/alternative mail."""
    assert composed.get_content_type() == "multipart/alternative"
    return {p.get_content_type(): p.get_content() for p in composed.iter_parts()}  # type: ignore[attr-defined]


def test_a_reply_threads_on_the_answered_mail_with_re_subject_and_our_message_id() -> None:
    composed = compose(outbound(), ACCOUNT, answered())
    assert composed["Subject"] == "Re: Заказ 4512"
    assert composed["In-Reply-To"] == "<r1@mail.example.ru>"
    assert composed["References"] == "<a@x> <b@x> <r1@mail.example.ru>"
    assert composed["Message-ID"] == "<otklik.m0123456789@shop.example>"
    assert composed["From"] == f"Магазин <{corpus.SHOP}>" and composed["To"] == corpus.SHOPPER
    assert composed["Auto-Submitted"] == "auto-replied"  # the bot's mail: vacation responders stay quiet


def test_the_reply_is_text_plus_escaped_html_with_line_breaks() -> None:
    content = parts(compose(outbound(), ACCOUNT, answered()))
    assert content["text/plain"] == "Спасибо!\nОтветим <скоро> & здесь же.\n"
    assert "Спасибо!<br>\nОтветим &lt;скоро&gt; &amp; здесь же." in content["text/html"]


def test_buttons_become_a_numbered_list() -> None:
    buttons = [Button(title="Где заказ?", payload="where"), Button(title="Оператор", payload="human")]
    text = parts(compose(outbound(text="Выберите:", buttons=buttons), ACCOUNT, None))["text/plain"]
    assert text == "Выберите:\n\n1. Где заказ?\n2. Оператор\n"


def test_an_answered_re_subject_is_not_prefixed_twice_and_operators_mail_is_not_auto_submitted() -> None:
    composed = compose(outbound(author=AuthorKind.OPERATOR), ACCOUNT, answered("RE: Заказ 4512"))
    assert composed["Subject"] == "RE: Заказ 4512" and composed["Auto-Submitted"] is None


def test_a_message_answering_nothing_gets_the_configured_subject_with_the_conversation_number() -> None:
    composed = compose(outbound(reply_to=None), ACCOUNT, None)
    assert composed["Subject"] == "Ваше обращение №ABCDEF01"
    assert composed["In-Reply-To"] is None and composed["References"] is None
    custom = ACCOUNT.model_copy(update={"options": {**OPTIONS, "subject": "Обращение в магазин"}})
    assert compose(outbound(reply_to=None), custom, None)["Subject"] == "Обращение в магазин №ABCDEF01"
