"""Resolve with a follow-up: the reminder returns the conversation to the operator's list once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.inbox import follow_ups, handover
from models.clock import utcnow
from models.conversations import ConversationState
from models.errors import Forbidden
from models.staff import Availability
from tests.inbox_fixtures import bot_conversation, hub_on, operator

S = ConversationState


async def test_follow_up_returns_the_conversation_to_its_operator_once(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        anna = await operator(hub, "anna", ["general"])
        conversation = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="")
        remind_at = utcnow() + timedelta(days=2)
        resolved, _ = await follow_ups.resolve(hub, conversation.id, "Refund approved", key="resolve-1", actor=anna,
                                               follow_up_at=remind_at, follow_up_note="Check the refund arrived",
                                               notify=False)
        assert (resolved.state, resolved.follow_up_state, resolved.assignee) == (S.RESOLVED, "scheduled", anna.id)
        assert await hub.stores.inbox.loads([anna.id]) == {}  # resolved: her slot is free again
        assert await follow_ups.due_follow_ups(hub, remind_at - timedelta(seconds=1)) == 0
        assert await hub.stores.inbox.reminders_for(anna.id) == []

        assert await follow_ups.due_follow_ups(hub, remind_at) == 1
        assert await follow_ups.due_follow_ups(hub, remind_at + timedelta(hours=1)) == 0  # idempotent
        [back] = await hub.stores.inbox.reminders_for(anna.id)
        assert (back.id, back.follow_up_note) == (conversation.id, "Check the refund arrived")
        assert [e.kind for e in back.history][-2:] == ["follow_up_scheduled", "follow_up_due"]

        await follow_ups.dismiss(hub, conversation.id, actor=anna)
        assert await hub.stores.inbox.reminders_for(anna.id) == []


async def test_only_the_holder_or_group_may_resolve(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await operator(hub, "anna", ["general"])
        stranger = await operator(hub, "stranger", ["returns"], availability=Availability.AWAY)
        conversation = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="")
        with pytest.raises(Forbidden):
            await follow_ups.resolve(hub, conversation.id, "done", key="k", actor=stranger, notify=False)
