"""The e-mail channel end to end against a real Dovecot (IMAP) and a real SMTP server (aiosmtpd) on 127.0.0.1.

Mail is delivered with IMAP APPEND, read by the poller, ingested by the real app pipeline, and the
bot's reply is sent over SMTP. Skips only when the dovecot binary is absent (apt-get install dovecot-imapd).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.wiring import running_hub
from connectors.mail_imap import mailbox_name
from connectors.mail_poller import Cursor, poll_once, run_mail_poller
from hub.core import Hub
from hub.inbound.accept import acceptor
from models.channels import Channel, ChannelAccount
from models.customers import Identity, IdentityKind
from models.errors import SendError
from models.ids import ConversationId, CustomerId
from models.messages import DeliveryStatus, Direction, Message, OutboundMessage
from tests.fakes.http_receiver import free_port
from tests.fakes.tcp_proxy import TcpProxy
from tests.integration.helpers import eventually
from tests.integration.processes import clean_env
from tests.servers.dovecot import DovecotServer, MailUser, deliver, dovecot_binary, imap_command, running_dovecot
from tests.servers.smtp import SmtpRecorder, running_smtp
from tests.unit.connectors import mail_corpus as corpus

pytestmark = pytest.mark.skipif(dovecot_binary() is None,
                                reason="needs the dovecot binary: apt-get install -y dovecot-imapd")


async def poll(hub: Hub, account: ChannelAccount) -> int:
    """One pass of the account's mailbox into this hub."""
    return await poll_once(acceptor(hub), hub.stores.cursors, account)


async def read_mail(hub: Hub, account: ChannelAccount, stop: asyncio.Event) -> None:
    """The account's long-running reader into this hub, until `stop`."""
    await run_mail_poller(acceptor(hub), hub.stores.cursors, account, stop)


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot for the module (with TLS when openssl is there); each test takes its own user."""
    with running_dovecot(tls=True) as server:
        yield server


@pytest.fixture
def mailbox(dovecot: DovecotServer) -> MailUser:
    """A fresh user with an empty INBOX."""
    return dovecot.new_user()


@pytest.fixture
def smtp(mailbox: MailUser) -> Iterator[SmtpRecorder]:
    """The SMTP server replies go through; it takes the mailbox's login."""
    with running_smtp(mailbox.name, mailbox.password) as server:
        yield server


@pytest.fixture
def account_config(dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, tmp_path: Path) -> dict[str, Any]:
    """The OTKLIK_ACCOUNTS entry of the shop's mailbox on these servers."""
    options = {"address": corpus.SHOP, "display_name": "Магазин", "attachments_dir": str(tmp_path / "files"),
               **dovecot.account_options(mailbox), **smtp.account_options()}
    return {"channel": "email", "id": "support", "token": mailbox.password, "options": options}


def with_options(config: dict[str, Any], **options: Any) -> dict[str, Any]:
    """The account entry with some options changed."""
    return {**config, "options": {**config["options"], **options}}


def email_account(hub: Hub) -> ChannelAccount:
    """The hub's e-mail account."""
    return hub.account(Channel.EMAIL, "support")


async def messages_of(hub: Hub, address: str = corpus.SHOPPER) -> list[Message]:
    """Everything stored for the customer with this e-mail address, oldest first."""
    customer = await hub.stores.customers.find_by_identity(Identity(kind=IdentityKind.EMAIL, value=address))
    return [] if customer is None else await hub.stores.messages.list_for_customer(customer.id)


def answered(ms: list[Message], inbound: int) -> bool:
    """`inbound` customer mails stored, each acknowledged and the acknowledgement sent."""
    ins = [m for m in ms if m.direction is Direction.INBOUND]
    outs = [m for m in ms if m.direction is Direction.OUTBOUND]
    return len(ins) == inbound and len(outs) == inbound and all(m.status is DeliveryStatus.SENT for m in outs)


