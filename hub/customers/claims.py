"""Claims: contacts a shopper gave that their channel does not prove, kept and shown, never linked.

`record` keeps what `identity.resolve` returned as claimed. A claim becomes the claimer's identity only
through `adopt`, called by a correct one-time code (`hub/customers/verification.py`) or by an operator linking it
by hand from the inbox; both are written into the conversation's history and announced with who did it.
If someone else already owns the identity, adopting it merges the claimer into that owner (they are the
same person, now proven), so the owner's id, profile and history stay the ones the CRM knows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from hub import events
from hub.customers import profiles
from hub.versioned import update_versioned
from models.channels import Channel
from models.claims import Claim, ClaimStatus
from models.clock import utcnow
from models.conversations import Conversation, ConversationEvent
from models.customers import Customer, Identity, IdentityKind
from models.errors import Conflict, NotFound
from models.ids import ConversationId, CustomerId
from models.nlu import ParseResult

if TYPE_CHECKING:
    from hub.core import Hub

ATTEMPTS = 3


@dataclass(frozen=True)
class ClaimView:
    """A claim as the inbox shows it: what was said, its status, and whether somebody else owns it."""

    claim: Claim
    owner_id: CustomerId | None  # the customer this identity is proven for, if any (never the claimer)
    owner_name: str | None


async def record(hub: Hub, customer_id: CustomerId, claimed: list[Identity], *, channel: Channel,
                 conversation_id: ConversationId | None, at: datetime) -> list[Claim]:
    """Keep each claimed identity as the customer's claim (saying it again only moves `last_at`)."""
    kept = []
    for identity in claimed:
        kept.append(await hub.stores.claims.note(Claim(
            customer_id=customer_id, identity=identity, channel=channel, conversation_id=conversation_id,
            first_at=at, last_at=at)))
    return kept


async def of_customer(hub: Hub, customer_id: CustomerId) -> list[ClaimView]:
    """The customer's claims, newest first, each with the customer who owns the identity (if another does)."""
    views = []
    for claim in await hub.stores.claims.of_customer(customer_id):
        owner = await hub.stores.customers.find_by_identity(claim.identity)
        other = owner if owner is not None and owner.id != customer_id else None
        views.append(ClaimView(claim, other.id if other else None, other.name if other else None))
    return views


def in_text(reading: ParseResult | None) -> list[Identity]:
    """Phones and e-mails the NLU found in a message's text: claims like any other typed contact."""
    found = []
    for entity in reading.entities if reading is not None else []:
        kind = {"phone": IdentityKind.PHONE, "email": IdentityKind.EMAIL}.get(entity.entity)
        if kind is None:
            continue
        try:
            found.append(Identity(kind=kind, value=entity.canonical))
        except ValueError:
            continue  # a shape the identity rules refuse: nothing to claim
    return found


async def pending(hub: Hub, customer_id: CustomerId) -> Claim | None:
    """The customer's most recent claim that is still only claimed."""
    return next((c for c in await hub.stores.claims.of_customer(customer_id)
                 if c.status is ClaimStatus.CLAIMED), None)


async def link_by_operator(hub: Hub, customer_id: CustomerId, identity_key: str, *, actor: str) -> Customer:
    """An operator vouches that the customer's claim is true: adopt it; NotFound if there is no such claim."""
    claim = next((c for c in await hub.stores.claims.of_customer(customer_id) if c.identity.key == identity_key),
                 None)
    if claim is None:
        raise NotFound(f"customer {customer_id} has not claimed {identity_key}")
    return await adopt(hub, customer_id, claim.identity, status=ClaimStatus.LINKED, actor=actor,
                       conversation_id=claim.conversation_id)


async def adopt(hub: Hub, claimer_id: CustomerId, identity: Identity, *, status: ClaimStatus, actor: str,
                conversation_id: ConversationId | None) -> Customer:
    """Make a proven claim true: link the identity to the claimer, or merge the claimer into its owner.
    The customer the claimer is now; Conflict when a merge must wait (an operator holds a conversation)."""
    for _ in range(ATTEMPTS):
        claimer = await profiles.current(hub, claimer_id)
        owner = await hub.stores.customers.find_by_identity(identity)
        try:
            if owner is None:
                await hub.stores.customers.link(claimer.id, identity)
                result = await hub.stores.customers.get(claimer.id)
            elif owner.id == claimer.id:
                result = claimer
            else:
                result = await profiles.merge(hub, owner.id, claimer.id, actor=actor)
        except Conflict:
            if owner is not None:
                raise  # the merge said why (an operator's conversation): people settle that
            continue  # someone took the identity meanwhile: look again
        await _decided(hub, claimer_id, identity, status=status, actor=actor, conversation_id=conversation_id,
                       into=result)
        return result
    raise Conflict(f"identity {identity.key} kept changing hands; try again")


async def _decided(hub: Hub, claimer_id: CustomerId, identity: Identity, *, status: ClaimStatus, actor: str,
                   conversation_id: ConversationId | None, into: Customer) -> None:
    """Mark the claim, write it into the conversation's history and announce it, naming who decided."""
    at = utcnow()
    await hub.stores.claims.decide(claimer_id, identity.key, status, by=actor, at=at)
    data = {"identity": identity.key, "how": status.value, "customer_id": claimer_id, "into": into.id}
    if conversation_id is not None:
        await _note_history(hub, conversation_id, ConversationEvent(
            at=at, kind="identity_" + status.value, actor=actor, data=data))
    await events.emit(hub, "customer.identity_" + status.value, f"{claimer_id}:{identity.key}",
                      customer_id=into.id, conversation_id=conversation_id, actor=actor, identity=identity.key,
                      claimer_id=claimer_id)


async def _note_history(hub: Hub, conversation_id: ConversationId, entry: ConversationEvent) -> None:
    store = hub.stores.conversations

    async def save(conversation: Conversation, version: int) -> None:
        await store.save(conversation, expected_version=version)

    async def change(conversation: Conversation) -> list[str]:
        conversation.history.append(entry)
        return ["history"]

    await update_versioned(lambda: store.get(conversation_id), save, change, what=f"conversation {conversation_id}")


# Identities the chain's CRM knows people by: a customer with one of these (or a CRM id) is someone whose
# personal data may be read. Since claims are never linked, every identity a customer has was proven.
_PERSONAL_KINDS = frozenset({IdentityKind.PHONE, IdentityKind.WHATSAPP, IdentityKind.EMAIL})


def proven_for_personal_data(customer: Customer) -> bool:
    """Whether the customer is proven to be someone the CRM knows (a proven phone or e-mail, or a CRM id)."""
    return bool(customer.attributes.get("crm_id")) or any(i.kind in _PERSONAL_KINDS for i in customer.identities)
