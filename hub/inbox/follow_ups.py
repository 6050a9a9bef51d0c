"""Resolving from the inbox, and follow-up reminders.

`resolve` sends the outcome and resolves (`hub/inbox/resolution.py`), optionally with a follow-up date: at that
time `due_follow_ups` (a loop step of the worker) puts the conversation back in the operator's list with
the reminder shown (`InboxStore.reminders_for`), announces `conversation.follow_up_due` and tells the
operator's open pages. Each step is idempotent: the reminder's event (its id names the reminder) is
published first, then its state moves scheduled → due once, under the conversation's version; a round
that could not publish leaves it scheduled for the next.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING

from hub import events
from hub.inbox import live, notes, resolution
from hub.inbox.assignment import may_work_on, refill
from models.clock import utcnow
from models.conversations import Conversation, ConversationEvent, ConversationState
from models.errors import Conflict, Forbidden, InvalidTransition, NotFound, PayloadError, Unavailable
from models.ids import ConversationId
from models.messages import Message
from models.staff import User, UserId

if TYPE_CHECKING:
    from hub.core import Hub

log = logging.getLogger(__name__)
S = ConversationState
SCHEDULED, DUE = "scheduled", "due"


async def resolve(
    hub: Hub, conversation_id: ConversationId, outcome: str, *, key: str, actor: User,
    follow_up_at: datetime | None = None, follow_up_note: str | None = None, notify: bool = True,
) -> tuple[Conversation, Message | None]:
    """Tell the shopper the outcome, resolve, and optionally set a follow-up reminder for the actor."""
    if not outcome.strip():
        raise PayloadError("an outcome text is required to resolve")
    before = await hub.stores.conversations.get(conversation_id)
    if not may_work_on(actor, before):
        raise Forbidden(f"{actor.login} may not resolve conversation {conversation_id}")
    conversation, sent = await resolution.resolve(hub, conversation_id, outcome, key=key, actor=actor.id,
                                                  notify=notify)
    if follow_up_at is not None:
        conversation = await schedule(hub, conversation_id, follow_up_at, follow_up_note, actor=actor)
    await live.announce(hub, conversation, was_group=before.group, was_queued=before.state is S.QUEUED,
                              was_assignee=before.assignee if before.state is S.ASSIGNED else None)
    if before.state is S.ASSIGNED and before.assignee:
        with suppress(NotFound):
            await refill(hub, await hub.stores.directory.get_user(UserId(before.assignee)))
    return conversation, sent


async def schedule(
    hub: Hub, conversation_id: ConversationId, at: datetime, note: str | None, *, actor: User,
) -> Conversation:
    """Remind `actor` of a resolved conversation at `at` (replacing an earlier reminder)."""
    if at.tzinfo is None:
        raise PayloadError("a follow-up time needs a timezone")

    def apply(conversation: Conversation) -> list[str]:
        if conversation.state not in (S.RESOLVED, S.CLOSED):
            raise InvalidTransition(f"conversation {conversation_id} is {conversation.state}: resolve it first")
        if (conversation.follow_up_state, conversation.follow_up_at, conversation.follow_up_note,
                conversation.assignee) == (SCHEDULED, at, note, actor.id):
            return []  # a repeat
        conversation.follow_up_at, conversation.follow_up_note, conversation.follow_up_state = at, note, SCHEDULED
        conversation.assignee = actor.id  # whose list it returns to
        conversation.history.append(ConversationEvent(kind="follow_up_scheduled", actor=actor.id, note=note,
                                                      data={"at": at.isoformat()}))
        return ["follow_up"]

    conversation, _ = await notes.update(hub, conversation_id, apply)
    return conversation


async def dismiss(hub: Hub, conversation_id: ConversationId, *, actor: User) -> Conversation:
    """The operator is done with the reminder: it leaves their list."""

    def apply(conversation: Conversation) -> list[str]:
        if conversation.follow_up_state is None:
            return []
        if conversation.assignee != actor.id and not actor.oversees:
            raise Forbidden(f"the reminder of conversation {conversation_id} is not {actor.login}'s")
        conversation.follow_up_state = None
        conversation.history.append(ConversationEvent(kind="follow_up_dismissed", actor=actor.id))
        return ["follow_up"]

    conversation, _ = await notes.update(hub, conversation_id, apply)
    return conversation


async def due_follow_ups(hub: Hub, now: datetime | None = None, *, batch: int = 200) -> int:
    """Bring back every reminder whose time has come (a loop step); how many came back."""
    now = now or utcnow()
    returned = 0
    for found in await hub.stores.inbox.follow_ups_due(now, limit=batch):
        try:
            if found.state in (S.RESOLVED, S.CLOSED) and found.follow_up_at is not None:
                await _announce(hub, found)  # before the state moves: a failed publish is retried next round
            conversation, fired = await _fire(hub, found.id, now)
        except (Conflict, NotFound) as e:  # busy or gone: the next round looks again
            log.info("follow-up skipped", extra={"conversation_id": found.id, "reason": str(e)})
            continue
        except Unavailable:  # the store or bus is down: the whole round stops, the next one retries
            raise
        except Exception:  # one bad record must not hold up every reminder behind it
            log.exception("follow-up failed", extra={"conversation_id": found.id})
            continue
        if fired:
            returned += 1
            await live.notify(hub, "follow_up_due", conversation)
    return returned


async def _announce(hub: Hub, conversation: Conversation) -> None:
    """Publish `conversation.follow_up_due` under an id naming the reminder's time (a repeat is dropped)."""
    at = conversation.follow_up_at.isoformat() if conversation.follow_up_at else ""
    await events.emit(hub, "conversation.follow_up_due", f"{conversation.id}:{at}",
                      customer_id=conversation.customer_id, conversation_id=conversation.id,
                      assignee=conversation.assignee, note=conversation.follow_up_note)


async def _fire(hub: Hub, conversation_id: ConversationId, now: datetime) -> tuple[Conversation, bool]:
    """Scheduled and due → due (or dropped if the customer reopened it meanwhile); whether it fired."""
    fired: list[bool] = []

    def apply(conversation: Conversation) -> list[str]:
        due = conversation.follow_up_at
        if conversation.follow_up_state != SCHEDULED or due is None or due > now:
            return []
        if conversation.state not in (S.RESOLVED, S.CLOSED):  # the customer came back: they are being served
            conversation.follow_up_state = None
            return ["follow_up"]
        conversation.follow_up_state = DUE
        conversation.history.append(ConversationEvent(at=now, kind="follow_up_due", note=conversation.follow_up_note))
        fired.append(True)
        return ["follow_up"]

    conversation, _ = await notes.update(hub, conversation_id, apply)
    return conversation, bool(fired)