async def test_a_mail_is_ingested_once_and_a_restart_does_not_import_it_again(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    settings = make_settings(read_mail_in_api=False, accounts=[account_config])
    await deliver(dovecot, mailbox, corpus.plain("Где мой заказ 4512?\n\n-- \nИван Петров\n+7 916 000-00-00"))
    async with start_app(settings) as running:
        assert await poll(running.hub, email_account(running.hub)) == 1
        stored = await eventually(lambda: messages_of(running.hub), lambda ms: answered(ms, 1))
        assert await poll(running.hub, email_account(running.hub)) == 0
        customer = await running.hub.stores.customers.get(stored[0].customer_id)
    async with start_app(settings) as restarted:
        assert await poll(restarted.hub, email_account(restarted.hub)) == 0  # nothing accepted again
        assert len(await messages_of(restarted.hub)) == 2

    inbound, reply = stored
    assert (inbound.channel, inbound.external_id, inbound.text) == (Channel.EMAIL, "<c1@mail.example.ru>",
                                                                    "Где мой заказ 4512?")  # no signature
    assert reply.conversation_id == inbound.conversation_id
    assert customer.name == "Иван Петров"
    assert Identity(kind=IdentityKind.EMAIL, value=corpus.SHOPPER).key in {i.key for i in customer.identities}
    assert len(smtp.received) == 1


async def test_the_embedded_server_reads_its_mailboxes_by_itself(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    async with start_app(make_settings(accounts=[account_config])) as running:  # read_mail_in_api by default
        await deliver(dovecot, mailbox, corpus.plain("Где мой заказ 4512?"))
        stored = await eventually(lambda: messages_of(running.hub), lambda ms: answered(ms, 1), timeout=20)
        await smtp.wait_for(1)
    assert stored[0].text == "Где мой заказ 4512?"


async def test_the_reply_threads_in_the_shoppers_client_and_their_answer_joins_the_conversation(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    await deliver(dovecot, mailbox, corpus.plain(References="<earlier@mail.example.ru>"))
    async with start_app(make_settings(read_mail_in_api=False, accounts=[account_config])) as running:
        hub = running.hub
        await poll(hub, email_account(hub))
        [sent] = await smtp.wait_for(1)
        first = await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 1))
        reply_id = first[1].external_id
        assert reply_id is not None
        await deliver(dovecot, mailbox, corpus.reply_with_history(in_reply_to=reply_id))
        assert await poll(hub, email_account(hub)) == 1
        [_, second] = await smtp.wait_for(2)
        stored = await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 2))

    mail = sent.message
    assert (sent.login, sent.rcpt_tos, mail["To"]) == (mailbox.name, [corpus.SHOPPER], corpus.SHOPPER)
    assert mail["Subject"] == "Re: Заказ 4512" and mail["From"] == f"Магазин <{corpus.SHOP}>"
    assert mail["In-Reply-To"] == "<c1@mail.example.ru>"
    assert mail["References"] == "<earlier@mail.example.ru> <c1@mail.example.ru>"
    assert mail["Message-ID"] == reply_id and reply_id.endswith("@shop.example>")
    assert mail["Auto-Submitted"] == "auto-replied"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert "получили ваше сообщение" in mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "получили ваше сообщение" in mail.get_body(("html",)).get_content()  # type: ignore[union-attr]

    answer = stored[2]
    assert answer.text == "Спасибо, заказ получила." and answer.raw["in_reply_to"] == reply_id
    assert len({m.conversation_id for m in stored}) == 1
    assert second.message["In-Reply-To"] == "<r1@mail.example.ru>"
    assert second.message["References"].split()[-2:] == [reply_id, "<r1@mail.example.ru>"]


