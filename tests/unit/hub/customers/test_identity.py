"""Which contact hints a channel proves (they link) and which are only claims (they never do)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.customers.claims import in_text
from hub.customers.identity import Owners, channel_identity, resolve, split
from hub.stores.sqlite.stores import SqliteStores
from models.channels import Channel
from models.messages import ContactHints, InboundMessage
from models.nlu import Entity, ParseResult

PHONE, EMAIL = "+79161234567", "anna@example.ru"


def said(channel: Channel, sender: str, **contact: object) -> InboundMessage:
    return InboundMessage(channel=channel, account_id="acc", external_user_id=sender, external_id="m-1", text="x",
                          contact=ContactHints.model_validate(contact))


@pytest.mark.parametrize(("msg", "trusted", "proven", "claimed"), [
    (said(Channel.WHATSAPP, PHONE.lstrip("+"), phone=PHONE), False, ["whatsapp:+79161234567", f"phone:{PHONE}"], []),
    (said(Channel.VOICE, PHONE, phone=PHONE), False, [f"phone:{PHONE}"], []),
    (said(Channel.EMAIL, "Anna@Example.ru", email=EMAIL, phone=PHONE), False, [f"email:{EMAIL}"], [f"phone:{PHONE}"]),
    (said(Channel.TELEGRAM, "42", phone=PHONE, verified=True), False, ["telegram:42", f"phone:{PHONE}"], []),
    (said(Channel.TELEGRAM, "42", phone=PHONE), False, ["telegram:42"], [f"phone:{PHONE}"]),
    (said(Channel.VIBER, "vb-1", phone=PHONE), False, ["viber:vb-1"], [f"phone:{PHONE}"]),
    (said(Channel.WEBCHAT, "v-1", phone=PHONE, email=EMAIL, verified=True), False, ["webchat:v-1"],
     [f"phone:{PHONE}", f"email:{EMAIL}"]),
    (said(Channel.API, "u-1", phone=PHONE, verified=True), False, ["api:acc:u-1"], [f"phone:{PHONE}"]),
    (said(Channel.API, "u-1", phone=PHONE, email=EMAIL), True, ["api:acc:u-1", f"phone:{PHONE}", f"email:{EMAIL}"],
     []),
    (said(Channel.WHATSAPP, "79990000000", phone=PHONE), False, ["whatsapp:+79990000000"], [f"phone:{PHONE}"]),
], ids=["whatsapp-own", "voice-caller", "mail-sender", "telegram-own-card", "telegram-unverified", "viber-card",
        "webchat-says-verified", "api-untrusted", "api-trusted", "whatsapp-other-number"])
def test_a_channel_proves_only_the_senders_own_contacts(
    msg: InboundMessage, trusted: bool, proven: list[str], claimed: list[str]
) -> None:
    ids, claims = split(msg, trusted=trusted)
    assert [i.key for i in ids] == proven and [c.key for c in claims] == claimed


def test_phones_and_emails_typed_in_the_text_are_claims() -> None:
    def entity(kind: str, canonical: str) -> Entity:
        return Entity(entity=kind, value=canonical, start=0, end=1, extractor="builtin", canonical=canonical)

    reading = ParseResult(text="…", intent="order_status", confidence=0.9, engine="builtin", entities=[
        entity("phone", PHONE), entity("email", EMAIL), entity("order_id", "4512"), entity("phone", "12")])
    assert [i.key for i in in_text(reading)] == [f"phone:{PHONE}", f"email:{EMAIL}"]
    assert in_text(None) == []


async def test_one_message_reads_its_senders_customer_once_for_the_csat_check_and_resolution(
    tmp_path: Path,
) -> None:
    stores = SqliteStores(str(tmp_path / "otklik.sqlite3"))
    await stores.open()
    try:
        first = await resolve(said(Channel.TELEGRAM, "42"), stores.customers)
        msg = said(Channel.TELEGRAM, "42")
        traced: list[str] = []
        await stores.db.set_trace_callback(traced.append)
        owners = Owners(stores.customers)
        assert (await owners.of(channel_identity(msg))) == first.customer  # the CSAT check's read
        again = await resolve(msg, stores.customers, owners=owners)
        await stores.db.set_trace_callback(None)
        assert again.customer.id == first.customer.id and not again.created
        assert len([s for s in traced if "FROM identities" in s]) == 1
    finally:
        await stores.close()
