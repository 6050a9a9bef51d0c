"""`nlu check`: thin intents, near-duplicates, collisions across intents and language imbalance, each with
file:line; cross-intent repeats and one-language intents are errors."""

from __future__ import annotations

from nlu.data_check import ERROR, WARNING, check, key
from nlu.rasa_yaml import load_text

DATA = """version: "3.1"
nlu:
- intent: order_status
  examples: |
    - где мой заказ
    - где мой заказ?!
    - когда привезут покупки
    - where is my order
- intent: delivery_problem
  examples: |
    - курьер не приехал
    - Где мой заказ.
    - курьер не приехал вовремя, жду
- intent: greet
  examples: |
    - привет
"""


def findings() -> list[tuple[str, str, str]]:
    data = load_text(DATA, "nlu/data/x.yml")
    return [(f.level, f.source, f.message) for f in check(data, min_examples=3)]


def test_the_same_text_under_two_intents_is_an_error_naming_both_places() -> None:
    errors = [f for f in findings() if f[0] == ERROR and "same text" in f[2]]
    assert [(source, "nlu/data/x.yml:5" in message) for _, source, message in errors] == [("nlu/data/x.yml:12", True)]


def test_an_intent_in_one_language_only_is_an_error() -> None:
    missing = {m for level, _, m in findings() if level == ERROR and "has no" in m}
    assert missing == {"intent 'delivery_problem' has no en examples", "intent 'greet' has no en examples"}


def test_near_duplicates_inside_an_intent_are_warnings() -> None:
    near = [(s, m) for level, s, m in findings() if level == WARNING and "nearly repeats" in m]
    assert ("nlu/data/x.yml:6", "'где мой заказ?!' nearly repeats 'где мой заказ' at nlu/data/x.yml:5 (1.00): "
            "vary the wording") in near


def test_thin_intents_and_imbalance_are_warnings_at_the_intents_first_example() -> None:
    warnings = {(s, m) for level, s, m in findings() if level == WARNING}
    assert ("nlu/data/x.yml:8", "intent 'order_status' is thin in en: 1 examples (aim for 3+)") in warnings
    assert ("nlu/data/x.yml:8", "intent 'order_status' is out of balance: ru 3, en 1") in warnings
    assert ("nlu/data/x.yml:16", "intent 'greet' is thin in ru: 1 examples (aim for 3+)") in warnings


def test_errors_come_first() -> None:
    levels = [level for level, _, _ in findings()]
    assert levels == sorted(levels, key=lambda level: level != ERROR)


def test_the_key_ignores_case_yo_and_punctuation() -> None:
    assert key("Ещё  ГДЕ заказ?!") == key("еще где заказ") == "еще где заказ"
