"""Identity resolution: which customer wrote this, whatever channel they used.

The channel's own id for the sender is the primary identity. A contact the channel *proves* is the
sender's (see `proven_hints`) links the message to a customer already known by it, and is linked to
that customer, so the next message on any of them finds the same person. Every other contact hint is a
claim: returned to the caller to be kept and shown as unverified, never linked, never used to find a
customer. A claim becomes an identity only through a one-time code or an operator (`hub/customers/claims.py`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hub.stores.base import CustomerStore
from models.channels import Channel
from models.customers import Customer, Identity, IdentityKind, normalize_phone
from models.errors import Conflict
from models.messages import InboundMessage

_CHANNEL_KIND = {
    Channel.API: IdentityKind.API,
    Channel.WEBCHAT: IdentityKind.WEBCHAT,
    Channel.TELEGRAM: IdentityKind.TELEGRAM,
    Channel.WHATSAPP: IdentityKind.WHATSAPP,
    Channel.VIBER: IdentityKind.VIBER,
    Channel.EMAIL: IdentityKind.EMAIL,
    Channel.VOICE: IdentityKind.PHONE,
}
# Ids that mean something only inside one account (an API client's user ids) are scoped by it.
_SCOPED = {Channel.API}


@dataclass(frozen=True)
class Resolved:
    """Who wrote: the customer, whether they were created now, and the contacts they only claimed."""

    customer: Customer
    created: bool
    claims: list[Identity] = field(default_factory=list)


def kind_of(channel: Channel) -> IdentityKind:
    """The kind of identity a channel knows people by."""
    return _CHANNEL_KIND[channel]


def identity_on(channel: Channel, account_id: str, external_user_id: str) -> Identity:
    """A channel's address of a person as an identity (an API client's ids are scoped by its account)."""
    value = f"{account_id}:{external_user_id}" if channel in _SCOPED else external_user_id
    return Identity(kind=_CHANNEL_KIND[channel], value=value)


def channel_identity(msg: InboundMessage) -> Identity:
    """The sender's identity on the channel the message came through."""
    return identity_on(msg.channel, msg.account_id, msg.external_user_id)


def hints_of(msg: InboundMessage) -> list[Identity]:
    """The phone and e-mail the message's contact hints name, proven or not."""
    found = []
    if msg.contact.phone:
        found.append(Identity(kind=IdentityKind.PHONE, value=msg.contact.phone))
    if msg.contact.email:
        found.append(Identity(kind=IdentityKind.EMAIL, value=str(msg.contact.email)))
    return found


def _sender_phone(msg: InboundMessage) -> str | None:
    """The sender's own number, where the channel addresses people by it (WhatsApp, the hotline)."""
    if msg.channel not in (Channel.WHATSAPP, Channel.VOICE):
        return None
    try:
        return normalize_phone(msg.external_user_id, international=msg.channel is Channel.WHATSAPP)
    except ValueError:
        return None


def proven(hint: Identity, msg: InboundMessage, *, trusted: bool) -> bool:
    """Whether the channel proves this contact hint is the sender's own.

    Only the sender's own WhatsApp number or caller id, the From address of an e-mail, Telegram's share of
    the sender's *own* contact (the connector checks the card's user_id) and a trusted api account's
    hints count. `ContactHints.verified` is believed from Telegram only: a web chat or api client can
    send any JSON it likes, that flag included.
    """
    if msg.channel is Channel.API:
        return trusted
    if hint.kind is IdentityKind.PHONE:
        if msg.channel is Channel.TELEGRAM:
            return msg.contact.verified
        return hint.value == _sender_phone(msg)
    if hint.kind is IdentityKind.EMAIL and msg.channel is Channel.EMAIL:
        return hint.value == msg.external_user_id.strip().lower()
    return False


def split(msg: InboundMessage, *, trusted: bool = False) -> tuple[list[Identity], list[Identity]]:
    """(proven identities, the channel's first; claimed ones) of a message."""
    own = channel_identity(msg)
    proven_ids, claimed = [own], list[Identity]()
    for hint in hints_of(msg):
        if hint.key == own.key:
            continue
        (proven_ids if proven(hint, msg, trusted=trusted) else claimed).append(hint)
    return list({i.key: i for i in proven_ids}.values()), list({i.key: i for i in claimed}.values())


class Owners:
    """The customer owning each identity, read once while one message is handled: the CSAT check and identity
    resolution both look up the sender's channel identity before anything of this message is written."""

    def __init__(self, customers: CustomerStore) -> None:
        self.customers = customers
        self._read: dict[str, Customer | None] = {}

    async def of(self, identity: Identity) -> Customer | None:
        """The owner as first read for this message."""
        if identity.key not in self._read:
            self._read[identity.key] = await self.customers.find_by_identity(identity)
        return self._read[identity.key]


async def resolve(
    msg: InboundMessage, customers: CustomerStore, *, trusted: bool = False, owners: Owners | None = None
) -> Resolved:
    """The customer behind the message (created if new), found and linked by proven identities only.

    `trusted`: the message came through an api account configured as trusted (its hints are proven).
    `owners`: what was read already for this message; used on the first try only (a retry reads afresh).
    """
    identities, claims = split(msg, trusted=trusted)
    first = owners or Owners(customers)
    for attempt in range(3):  # a concurrent first message may create the customer between our read and write
        read = first.of if attempt == 0 else customers.find_by_identity
        owners_now = [await read(i) for i in identities]
        known = next((c for c in owners_now if c is not None), None)
        if known is None:
            customer = Customer(name=msg.contact.name, identities=identities)
            try:
                await customers.create(customer)
            except Conflict:
                continue
            return Resolved(customer, True, _still_claimed(customer, claims))
        for identity, owner in zip(identities, owners_now, strict=True):
            if owner is None:
                await _link_quietly(customers, known, identity)
        known = await _named(customers, known, msg.contact.name)
        return Resolved(known, False, _still_claimed(known, claims))
    raise Conflict(f"could not resolve the customer of {msg.channel} message {msg.external_id}")


def _still_claimed(customer: Customer, claims: list[Identity]) -> list[Identity]:
    """Claims of identities the customer does not already have (saying your own number proves nothing new)."""
    return [c for c in claims if not customer.has(c)]


async def _named(customers: CustomerStore, customer: Customer, name: str | None) -> Customer:
    """A nameless customer takes the name the message gives (a web-chat shopper who introduced themselves
    later); a name is not an identity, so it never links anyone and never replaces a name already known."""
    name = (name or "").strip()
    if customer.name or not name:
        return customer
    return await customers.name_if_unnamed(customer.id, name)


async def _link_quietly(customers: CustomerStore, customer: Customer, identity: Identity) -> None:
    # Someone else got it meanwhile: two customers now share a person; merging is the CRM's call.
    try:
        await customers.link(customer.id, identity)
    except Conflict:
        return
    customer.identities.append(identity)
