"""Issue 15: a pressed button's payload never switches a Russian conversation to English.

Before: the web chat's «Оператор» sends the text `human` (Telegram's callback data likewise); the NLU and
the letters read it as English, so the bot answered «Connecting you to an operator…» in a Russian chat.
Now connectors mark a button press, and a button press keeps the conversation's language.
"""

from __future__ import annotations

import json
from pathlib import Path

from bots.participant import turns_for
from connectors import webchat
from dialogs.engine import DialogState, step
from dialogs.loader import load_flows
from dialogs.testing import StubActions
from hub.stores.dialog_state import SavedDialogState
from models.customers import Customer
from models.ids import ConversationId, CustomerId
from models.messages import Message
from models.nlu import IntentScore, ParseResult

FLOWS = Path(__file__).resolve().parents[2] / "dialogs" / "flows"
SAVED = SavedDialogState(conversation_id=ConversationId("c1"), version=2, turn_key="earlier")


async def test_the_operator_button_in_a_russian_web_chat_is_answered_in_russian() -> None:
    body = json.dumps({"client_id": "abc12345", "text": "human", "button": "Оператор"}).encode()
    msg = webchat.parse_inbound(body, "visitor-1")
    stored = Message.from_inbound(msg, ConversationId("c1"), CustomerId("u1"))
    stored.nlu = ParseResult(text="human", intent="human_request", confidence=0.93, language="en", engine="builtin",
                             ranking=[IntentScore(name="human_request", confidence=0.93)])
    [turn] = turns_for(msg, stored, Customer(), SAVED)
    assert turn.language is None and turn.button_press

    result = await step(load_flows(FLOWS), DialogState(language="ru"), turn, StubActions(set(), {}))

    assert result.handover is not None
    assert "Соединяю с оператором" in result.text and "Connecting" not in result.text
    assert result.state.language == "ru"


async def test_typed_english_still_switches_the_language() -> None:
    body = json.dumps({"client_id": "abc12346", "text": "I want a human"}).encode()
    msg = webchat.parse_inbound(body, "visitor-1")
    stored = Message.from_inbound(msg, ConversationId("c1"), CustomerId("u1"))
    [turn] = turns_for(msg, stored, Customer(), SAVED)
    assert turn.language == "en" and not turn.button_press
