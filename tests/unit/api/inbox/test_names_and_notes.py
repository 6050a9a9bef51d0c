"""What an operator reads about a shopper: a name or a contact they recognise, never a random session id."""

from __future__ import annotations

from api.inbox.conversation_view import _unnamed
from api.inbox.rows import display_name
from dialogs.summary import note
from models.customers import Customer, Identity, IdentityKind

VISITOR = Identity(kind=IdentityKind.WEBCHAT, value="r3YKBUlGg6ApCqjZ-EMjg")


def test_an_anonymous_visitor_has_no_display_name_rather_than_their_session_id() -> None:
    assert display_name(Customer(identities=[VISITOR])) == ""


def test_a_phone_or_email_is_shown_when_there_is_no_name() -> None:
    phone = Identity(kind=IdentityKind.PHONE, value="+79161234567")
    assert display_name(Customer(identities=[VISITOR, phone])) == "+79161234567"
    assert display_name(Customer(name="Мария", identities=[VISITOR, phone])) == "Мария"


def test_a_canned_greeting_without_a_name_greets_without_one() -> None:
    assert _unnamed("Здравствуйте, {name}! Меня зовут {operator}.", "") == "Здравствуйте! Меня зовут {operator}."
    assert _unnamed("Здравствуйте, {name}!", "Мария") == "Здравствуйте, {name}!"


def test_the_handover_note_shows_a_lookup_by_its_telling_fields_not_as_json() -> None:
    data = {"topic": "general", "reason": "human_request", "flow": "greeting", "last_messages": [],
            "slots": {"store": {"ok": True, "store_id": "118", "store_name": "Тверская, 8", "hours": "08:00-23:00"}}}
    text = note("", data, "ru")
    assert "  store: Тверская, 8" in text.splitlines() and "{" not in text
