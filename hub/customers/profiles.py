"""What the CRM does to customers: find them by any identity, keep their profile, merge two into one.

A merge keeps the survivor; everything of the other one moves to it. The other customer stays as a
redirect (`merged_into`), so old ids still resolve. Conversations move whole, with their messages: no
history is rewritten. When both customers have a conversation that is not closed, one has to give way,
since a customer has at most one: the survivor's is kept, unless it is only resolved and the other's is
still open; the other one is closed with a note naming the one that continues. A conversation an
operator holds (assigned) is never closed by a merge: the merge is refused until it is resolved.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub import events
from models.conversations import TRANSITIONS, Conversation, ConversationEvent, ConversationState
from models.customers import Customer, Identity, merge_needed
from models.errors import Conflict, InvalidTransition, NotFound
from models.ids import CustomerId

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState
MAX_REDIRECTS = 10
SAVE_ATTEMPTS = 5


async def current(hub: Hub, customer_id: CustomerId) -> Customer:
    """The customer, or the one they were merged into (followed to the end); NotFound if absent."""
    customer = await hub.stores.customers.get(customer_id)
    for _ in range(MAX_REDIRECTS):
        if customer.merged_into is None:
            return customer
        customer = await hub.stores.customers.get(customer.merged_into)
    raise Conflict(f"customer {customer_id}: too many merges to follow")


async def lookup(hub: Hub, identity: Identity) -> Customer:
    """The customer this identity belongs to; NotFound if nobody has it."""
    customer = await hub.stores.customers.find_by_identity(identity)
    if customer is None:
        raise NotFound(f"no customer with identity {identity.key}")
    return customer


async def update_attributes(hub: Hub, customer_id: CustomerId, patch: dict[str, Any]) -> Customer:
    """Merge `patch` into the profile (None removes a key) and announce it."""
    customer = await current(hub, customer_id)
    updated = await hub.stores.customers.set_attributes(customer.id, patch)
    await _announce(hub, "customer.updated", updated, version=updated.version, keys=sorted(patch))
    return updated


async def upsert(
    hub: Hub, identities: list[Identity], *, name: str | None, attributes: dict[str, Any]
) -> tuple[Customer, bool]:
    """The customer these identities belong to, created if none does, with the attributes merged in;
    and whether it was created. Conflict if the identities belong to different customers."""
    owners = {c.id: c for c in [await hub.stores.customers.find_by_identity(i) for i in identities] if c}
    if len(owners) > 1:
        raise Conflict(f"these identities belong to different customers: {', '.join(sorted(owners))}; merge them")
    if not owners:
        profile = {k: v for k, v in attributes.items() if v is not None}
        created = Customer(name=name, identities=identities, attributes=profile)
        await hub.stores.customers.create(created)  # Conflict if someone took an identity meanwhile
        await _announce(hub, "customer.created", created)
        return created, True
    [customer] = owners.values()
    linked = [i for i in identities if not customer.has(i)]
    for identity in linked:
        await hub.stores.customers.link(customer.id, identity)
    if attributes:
        return await update_attributes(hub, customer.id, attributes), False
    if linked:
        customer = await hub.stores.customers.get(customer.id)
        await _announce(hub, "customer.updated", customer, version=customer.version, identities=len(linked))
    return customer, False


async def merge(hub: Hub, survivor_id: CustomerId, merged_id: CustomerId, *, actor: str) -> Customer:
    """Merge one customer into another (see the module docstring); repeating a merge finishes it."""
    survivor = await hub.stores.customers.get(survivor_id)
    merged = await hub.stores.customers.get(merged_id)
    if merge_needed(survivor, merged):
        await _check_conversations(hub, survivor, merged)
        await hub.stores.crm.merge_customers(survivor_id, merged_id)
    for conversation in await _conversations_of(hub, merged_id):
        await _move(hub, conversation, survivor_id, actor=actor)
    await hub.stores.crm.move_messages(merged_id, survivor_id)
    result = await hub.stores.customers.get(survivor_id)
    await events.emit(hub, "customer.merged", merged_id, customer_id=survivor_id,
                      merged_customer_id=merged_id, actor=actor)
    return result


def _loser(mine: Conversation, theirs: Conversation) -> Conversation:
    """Which of two not-closed conversations gives way: theirs, unless only theirs is still open."""
    return mine if mine.state is S.RESOLVED and theirs.is_open else theirs


async def _check_conversations(hub: Hub, survivor: Customer, merged: Customer) -> None:
    """Refuse before changing anything if the merge would have to close an operator's conversation."""
    mine = await hub.stores.conversations.current_for(survivor.id)
    theirs = await hub.stores.conversations.current_for(merged.id)
    if mine is None or theirs is None:
        return
    loser = _loser(mine, theirs)
    if S.CLOSED not in TRANSITIONS[loser.state]:
        raise Conflict(f"conversation {loser.id} is {loser.state} (held by {loser.assignee}); resolve it before "
                       "merging these customers")


async def _conversations_of(hub: Hub, customer_id: CustomerId) -> list[Conversation]:
    """Every conversation of the customer (they are few: one a customer and issue)."""
    found: list[Conversation] = []
    while batch := await hub.stores.conversations.list_for_customer(customer_id, limit=1000):
        found += batch
        if len(batch) < 1000:
            break
    return found


async def _move(hub: Hub, conversation: Conversation, to: CustomerId, *, actor: str) -> None:
    """Give the conversation to `to`, retrying while it or `to`'s current one changes under us."""
    for _ in range(SAVE_ATTEMPTS):
        try:
            if await _move_once(hub, conversation, to, actor=actor):
                return
        except InvalidTransition:
            raise  # an operator took the conversation meanwhile: only people can settle that
        except Conflict:
            continue  # changed meanwhile (a new message): look again
    raise Conflict(f"conversation {conversation.id} kept changing during the merge; repeat the merge")


async def _move_once(hub: Hub, conversation: Conversation, to: CustomerId, *, actor: str) -> bool:
    """One attempt; False when it must look again (it closed the conversation first)."""
    conversation = await hub.stores.conversations.get(conversation.id)
    if conversation.customer_id == to:
        return True
    if conversation.state is not S.CLOSED:
        theirs = await hub.stores.conversations.current_for(to)
        if theirs is not None:
            loser = _loser(theirs, conversation)
            await _close(hub, loser, continued_in=conversation if loser is theirs else theirs, actor=actor)
            if loser is conversation:
                return False
    version, moved_from = conversation.version, conversation.customer_id
    conversation.customer_id = to
    conversation.history.append(ConversationEvent(kind="customer_merged", actor=actor,
                                                  data={"from": moved_from, "to": to}))
    await hub.stores.conversations.save(conversation, expected_version=version)
    return True


async def _close(hub: Hub, conversation: Conversation, *, continued_in: Conversation, actor: str) -> None:
    version = conversation.version
    conversation.transition(S.CLOSED, actor=actor, note=f"customers merged: continues in conversation "
                                                         f"{continued_in.id}")
    await hub.stores.conversations.save(conversation, expected_version=version)
    await events.emit(hub, "conversation.closed", f"{conversation.id}:{conversation.version}",
                      customer_id=conversation.customer_id, conversation_id=conversation.id,
                      reason="customers merged", continued_in=continued_in.id)


async def _announce(hub: Hub, kind: str, customer: Customer, *, version: int | None = None, **data: Any) -> None:
    suffix = "" if version is None else f":{version}"
    await events.emit(hub, kind, f"{customer.id}{suffix}", customer_id=customer.id, **data)
