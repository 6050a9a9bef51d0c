"""The conversation state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from models.channels import Channel
from models.conversations import TRANSITIONS, Conversation, ConversationState
from models.errors import InvalidTransition
from models.ids import CustomerId

S = ConversationState
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(hours=72)


def fresh() -> Conversation:
    return Conversation.open(CustomerId("c1"), Channel.TELEGRAM, "bot1", at=T0)


def test_a_conversation_goes_the_whole_way_and_records_each_step() -> None:
    conversation = fresh()
    conversation.transition(S.QUEUED, group="logistics", note="delivery question", at=T0 + timedelta(minutes=1))
    conversation.transition(S.ASSIGNED, assignee="op-7", actor="op-7", at=T0 + timedelta(minutes=2))
    conversation.transition(S.RESOLVED, note="refund issued", actor="op-7", at=T0 + timedelta(minutes=9))
    conversation.transition(S.CLOSED, at=T0 + timedelta(days=4))

    kinds = [(e.kind, e.from_state, e.to_state) for e in conversation.history]
    assert kinds == [
        ("opened", None, S.BOT),
        ("state_changed", S.BOT, S.QUEUED),
        ("state_changed", S.QUEUED, S.ASSIGNED),
        ("state_changed", S.ASSIGNED, S.RESOLVED),
        ("state_changed", S.RESOLVED, S.CLOSED),
    ]
    assert conversation.history[2].actor == "op-7" and conversation.history[2].data == {"assignee": "op-7"}
    assert conversation.group == "logistics" and conversation.outcome == "refund issued"
    assert conversation.resolved_at == T0 + timedelta(minutes=9)


@pytest.mark.parametrize(
    ("start", "target"),
    [(a, b) for a in S for b in S if b not in TRANSITIONS[a]],
)
def test_every_unconnected_transition_is_refused_and_changes_nothing(start: S, target: S) -> None:
    conversation = fresh()
    conversation.state = start
    before = conversation.model_copy(deep=True)
    with pytest.raises(InvalidTransition, match=f"cannot go from {start} to {target}"):
        conversation.transition(target, assignee="op-1")
    assert conversation == before


def test_assigning_without_an_assignee_is_refused() -> None:
    conversation = fresh()
    conversation.transition(S.QUEUED, group="g")
    with pytest.raises(InvalidTransition, match="needs an assignee"):
        conversation.transition(S.ASSIGNED)


def test_handing_back_to_the_queue_clears_the_assignee_but_resolving_keeps_it() -> None:
    conversation = fresh()
    conversation.transition(S.QUEUED, group="g")
    conversation.transition(S.ASSIGNED, assignee="op-1")
    conversation.transition(S.QUEUED, note="transfer")
    assert conversation.assignee is None
    conversation.transition(S.ASSIGNED, assignee="op-2")
    conversation.transition(S.RESOLVED, note="done")
    assert conversation.assignee == "op-2"


def test_reopen_inside_the_window_returns_to_the_queue_of_its_group() -> None:
    conversation = fresh()
    conversation.transition(S.QUEUED, group="quality", at=T0)
    conversation.transition(S.ASSIGNED, assignee="op-1", at=T0)
    conversation.transition(S.RESOLVED, note="ok", at=T0)
    conversation.reopen(at=T0 + WINDOW, window=WINDOW)
    assert conversation.state is S.QUEUED and conversation.group == "quality"
    assert conversation.assignee is None and conversation.history[-1].kind == "reopened"


def test_reopen_of_a_bot_resolved_conversation_goes_back_to_the_bot() -> None:
    conversation = fresh()
    conversation.transition(S.RESOLVED, note="answered by bot", at=T0)
    conversation.reopen(at=T0 + timedelta(hours=1), window=WINDOW)
    assert conversation.state is S.BOT


def test_reopen_after_the_window_or_from_an_open_state_is_refused() -> None:
    late = fresh()
    late.transition(S.RESOLVED, at=T0)
    with pytest.raises(InvalidTransition):
        late.reopen(at=T0 + WINDOW + timedelta(seconds=1), window=WINDOW)
    with pytest.raises(InvalidTransition):
        fresh().reopen(at=T0, window=WINDOW)
