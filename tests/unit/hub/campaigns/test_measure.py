"""Measurement: conversion, uplift against the control group and its interval, cost, breakdowns."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.campaigns import measure
from models.campaigns import Moment, OfferRecord, OfferState
from models.channels import Channel
from tests.unit.hub.campaigns.builders import campaign

T0 = datetime(2026, 12, 7, tzinfo=UTC)


def record(n: int, *, control: bool = False, state: OfferState = OfferState.MADE, converted: bool = False,
           segment: str = "Золотой", channel: Channel = Channel.TELEGRAM) -> OfferRecord:
    return OfferRecord(id=f"goodwill:c{n}", campaign_id="goodwill", customer_id=f"c{n}", moment=Moment.PRAISE,
                       channel=channel, segment=segment, control=control, week="2026-W50", made_at=T0,
                       state=OfferState.HELD_BACK if control else state,
                       redeemed_at=T0 if converted or state is OfferState.REDEEMED else None)


def test_wilson_matches_the_published_example() -> None:
    # Newcombe (1998), table I: 81/263 -> 0.2553 to 0.3662
    low, high = measure.wilson(81, 263)
    assert low == pytest.approx(0.2553, abs=1e-4) and high == pytest.approx(0.3662, abs=1e-4)


def test_newcombe_matches_the_published_example() -> None:
    # Newcombe (1998), table II example (a): 56/70 - 48/80 = 0.2, method 10 interval 0.0524 to 0.3339
    low, high = measure.newcombe(56, 70, 48, 80)
    assert low == pytest.approx(0.0524, abs=1e-4) and high == pytest.approx(0.3339, abs=1e-4)


@given(st.integers(0, 200), st.integers(1, 200), st.integers(0, 200), st.integers(1, 200))
def test_the_uplift_interval_holds_the_difference_and_stays_within_bounds(x1: int, n1: int, x2: int, n2: int) -> None:
    x1, x2 = min(x1, n1), min(x2, n2)
    low, high = measure.newcombe(x1, n1, x2, n2)
    assert -1.0 - 1e-9 <= low <= x1 / n1 - x2 / n2 + 1e-9 <= high + 2e-9 <= 1.0 + 3e-9


def test_the_report_counts_offers_holdouts_uplift_cost_and_breakdowns() -> None:
    records = [record(1, state=OfferState.REDEEMED), record(2, state=OfferState.DELIVERED),
               record(3, state=OfferState.REDEEMED, segment="none", channel=Channel.WHATSAPP), record(4),
               record(5, control=True, converted=True), record(6, control=True),
               record(7, control=True, segment="none")]
    result = measure.report(campaign(budget=10, offer=campaign().offer.model_copy(update={"cost": Decimal("150")})),
                            records)
    total = result.total
    assert (total.made, total.delivered, total.redeemed, total.held_back, total.held_back_converted) == (4, 3, 2, 3, 1)
    assert total.conversion == 0.5 and total.control_conversion == pytest.approx(1 / 3)
    assert total.uplift == pytest.approx(0.5 - 1 / 3)
    assert total.interval is not None and total.uplift is not None
    assert total.interval[0] < total.uplift < total.interval[1]
    assert result.cost == Decimal("300.00") and result.budget_cost == Decimal("1500.00") and result.budget_used == 0.4
    assert [t.label for t in result.by_segment] == ["none", "Золотой"]
    assert [(t.label, t.made) for t in result.by_channel] == [("telegram", 3), ("whatsapp", 1)]
    rows = measure.rows(result)
    assert rows[0][:5] == ["total", "total", 4, 3, 2] and len(rows) == 5


def test_without_a_control_group_there_is_no_uplift() -> None:
    result = measure.report(campaign(), [record(1, state=OfferState.REDEEMED)])
    assert result.total.uplift is None and result.total.interval is None
