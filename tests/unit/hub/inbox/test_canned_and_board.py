"""Canned responses (editors write, operators search) and the supervisors' board."""

from __future__ import annotations

from typing import Any

import pytest

from hub.inbox import assignment, board, canned, handover, sla
from models.canned import CannedKind, CannedResponse
from models.conversations import ConversationState, Priority
from models.errors import Forbidden
from models.staff import Availability, Role
from tests.inbox_fixtures import bot_conversation, group, hub_on, operator

S = ConversationState


async def test_editors_write_canned_responses_and_operators_find_them_by_shortcut(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        editor = await operator(hub, "editor", [], roles=[Role.CONTENT_EDITOR])
        anna = await operator(hub, "anna", ["general"])
        item = CannedResponse(shortcut="Order-Status", title="Order", text="{customer}, заказ {order} в пути")
        with pytest.raises(Forbidden):
            await canned.save(hub, item, actor=anna)
        saved = await canned.save(hub, item, actor=editor)
        await canned.save(hub, CannedResponse(kind=CannedKind.SCRIPT, shortcut="refund-steps", title="Refund",
                                              text="1. Check the receipt", topic="return_refund"), actor=editor)
        [found] = await canned.search(hub, "/order", language="ru")
        assert (found.id, found.shortcut, found.updated_by) == (saved.id, "order-status", editor.id)
        assert canned.expand(found.text, {"customer": "Анна"}) == "Анна, заказ {order} в пути"
        assert [s.shortcut for s in await canned.scripts_for(hub, "return_refund", language="ru")] == ["refund-steps"]
        assert await canned.search(hub, "order", language="en") == []
        assert await canned.delete(hub, saved.id, actor=editor) is True


async def test_board_shows_queues_operators_breaches_and_supervisor_reassigns(make_settings: Any) -> None:
    async with hub_on(make_settings()) as hub:
        await group(hub, "general")
        await group(hub, "quality")
        anna = await operator(hub, "anna", ["general"], capacity=1)
        boss = await operator(hub, "boss", [], roles=[Role.SUPERVISOR])
        taken = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="")
        waiting = await handover.hand_over(hub, (await bot_conversation(hub)).id, topic=None, note="",
                                           priority=Priority.URGENT)
        assert waiting.sla_first_response_due is not None
        await sla.scan_breaches(hub, waiting.sla_first_response_due)

        view = await board.board(hub, now=waiting.sla_first_response_due)
        general = next(g for g in view.groups if g.group == "general")
        assert (general.queued, general.breached, general.available, general.operators) == (1, 1, 1, 1)
        assert [(o.id, o.load, o.capacity) for o in view.operators] == [(anna.id, 1, 1)]
        assert [r.conversation_id for r in view.breaches] == [waiting.id]
        assert [r.conversation_id for r in view.longest_waiting] == [waiting.id]

        with pytest.raises(Forbidden):
            await board.reassign(hub, taken.id, actor=anna, note="x", to_group="quality")
        moved = await board.reassign(hub, taken.id, actor=boss, note="QC", to_group="quality")
        assert (moved.state, moved.group) == (S.QUEUED, "quality")
        # anna's slot freed: the urgent one waiting in her group is hers now
        assert (await hub.stores.conversations.get(waiting.id)).assignee == anna.id
        await assignment.set_availability(hub, anna.id, Availability.AWAY, actor=anna)
        assert (await board.board(hub)).groups[0].available == 0
