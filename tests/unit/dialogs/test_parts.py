"""The engine's parts: variables in texts, answers by entity shape, conditions and business hours."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dialogs.conditions import Facts, holds, in_business_hours
from dialogs.model import Ask, BusinessHours, Condition, Text
from dialogs.templates import render, render_value, variables
from dialogs.validation import answer
from tests.unit.dialogs.helpers import parse

SLOTS = {"order_id": "104512", "order": {"status": "в пути", "items": ["молоко", "хлеб"]}, "vip": True, "n": 3}
CUSTOMER = {"name": "Анна", "segment": "gold"}
TODAY = date(2026, 11, 25)


def test_variables_fields_customer_and_literal_braces() -> None:
    template = "{customer.name}, заказ {order_id}: {order.status} ({order.items}); {{не переменная}} {missing}."
    assert render(template, SLOTS, CUSTOMER) == "Анна, заказ 104512: в пути (молоко, хлеб); {не переменная} ."
    assert variables(template) == ["customer.name", "order_id", "order.status", "order.items", "missing"]


def test_an_argument_of_one_variable_keeps_its_value() -> None:
    assert render_value("{order}", SLOTS, CUSTOMER) == SLOTS["order"]
    assert render_value("{n}", SLOTS, CUSTOMER) == 3
    assert render_value("заказ {order_id}", SLOTS, CUSTOMER) == "заказ 104512"
    assert render_value(["{n}", {"who": "{customer.segment}"}, 7], SLOTS, CUSTOMER) == [3, {"who": "gold"}, 7]


@pytest.mark.parametrize(("entity", "said", "value"), [
    ("order_id", "104512", "104512"), ("order_id", "№ AB-104512", "AB104512"), ("order_id", "12", None),
    ("store_id", "118", "118"), ("store_id", "магазин 118", "118"), ("store_id", "сто восемнадцать", None),
    ("loyalty_card", "2000 1234 5678", "200012345678"), ("phone", "8 (999) 123-45-67", "+79991234567"),
    ("email", "Anna@Example.com", "anna@example.com"), ("date", "вчера", "2026-11-24"),
    ("date", "24.11.2026", "2026-11-24"), ("amount", "1 200 руб", "1200.00 RUB"), ("date", "не помню", None),
])
def test_a_bare_answer_of_the_entitys_shape(entity: str, said: str, value: str | None) -> None:
    ask = Ask(slot="x", text=Text("?"), entity=entity)
    assert answer(ask, said, None, TODAY) == value


def test_the_nlu_entity_wins_and_a_regex_must_match_the_whole_answer() -> None:
    ask = Ask(slot="x", text=Text("?"), entity="city")
    assert answer(ask, "в Казани", parse("в Казани", city="Казань"), TODAY) == "Казань"
    assert answer(ask, "в Казани", None, TODAY) is None
    code = Ask(slot="x", text=Text("?"), regex=r"[A-Z]{4}\d{2}")
    assert answer(code, " SALE20 ", None, TODAY) == "SALE20" and answer(code, "SALE20!", None, TODAY) is None
    assert answer(Ask(slot="x", text=Text("?")), "  что угодно ", None, TODAY) == "что угодно"
    assert answer(Ask(slot="x", text=Text("?")), "   ", None, TODAY) is None


FACTS = Facts(slots=SLOTS, customer=CUSTOMER, channel="telegram", language="ru", business_hours=True)


@pytest.mark.parametrize(("condition", "expected"), [
    ({"slot": "order.status", "is": "В ПУТИ"}, True), ({"slot": "order.status", "is_not": "в пути"}, False),
    ({"slot": "n", "in": [1, 2, 3]}, True), ({"slot": "n", "above": 2}, True), ({"slot": "n", "below": 3}, False),
    ({"slot": "order_id", "matches": "^10"}, True), ({"slot": "missing"}, False),
    ({"slot": "missing", "filled": False}, True), ({"customer": "segment", "in": ["gold"]}, True),
    ({"channel": ["viber", "telegram"]}, True), ({"language": "en"}, False), ({"business_hours": True}, True),
    ({"slot": "vip", "is": True}, True), ({"slot": "n", "is": "3"}, True), ({"slot": "n", "is": "три"}, False),
    ({"slot": "order_id", "is": 104512}, True), ({"slot": "vip", "is": "true"}, False),
])
def test_conditions(condition: dict[str, object], expected: bool) -> None:
    assert holds(Condition.model_validate(condition), FACTS) is expected


def test_a_condition_needs_one_subject_and_one_test() -> None:
    for bad in ({"slot": "a", "channel": "x"}, {"slot": "a", "is": 1, "in": [1]}, {"channel": "x", "is": "y"}, {}):
        with pytest.raises(ValueError, match=r"condition|test|directly"):
            Condition.model_validate(bad)


def test_business_hours_in_the_stores_time_zone_and_past_midnight() -> None:
    weekdays = BusinessHours(timezone="Europe/Moscow", open="09:00", close="21:00", days=["mon", "tue", "wed"])
    assert in_business_hours(weekdays, datetime(2026, 11, 25, 6, 0, tzinfo=UTC))  # Wed 09:00 in Moscow
    assert not in_business_hours(weekdays, datetime(2026, 11, 25, 5, 59, tzinfo=UTC))
    assert not in_business_hours(weekdays, datetime(2026, 11, 26, 10, 0, tzinfo=UTC))  # Thursday
    night = BusinessHours(open="20:00", close="02:00")
    assert in_business_hours(night, datetime(2026, 11, 25, 22, 30, tzinfo=UTC))  # 01:30 in Moscow
    assert not in_business_hours(night, datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
