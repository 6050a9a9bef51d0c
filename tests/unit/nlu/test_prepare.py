"""What the classifier reads: greetings before a question and e-mail sign-offs set aside, Russian in Latin
letters read back into Cyrillic and counted as Russian."""

from __future__ import annotations

import pytest

from nlu import language
from nlu.prepare import prepare, question_part
from nlu.translit import looks_translit, to_cyrillic


@pytest.mark.parametrize(("text", "question"), [
    ("Здравствуйте, какой у меня баланс бонусов?", "какой у меня баланс бонусов?"),
    ("алло да здравствуйте я хотела узнать где мой заказ", "я хотела узнать где мой заказ"),
    ("Добрый день! Оформила заказ 14-го числа. С уважением, Марина", "Оформила заказ 14-го числа"),
    ("Уважаемая служба поддержки, заказ оплачен три дня назад", "заказ оплачен три дня назад"),
    ("Hi there, where is my order? Best regards, John", "where is my order"),
    ("Dear Sir or Madam, my order is late. Sent from my iPhone", "my order is late"),
])
def test_the_greeting_and_the_signature_are_set_aside(text: str, question: str) -> None:
    assert question_part(text) == question


@pytest.mark.parametrize("text", ["привет", "Добрый день!", "hello", "здравствуйте, можно"])
def test_a_message_that_is_only_a_greeting_keeps_it(text: str) -> None:
    assert question_part(text) == text


@pytest.mark.parametrize("text", ["аллергия на молоко в составе", "his order is late", "дайте человека",
                                  "hike boots refund"])
def test_words_that_merely_start_like_a_greeting_stay(text: str) -> None:
    assert question_part(text) == text


@pytest.mark.parametrize(("latin", "cyrillic"), [
    ("gde moi zakaz", "где мои заказ"), ("kogda privezut", "когда привезут"),
    ("zdravstvuyte", "здравствуйте"), ("vernite dengi", "верните денги"), ("moy zakaz", "мой заказ"),
    ("kurer opozdal na 3 chasa", "курер опоздал на 3 часа"),
])
def test_transliteration_is_read_back(latin: str, cyrillic: str) -> None:
    assert looks_translit(latin)
    assert to_cyrillic(latin) == cyrillic


@pytest.mark.parametrize("text", ["where is my order", "do you have a store near me", "hello", "my card is blocked",
                                  "operator please", "promo code"])
def test_english_is_not_mistaken_for_transliteration(text: str) -> None:
    assert not looks_translit(text)
    assert language.detect(text) == language.ENGLISH


def test_transliterated_russian_counts_as_russian_and_is_prepared_in_cyrillic() -> None:
    assert language.detect("kurer ne priehal") == language.RUSSIAN
    assert prepare("zdravstvuyte, kogda privezut zakaz") == "когда привезут заказ"
