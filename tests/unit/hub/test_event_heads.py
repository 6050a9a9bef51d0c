"""What consumer groups' filters read of an event: its type and the conversation or case it names, leniently."""

from __future__ import annotations

import json

from hub.events import Head, head_of, of_kinds
from hub.reports.projection import reported


def test_the_head_names_the_type_and_the_conversation_or_case_wherever_the_event_keeps_them() -> None:
    assert head_of(json.dumps({"type": "message.sent", "conversation_id": "c1"})) == Head("message.sent", "c1", None)
    assert head_of(json.dumps({"type": "case.opened", "data": {"conversation_id": "c2", "case_id": "k1"}})) == Head(
        "case.opened", "c2", "k1")
    assert head_of("not json") is None and head_of("[1]") is None


def test_filters_let_through_what_they_cannot_read_and_what_they_want() -> None:
    sent, received = json.dumps({"type": "message.sent"}), json.dumps({"type": "message.received"})
    wants = of_kinds({"message.sent"})
    assert wants(sent) and not wants(received) and wants("not json") and wants(json.dumps({"id": "x"}))
    customer = json.dumps({"type": "customer.created", "customer_id": "u1"})
    assert not reported(customer) and reported(json.dumps({"type": "conversation.opened", "conversation_id": "c"}))
    assert reported("not json")
