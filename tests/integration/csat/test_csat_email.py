"""CSAT by e-mail end to end: a mail in through the connector, a resolve, the question over real SMTP with five
signed links, and the link route: one click records, a replay or another score's link changes nothing, a
comment follows once, an expired or forged link is refused (the route's clock is injected)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from connectors import mail
from hub.customers.identity import identity_on
from hub.inbound.accept import accept
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from tests.integration.csat_support import csat_inbox, csat_kinds, resolved_by_operator, staff
from tests.integration.helpers import eventually
from tests.servers.smtp import SmtpRecorder, running_smtp
from tests.unit.connectors import mail_corpus as corpus

PUBLIC = "https://otklik.example.ru"
PASSWORD = "mailbox-password-0123"


@pytest.fixture
def smtp() -> Iterator[SmtpRecorder]:
    """A real SMTP server recording what the shop sends."""
    with running_smtp(corpus.SHOP, PASSWORD) as server:
        yield server


def mail_settings(make_settings: Any, smtp: SmtpRecorder, tmp_path: Path) -> Any:
    """The shop's mailbox sending through the recorder (no IMAP reader: the test hands mail in)."""
    options = {"address": corpus.SHOP, "imap_host": "127.0.0.1", **smtp.account_options()}
    return make_settings(accounts=[{"channel": "email", "id": "support", "token": PASSWORD, "options": options}],
                         read_mail_in_api=False, public_url=PUBLIC, inbox_config_path=csat_inbox(tmp_path))


async def mailed_in(running: Any) -> Conversation:
    """The shopper's mail, parsed by the connector and taken through the pipeline; their conversation."""
    hub = running.hub
    [event] = mail.parse_inbound(corpus.plain(), hub.account(Channel.EMAIL, "support"))
    await accept(event, hub)

    async def current() -> Conversation | None:
        customer = await hub.stores.customers.find_by_identity(identity_on(Channel.EMAIL, "support", corpus.SHOPPER))
        return None if customer is None else await hub.stores.conversations.current_for(customer.id)

    found = await eventually(current, lambda c: c is not None)
    assert found is not None
    return found


def rating_links(smtp: SmtpRecorder) -> dict[int, str]:
    """The question mail's links, by score, as paths on our server."""
    bodies = [part.get_content() for m in smtp.received if (part := m.message.get_body(("plain",))) is not None]
    body = next(b for b in bodies if "/csat/" in b)
    return {int(score): f"/csat/{token}" for score, token in re.findall(rf"([1-5]) — {PUBLIC}/csat/(\S+)", body)}


async def test_one_click_records_once_then_a_comment_and_expired_or_forged_links_are_refused(
    make_settings: Any, start_app: Any, tmp_path: Path, smtp: SmtpRecorder
) -> None:
    async with start_app(mail_settings(make_settings, smtp, tmp_path)) as running:
        hub, client = running.hub, running.client
        await staff(hub)
        conversation = await mailed_in(running)
        await resolved_by_operator(hub, conversation.id)
        await eventually(lambda: _received(smtp), lambda n: n >= 3)  # acknowledgement, outcome, question
        links = rating_links(smtp)
        clicked = await client.get(links[5])
        replayed = await client.get(links[5])
        other = await client.get(links[1])
        commented = await client.post(f"{links[5]}/comment", data={"comment": "<b>Быстро</b> и вежливо"})
        second_comment = await client.post(f"{links[5]}/comment", data={"comment": "Передумал"})
        forged = await client.get(links[4][:-1] + ("0" if links[4][-1] != "0" else "1"))
        asked = (await hub.stores.conversations.get(conversation.id)).history
        asked_at = next(e.at for e in asked if e.kind == "csat_requested")
        running.app.state.clock = lambda: asked_at + timedelta(hours=72, seconds=1)  # the links lived 72 hours
        expired = await client.get(links[5])
        after = await hub.stores.conversations.get(conversation.id)
        mails = len(smtp.received)

    assert sorted(links) == [1, 2, 3, 4, 5]
    assert clicked.status_code == replayed.status_code == other.status_code == 200
    assert 'data-score="5"' in clicked.text and 'data-score="5"' in replayed.text and 'data-score="5"' in other.text
    assert '<form method="post"' in clicked.text
    assert commented.status_code == 200 and "&lt;b&gt;Быстро&lt;/b&gt; и вежливо" in commented.text
    assert "<b>Быстро" not in commented.text and "Передумал" not in second_comment.text
    assert forged.status_code == expired.status_code == 404
    assert csat_kinds(after) == ["csat_requested", "csat_answered", "csat_commented"]
    answered = next(e for e in after.history if e.kind == "csat_answered")
    assert (answered.data["score"], answered.data["via"]) == (5, "link")
    assert after.state is ConversationState.RESOLVED and mails == 3  # no in-channel thanks: the page thanked


async def _received(smtp: SmtpRecorder) -> int:
    return len(smtp.received)
