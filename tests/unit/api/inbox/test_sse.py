"""SSE framing of HTML fragments."""

from __future__ import annotations

from api.inbox.sse import sse_event


def test_a_multi_line_fragment_becomes_one_event_with_a_data_field_per_line() -> None:
    framed = sse_event("lists", "<ul>\n<li>a</li>\n</ul>")
    assert framed == "event: lists\ndata: <ul>\ndata: <li>a</li>\ndata: </ul>\n\n"


def test_an_empty_fragment_still_carries_a_data_field() -> None:
    assert sse_event("timeline", "") == "event: timeline\ndata: \n\n"
