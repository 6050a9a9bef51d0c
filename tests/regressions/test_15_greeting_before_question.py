"""Issue 15: «Здравствуйте, какой у меня баланс бонусов?» fell back to out_of_scope while the question alone
worked; a greeting before a question must never hide the question (nor an e-mail signature after it)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine

DATA = Path(__file__).resolve().parents[2] / "nlu" / "data"


@pytest.fixture(scope="module")
def engine(nlu_model: Path) -> BuiltinEngine:
    """The builtin engine on the session's model, trained from the shipped data."""
    directory = ModelDirectory(nlu_model)
    served = BuiltinEngine(directory, check_every=0, today=lambda: date(2025, 3, 10))
    served.model = directory.load()
    return served


@pytest.mark.parametrize(("text", "intent"), [
    ("Здравствуйте, какой у меня баланс бонусов?", "loyalty_card"),
    ("какой у меня баланс бонусов?", "loyalty_card"),
    ("Добрый день! Курьер так и не приехал, а деньги списали. С уважением, Ольга", "delivery_problem"),
    ("Hello, what's my points balance?", "loyalty_card"),
    ("zdravstvuyte, gde moi zakaz", "order_status"),
])
async def test_a_greeting_before_the_question_does_not_hide_it(engine: BuiltinEngine, text: str,
                                                               intent: str) -> None:
    result = await engine.parse(text)
    assert (result.intent, result.out_of_scope) == (intent, False), result.ranking[:3]


async def test_a_greeting_alone_is_still_a_greeting(engine: BuiltinEngine) -> None:
    assert (await engine.parse("Здравствуйте!")).intent == "greet"
