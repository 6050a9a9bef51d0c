"""Identity resolution: which customer wrote this, whatever channel they used.

The channel's own id for the sender is the primary identity; a phone or e-mail the channel gives
links the message to a customer already known by it, and every new identity is linked to that
customer, so the next message on any of them finds the same person.
"""

from __future__ import annotations

from hub.stores.base import CustomerStore
from models.channels import Channel
from models.customers import Customer, Identity, IdentityKind
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


def identities_of(msg: InboundMessage) -> list[Identity]:
    """The channel identity first, then the contact hints."""
    found = [channel_identity(msg)]
    if msg.contact.phone:
        found.append(Identity(kind=IdentityKind.PHONE, value=msg.contact.phone))
    if msg.contact.email:
        found.append(Identity(kind=IdentityKind.EMAIL, value=str(msg.contact.email)))
    return list({i.key: i for i in found}.values())


async def resolve(msg: InboundMessage, customers: CustomerStore) -> tuple[Customer, bool]:
    """The customer behind the message (created if new) and whether they were created now."""
    identities = identities_of(msg)
    for _ in range(3):  # a concurrent first message may create the customer between our read and write
        owners = [await customers.find_by_identity(i) for i in identities]
        known = next((c for c in owners if c is not None), None)
        if known is None:
            customer = Customer(name=msg.contact.name, identities=identities)
            try:
                await customers.create(customer)
            except Conflict:
                continue
            return customer, True
        for identity, owner in zip(identities, owners, strict=True):
            if owner is None:
                await _link_quietly(customers, known, identity)
        return known, False
    raise Conflict(f"could not resolve the customer of {msg.channel} message {msg.external_id}")


async def _link_quietly(customers: CustomerStore, customer: Customer, identity: Identity) -> None:
    # Someone else got it meanwhile: two customers now share a person; merging is the CRM's call.
    try:
        await customers.link(customer.id, identity)
    except Conflict:
        return
    customer.identities.append(identity)
