"""Issue 13, the property: no sequence of unverified contact hints ever changes who an identity belongs to.

Known shoppers are made through proven channels; then any sequence of messages from any channel carrying
phones and e-mails the channel does not prove (typed in the web chat, a Viber card, an untrusted api
account, a Telegram card of someone else, a phone inside an e-mail; `verified: true` sent by a client
included) is resolved. Every identity keeps its owner, and no claimed contact becomes anyone's.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.customers.identity import hints_of, resolve
from hub.stores.sqlite.stores import SqliteStores
from models.channels import Channel
from models.customers import Identity
from models.messages import ContactHints, InboundMessage

PHONES = ["+79161234567", "+79037654321", "+79031112233", "+79990000000"]
EMAILS = ["anna@example.ru", "boris@example.ru", "new@example.ru"]
KNOWN = [  # proven: Telegram's own-contact share, a WhatsApp number, an e-mail's sender
    InboundMessage(channel=Channel.TELEGRAM, account_id="tg", external_user_id="100", external_id="k1", text="hi",
                   contact=ContactHints(phone=PHONES[0], verified=True)),
    InboundMessage(channel=Channel.WHATSAPP, account_id="wa", external_user_id=PHONES[1].lstrip("+"),
                   external_id="k2", text="hi", contact=ContactHints(phone=PHONES[1])),
    InboundMessage(channel=Channel.EMAIL, account_id="mail", external_user_id=EMAILS[0], external_id="k3",
                   text="hi", contact=ContactHints(email=EMAILS[0])),
]
# (channel, account, sender ids): the known shoppers' own ids too, writing with someone else's contact
SENDERS = st.sampled_from([
    (Channel.WEBCHAT, "web", ["v1", "v2"]), (Channel.VIBER, "vb", ["vb1", "vb2"]),
    (Channel.API, "partner", ["u1", "u2"]), (Channel.TELEGRAM, "tg", ["100", "200"]),
    (Channel.EMAIL, "mail", [EMAILS[0], "stranger@example.ru"]),
    (Channel.WHATSAPP, "wa", [PHONES[1].lstrip("+"), "79995550000"]),
])


@st.composite
def unverified_messages(draw: st.DrawFn) -> InboundMessage:
    """A message whose contact hints its channel does not prove."""
    channel, account, senders = draw(SENDERS)
    sender = draw(st.sampled_from(senders))
    phone = draw(st.none() | st.sampled_from(PHONES))
    email = draw(st.none() | st.sampled_from(EMAILS))
    if channel is Channel.WHATSAPP and phone == "+" + sender:
        phone = None  # the sender's own WhatsApp number is proven: not what this property is about
    if channel is Channel.EMAIL and email == sender:
        email = None  # likewise the sender's own address
    verified = draw(st.booleans()) and channel is not Channel.TELEGRAM  # a client may claim "verified"
    return InboundMessage(channel=channel, account_id=account, external_user_id=sender,
                          external_id=draw(st.uuids()).hex, text="x",
                          contact=ContactHints(phone=phone, email=email, verified=verified))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(unverified_messages(), min_size=1, max_size=8))
def test_no_sequence_of_unverified_hints_changes_who_an_identity_belongs_to(messages: list[InboundMessage]) -> None:
    async def run(directory: str) -> None:
        stores = SqliteStores(str(Path(directory) / "t.sqlite3"))
        await stores.open()
        try:
            owners: dict[str, str] = {}
            for msg in KNOWN:
                customer = (await resolve(msg, stores.customers)).customer
                owners |= {i.key: customer.id for i in customer.identities}
            for msg in messages:
                before = {h.key: await _owner(stores, h) for h in hints_of(msg)}
                await resolve(msg, stores.customers)  # no trusted account among these
                after = {h.key: await _owner(stores, h) for h in hints_of(msg)}
                assert after == before, f"{msg.channel} {msg.external_user_id} changed who owns {before}"
                for key, owner in owners.items():
                    found = await stores.customers.find_by_identity(_identity(key))
                    assert found is not None and found.id == owner, f"{key} changed hands after {msg.channel}"
        finally:
            await stores.close()

    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(directory))


async def _owner(stores: SqliteStores, identity: Identity) -> str | None:
    found = await stores.customers.find_by_identity(identity)
    return None if found is None else found.id


def _identity(key: str) -> Identity:
    kind, _, value = key.partition(":")
    return Identity.model_validate({"kind": kind, "value": value})
