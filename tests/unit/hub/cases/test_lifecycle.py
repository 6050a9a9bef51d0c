"""The life of a case: states, assignment, group moves, comments, solving; its history and route map."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.cases.service import (
    add_attachment,
    assign,
    close,
    comment,
    get_case,
    move_to_group,
    open_case,
    reopen,
    route_map,
    solve,
    transition,
    update_details,
)
from models.cases import Case, CaseAttachment, CaseState, Reason, WaitingFor
from models.conversations import ConversationState, Priority
from models.errors import InvalidTransition, PayloadError
from models.messages import Direction
from tests.unit.hub.cases.conftest import T0, World

H = timedelta(hours=1)


async def spoiled(world: World) -> Case:
    """A spoiled-goods case for quality control, opened at T0 (Mon 10:00 MSK)."""
    case, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="spoiled_goods",
                              description="Молоко прокисло до срока", store_id="118", actor="user:olga", key="k",
                              at=T0)
    return case


async def test_every_change_is_recorded_with_who_when_and_why_and_the_route_map_follows(world: World) -> None:
    case = await spoiled(world)
    qc1, qc2, ivan = (world.users[u].id for u in ("qc1", "qc2", "ivan"))
    await assign(world.hub, case.id, qc1, actor="user:qc1", reason="taking it", at=T0 + 1 * H)
    await assign(world.hub, case.id, qc2, actor="user:qc1", reason="qc2 knows dairy", at=T0 + 3 * H)
    await move_to_group(world.hub, case.id, "store:118", actor="user:qc2", reason="store must withdraw the batch",
                        at=T0 + 5 * H)
    await assign(world.hub, case.id, ivan, actor="user:ivan", at=T0 + 6 * H)
    solved = await solve(world.hub, case.id, "Партия снята с продажи", actor="user:ivan", key="s", notify=False,
                         at=T0 + 8 * H)

    changes = [(e.kind, e.actor, e.group, e.assignee, e.reason or e.code) for e in solved.history]
    assert changes == [  # people's words as typed; the system's reasons as codes
        ("opened", "user:olga", "quality_control", None, Reason.ROUTED),
        ("assigned", "user:qc1", "quality_control", qc1, "taking it"),
        ("state_changed", "user:qc1", "quality_control", qc1, Reason.ASSIGNED),
        ("assigned", "user:qc1", "quality_control", qc2, "qc2 knows dairy"),
        ("group_changed", "user:qc2", "store:118", None, "store must withdraw the batch"),
        ("state_changed", "user:qc2", "store:118", None, Reason.REQUEUED),
        ("assigned", "user:ivan", "store:118", ivan, None),
        ("state_changed", "user:ivan", "store:118", ivan, Reason.ASSIGNED),
        ("state_changed", "user:ivan", "store:118", ivan, Reason.SOLVED),
    ]
    assert solved.history[0].data == {"request_type": "spoiled_goods"}
    assert solved.history[5].data == {"group": "store:118"}
    assert [e.at for e in solved.history] == sorted(e.at for e in solved.history)

    hops = await route_map(world.hub, solved, now=T0 + 100 * H)
    assert [(h.group, h.assignee, h.wall_seconds / 3600) for h in hops] == [
        ("quality_control", None, 1), ("quality_control", qc1, 2), ("quality_control", qc2, 2),
        ("store:118", None, 1), ("store:118", ivan, 2)]
    assert hops[-1].left_at == T0 + 8 * H and hops[3].reason == "store must withdraw the batch"
    assert all(h.working_seconds == h.wall_seconds for h in hops)  # all within working hours


async def test_the_route_map_counts_working_time_in_each_groups_calendar(world: World) -> None:
    case = await spoiled(world)
    # QC (office, until 18:00 MSK) keeps it overnight: 8 of 24 wall hours are office hours
    await move_to_group(world.hub, case.id, "finance", actor="user:qc1", reason="refund", at=T0 + 24 * H)
    hops = await route_map(world.hub, await get_case(world.hub, case.id), now=T0 + 26 * H)
    assert [(h.group, h.wall_seconds / 3600, h.working_seconds / 3600) for h in hops] == [
        ("quality_control", 24, 8 + 1), ("finance", 2, 2)]  # Tue 09:00-10:00 MSK counts too
    assert hops[-1].left_at is None


async def test_states_follow_the_lifecycle_and_refuse_shortcuts(world: World) -> None:
    case = await spoiled(world)
    with pytest.raises(InvalidTransition, match="solution"):
        await transition(world.hub, case.id, CaseState.SOLVED, actor="user:qc1")
    with pytest.raises(InvalidTransition, match="whom for"):
        await transition(world.hub, case.id, CaseState.WAITING, actor="user:qc1")
    waiting = await transition(world.hub, case.id, CaseState.WAITING, waiting_for=WaitingFor.GROUP, actor="user:qc1",
                               reason="lab test")
    assert waiting.state is CaseState.WAITING and waiting.waiting_for is WaitingFor.GROUP
    with pytest.raises(PayloadError, match="not solved"):
        await close(world.hub, case.id, actor="user:qc1")
    closed = await close(world.hub, case.id, actor="user:qc1", reason="customer withdrew")
    assert closed.state is CaseState.CLOSED and closed.closed_at is not None
    with pytest.raises(InvalidTransition):
        await assign(world.hub, case.id, world.users["qc1"].id, actor="user:qc1")
    reopened = await reopen(world.hub, case.id, actor="user:olga", reason="customer wrote again", at=T0 + 50 * H)
    assert reopened.state is CaseState.NEW and reopened.sla.started_at == T0 + 50 * H
    assert reopened.sla.due_at is not None and reopened.sla.due_at > T0 + 50 * H


async def test_only_people_of_the_group_can_be_assigned(world: World) -> None:
    case = await spoiled(world)
    with pytest.raises(PayloadError, match="does not work in quality_control"):
        await assign(world.hub, case.id, world.users["fin"].id, actor="user:olga")
    with pytest.raises(PayloadError, match="no user"):
        await assign(world.hub, case.id, "ghost", actor="user:olga")
    with pytest.raises(PayloadError, match="not store:205"):
        await move_to_group(world.hub, case.id, "store:205", actor="user:olga", reason="wrong store")
    boss = await assign(world.hub, case.id, world.users["boss"].id, actor="user:boss", reason="I'll do it myself")
    assert boss.assignee == world.users["boss"].id


async def test_comments_attachments_and_details_are_kept_once_per_key(world: World) -> None:
    case = await spoiled(world)
    await comment(world.hub, case.id, "Запросил фото", actor="user:qc1", key="c1")
    _, again = await comment(world.hub, case.id, "Запросил фото", actor="user:qc1", key="c1")
    photo = CaseAttachment(name="receipt.jpg", url="https://files.example/r.jpg", mime_type="image/jpeg")
    await add_attachment(world.hub, case.id, photo, actor="user:qc1")
    await add_attachment(world.hub, case.id, photo, actor="user:qc1")
    updated = await update_details(world.hub, case.id, actor="user:qc1", priority=Priority.HIGH,
                                   fields={"batch": "B-17"})
    assert [c.text for c in updated.comments] == ["Запросил фото"] and again.text == "Запросил фото"
    assert [a.name for a in updated.attachments] == ["receipt.jpg"] and updated.attachments[0].added_by == "user:qc1"
    assert updated.priority is Priority.HIGH and updated.fields == {"batch": "B-17"}
    await world.settle()
    kinds = [e.type for e in world.events.seen]
    assert kinds.count("case.commented") == 1 and kinds.count("case.updated") == 2


async def test_solving_notes_it_in_the_conversation_and_queues_the_outcome_to_the_shopper(world: World) -> None:
    case = await spoiled(world)
    solved = await solve(world.hub, case.id, "Вернули 129 ₽ на карту", actor="user:qc1", key="solve-1")
    again = await solve(world.hub, case.id, "Вернули 129 ₽ на карту", actor="user:qc1", key="solve-1")
    assert solved.state is again.state is CaseState.SOLVED and solved.solution == "Вернули 129 ₽ на карту"
    messages = await world.hub.stores.messages.list_for_conversation(world.conversation.id)
    notes = [m for m in messages if m.direction is Direction.INTERNAL]
    outcomes = [m for m in messages if m.direction is Direction.OUTBOUND]
    assert len(notes) == 1 and "Вернули 129 ₽" in (notes[0].text or "") and case.label in (notes[0].text or "")
    assert len(outcomes) == 1 and outcomes[0].account_id == "crm" and case.label in (outcomes[0].text or "")
    with pytest.raises(InvalidTransition):
        await solve(world.hub, case.id, "Другое решение", actor="user:qc1", key="solve-2")
    await world.settle()
    assert len(world.events.of("case.solved")) == 1


async def test_solving_after_the_conversation_closed_sends_a_proactive_message(world: World) -> None:
    case = await spoiled(world)
    conversation = await world.hub.stores.conversations.get(world.conversation.id)
    conversation.transition(ConversationState.CLOSED, actor="test")
    await world.hub.stores.conversations.save(conversation, expected_version=conversation.version)
    await solve(world.hub, case.id, "Провели проверку поставщика", actor="user:qc1", key="s")
    current = await world.hub.stores.conversations.current_for(world.customer.id)
    assert current is not None and current.id != conversation.id  # a new, resolved conversation carries it
    [outcome] = [m for m in await world.hub.stores.messages.list_for_conversation(current.id)
                 if m.direction is Direction.OUTBOUND]
    assert "Провели проверку поставщика" in (outcome.text or "")


async def test_a_case_moved_to_a_store_queue_takes_the_store_number_as_the_import_wrote_it(world: World) -> None:
    from models.staff import Group, GroupId, GroupKind, store_group_id

    await world.hub.stores.directory.save_group(
        Group(id=store_group_id("SLM-7"), name="Store SLM-7", kind=GroupKind.STORE, store_id="SLM-7"))
    case, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="other",
                              description="Ask the store", actor="user:olga", key="k-other", at=T0)
    moved = await move_to_group(world.hub, case.id, GroupId("store:slm-7"), actor="user:olga",
                                reason="the store answers this", at=T0 + H)
    assert (moved.group, moved.store_id) == ("store:slm-7", "SLM-7")  # group ids are lower-case, store numbers not
