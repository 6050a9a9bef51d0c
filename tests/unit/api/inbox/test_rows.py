"""List rows: SLA time left in working hours, breaches, and the display filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from api.inbox.rendering import duration, percent
from api.inbox.rows import sla_of
from hub.working_hours import Calendar
from models.channels import Channel
from models.conversations import Conversation, ConversationState
from models.ids import CustomerId

S = ConversationState
TUESDAY_NOON_MSK = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)  # 12:00 Moscow, inside 09:00-21:00


def queued(at: datetime, first_due: datetime, resolution_due: datetime) -> Conversation:
    conversation = Conversation.open(CustomerId("c1"), Channel.TELEGRAM, "bot", at=at)
    conversation.transition(S.QUEUED, at=at, group="general")
    conversation.sla_first_response_due, conversation.sla_resolution_due = first_due, resolution_due
    return conversation


def test_time_left_counts_working_hours_to_the_first_response_deadline() -> None:
    conversation = queued(TUESDAY_NOON_MSK, TUESDAY_NOON_MSK + timedelta(hours=1),
                          TUESDAY_NOON_MSK + timedelta(hours=8))
    sla = sla_of(conversation, Calendar(), TUESDAY_NOON_MSK + timedelta(minutes=15))

    assert sla is not None and sla.target == "first_response" and not sla.breached
    assert sla.seconds_left == 45 * 60


def test_after_the_first_response_the_resolution_deadline_counts_and_a_passed_one_is_breached() -> None:
    conversation = queued(TUESDAY_NOON_MSK, TUESDAY_NOON_MSK + timedelta(hours=1),
                          TUESDAY_NOON_MSK + timedelta(hours=2))
    conversation.first_response_at = TUESDAY_NOON_MSK + timedelta(minutes=5)
    sla = sla_of(conversation, Calendar(), TUESDAY_NOON_MSK + timedelta(hours=3))

    assert sla is not None and sla.target == "resolution" and sla.breached and sla.seconds_left == -3600


def test_a_resolved_conversation_has_no_clock() -> None:
    conversation = queued(TUESDAY_NOON_MSK, TUESDAY_NOON_MSK, TUESDAY_NOON_MSK)
    conversation.transition(S.RESOLVED, note="done")

    assert sla_of(conversation, Calendar(), TUESDAY_NOON_MSK) is None


def test_filters_show_spans_and_confidences() -> None:
    assert (duration(3725), duration(-59), duration(None)) == ("1:02:05", "−0:00:59", "")
    assert (percent(0.873), percent(None)) == ("87%", "")
