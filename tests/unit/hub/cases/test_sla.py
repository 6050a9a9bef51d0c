"""The SLA clock: deadlines in the group's working hours, pauses while waiting, reminders and escalation once."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from hub.cases import sla
from hub.cases.service import move_to_group, open_case, solve, transition
from models.cases import Case, CaseState, WaitingFor
from tests.unit.hub.cases.conftest import T0, World


def utc(*parts: int) -> datetime:
    """A UTC instant."""
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


async def spoiled(world: World, key: str = "k") -> Case:
    """A spoiled-goods case at T0 (Mon 2 Mar 2026 10:00 MSK) for quality control (office hours, 48 h)."""
    case, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="spoiled_goods",
                              description="Творог с плесенью", store_id="118", actor="user:olga", key=key, at=T0)
    return case


async def test_the_deadline_counts_the_groups_working_hours_and_holidays(world: World) -> None:
    case = await spoiled(world)
    # office: Mon-Fri 09:00-18:00 MSK; 8+9+9+9+9 = 44 h by Friday, Mon 9 Mar is a holiday: Tue 10 Mar 13:00 MSK
    assert case.sla.hours == 48 and case.sla.calendar == "office"
    assert case.sla.due_at == utc(2026, 3, 10, 10, 0)
    assert case.sla.check_at == utc(2026, 3, 4, 13, 0)  # the first reminder, at half the budget (24 working h)


async def test_reminders_come_at_their_fractions_and_the_breach_escalates_once(world: World) -> None:
    case = await spoiled(world)
    assert await sla.scan(world.hub, utc(2026, 3, 4, 12, 59)) == 0
    assert await sla.scan(world.hub, utc(2026, 3, 4, 13, 0)) == 1
    assert await sla.scan(world.hub, utc(2026, 3, 4, 13, 30)) == 0  # raised once
    stored = await world.hub.stores.cases.get(case.id)
    assert stored.sla.reminders_sent == 1 and not stored.sla.breached
    await sla.scan(world.hub, utc(2026, 3, 10, 9, 0))  # 90 %: the second reminder, on the day of the deadline
    for _ in range(3):
        await sla.scan(world.hub, utc(2026, 3, 10, 10, 0))
    await world.settle()
    breached = await world.hub.stores.cases.get(case.id)
    assert breached.sla.breached and breached.sla.breached_at == utc(2026, 3, 10, 10, 0)
    assert breached.sla.escalated_to == "qc_supervisors" and breached.sla.check_at is None
    assert [e.data["reminder"] for e in world.events.of("case.sla_warning")] == [1, 2]
    assert len(world.events.of("case.sla_breached")) == 1
    [escalated] = world.events.of("case.escalated")
    assert escalated.data["escalated_to"] == "qc_supervisors" and escalated.data["case_id"] == case.id
    assert [h.kind for h in breached.history].count("escalated") == 1


async def test_a_late_scan_raises_the_breach_without_stale_reminders(world: World) -> None:
    case = await spoiled(world)
    await sla.scan(world.hub, utc(2026, 3, 20, 12, 0))
    await world.settle()
    assert world.events.of("case.sla_warning") == [] and len(world.events.of("case.sla_breached")) == 1
    assert (await world.hub.stores.cases.get(case.id)).sla.reminders_sent == 2


async def test_a_group_without_an_escalation_group_escalates_to_the_default(world: World) -> None:
    case, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="refund",
                              description="Верните деньги", fields={"order_id": "A-1"}, actor="api:crm", key="r",
                              at=T0)
    await sla.scan(world.hub, case.sla.due_at or T0)
    assert (await world.hub.stores.cases.get(case.id)).sla.escalated_to == "supervisors"


async def test_waiting_for_the_customer_pauses_the_clock_where_the_type_says_so(world: World) -> None:
    # price_tag_mismatch: store queue, stores' calendar 08:00-22:00 MSK daily, 24 h, pauses while waiting
    case, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="price_tag_mismatch",
                              description="Ценник не совпадает", store_id="118", actor="user:olga", key="p", at=T0)
    assert case.sla.due_at == utc(2026, 3, 3, 17, 0)  # Mon 10:00-22:00, Tue 08:00-20:00 MSK
    paused = await transition(world.hub, case.id, CaseState.WAITING, waiting_for=WaitingFor.CUSTOMER,
                              actor="user:ivan", reason="asked for a photo of the receipt", at=T0 + timedelta(hours=2))
    assert paused.sla.paused_at == T0 + timedelta(hours=2) and paused.sla.check_at is None
    assert await sla.scan(world.hub, utc(2026, 3, 5, 0, 0)) == 0  # nothing is due while paused
    resumed = await transition(world.hub, case.id, CaseState.IN_PROGRESS, actor="user:ivan",
                               reason="photo received", at=utc(2026, 3, 3, 9, 0))  # Tue 12:00 MSK
    # paused Mon 12:00-22:00 and Tue 08:00-12:00 MSK: 14 working hours; the deadline moves on by as much
    assert resumed.sla.paused_seconds == 14 * 3600 and resumed.sla.paused_at is None
    assert resumed.sla.due_at == utc(2026, 3, 4, 17, 0)


async def test_waiting_does_not_pause_a_type_that_keeps_the_clock_running(world: World) -> None:
    case, _ = await open_case(world.hub, conversation_id=world.conversation.id, request_type="staff_behaviour",
                              description="Грубость", store_id="118", actor="user:olga", key="s", at=T0)
    waiting = await transition(world.hub, case.id, CaseState.WAITING, waiting_for=WaitingFor.GROUP,
                               actor="user:ivan", reason="asked HR", at=T0 + timedelta(hours=1))
    assert waiting.sla.paused_at is None and waiting.sla.due_at == case.sla.due_at


async def test_moving_to_a_group_with_other_hours_recounts_the_time_left(world: World) -> None:
    case = await spoiled(world)
    # after 2 office hours (Mon 12:00 MSK), 46 working hours are left; finance works 09:00-21:00 every day
    moved = await move_to_group(world.hub, case.id, "finance", actor="user:qc1", reason="compensation decision",
                                at=T0 + timedelta(hours=2))
    assert moved.sla.calendar == "default"
    # Mon 12:00-21:00 (9) + Tue..Thu 36 = 45, then 1 h on Fri: Fri 6 Mar 10:00 MSK
    assert moved.sla.due_at == utc(2026, 3, 6, 7, 0)


async def test_a_solved_case_leaves_the_scan(world: World) -> None:
    case = await spoiled(world)
    await solve(world.hub, case.id, "Товар снят с продажи, деньги возвращены", actor="user:qc1", key="s1",
                notify=False, at=T0 + timedelta(hours=1))
    assert (await world.hub.stores.cases.get(case.id)).sla.check_at is None
    assert await sla.scan(world.hub, utc(2026, 4, 1, 0, 0)) == 0


async def test_concurrent_scanners_raise_the_breach_under_one_event_id(world: World) -> None:
    case = await spoiled(world)
    late = utc(2026, 3, 11, 12, 0)
    await asyncio.gather(*[sla.scan(world.hub, late) for _ in range(3)])
    await world.settle()
    assert len({e.id for e in world.events.of("case.sla_breached")}) == 1  # subscribers drop repeats by id
    stored = await world.hub.stores.cases.get(case.id)
    assert [h.kind for h in stored.history].count("escalated") == 1
