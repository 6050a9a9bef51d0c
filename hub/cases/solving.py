"""Solving a case: the solution goes to the operator's conversation as an internal note and to the
shopper through their channel, then the case is marked solved.

The outcome takes the conversation's channel of origin (`hub.inbox.resolution.outcome_route`); when the
conversation is closed, or that channel cannot reach the shopper any more, it goes as a proactive
message through the channel they are best reached on. Every step is idempotent under the caller's key,
so a retried solve finishes what a failed one left undone and never sends twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from hub.cases.records import announce, update
from hub.cases.work import move_state
from hub.inbox import notes
from hub.inbox.resolution import outcome_route
from hub.outbound import outbox, proactive
from models.cases import Case, CaseId, CaseState, Reason
from models.clock import utcnow
from models.conversations import ConversationState
from models.errors import Conflict, InvalidTransition, PayloadError
from models.messages import AuthorKind, OutboundMessage

if TYPE_CHECKING:
    from hub.core import Hub

C = CaseState


def shopper_text(case: Case, solution: str) -> str:
    """What the shopper reads (the chain's shoppers are addressed in Russian)."""
    return f"Ваше обращение {case.label} решено.\n{solution}"


async def solve(
    hub: Hub, case_id: CaseId, solution: str, *, actor: str, key: str, notify: bool = True,
    at: datetime | None = None,
) -> Case:
    """Record the solution, tell the operator's conversation and (unless `notify` is false) the shopper."""
    solution = solution.strip()
    if not solution:
        raise PayloadError("solution: say how the case was solved")
    case = await hub.stores.cases.get(case_id)
    repeat = case.state in (C.SOLVED, C.CLOSED) and case.solution == solution
    if not repeat and not case.is_open:
        raise InvalidTransition(f"case {case.label} is {case.state}: reopen it to solve it again")
    at = at or utcnow()
    await notes.add_note(hub, case.conversation_id, f"Обращение {case.label} решено ({actor}): {solution}",
                            actor=actor, key=f"case:{case.id}:solve:{key}:note")
    undelivered = await _tell_shopper(hub, case, solution, key) if notify else None

    async def apply(current: Case) -> list[str]:
        if current.state in (C.SOLVED, C.CLOSED):
            return []
        current.solution = solution
        await move_state(hub, current, C.SOLVED, actor=actor, at=at, reason=None, code=Reason.SOLVED)
        if undelivered:
            current.record("outcome_undelivered", actor="system", at=at, reason=undelivered)
        return ["state", "solution"]

    case, changed = await update(hub, case_id, apply)
    if changed:
        await announce(hub, "case.solved", case, actor=actor, solution=solution, notified=notify and not undelivered)
    return case


async def _tell_shopper(hub: Hub, case: Case, solution: str, key: str) -> str | None:
    """Queue the outcome to the shopper; None when queued, else why it could not be."""
    message_key = f"case:{case.id}:solve:{key}:outcome"
    text = shopper_text(case, solution)
    conversation = await hub.stores.conversations.get(case.conversation_id)
    if conversation.state is not ConversationState.CLOSED:
        try:
            route = await outcome_route(hub, conversation)
        except Conflict:
            route = None
        if route is not None:
            await outbox.enqueue(OutboundMessage(
                conversation_id=conversation.id, customer_id=conversation.customer_id, channel=route.channel,
                account_id=route.account_id, recipient=route.recipient, text=text, author=AuthorKind.OPERATOR,
                idempotency_key=message_key), hub)
            return None
    try:
        await proactive.send(hub, case.customer_id, proactive.Notification(text=text), key=message_key,
                             actor=f"case:{case.number}")
    except Conflict as e:
        return e.reason
    return None