async def test_machine_mail_is_stored_unanswered_and_our_own_mail_is_ignored(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    for raw in (corpus.auto_reply(), corpus.from_ourselves(), corpus.bulk()):
        await deliver(dovecot, mailbox, raw)
    await deliver(dovecot, mailbox, corpus.plain(sender="Ольга <olga@example.ru>", message_id="<olga@example.ru>"))
    async with start_app(make_settings(read_mail_in_api=False, accounts=[account_config])) as running:
        hub = running.hub
        assert await poll(hub, email_account(hub)) == 3  # our own mail gives nothing to accept
        await smtp.wait_for(1)
        machine = await eventually(lambda: messages_of(hub), lambda ms: len(ms) == 2 and all(m.handled for m in ms))
        await eventually(lambda: messages_of(hub, "olga@example.ru"), lambda ms: answered(ms, 1))
        ours = await hub.stores.customers.find_by_identity(Identity(kind=IdentityKind.EMAIL, value=corpus.SHOP))

    assert [m.direction for m in machine] == [Direction.INBOUND, Direction.INBOUND]  # stored, never answered
    assert [r.rcpt_tos for r in smtp.received] == [["olga@example.ru"]]
    assert ours is None


async def test_a_bounce_for_our_reply_marks_it_failed(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    await deliver(dovecot, mailbox, corpus.plain())
    async with start_app(make_settings(read_mail_in_api=False, accounts=[account_config])) as running:
        hub = running.hub
        await poll(hub, email_account(hub))
        _, reply = await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 1))
        assert reply.external_id is not None
        await deliver(dovecot, mailbox, corpus.dsn(reply.external_id))
        assert await poll(hub, email_account(hub)) == 1
        failed = await eventually(lambda: hub.stores.messages.get(reply.id),
                                  lambda m: m.status is DeliveryStatus.FAILED)
        daemon = await messages_of(hub, "mailer-daemon@mx.shop.example")

    assert failed.status_reason is not None
    assert "5.1.1" in failed.status_reason and "User unknown" in failed.status_reason
    assert daemon == [] and len(smtp.received) == 1


async def test_russian_charsets_decode_and_attachments_are_kept_on_disk(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any, tmp_path: Path,
) -> None:
    for raw in (corpus.windows_1251(), corpus.koi8_r(), corpus.with_attachments()):
        await deliver(dovecot, mailbox, raw)
    async with start_app(make_settings(read_mail_in_api=False, accounts=[account_config])) as running:
        hub = running.hub
        assert await poll(hub, email_account(hub)) == 3
        olga = await eventually(lambda: messages_of(hub, "olga@example.ru"), lambda ms: answered(ms, 2))
        ivan = await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 1))

    assert [m.text for m in olga if m.direction is Direction.INBOUND] == [corpus.RUSSIAN, corpus.RUSSIAN]
    pdf = ivan[0].attachments[0]
    assert pdf.name == "чек 4512.pdf" and pdf.file_id is not None
    assert (tmp_path / "files" / pdf.file_id[:2] / pdf.file_id).read_bytes() == b"%PDF-1.4 receipt"


async def test_idle_wakes_the_poller_at_once_and_stop_ends_it_promptly(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    config = with_options(account_config, poll_interval=120)
    await deliver(dovecot, mailbox, corpus.plain())
    async with start_app(make_settings(read_mail_in_api=False, accounts=[config])) as running:
        hub, stop = running.hub, asyncio.Event()
        poller = asyncio.create_task(read_mail(hub, email_account(hub), stop))
        await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 1))
        await asyncio.sleep(0.3)  # the poller is idling now
        started = time.monotonic()
        await deliver(dovecot, mailbox, corpus.plain("Ещё вопрос", message_id="<c2@mail.example.ru>"))
        await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 2), timeout=8)
        woke_after = time.monotonic() - started
        stop.set()
        await asyncio.wait_for(poller, timeout=3)

    assert woke_after < 5  # not the 120 s poll interval


async def test_without_idle_the_poller_polls_every_interval(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    config = with_options(account_config, imap_idle=False, poll_interval=0.2)
    async with start_app(make_settings(read_mail_in_api=False, accounts=[config])) as running:
        hub, stop = running.hub, asyncio.Event()
        poller = asyncio.create_task(read_mail(hub, email_account(hub), stop))
        await asyncio.sleep(0.3)
        await deliver(dovecot, mailbox, corpus.plain())
        await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 1), timeout=8)
        stop.set()
        await asyncio.wait_for(poller, timeout=3)


