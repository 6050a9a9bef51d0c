"""The publication order the reports projection reads by, and its marks: bounded, newest wins."""

from __future__ import annotations

from hub.event_order import PublishOrder
from hub.reports.projection import ReadMarks


def test_a_republished_event_takes_its_latest_place_and_old_ids_are_forgotten() -> None:
    order = PublishOrder(limit=2)
    for event_id in ("a", "b", "a", "c"):
        order.note(event_id)
    assert order.count == 4
    assert (order.seq_of("a"), order.seq_of("b"), order.seq_of("c")) == (3, None, 4)


def test_marks_cover_what_was_published_before_the_latest_refresh_began() -> None:
    marks = ReadMarks(limit=2)
    assert not marks.covers("c1", 1)  # never refreshed
    marks.mark("c1", 5)
    marks.mark("c1", 3)  # a slower, older refresh finishing later does not move the mark back
    assert marks.covers("c1", 5) and not marks.covers("c1", 6) and not marks.covers("c1", None)
    marks.mark("c2", 7)
    marks.mark("c3", 8)
    assert not marks.covers("c1", 1)  # forgotten past the limit: read again, never skipped wrongly


def test_the_age_of_an_event_counts_from_its_latest_publication_here() -> None:
    now = [10.0]
    order = PublishOrder(clock=lambda: now[0])
    order.note("a")
    now[0] = 10.5
    assert order.age("a") == 0.5 and order.age("unknown") is None
    order.note("a")  # published again
    assert order.age("a") == 0.0
