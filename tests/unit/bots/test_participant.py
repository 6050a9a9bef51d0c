"""The participant's pure parts: which engine turns a message makes, its language, the customer's attributes."""

from __future__ import annotations

import pytest

from bots.participant import customer_attributes, language_of, turns_for
from hub.stores.dialog_state import SavedDialogState
from models.channels import Channel
from models.customers import Customer
from models.ids import ConversationId, CustomerId
from models.messages import InboundMessage, Message
from models.nlu import ParseResult
from nlu.language import detect

SAVED = SavedDialogState(conversation_id=ConversationId("c1"), version=3, turn_key="earlier")


def inbound(text: str, *, deep_link: str | None = None) -> tuple[InboundMessage, Message]:
    """A Telegram message as the connector gives it and as stored."""
    msg = InboundMessage(channel=Channel.TELEGRAM, account_id="tg", external_user_id="42", external_id="7",
                         text=text, deep_link=deep_link)
    return msg, Message.from_inbound(msg, ConversationId("c1"), CustomerId("u1"))


def reading(text: str, language: str) -> ParseResult:
    """An NLU reading in `language`."""
    return ParseResult(text=text, intent="greet", confidence=0.9, language=language, engine="builtin")


def test_a_new_conversation_starts_with_the_event_then_the_text() -> None:
    msg, stored = inbound("Где мой заказ 4512?")
    turns = turns_for(msg, stored, Customer(name="Анна"), None)
    assert [(t.event, t.text) for t in turns] == [("conversation_started", ""), (None, "Где мой заказ 4512?")]
    assert turns[1].channel == "telegram" and turns[1].customer["name"] == "Анна"


def test_a_later_message_is_one_text_turn() -> None:
    msg, stored = inbound("118")
    assert [(t.event, t.text) for t in turns_for(msg, stored, Customer(), SAVED)] == [(None, "118")]


def test_a_telegram_start_with_a_code_is_the_deep_link_only() -> None:
    msg, stored = inbound("/start complaint", deep_link="complaint")
    turns = turns_for(msg, stored, Customer(), None)
    assert [(t.event, t.deep_link, t.text) for t in turns] == [
        ("conversation_started", None, ""), ("deep_link", "complaint", "")]
    assert {t.language for t in turns} == {None}  # "/start" is Latin but says nothing of the shopper's language
    bare, stored_bare = inbound("/start")
    assert turns_for(bare, stored_bare, Customer(), SAVED) == []


@pytest.mark.parametrize(("text", "nlu_language", "expected"), [
    ("Hello", "ru", "ru"),  # the NLU's reading wins
    ("Здравствуйте", None, "ru"),
    ("Hello there", None, "en"),
    ("Hello there", "unknown", "en"),
    ("104512", None, None),  # nothing to tell by: the conversation keeps its language
])
def test_language_of(text: str, nlu_language: str | None, expected: str | None) -> None:
    _, stored = inbound(text)
    stored.nlu = reading(text, nlu_language) if nlu_language else None
    assert language_of(stored) == expected


def test_customer_attributes_are_the_name_and_scalar_attributes() -> None:
    customer = Customer(name="Ольга", attributes={"segment": "gold", "vip": True, "visits": 7, "tags": ["a"]})
    assert customer_attributes(customer) == {"segment": "gold", "vip": True, "visits": 7, "name": "Ольга"}



@pytest.mark.parametrize("text", ["мой order 123", "order мой заказ", "gde moi zakaz", "Hello", "Привет"])
def test_the_bot_guesses_languages_as_the_nlu_does(text: str) -> None:
    _, stored = inbound(text)
    assert language_of(stored) == detect(text)  # one guesser (nlu/language.py): "мой order 123" is one language
