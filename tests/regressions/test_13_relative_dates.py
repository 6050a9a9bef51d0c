"""Issue 13: "вчера" and "today" count from the conversation's clock in the chain's zone, never the server's date."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dialogs.testing import ConversationTest, run_test
from dialogs.turns import Turn
from models.clock import local_date
from tests.unit.bots.test_shipped_flows import FLOWS  # the shipped flows, loaded once

LATE_EVENING_UTC = datetime(2026, 11, 24, 22, 30, tzinfo=UTC)  # already 25 November in Moscow


def test_local_date_is_the_date_in_the_zone_not_in_utc() -> None:
    assert local_date(LATE_EVENING_UTC, "Europe/Moscow") == date(2026, 11, 25)
    assert local_date(LATE_EVENING_UTC, "UTC") == date(2026, 11, 24)


def test_a_turn_counts_today_in_its_zone() -> None:
    assert Turn(now=LATE_EVENING_UTC).today == date(2026, 11, 25)
    assert Turn(now=LATE_EVENING_UTC, timezone="America/New_York").today == date(2026, 11, 24)


@pytest.mark.parametrize(("now", "said", "expected"), [
    ("2024-03-01T12:00:00+03:00", "вчера", "2024-02-29"),   # a leap day, years from the machine's today
    ("2031-01-01T00:30:00", "вчера", "2030-12-31"),           # no offset: wall time in the test's zone
    ("2026-11-24T22:30:00+00:00", "сегодня", "2026-11-25"),   # UTC evening, Moscow's next day
])
async def test_a_flow_test_resolves_relative_dates_against_its_own_now(now: str, said: str, expected: str) -> None:
    test = ConversationTest.model_validate({
        "name": "relative date", "now": now, "actions": {"create_case": {"ok": True, "case_number": "C-1"}},
        "turns": [
            {"user": "купила просроченный творог", "intent": "product_quality"},
            {"user": "118"},
            {"user": said, "slots": {"date": expected}},
        ],
    })
    outcome = await run_test(FLOWS, test, actions={"create_case"})
    assert outcome.passed, "\n".join(str(f) for f in outcome.failures)