async def test_the_poller_reconnects_after_a_network_outage_and_loses_no_mail(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    proxy = TcpProxy("127.0.0.1", dovecot.port)
    await proxy.start()
    config = with_options(account_config, imap_port=proxy.port, poll_interval=120)
    async with start_app(make_settings(read_mail_in_api=False, accounts=[config])) as running:
        hub, stop = running.hub, asyncio.Event()
        poller = asyncio.create_task(read_mail(hub, email_account(hub), stop))
        await deliver(dovecot, mailbox, corpus.plain())
        await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 1))
        await proxy.cut()  # mid-IDLE: the connection resets and new ones are refused
        await deliver(dovecot, mailbox, corpus.plain("Пока вас не было", message_id="<c2@mail.example.ru>"))
        await asyncio.sleep(0.5)
        await proxy.start()
        stored = await eventually(lambda: messages_of(hub), lambda ms: answered(ms, 2), timeout=8)
        stop.set()
        await asyncio.wait_for(poller, timeout=3)
        await proxy.cut()

    assert [m.text for m in stored if m.direction is Direction.INBOUND] == ["Здравствуйте! Где мой заказ 4512?",
                                                                            "Пока вас не было"]


async def test_stop_ends_the_poller_promptly_even_while_a_server_never_answers(
    account_config: dict[str, Any], make_settings: Any,
) -> None:
    held: list[asyncio.StreamWriter] = []
    silent = await asyncio.start_server(lambda _, writer: held.append(writer), "127.0.0.1", 0)  # never greets
    port = silent.sockets[0].getsockname()[1]
    async with running_hub(make_settings(accounts=[with_options(account_config, imap_port=port)])) as hub:
        stop = asyncio.Event()
        poller = asyncio.create_task(read_mail(hub, email_account(hub), stop))
        await asyncio.sleep(0.3)
        started = time.monotonic()
        stop.set()
        await asyncio.wait_for(poller, timeout=3)
    silent.close()
    for writer in held:
        writer.close()
    await silent.wait_closed()
    assert held and time.monotonic() - started < 1


async def test_a_changed_uidvalidity_rereads_the_mailbox_without_duplicates(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any], make_settings: Any,
) -> None:
    config = with_options(account_config, mailbox="Поддержка")  # a non-ASCII name: modified UTF-7 on the wire
    folder = mailbox_name("Поддержка")
    await imap_command(dovecot, mailbox, "CREATE", folder)
    await deliver(dovecot, mailbox, corpus.plain(), mailbox=folder)
    async with running_hub(make_settings(accounts=[config])) as hub:
        account = email_account(hub)
        assert await poll(hub, account) == 1
        before = await Cursor.load(hub.stores.cursors, account)
        await imap_command(dovecot, mailbox, "DELETE", folder)
        await imap_command(dovecot, mailbox, "CREATE", folder)
        for raw in (corpus.plain(), corpus.plain("Второе письмо", message_id="<c2@mail.example.ru>")):
            await deliver(dovecot, mailbox, raw, mailbox=folder)
        assert await poll(hub, account) == 2  # both read again; ingest drops the one it has
        after = await Cursor.load(hub.stores.cursors, account)

    assert before.uid == 1 and after.uid == 2 and after.uidvalidity != before.uidvalidity


@pytest.mark.parametrize("tls", ["starttls", "ssl"])
async def test_the_mailbox_is_read_over_starttls_and_implicit_tls(
    tls: str, dovecot: DovecotServer, mailbox: MailUser, account_config: dict[str, Any], make_settings: Any,
) -> None:
    if dovecot.ca_file is None:
        pytest.skip("needs the openssl command for a test certificate")
    port = dovecot.ssl_port if tls == "ssl" else dovecot.port
    config = with_options(account_config, imap_tls=tls, imap_port=port, ca_file=dovecot.ca_file)
    await deliver(dovecot, mailbox, corpus.plain())
    async with running_hub(make_settings(accounts=[config])) as hub:
        assert await poll(hub, email_account(hub)) == 1


