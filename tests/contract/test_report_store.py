"""The report store contract (hub/stores/reports.py), over SQLite and MongoDB: facts, rollups, drill-down.

Numbers are small and hand-counted in each test's comments; the same question is answered from a rollup
and from the facts (a store filter forces the facts), and both must agree.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from hub.reports.engine import summarize, total
from hub.stores.mongo.db import MongoDatabase
from hub.stores.mongo.reports import MongoReportStore
from hub.stores.reports import Filters, ReportStore
from hub.stores.sqlite.reports import SqliteReportStore
from models.report_cube import CASES, CONVERSATIONS
from models.report_facts import CaseFact, ConversationFact

MARCH = Filters(start="2026-03-01", end="2026-03-31")


def fact(n: int, **changes: object) -> ConversationFact:
    """Conversation n on 2 March 2026 at 10:00 local, a bot-settled order-status question by default."""
    base = ConversationFact(
        conversation_id=f"c{n}", customer_id=f"u{n}", opened_at=f"2026-03-02T07:00:{n:02d}+00:00",
        day="2026-03-02", hour=10, week="2026-03-02", topic="order_status", channel="telegram",
        store="118", region="moscow", state="resolved", resolved=True, contained=True, messages=1,
        resolution_s=100.0, text=f"где заказ {n}")
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture
async def sqlite_reports(tmp_path: Path) -> AsyncIterator[ReportStore]:
    """A report store on a file of its own."""
    store = SqliteReportStore(str(tmp_path / "reports.sqlite3"))
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def mongo_reports(mongodb_url: str) -> AsyncIterator[ReportStore]:
    """A report store on a database of its own, dropped afterwards."""
    name = f"otklik_reports_{uuid.uuid4().hex}"
    store = MongoReportStore(mongodb_url, database=name)
    await store.open()
    yield store
    await store.close()
    cleanup = MongoDatabase(mongodb_url, name)
    await cleanup.open()
    try:
        await cleanup.client.drop_database(name)
    finally:
        await cleanup.close()


@pytest.fixture(params=["sqlite_reports", pytest.param("mongo_reports", marks=pytest.mark.mongo)],
                ids=["sqlite", "mongo"])
def reports(request: pytest.FixtureRequest) -> ReportStore:
    """The report store under test."""
    store: ReportStore = request.getfixturevalue(request.param)
    return store


async def test_a_stored_fact_reads_back_as_it_was_put(reports: ReportStore) -> None:
    stored = fact(1, csat=4, csat_comment="ok", first_response_met=False, handle_s=30.5)
    await reports.put_conversation(stored)
    assert await reports.conversation_fact("c1") == stored
    assert await reports.conversation_fact("nope") is None


async def test_putting_the_same_fact_twice_counts_it_once(reports: ReportStore) -> None:
    await reports.put_conversation(fact(1))
    await reports.put_conversation(fact(1))
    counts = await total(reports, CONVERSATIONS, MARCH)
    assert counts["conversations"] == 1 and counts["contained"] == 1


async def test_a_changed_fact_moves_its_counts_to_its_new_row(reports: ReportStore) -> None:
    await reports.put_conversation(fact(1))
    await reports.put_conversation(fact(2))
    await reports.put_conversation(fact(1, topic="delivery_problem", handed_over=True, contained=False,
                                        reason="flow", group="logistics"))
    by_topic = {k[0]: c for k, c in await summarize(reports, CONVERSATIONS, MARCH, ("topic",))}
    assert by_topic["order_status"]["conversations"] == 1
    assert by_topic["delivery_problem"]["conversations"] == 1
    assert by_topic["delivery_problem"]["handed_over"] == 1 and by_topic["delivery_problem"]["complaints"] == 1
    assert sum(c["conversations"] for c in by_topic.values()) == 2  # nothing left behind in the old row


async def test_rollups_and_facts_give_the_same_numbers(reports: ReportStore) -> None:
    # 3 conversations in store 118 (region moscow), 1 in store 7 (region spb):
    # first responses 50 s, 90 s, 4000 s; CSAT 5 and 1; one repeat.
    await reports.load([
        fact(1, first_response_s=50.0, first_response_met=True, csat=5),
        fact(2, first_response_s=90.0, first_response_met=True, repeat=True),
        fact(3, first_response_s=4000.0, first_response_met=False, csat=1),
        fact(4, store="7", region="spb"),
    ], [])
    from_rollup = dict(await summarize(reports, CONVERSATIONS, MARCH, ("region",)))
    # no rollup has store and topic together: this one is summed from the store's facts
    from_facts = dict(await summarize(reports, CONVERSATIONS, MARCH.but(store="118", topic="order_status"),
                                      ("region",)))
    assert from_rollup[("moscow",)] == from_facts[("moscow",)]
    moscow = from_facts[("moscow",)]
    assert moscow["conversations"] == 3 and moscow["fr_n"] == 3 and moscow["fr_met"] == 2
    assert moscow["csat_n"] == 2 and moscow["csat_sum"] == 6 and moscow["csat_low"] == 1 and moscow["repeats"] == 1
    assert (moscow["fr_b0"], moscow["fr_b1"], moscow["fr_b7"]) == (1, 1, 1)  # <=60 s, <=120 s, <=2 h
    assert from_rollup[("spb",)]["conversations"] == 1


async def test_hours_weeks_and_days_fold_the_same_facts(reports: ReportStore) -> None:
    await reports.load([fact(1), fact(2, hour=11), fact(3, day="2026-03-09", week="2026-03-09", hour=9)], [])
    days = await summarize(reports, CONVERSATIONS, MARCH, ("day",))
    assert [(k, c["conversations"]) for k, c in days] == [(("2026-03-02",), 2), (("2026-03-09",), 1)]
    weeks = await summarize(reports, CONVERSATIONS, MARCH.but(topic="order_status"), ("week",))
    assert [(k, c["conversations"]) for k, c in weeks] == [(("2026-03-02",), 2), (("2026-03-09",), 1)]
    hours = await summarize(reports, CONVERSATIONS, MARCH.but(start="2026-03-02", end="2026-03-02"), ("hour",))
    assert [(k, c["conversations"]) for k, c in hours] == [(("10",), 1), (("11",), 1)]


async def test_rising_sums_two_weeks_in_one_pass_and_keeps_only_rises(reports: ReportStore) -> None:
    # Complaints (delivery_problem) in the week of 2 March (earlier) and of 9 March (later), per store:
    # 118: 1 -> 6 (rose, 7 in all: kept); 119: 3 -> 5 (8: kept); 120: 0 -> 2 (too few); 121: 3 -> 3 (no rise);
    # 122: 0 -> 6 order_status questions (no complaints). Counted as more_than=4: a + b > 4.
    weekly = {"118": (1, 6), "119": (3, 5), "120": (0, 2), "121": (3, 3)}
    facts, n = [], 0
    for shop, (earlier, later) in weekly.items():
        for day, week, count in (("2026-03-03", "2026-03-02", earlier), ("2026-03-10", "2026-03-09", later)):
            for _ in range(count):
                n += 1
                facts.append(fact(n, store=shop, topic="delivery_problem", day=day, week=week))
    facts += [fact(n + k, store="122", day="2026-03-10", week="2026-03-09") for k in range(1, 7)]
    await reports.load(facts, [])
    span = Filters(start="2026-03-02", end="2026-03-15")
    store_grain = CONVERSATIONS.choose({"store"}, "week")
    assert store_grain is not None and store_grain.time == "week"
    by_store = await reports.rising(CONVERSATIONS, store_grain, span, "store", "complaints",
                                    since="2026-03-09", more_than=4)
    assert by_store == {"118": (6, 1), "119": (5, 3)}
    # the same split from a day grain (topic), and a dimension filter narrows it: 118 alone is 7 > 4
    topic_grain = CONVERSATIONS.choose({"topic"}, "week")
    assert topic_grain is not None and topic_grain.time == "day"
    by_topic = await reports.rising(CONVERSATIONS, topic_grain, span, "topic", "complaints",
                                    since="2026-03-09", more_than=4)
    assert by_topic == {"delivery_problem": (16, 7)}  # 6+5+2+3 later, 1+3+0+3 earlier
    one = await reports.rising(CONVERSATIONS, store_grain, span.but(store="118"), "store",
                               "complaints", since="2026-03-09", more_than=4)
    assert one == {"118": (6, 1)}
    stricter = await reports.rising(CONVERSATIONS, store_grain, span, "store", "complaints", since="2026-03-09",
                                    more_than=7)
    assert stricter == {"119": (5, 3)}  # 118 has 7 in all, 119 has 8


async def test_drill_down_lists_the_facts_behind_a_number_newest_first(reports: ReportStore) -> None:
    await reports.load([fact(1, csat=1), fact(2, csat=5), fact(3, csat=2, topic="staff_complaint"), fact(4)], [])
    low = await reports.facts(CONVERSATIONS, MARCH, condition="csat_low")
    assert [f["conversation_id"] for f in low] == ["c3", "c1"]
    complaints = await reports.facts(CONVERSATIONS, MARCH, condition="complaint")
    assert [f["conversation_id"] for f in complaints] == ["c3"]
    page = await reports.facts(CONVERSATIONS, MARCH, limit=2, offset=1)
    assert [f["conversation_id"] for f in page] == ["c3", "c2"]
    assert await reports.facts(CONVERSATIONS, MARCH.but(topic="order_status"), condition="complaint") == []


async def test_contacted_between_finds_the_customers_other_conversation(reports: ReportStore) -> None:
    await reports.put_conversation(fact(1, customer_id="same"))
    assert await reports.contacted_between("same", "2026-02-25T00:00:00+00:00", "2026-03-03T00:00:00+00:00",
                                           besides="c2")
    assert not await reports.contacted_between("same", "2026-02-25T00:00:00+00:00", "2026-03-03T00:00:00+00:00",
                                               besides="c1")
    assert not await reports.contacted_between("same", "2026-03-03T00:00:00+00:00", "2026-03-10T00:00:00+00:00",
                                               besides="c2")


async def test_case_facts_roll_up_by_type_and_store(reports: ReportStore) -> None:
    def case(n: int, **changes: object) -> CaseFact:
        base = CaseFact(case_id=f"k{n}", conversation_id=f"c{n}", number=n, opened_at=f"2026-03-02T07:00:0{n}+00:00",
                        day="2026-03-02", hour=10, week="2026-03-02", request_type="refund", channel="telegram",
                        group="store-118", store="118", region="moscow", hops=2)
        return replace(base, **changes)  # type: ignore[arg-type]

    await reports.put_case(case(1, solved=True, solve_s=3000.0, state="solved"))
    await reports.put_case(case(2, sla_breached=True, hops=3))
    await reports.put_case(case(2, sla_breached=True, hops=3))
    rows = dict(await summarize(reports, CASES, MARCH, ("request_type",)))
    refund = rows[("refund",)]
    assert (refund["cases"], refund["solved"], refund["breached"], refund["hops"]) == (2, 1, 1, 5)
    assert dict(await summarize(reports, CASES, MARCH.but(store="118"), ("store",)))[("118",)] == refund
    assert dict(await summarize(reports, CASES, MARCH.but(store="118", request_type="refund"), ()))[()] == refund
    assert (await reports.case_fact("k1")) == case(1, solved=True, solve_s=3000.0, state="solved")


async def test_clear_forgets_everything(reports: ReportStore) -> None:
    await reports.load([fact(1), fact(2)], [])
    assert await reports.count_facts(CONVERSATIONS) == 2
    await reports.clear()
    assert await reports.count_facts(CONVERSATIONS) == 0
    assert (await total(reports, CONVERSATIONS, MARCH))["conversations"] == 0
