"""Recording a rating: the score (first answer wins), then an optional comment; a low score reopens.

Every answer is written into the conversation's history and published as `csat.answered` with a revision:
1 for the score, 2 when a comment follows (same request id; a consumer keeps the highest revision). A score of
`low_score` or less moves the conversation back to work in the supervisors' queue (`low_score_group`), with
the score and the comment as internal notes. Everything is keyed by the request, so a double press, a
replayed link or a redelivered message records nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from hub import events
from hub.csat.asking import payload
from hub.inbox import handover, notes
from hub.inbox.notes import update
from hub.inbox.routing import inbox_config
from models.cases import CaseId
from models.conversations import Conversation, ConversationEvent, ConversationState
from models.csat import ANSWERED, COMMENTED, Pending, latest_request
from models.errors import NotFound
from models.ids import ConversationId

if TYPE_CHECKING:
    from hub.core import Hub

ESCALATED = "csat_escalated"
MAX_COMMENT = 2000


@dataclass(frozen=True)
class Recorded:
    """The request's answer after the call, and whether this call changed it."""

    score: int
    comment: str | None
    new: bool
    low: bool


def supervisors_group(hub: Hub) -> str:
    """Where a low score goes: `csat.low_score_group`, else the overflow group, else the default group."""
    config = inbox_config(hub)
    return config.csat.low_score_group or config.overflow_group or config.default_group


async def record_score(
    hub: Hub, conversation_id: ConversationId, request: str, score: int, *, via: str, now: datetime,
    message_id: str | None = None,
) -> Recorded:
    """Record the first score of `request`; a later one changes nothing. NotFound for a request not pending."""
    config = inbox_config(hub).csat
    data: dict[str, Any] = {"request": request, "score": score, "via": via}
    if message_id:
        data["message"] = message_id

    def apply(current: Conversation) -> list[str]:
        pending = _pending(current, request)
        if pending.answered:
            return []
        current.history.append(ConversationEvent(at=now, kind=ANSWERED, actor="customer", note=f"{score}/5",
                                                 data=data))  # the note is what the timeline shows
        return ["history"]

    conversation, changed = await update(hub, conversation_id, apply)
    pending = _pending(conversation, request)
    assert pending.score is not None
    low = pending.score <= config.low_score
    if changed:
        await events.emit(hub, "csat.answered", f"{request}:1", **payload(
            conversation, request, pending.facts, score=pending.score, revision=1))
    if low:  # also on a repeat: finishes an escalation a crash interrupted (each step is keyed)
        await _escalate(hub, conversation, pending, now)
    return Recorded(pending.score, pending.comment, bool(changed), low)


async def record_comment(
    hub: Hub, conversation_id: ConversationId, request: str, comment: str, *, now: datetime,
    within: timedelta | None, message_id: str | None = None,
) -> Recorded | None:
    """Add the shopper's comment to a scored request (once; within `within` of the score when given);
    None when there is no score to comment on, a comment already, or the time has passed."""
    comment = comment.strip()[:MAX_COMMENT]
    data: dict[str, Any] = {"request": request, "comment": comment}
    if message_id:
        data["message"] = message_id

    def apply(current: Conversation) -> list[str]:
        pending = _pending(current, request)
        if not comment or not may_comment(current, pending, now, within):
            return []
        current.history.append(ConversationEvent(at=now, kind=COMMENTED, actor="customer", note=comment,
                                                 data=data))
        return ["history"]

    conversation, changed = await update(hub, conversation_id, apply)
    pending = _pending(conversation, request)
    if not changed or pending.score is None:
        return None
    low = pending.score <= inbox_config(hub).csat.low_score
    await events.emit(hub, "csat.answered", f"{request}:2", **payload(
        conversation, request, pending.facts, score=pending.score, comment=comment, revision=2))
    if low:
        await notes.add_note(hub, conversation.id, f"Комментарий к оценке {pending.score}/5: {comment}",
                                actor="csat", author_name="CSAT", key=f"csat:{request}:comment-note")
    return Recorded(pending.score, comment, True, low)


def may_comment(conversation: Conversation, pending: Pending, now: datetime, within: timedelta | None) -> bool:
    """A scored request without a comment yet, still within the comment time."""
    if pending.answered_at_index is None or pending.comment is not None:
        return False
    return within is None or now - conversation.history[pending.answered_at_index].at <= within


def _pending(conversation: Conversation, request: str) -> Pending:
    pending = latest_request(conversation)
    if pending is None or pending.request != request:
        raise NotFound(f"conversation {conversation.id} has no pending rating request {request}")
    return pending


async def case_facts(hub: Hub, case_id: str | None) -> dict[str, Any] | None:
    """What the csat events say about a rated case: its id, label, group and assignee."""
    if case_id is None:
        return None
    case = await hub.stores.cases.get(CaseId(case_id))
    return {"id": case.id, "label": case.label, "group": case.group, "assignee": case.assignee,
            "request_type": case.request_type}


async def _escalate(hub: Hub, conversation: Conversation, pending: Pending, now: datetime) -> None:
    """Back to work in the supervisors' queue, the score as a note (a comment adds another)."""
    group = supervisors_group(hub)
    await notes.add_note(hub, conversation.id, f"Низкая оценка CSAT: {pending.score}/5. Обращение снова "
                            f"открыто для группы {group}.", actor="csat", author_name="CSAT",
                            key=f"csat:{pending.request}:low-note")

    def apply(current: Conversation) -> list[str]:
        if any(e.kind == ESCALATED and e.data.get("request") == pending.request for e in current.history):
            return []
        reopened = current.can_reopen(now, hub.reopen_window)
        if reopened:
            current.group = group  # reopen() queues in the conversation's group
            current.reopen(at=now, window=hub.reopen_window, actor="csat")
        current.history.append(ConversationEvent(at=now, kind=ESCALATED, actor="csat", data={
            "request": pending.request, "score": pending.score, "group": group if reopened else None}))
        return ["history"]

    conversation, changed = await update(hub, conversation.id, apply)
    if changed and conversation.state is ConversationState.QUEUED:
        await events.emit(hub, "conversation.reopened", f"{conversation.id}:{conversation.version}",
                          customer_id=conversation.customer_id, conversation_id=conversation.id, actor="csat")
        await handover.requeue_reopened(hub, conversation)  # a new SLA round, the group told, someone assigned
