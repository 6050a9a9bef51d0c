"""The webhook body: versioned, thin, compact JSON built from an Event, with no secrets in it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import get_args

import pytest

from hub.webhooks import payloads
from models.events import Event, EventType
from models.ids import ConversationId, CustomerId, EventId, MessageId


def event(kind: str = "message.received", **data: object) -> Event:
    """An event with every id set."""
    return Event.model_validate({
        "id": EventId(f"{kind}:m1"), "type": kind, "at": datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC),
        "customer_id": CustomerId("cu1"), "conversation_id": ConversationId("co1"), "message_id": MessageId("m1"),
        "data": data})


def test_the_body_carries_type_version_event_id_timestamp_and_the_ids() -> None:
    body = payloads.body(event(channel="telegram"))

    assert json.loads(body) == {
        "type": "message.received", "version": 1, "id": "message.received:m1", "timestamp": "2025-03-01T09:30:15.123Z",
        "data": {"channel": "telegram", "customer_id": "cu1", "conversation_id": "co1", "message_id": "m1"}}
    assert ": " not in body and ", " not in body  # compact: what is signed is what is sent


def test_ids_an_event_lacks_are_null_so_each_type_keeps_one_schema() -> None:
    bare = Event.model_validate({"id": "customer.created:cu1", "type": "customer.created", "customer_id": "cu1"})
    assert json.loads(payloads.body(bare))["data"] == {"customer_id": "cu1", "conversation_id": None,
                                                       "message_id": None}


def test_keys_that_name_secrets_are_left_out_at_any_depth() -> None:
    body = json.loads(payloads.body(event(reason="blocked", token="t0k", nested={"api_key": "k", "ok": [
        {"Password": "p", "kept": 1}]})))
    assert body["data"]["reason"] == "blocked" and "token" not in body["data"]
    assert body["data"]["nested"] == {"ok": [{"kept": 1}]}


def test_the_event_ids_win_over_same_named_event_data() -> None:
    assert json.loads(payloads.body(event(customer_id="forged")))["data"]["customer_id"] == "cu1"


def test_non_ascii_text_is_sent_as_utf8_not_escaped() -> None:
    assert "Где мой заказ" in payloads.body(event(text="Где мой заказ"))


@pytest.mark.parametrize("kind", get_args(EventType))
def test_every_published_event_type_builds_a_body(kind: str) -> None:
    assert json.loads(payloads.body(event(kind)))["type"] == kind
