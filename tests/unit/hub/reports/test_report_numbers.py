"""Report numbers against a hand-computed fixture: eight conversations and three cases in March 2026.

| # | topic            | channel  | group     | bot settled | first resp. | SLA met | resolution | csat | repeat |
|---|------------------|----------|-----------|-------------|-------------|---------|------------|------|--------|
| 1 | order_status     | telegram |           | yes         |             |         | 60 s       | 5    |        |
| 2 | order_status     | telegram |           | yes         |             |         | 100 s      |      |        |
| 3 | order_status     | whatsapp | logistics | no (flow)   | 50 s        | yes     | 1000 s     | 4    | yes    |
| 4 | delivery_problem | whatsapp | logistics | no (flow)   | 200 s       | yes     | 5000 s     | 1    |        |
| 5 | delivery_problem | email    | logistics | no (asked)  | 4000 s      | no      |            |      |        |
| 6 | product_quality  | telegram | quality   | no (flow)   | 700 s       | yes     | 20000 s    | 2    | yes    |
| 7 | store_info       | telegram |           | yes         |             |         | 30 s       |      |        |
| 8 | store_info       | telegram |           | no: open    |             |         |            |      |        |
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from hub.reports import catalog
from hub.reports.shapes import Cell, Report
from hub.reports.voice import FDR, _may_pass, rise_p_value, significant, weeks
from hub.stores.reports import Filters, ReportStore
from hub.stores.sqlite.reports import SqliteReportStore
from models.report_facts import CaseFact, ConversationFact

MARCH = Filters(start="2026-03-01", end="2026-03-31")
BASE = ConversationFact(conversation_id="", customer_id="", opened_at="", day="2026-03-02", hour=10,
                        week="2026-03-02", channel="telegram", store="118", region="moscow")


def conv(n: int, topic: str, **changes: object) -> ConversationFact:
    """Conversation n, opened on 2 March at 10:0n."""
    return replace(BASE, conversation_id=f"c{n}", customer_id=f"u{n}", opened_at=f"2026-03-02T07:0{n}:00+00:00",
                   topic=topic, messages=1, text=f"text {n}", **changes)  # type: ignore[arg-type]


def bot(n: int, topic: str, seconds: float, **changes: object) -> ConversationFact:
    return conv(n, topic, state="resolved", resolved=True, contained=True, resolution_s=seconds, **changes)


def people(n: int, topic: str, group: str, first: float, met: bool, resolution: float | None,
           **changes: object) -> ConversationFact:
    resolved = resolution is not None
    return conv(n, topic, group=group, handed_over=True, reason=str(changes.pop("reason", "flow")),
                operator="u-anna", first_response_s=first, first_response_met=met, resolution_s=resolution,
                resolved=resolved, state="resolved" if resolved else "assigned",
                handle_s=600.0 if resolved else None, **changes)


FACTS = [
    bot(1, "order_status", 60, csat=5),
    bot(2, "order_status", 100, fallbacks=1),
    people(3, "order_status", "logistics", 50, True, 1000, channel="whatsapp", csat=4, repeat=True),
    people(4, "delivery_problem", "logistics", 200, True, 5000, channel="whatsapp", csat=1),
    people(5, "delivery_problem", "logistics", 4000, False, None, channel="email", reason="asked"),
    people(6, "product_quality", "quality", 700, True, 20000, csat=2, repeat=True, unsure=1),
    bot(7, "store_info", 30),
    conv(8, "store_info", state="bot"),
]


def case(n: int, **changes: object) -> CaseFact:
    return replace(CaseFact(case_id=f"k{n}", conversation_id=f"c{n}", number=n,
                            opened_at=f"2026-03-02T07:0{n}:00+00:00",
                            day="2026-03-02", hour=10, week="2026-03-02", request_type="refund", group="store-118",
                            store="118", region="moscow", hops=1), **changes)  # type: ignore[arg-type]


CASES = [case(1, solved=True, solve_s=3000.0, hops=2), case(2, solved=True, solve_s=90000.0, sla_breached=True),
         case(3, request_type="price", store="7", region="spb")]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ReportStore]:
    opened = SqliteReportStore(str(tmp_path / "reports.sqlite3"))
    await opened.open()
    await opened.load(FACTS, CASES)
    yield opened
    await opened.close()


def table(report: Report, name: str) -> dict[str, list[Cell]]:
    found = next(t for t in report.tables if t.name == name)
    return {str(row[0]): row[1:] for row in found.rows}


async def test_volume_counts_and_splits(store: ReportStore) -> None:
    report = await catalog.build("volume", store, MARCH)
    assert report.headline["conversations"] == 8 and report.headline["complaints"] == 3  # 4, 5, 6
    assert table(report, "by_topic")["order_status"] == [3, 37.5, 0]
    assert table(report, "by_channel") == {"telegram": [5, 62.5, 1], "whatsapp": [2, 25.0, 1], "email": [1, 12.5, 1]}
    assert report.series[0].values[1] == 8 and sum(report.series[0].values) == 8  # all on 2 March


async def test_sla_percentiles_and_compliance(store: ReportStore) -> None:
    report = await catalog.build("sla", store, MARCH)
    # first responses 50, 200, 700, 4000 s fall in the buckets <=60, <=300, <=900, <=7200 s:
    # p50 is the 2nd of 4 -> 300 s = 5 min; p90 the 4th -> 7200 s = 120 min. 3 of 4 within SLA.
    assert report.headline["first response p50, min"] == 5.0
    assert report.headline["first response p90, min"] == 120.0
    assert report.headline["first response within SLA, %"] == 75.0
    # resolutions 30, 60, 100, 1000, 5000, 20000 s: p50 = 3rd -> bucket <=120 s; p90 = 6th -> <=28800 s
    assert (report.headline["resolution p50, min"], report.headline["resolution p90, min"]) == (2.0, 480.0)
    assert table(report, "by_group")["logistics"][2] == pytest.approx(66.7)


async def test_containment_by_topic_and_reasons(store: ReportStore) -> None:
    report = await catalog.build("containment", store, MARCH)
    assert report.headline["settled by the bot"] == 3 and report.headline["containment, %"] == 37.5
    assert table(report, "by_topic")["order_status"] == [3, 2, 66.7, 1]
    assert table(report, "by_topic")["store_info"] == [2, 1, 50.0, 0]
    assert table(report, "reasons") == {"flow": [3, 75.0], "asked": [1, 25.0]}


async def test_csat_repeats_nlu_and_operators(store: ReportStore) -> None:
    csat = await catalog.build("csat", store, MARCH)
    assert csat.headline == {"answers": 4, "average (1-5)": 3.0, "unhappy (1-2), %": 50.0}  # 5, 4, 1, 2
    assert table(csat, "by_group") == {"—": [1, 5.0, 0.0], "logistics": [2, 2.5, 50.0], "quality": [1, 2.0, 100.0]}
    repeats = await catalog.build("repeats", store, MARCH)
    assert repeats.headline["repeat contacts"] == 2 and repeats.headline["repeat rate, %"] == 25.0
    nlu = await catalog.build("nlu", store, MARCH)
    assert (nlu.headline["fallbacks"], nlu.headline["unsure"]) == (1, 1)
    assert [row[3] for row in nlu.tables[1].rows] == ["text 2", "text 6"]
    operators = await catalog.build("operators", store, MARCH)
    assert table(operators, "by_operator")["u-anna"] == [4, 3, 10.0, 2.33]  # 3 resolved, 600 s each


async def test_cases_by_type_and_store(store: ReportStore) -> None:
    report = await catalog.build("cases", store, MARCH)
    # refund: 2 cases, both solved (3000 s -> <=3600; 90000 s -> <=172800), 1 breached, hops 2 + 1
    assert table(report, "by_request_type")["refund"] == [2, 2, 60.0, 2880.0, 1, 50.0, 1.5]
    assert table(report, "by_store")["7"][:2] == [1, 0]
    assert table(report, "by_region")["moscow"][0] == 2


async def test_management_and_supervisor_dashboards(store: ReportStore) -> None:
    management = await catalog.build("management", store, MARCH)
    assert table(management, "by_region")["moscow"][:2] == [8, 3]
    supervisor = await catalog.build("supervisor", store, MARCH.but(end="2026-03-02"))
    assert supervisor.headline["conversations"] == 8
    assert supervisor.series[0].values[10] == 8  # all at 10 o'clock local


def test_skipping_hopeless_tails_changes_no_decision() -> None:
    for n in range(5, 200):  # wherever the shortcut skips the exact tail, the tail is far above 5 %
        for later in range(n // 2 + 1, n + 1):
            if not _may_pass(later, n - later):
                assert rise_p_value(later, n - later) > 2 * FDR, (later, n - later)


def test_the_rise_test_is_a_binomial_tail() -> None:
    # 10 of 12 complaints in the later week: (C(12,10) + C(12,11) + C(12,12)) / 2^12 = 79 / 4096
    assert rise_p_value(10, 2) == pytest.approx(79 / 4096)
    assert rise_p_value(3, 3) == pytest.approx(42 / 64)  # (20 + 15 + 6 + 1) / 64
    # Benjamini-Hochberg at 5 %: sorted 0.001 <= 0.05/3, 0.02 <= 0.1/3, 0.06 > 0.15/3: the first two
    assert significant([0.06, 0.001, 0.02]) == [False, True, True]
    assert significant([0.04, 0.001, 0.02]) == [True, True, True]  # 0.04 <= 0.15/3 takes all three
    assert weeks("2026-03-18") == ("2026-03-09", "2026-03-02")  # Wednesday: the last complete week
    assert weeks("2026-03-15") == ("2026-03-09", "2026-03-02")  # Sunday completes its week


async def test_voice_finds_the_store_whose_complaints_rose(tmp_path: Path) -> None:
    store = SqliteReportStore(str(tmp_path / "voice.sqlite3"))
    await store.open()
    try:
        before = [replace(BASE, conversation_id=f"b{n}", customer_id=f"b{n}",
                          opened_at=f"2026-03-03T08:{n:02d}:00+00:00",
                          day="2026-03-03", week="2026-03-02", topic="staff_complaint", store="7", text="rude")
                  for n in range(2)]
        after = [replace(b, conversation_id=f"a{n}", customer_id=f"a{n}", opened_at=f"2026-03-10T08:{n:02d}:00+00:00",
                         day="2026-03-10", week="2026-03-09", text=f"rude again {n}")
                 for n, b in enumerate(before * 6)]
        steady = [replace(BASE, conversation_id=f"s{n}", customer_id=f"s{n}", opened_at=f"2026-03-0{3 + 7 * (n % 2)}",
                          day=f"2026-03-{3 + 7 * (n % 2):02d}", week="2026-03-02" if n % 2 == 0 else "2026-03-09",
                          topic="product_quality", store="9") for n in range(8)]
        await store.load([*before, *after, *steady], [])
        report = await catalog.build("voice", store, Filters(start="2026-03-01", end="2026-03-15"))
        rising = table(report, "rising_store")
        assert list(rising) == ["7"]  # store 9 had 4 and 4
        assert rising["7"][:3] == [12, 2, float(f"{rise_p_value(12, 2):.2g}")]
        assert "rude again" in str(rising["7"][3])
        assert list(table(report, "rising_topic")) == ["staff_complaint"]
    finally:
        await store.close()
