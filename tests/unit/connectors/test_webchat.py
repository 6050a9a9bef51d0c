"""The web-chat connector on its own: session cookies, the page's JSON (typed text and pressed buttons), the
session-scoped message ids that keep one visitor's history from another's, and the sender's broadcast."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from connectors import webchat
from hub.bus.base import BusPolicy
from hub.bus.memory import MemoryBus
from models.channels import Channel
from models.errors import PayloadError, SignatureError
from models.ids import ConversationId, CustomerId
from models.messages import AuthorKind, Button, Direction, Message, OutboundMessage

KEY = "test-secret-key-0123456789"


def test_a_signed_visitor_round_trips_and_a_forged_or_missing_cookie_is_refused() -> None:
    visitor = webchat.new_visitor()
    assert webchat.verify_visitor(webchat.sign_visitor(visitor, KEY), KEY) == visitor
    for cookie in (None, "", visitor, webchat.sign_visitor(visitor, "another-key-0123456789"),
                   f"{visitor}.{'0' * 64}", "." + webchat.sign_visitor(visitor, KEY).split(".")[1]):
        with pytest.raises(SignatureError):
            webchat.verify_visitor(cookie, KEY)


def test_a_typed_message_is_named_inside_the_visitors_session() -> None:
    message = webchat.parse_inbound(json.dumps({"client_id": "abc12345", "text": "Где заказ?",
                                                "contact": {"email": "a@example.ru"}}).encode(), "visitor-1")
    assert (message.channel, message.account_id, message.external_user_id) == (Channel.WEBCHAT, "web", "visitor-1")
    assert message.external_id == "visitor-1:abc12345" and message.text == "Где заказ?"
    assert message.contact.email == "a@example.ru" and message.raw == {}


def test_a_pressed_button_sends_its_payload_as_text_and_keeps_its_title() -> None:
    body = json.dumps({"client_id": "abc12345", "text": "human", "button": "Оператор"}).encode()
    message = webchat.parse_inbound(body, "visitor-1")
    assert message.text == "human" and message.raw == {"button": "Оператор"}
    assert message.button_press
    stored = Message.from_inbound(message, ConversationId("c1"), CustomerId("u1"))
    shown = webchat.page_message(stored, "visitor-1")
    assert shown is not None
    assert (shown.text, shown.button, shown.client_id, shown.direction) == ("human", "Оператор", "abc12345", "inbound")


@pytest.mark.parametrize(("body", "reason"), [
    (b"{", "Invalid JSON"),
    (b'{"client_id": "short", "text": "hi"}', "client_id"),
    (b'{"client_id": "abc12345", "text": "   "}', "text: empty message"),
    (b'{"client_id": "abc12345", "text": "hi", "button": ""}', "button"),
    (b'{"client_id": "abc12345", "text": "hi", "html": "<b>"}', "html"),
])
def test_bad_page_json_is_refused_with_a_reason(body: bytes, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        webchat.parse_inbound(body, "visitor-1")


@given(st.binary(max_size=300))
def test_any_body_parses_or_is_refused_with_a_payload_error(body: bytes) -> None:
    try:
        message = webchat.parse_inbound(body, "visitor-1")
    except PayloadError:
        return
    assert message.external_id.startswith("visitor-1:")


def stored(external_id: str | None, direction: Direction = Direction.OUTBOUND, **fields: object) -> Message:
    """A stored web-chat message."""
    return Message.model_validate({
        "conversation_id": "c1", "customer_id": "u1", "direction": direction, "author": AuthorKind.BOT,
        "channel": Channel.WEBCHAT, "account_id": "web", "external_id": external_id, "text": "ответ", **fields})


def test_a_page_sees_only_messages_of_its_own_session() -> None:
    assert webchat.page_message(stored("visitor-1:m1"), "visitor-1") is not None
    assert webchat.page_message(stored("visitor-2:m1"), "visitor-1") is None  # the same customer, another session
    assert webchat.page_message(stored("visitor-10:m1"), "visitor-1") is None  # a prefix of an id is not the id
    assert webchat.page_message(stored(None), "visitor-1") is None  # not sent yet: it comes live
    assert webchat.page_message(stored("visitor-1:n1", Direction.INTERNAL), "visitor-1") is None
    other_channel = stored("visitor-1:m1", channel=Channel.API)
    assert webchat.page_message(other_channel, "visitor-1") is None


def test_operators_are_shown_by_their_first_name() -> None:
    shown = webchat.page_message(stored("v:m1", author=AuthorKind.OPERATOR, author_name="Анна Петрова"), "v")
    assert shown is not None and shown.author_name == "Анна"
    assert webchat.shown_name("  ") is None and webchat.shown_name(None) is None


async def test_the_sender_broadcasts_to_the_visitors_page_and_names_the_message_in_their_session() -> None:
    bus = MemoryBus(BusPolicy(max_attempts=1))
    out = OutboundMessage(conversation_id=ConversationId("c1"), customer_id=CustomerId("u1"), channel=Channel.WEBCHAT,
                          account_id="web", recipient="visitor-1", text="Выберите тему",
                          author=AuthorKind.OPERATOR, author_name="Анна Петрова",
                          buttons=[Button(title="Оператор", payload="human")], idempotency_key="k1")
    async with bus.subscribe(webchat.topic("visitor-1")) as live, bus.subscribe(webchat.topic("visitor-2")) as other:
        receipt = await webchat.WebChatSender(bus).send(out)
        page = json.loads(await anext(aiter(live)))
        with pytest.raises(TimeoutError):  # another visitor's page hears nothing
            await asyncio.wait_for(anext(aiter(other)), 0.05)
    assert receipt.external_id == f"visitor-1:{out.id}"
    assert page == {"id": out.id, "client_id": None, "conversation_id": "c1", "direction": "outbound",
                    "author": "operator", "author_name": "Анна", "text": "Выберите тему", "button": None,
                    "buttons": [{"title": "Оператор", "payload": "human"}]}
