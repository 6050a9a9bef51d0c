"""Facts from the stored records: pure functions of a conversation (with its inbound tally) or a case."""

from __future__ import annotations

import re
from datetime import datetime

from models.cases import Case, CaseState
from models.conversations import Conversation, ConversationState
from models.messages import InboundTally
from models.report_facts import CaseFact, ConversationFact, Period

S = ConversationState
_STORE_LINK = re.compile(r"^store[_:-]?([A-Za-z0-9_-]{1,32})$")  # deep links that name a store: store_118
HANDED_OVER = "handed_over"


def store_of(conversation: Conversation) -> str:
    """The store a conversation is about: named by the bot's summary or the deep link it started from."""
    named = conversation.handover_summary.get("store_id")
    if isinstance(named, str | int) and str(named):
        return str(named)
    match = _STORE_LINK.match(conversation.deep_link or "")
    return match.group(1) if match else ""


def conversation_fact(
    conversation: Conversation, inbound: InboundTally, *, zone: str, region: str = "",
    previous: ConversationFact | None = None, repeat: bool = False,
) -> ConversationFact:
    """The fact of a conversation now; the shopper's rating carried over from `previous`."""
    c = conversation
    period = Period.of(c.created_at, zone)
    handover = next((e for e in c.history if e.kind == HANDED_OVER), None)
    handed_over = handover is not None or c.group is not None
    resolved = c.state in (S.RESOLVED, S.CLOSED) and c.resolved_at is not None
    queued_at = handover.at if handover is not None else c.queued_at
    first_response = _seconds(queued_at, c.first_response_at)
    resolution = _seconds(c.created_at, c.resolved_at) if resolved else None
    return ConversationFact(
        conversation_id=c.id, customer_id=c.customer_id, opened_at=c.created_at.isoformat(),
        day=period.day, hour=period.hour, week=period.week, topic=c.topic or "", channel=c.channel.value,
        group=c.group or "", store=store_of(c), region=region, operator=_operator(c), reason=_reason(c, handover),
        state=c.state.value, handed_over=handed_over, resolved=resolved, contained=resolved and not handed_over,
        first_response_s=first_response,
        first_response_met=_met(c, "first_response", c.sla_first_response_due, c.first_response_at),
        resolution_s=resolution,
        resolution_met=_met(c, "resolution", c.sla_resolution_due, c.resolved_at if resolved else None),
        handle_s=_handle_seconds(c) if resolved and handed_over else None,
        messages=inbound.messages, fallbacks=inbound.fallbacks, unsure=inbound.unsure, repeat=repeat,
        csat=previous.csat if previous is not None else None,
        csat_comment=previous.csat_comment if previous is not None else "",
        text=inbound.first_text[:300],
    )


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def _met(c: Conversation, kind: str, due: datetime | None, done: datetime | None) -> bool | None:
    """Met, missed, or None while neither is known (no SLA, or still running)."""
    if kind in c.sla_breached:
        return False
    if due is None or done is None:
        return None
    return done <= due


def _operator(c: Conversation) -> str:
    """Who holds it now or held it last (a resolved conversation keeps its resolver as assignee)."""
    if c.assignee:
        return c.assignee
    for event in reversed(c.history):
        if (who := event.data.get("assignee")) is not None:
            return str(who)
    return ""


def _reason(c: Conversation, handover: object | None) -> str:
    if handover is None:
        return ""
    why = c.handover_summary.get("reason")
    return str(why) if why else "flow"


def _handle_seconds(c: Conversation) -> float:
    """Time people held it: every stretch from being assigned until it left the assignee."""
    total, since = 0.0, None
    for event in c.history:
        if event.to_state is S.ASSIGNED and since is None:
            since = event.at
        elif event.to_state not in (None, S.ASSIGNED) and since is not None:
            total += (event.at - since).total_seconds()
            since = None
    return total


def case_fact(case: Case, *, zone: str, region: str = "", text: str = "") -> CaseFact:
    """The fact of a case now."""
    period = Period.of(case.created_at, zone)
    solved_at = case.solved_at if case.state in (CaseState.SOLVED, CaseState.CLOSED) else None
    return CaseFact(
        case_id=case.id, conversation_id=case.conversation_id, number=case.number,
        opened_at=case.created_at.isoformat(), day=period.day, hour=period.hour, week=period.week,
        request_type=case.request_type, channel=case.channel.value, group=case.group, store=case.store_id or "",
        region=case.region or region, state=case.state.value, solved=solved_at is not None,
        solve_s=_seconds(case.created_at, solved_at), sla_breached=case.sla.breached, hops=_stays(case),
        text=(text or case.description)[:300],
    )


def _stays(case: Case) -> int:
    """How many stays (group and person) the route map shows."""
    stays, last = 0, None
    for event in case.history:
        if event.group is None:
            continue
        if (event.group, event.assignee) != last:
            stays, last = stays + 1, (event.group, event.assignee)
    return stays
