"""The case store contract (hub/stores/cases.py), run over every adapter by the `stores` fixture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from hub.stores.base import Stores
from hub.stores.cases import CaseQuery, position
from models.cases import Case, CaseId, CaseSla, CaseState
from models.channels import Channel
from models.conversations import Priority
from models.errors import Conflict, NotFound
from models.ids import ConversationId, CustomerId

T0 = datetime(2026, 3, 2, 9, 0, 0, 123000, tzinfo=UTC)
S = CaseState


def case(number: int, *, group: str = "store:118", store: str | None = "118", priority: Priority = Priority.NORMAL,
         due_hours: float | None = 24, state: CaseState = S.NEW, customer: str = "cust-1", key: str | None = None,
         check_hours: float | None = None, request_type: str = "price_tag_mismatch") -> Case:
    """A case numbered `number`, due `due_hours` after T0."""
    due = None if due_hours is None else T0 + timedelta(hours=due_hours)
    check = None if check_hours is None else T0 + timedelta(hours=check_hours)
    return Case(
        number=number, key=key, conversation_id=ConversationId(f"conv-{number}"), customer_id=CustomerId(customer),
        channel=Channel.TELEGRAM, request_type=request_type, store_id=store, priority=priority,
        description=f"case {number}", group=group, state=state, created_at=T0 + timedelta(minutes=number),
        updated_at=T0, sla=CaseSla(hours=24, due_at=due, check_at=check),
    )


async def test_numbers_are_fresh(stores: Stores) -> None:
    first, second = await stores.cases.next_number(), await stores.cases.next_number()
    assert second > first >= 1


async def test_create_get_and_round_trip(stores: Stores) -> None:
    made = case(await stores.cases.next_number(), key="k-1")
    made.fields = {"receipt": "0042", "amount": 129.9}
    await stores.cases.create(made)
    assert await stores.cases.get(made.id) == made
    assert await stores.cases.get_by_number(made.number) == made
    assert await stores.cases.find_by_key("k-1") == made
    assert await stores.cases.find_by_key("k-2") is None


async def test_missing_cases_are_not_found(stores: Stores) -> None:
    with pytest.raises(NotFound):
        await stores.cases.get(CaseId("nope"))
    with pytest.raises(NotFound):
        await stores.cases.get_by_number(999_999)


async def test_create_rejects_a_taken_number_or_key(stores: Stores) -> None:
    await stores.cases.create(case(1, key="k"))
    with pytest.raises(Conflict):
        await stores.cases.create(case(1))
    with pytest.raises(Conflict):
        await stores.cases.create(case(2, key="k"))
    await stores.cases.create(case(3))  # no key: never collides
    await stores.cases.create(case(4))


async def test_imported_numbers_are_never_handed_out_again(stores: Stores) -> None:
    await stores.cases.create_many([case(n) for n in range(1, 51)])
    assert await stores.cases.next_number() > 50


async def test_save_bumps_version_and_rejects_a_stale_one(stores: Stores) -> None:
    made = case(1)
    await stores.cases.create(made)
    made.state = S.IN_PROGRESS
    await stores.cases.save(made, expected_version=0)
    assert made.version == 1
    assert (await stores.cases.get(made.id)).state is S.IN_PROGRESS
    stale = case(1)
    stale.id = made.id
    with pytest.raises(Conflict):
        await stores.cases.save(stale, expected_version=0)
    assert stale.version == 0


async def test_a_queue_is_urgent_first_then_earliest_deadline_then_number(stores: Stores) -> None:
    await stores.cases.create_many([
        case(1, due_hours=10), case(2, due_hours=None), case(3, due_hours=5), case(4, priority=Priority.URGENT,
        due_hours=50), case(5, due_hours=5), case(6, priority=Priority.LOW, due_hours=1),
        case(7, group="quality_control", store="118", due_hours=1), case(8, state=S.SOLVED, due_hours=1),
    ])
    queue = await stores.cases.find(CaseQuery(groups=frozenset({"store:118"}), open_only=True))
    assert [c.number for c in queue] == [4, 3, 5, 1, 2, 6]


async def test_queue_pages_continue_after_a_position(stores: Stores) -> None:
    await stores.cases.create_many([case(n, due_hours=n % 5) for n in range(1, 31)])
    query = CaseQuery(store_id="118", open_only=True)
    everything = await stores.cases.find(query, limit=100)
    seen: list[int] = []
    after = None
    while True:
        page = await stores.cases.find(query, after=after, limit=7)
        seen += [c.number for c in page]
        if len(page) < 7:
            break
        after = position(page[-1])
    assert seen == [c.number for c in everything] and len(seen) == 30


async def test_newest_order_pages_by_number(stores: Stores) -> None:
    await stores.cases.create_many([case(n) for n in range(1, 11)])
    first = await stores.cases.find(CaseQuery(), order="newest", limit=4)
    assert [c.number for c in first] == [10, 9, 8, 7]
    rest = await stores.cases.find(CaseQuery(), order="newest", after=position(first[-1]), limit=100)
    assert [c.number for c in rest] == [6, 5, 4, 3, 2, 1]


async def test_filters_combine(stores: Stores) -> None:
    await stores.cases.create_many([
        case(1, customer="a"), case(2, customer="a", request_type="refund", group="finance", store=None),
        case(3, customer="b", state=S.CLOSED), case(4, customer="a", state=S.WAITING, group="quality_control"),
    ])
    numbers = lambda found: sorted(c.number for c in found)  # noqa: E731
    assert numbers(await stores.cases.find(CaseQuery(customer_id=CustomerId("a")))) == [1, 2, 4]
    assert numbers(await stores.cases.find(CaseQuery(customer_id=CustomerId("a"), request_type="refund"))) == [2]
    assert numbers(await stores.cases.find(CaseQuery(states=frozenset({S.CLOSED})))) == [3]
    assert numbers(await stores.cases.find(CaseQuery(states=frozenset({S.WAITING, S.CLOSED})))) == [3, 4]
    assert numbers(await stores.cases.find(CaseQuery(groups=frozenset({"finance", "quality_control"})))) == [2, 4]
    assert await stores.cases.find(CaseQuery(groups=frozenset())) == []
    assert numbers(await stores.cases.find(CaseQuery(conversation_id=ConversationId("conv-3")))) == [3]
    assert numbers(await stores.cases.find(CaseQuery(created_after=T0 + timedelta(minutes=3)))) == [3, 4]
    assert await stores.cases.count(CaseQuery(store_id="118", open_only=True)) == 2
    assert await stores.cases.count_by_state(CaseQuery(store_id="118")) == {S.NEW: 1, S.CLOSED: 1, S.WAITING: 1}


async def test_sla_scan_reads_only_open_cases_whose_check_is_due(stores: Stores) -> None:
    await stores.cases.create_many([
        case(1, check_hours=1), case(2, check_hours=3), case(3, check_hours=None),
        case(4, check_hours=0.5, state=S.SOLVED), case(5, check_hours=0.5),
    ])
    due = await stores.cases.due_for_sla(T0 + timedelta(hours=2))
    assert [c.number for c in due] == [5, 1]
    assert [c.number for c in await stores.cases.due_for_sla(T0 + timedelta(hours=2), limit=1)] == [5]


async def test_a_saved_change_moves_the_case_between_queues(stores: Stores) -> None:
    made = case(1, check_hours=1)
    await stores.cases.create(made)
    made.group, made.state, made.sla.check_at = "quality_control", S.SOLVED, None
    await stores.cases.save(made, expected_version=0)
    assert await stores.cases.find(CaseQuery(groups=frozenset({"store:118"}))) == []
    assert await stores.cases.due_for_sla(T0 + timedelta(days=9)) == []
    assert [c.number for c in await stores.cases.find(CaseQuery(groups=frozenset({"quality_control"})))] == [1]


async def test_without_a_state_filter_open_cases_come_first_and_pages_cross_into_finished_ones(stores: Stores) -> None:
    await stores.cases.create_many([
        case(1, state=S.CLOSED, priority=Priority.URGENT), case(2, due_hours=9), case(3, state=S.SOLVED, due_hours=1),
        case(4, due_hours=3), case(5, state=S.CLOSED, due_hours=None),
    ])
    query = CaseQuery(store_id="118")
    assert [c.number for c in await stores.cases.find(query)] == [4, 2, 1, 3, 5]
    first = await stores.cases.find(query, limit=2)
    rest = await stores.cases.find(query, after=position(first[-1]), limit=10)
    assert [c.number for c in rest] == [1, 3, 5]
    open_only = CaseQuery(store_id="118", open_only=True)
    assert await stores.cases.find(open_only, after=position(first[-1])) == []
    assert [c.number for c in await stores.cases.find(CaseQuery(store_id="118", states=frozenset({S.CLOSED})),
                                                      after=position(first[0]))] == [1, 5]


async def test_a_cursor_made_from_a_case_read_back_continues_exactly_after_it(stores: Stores) -> None:
    await stores.cases.create_many([case(n, due_hours=1 + n / 7) for n in range(1, 6)])  # sub-millisecond parts
    query = CaseQuery(store_id="118", open_only=True)
    read_back = await stores.cases.get_by_number(2)
    assert [c.number for c in await stores.cases.find(query, after=position(read_back))] == [3, 4, 5]