def reply(**overrides: Any) -> OutboundMessage:
    """A reply answering nothing in particular."""
    values: dict[str, Any] = {"conversation_id": ConversationId("c0ffee00"), "customer_id": CustomerId("u1"),
                              "channel": Channel.EMAIL, "account_id": "support", "recipient": corpus.SHOPPER,
                              "text": "Здравствуйте!", "idempotency_key": "k1"}
    return OutboundMessage(**{**values, **overrides})


@pytest.mark.parametrize(("script", "retryable"), [("451 4.7.1 Try again later", True),
                                                   ("550 5.1.1 No such user", False)])
async def test_smtp_refusals_are_retryable_when_temporary_and_final_when_permanent(
    script: str, retryable: bool, smtp: SmtpRecorder, account_config: dict[str, Any], make_settings: Any,
) -> None:
    smtp.rcpt_script.append(script)
    async with running_hub(make_settings(accounts=[account_config])) as hub:
        with pytest.raises(SendError) as refused:
            await hub.senders[(Channel.EMAIL, "support")].send(reply())
    assert refused.value.retryable is retryable and script[:3] in refused.value.reason


async def test_a_wrong_password_is_final_and_an_unreachable_server_is_retryable(
    smtp: SmtpRecorder, account_config: dict[str, Any], make_settings: Any,
) -> None:
    closed = with_options(account_config, smtp_port=free_port())
    async with running_hub(make_settings(accounts=[{**account_config, "token": "wrong"}])) as hub:
        with pytest.raises(SendError) as wrong_password:
            await hub.senders[(Channel.EMAIL, "support")].send(reply())
    async with running_hub(make_settings(accounts=[closed])) as hub:
        with pytest.raises(SendError) as unreachable:
            await hub.senders[(Channel.EMAIL, "support")].send(reply())
    assert not wrong_password.value.retryable and unreachable.value.retryable
    assert smtp.received == []


async def test_a_temporary_refusal_is_retried_by_the_outbox_and_delivered(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any],
    make_settings: Any, start_app: Any,
) -> None:
    smtp.rcpt_script.append("451 4.7.1 Greylisted, try again later")
    await deliver(dovecot, mailbox, corpus.plain())
    async with start_app(make_settings(read_mail_in_api=False, accounts=[account_config])) as running:
        await poll(running.hub, email_account(running.hub))
        await eventually(lambda: messages_of(running.hub), lambda ms: answered(ms, 1))
    assert smtp.rcpt_attempts == 2 and len(smtp.received) == 1


def test_the_poll_once_command_ingests_and_answers_in_its_own_process(
    dovecot: DovecotServer, mailbox: MailUser, smtp: SmtpRecorder, account_config: dict[str, Any], tmp_path: Path,
) -> None:
    asyncio.run(deliver(dovecot, mailbox, corpus.plain()))
    env = clean_env(OTKLIK_SECRET_KEY="test-secret-key-0123456789", OTKLIK_SQLITE_PATH=str(tmp_path / "db.sqlite3"),
                    OTKLIK_BUS_JOURNAL_PATH=str(tmp_path / "bus.sqlite3"), OTKLIK_ACCOUNTS=json.dumps([account_config]),
                    OTKLIK_LOG_JSON="false")
    done = subprocess.run([sys.executable, "-c", "from api.commands.mail import app; app()", "poll", "--once"],
                          cwd=tmp_path, env=env, capture_output=True, timeout=60)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    assert b"support: 1 new mail(s)" in done.stdout
    assert [r.rcpt_tos for r in smtp.received] == [[corpus.SHOPPER]]  # the worker in that process answered
