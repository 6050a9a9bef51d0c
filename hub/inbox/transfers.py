"""Transfers: a conversation moves to another group's queue or straight to an operator, with a note.

The note is kept twice: in the history entry of the transfer and as an internal note, so the next
operator reads why it came to them. A conversation sent to a group waits there afresh (its queue time
restarts) and is offered to that group's free operators at once.
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

from hub.inbox import notes
from hub.inbox.assignment import announce_change, auto_assign, may_move, refill
from models.conversations import Conversation, ConversationEvent, ConversationState
from models.errors import Forbidden, InvalidTransition, NotFound, PayloadError
from models.ids import ConversationId
from models.staff import GroupId, User, UserId

if TYPE_CHECKING:
    from hub.core import Hub

S = ConversationState


async def _target(hub: Hub, to_group: str | None, to_user: str | None) -> tuple[str | None, User | None]:
    """The group and operator asked for, checked to exist (PayloadError otherwise)."""
    if not (to_group or to_user):
        raise PayloadError("a transfer names a group or an operator")
    operator = None
    try:
        if to_group:
            await hub.stores.directory.get_group(GroupId(to_group))
        if to_user:
            operator = await hub.stores.directory.get_user(UserId(to_user))
    except NotFound as e:
        raise PayloadError(str(e)) from e
    if operator is not None and not operator.active:
        raise PayloadError(f"user {operator.login} is deactivated")
    return to_group, operator


async def transfer(
    hub: Hub, conversation_id: ConversationId, *, actor: User, note: str, to_group: str | None = None,
    to_user: str | None = None, key: str | None = None,
) -> Conversation:
    """Move a queued or assigned conversation to `to_group`'s queue or to operator `to_user` (both: the
    operator, in that group); the note is required and recorded. Once per `key`, when given: a resubmitted
    form changes nothing."""
    if not note.strip():
        raise PayloadError("a transfer needs a note for whoever gets the conversation")
    group, operator = await _target(hub, to_group, to_user)
    before: list[Conversation] = []

    def apply(conversation: Conversation) -> list[str]:
        if key is not None and any(e.kind == "transferred" and e.data.get("key") == key
                                   for e in conversation.history):
            return []  # this very transfer is done
        if conversation.state not in (S.QUEUED, S.ASSIGNED):
            raise InvalidTransition(f"conversation {conversation_id} is {conversation.state}: nothing to transfer")
        if not may_move(actor, conversation):
            raise Forbidden(f"{actor.login} may not transfer conversation {conversation_id}")
        before[:] = [conversation.model_copy()]
        _move(conversation, group, operator, actor=actor.id, note=note, key=key)
        return ["transferred"]

    conversation, changed = await notes.update(hub, conversation_id, apply)
    if not changed:
        return conversation
    await notes.add_note(hub, conversation_id, note, actor=actor.id, author_name=actor.name,
                            key=f"transfer:{conversation_id}:{conversation.version}")
    if operator is not None:
        await hub.stores.inbox.mark_assigned(operator.id, conversation.updated_at)
    await announce_change(hub, "conversation.transferred", conversation, before[0], actor=actor.id, note=note)
    await _after(hub, conversation, before[0])
    return await hub.stores.conversations.get(conversation_id)


def _move(
    conversation: Conversation, group: str | None, operator: User | None, *, actor: str, note: str, key: str | None,
) -> None:
    """Apply the transfer to the conversation, recording it in the history."""
    target_group = group or conversation.group
    if operator is not None and group is None and operator.groups and conversation.group not in operator.groups:
        target_group = operator.groups[0]  # the conversation follows the operator into one of their queues
    conversation.history.append(ConversationEvent(
        kind="transferred", actor=actor, note=note,
        data={"from_group": conversation.group, "to_group": target_group, "from_assignee": conversation.assignee,
              "to_assignee": operator.id if operator else None, **({"key": key} if key else {})}))
    if operator is not None:
        conversation.transition(S.ASSIGNED, actor=actor, note=note, group=target_group, assignee=operator.id)
    elif conversation.state is S.ASSIGNED:
        conversation.transition(S.QUEUED, actor=actor, note=note, group=target_group)
    else:  # queued to queued: the state machine has no such step, so only the group changes
        conversation.group = target_group
        conversation.updated_at = conversation.history[-1].at
    if operator is None:
        conversation.queued_at = conversation.history[-1].at


async def _after(hub: Hub, conversation: Conversation, before: Conversation) -> None:
    """Offer the new queue, and the old holder's freed slot, to free operators."""
    if conversation.state is S.QUEUED and conversation.group:
        await auto_assign(hub, conversation.group, exclude=[before.assignee or ""])
    if before.assignee and before.assignee != conversation.assignee:
        with suppress(NotFound):  # the previous holder was deleted: nobody's slot to refill
            await refill(hub, await hub.stores.directory.get_user(UserId(before.assignee)))
