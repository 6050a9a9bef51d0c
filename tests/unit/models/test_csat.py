"""Reading a shopper's message as a rating: a button's payload or one typed digit, nothing looser."""

from __future__ import annotations

import pytest

from models.csat import Reading, button_payload, read_score

CONVERSATION = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("text, score", [("5", 5), (" 1 ", 1), ("4/5", 4), ("5 ⭐", 5), ("3.", 3), ("2!", 2)])
def test_a_typed_digit_is_a_score(text: str, score: int) -> None:
    assert read_score(text) == Reading(score=score)


@pytest.mark.parametrize("text", ["", "0", "6", "10", "45", "5 из 5, но курьер опоздал", "заказ 5", "-1", "²"])
def test_anything_else_is_not_a_score(text: str) -> None:
    assert read_score(text) is None


def test_a_button_payload_names_its_conversation_and_fits_telegram_callback_data() -> None:
    payload = button_payload(CONVERSATION, 2)

    assert read_score(payload) == Reading(score=2, conversation_id=CONVERSATION)
    assert len(payload.encode()) <= 64
    assert read_score(f"csat:{CONVERSATION}:7") is None and read_score("csat:nothex:3") is None
