"""Entities: built-in extractors, the data's regexes and lookups, synonyms to canonical values."""

from __future__ import annotations

import itertools
import re
from datetime import date

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.nlu import Entity
from nlu import builtin_entities
from nlu.entities import EntityExtractor
from nlu.rasa_yaml import load_text
from nlu.training_data import TrainingData

TODAY = date(2025, 3, 10)
DATA = '''version: "3.1"
nlu:
- synonym: Санкт-Петербург
  examples: |
    - питер
    - спб
- lookup: city
  examples: |
    - Санкт-Петербург
    - Казань
    - Нижний Новгород
- regex: promo
  examples: |
    - \\b[A-Z]{4}\\d{2}\\b
'''


def found(text: str, data: TrainingData | None = None) -> list[tuple[str, str]]:
    extractor = EntityExtractor.from_data(data or TrainingData())
    return [(e.entity, e.canonical) for e in extractor.extract(text, TODAY)]


def one(text: str, entity: str) -> Entity:
    extractor = EntityExtractor.from_data(TrainingData())
    hits = [e for e in extractor.extract(text, TODAY) if e.entity == entity]
    assert len(hits) == 1, hits
    return hits[0]


@pytest.mark.parametrize(("text", "canonical"), [
    ("звоните +7 916 123-45-67", "+79161234567"),
    ("мой номер 8 (916) 123 45 67", "+79161234567"),
    ("call me at +44 20 7946 0958", "+442079460958"),
])
def test_phones_are_normalised_to_e164(text: str, canonical: str) -> None:
    assert one(text, "phone").canonical == canonical


def test_an_email_is_found_and_lowercased() -> None:
    entity = one("пишите на Anna.K@Mail.RU, спасибо", "email")
    assert (entity.value, entity.canonical) == ("Anna.K@Mail.RU", "anna.k@mail.ru")


@pytest.mark.parametrize(("text", "canonical"), [
    ("где заказ № 4512367", "4512367"), ("заказа номер 88120345 нет", "88120345"), ("order #A-77812", "A77812")])
def test_order_numbers_need_the_word_order_nearby(text: str, canonical: str) -> None:
    assert one(text, "order_id").canonical == canonical


def test_a_loyalty_card_number_is_read_without_spaces() -> None:
    assert one("карта лояльности 2000 1234 5678 9012 не работает", "loyalty_card").canonical == "2000123456789012"


@pytest.mark.parametrize(("text", "canonical"), [
    ("списали 1 500 ₽", "1500.00 RUB"), ("стоит 150 руб.", "150.00 RUB"), ("149,90 рублей", "149.90 RUB"),
    ("refund $20", "20.00 USD"), ("30 евро", "30.00 EUR")])
def test_money_amounts_carry_their_currency(text: str, canonical: str) -> None:
    assert one(text, "amount").canonical == canonical


@pytest.mark.parametrize(("text", "canonical"), [
    ("вчера", "2025-03-09"), ("сегодня", "2025-03-10"), ("yesterday", "2025-03-09"), ("2025-02-28", "2025-02-28"),
    ("01.02.2025", "2025-02-01"), ("5 марта", "2025-03-05"), ("on March 5th", "2025-03-05")])
def test_dates_become_iso_dates(text: str, canonical: str) -> None:
    assert one(text, "date").canonical == canonical


def test_an_impossible_date_is_not_a_date() -> None:
    assert found("31.02.2025") == []


@pytest.mark.parametrize("text", ["в магазине 118 грязно", "магазин №118", "store #118"])
def test_store_numbers_need_the_word_store_nearby(text: str) -> None:
    assert one(text, "store_id").canonical == "118"


def test_a_lookup_matches_inflected_forms_and_multiword_values() -> None:
    data = load_text(DATA)
    assert found("магазины в Казани и в Нижнем Новгороде", data) == [
        ("city", "Казань"), ("city", "Нижний Новгород")]


def test_synonyms_give_the_canonical_value_in_any_case_and_form() -> None:
    data = load_text(DATA)
    assert found("Магазин в Питере", data) == [("city", "Санкт-Петербург")]
    assert found("а в СПб?", data) == [("city", "Санкт-Петербург")]


def test_regex_entities_come_from_the_data() -> None:
    assert found("промокод SALE20 не работает", load_text(DATA)) == [("promo", "SALE20")]


def test_entity_offsets_point_at_the_value() -> None:
    text = "Заказ 4512367 привезите в Казань"
    for e in EntityExtractor.from_data(load_text(DATA)).extract(text, TODAY):
        assert text[e.start:e.end] == e.value


@given(st.text(max_size=200))
def test_any_text_gives_non_overlapping_spans_inside_it(text: str) -> None:
    entities = EntityExtractor.from_data(load_text(DATA)).extract(text, TODAY)
    for e in entities:
        assert 0 <= e.start <= e.end <= len(text) and text[e.start:e.end] == e.value
    for a, b in itertools.pairwise(entities):
        assert a.end <= b.start


@given(st.text(alphabet="0123456789 +-()@.abc№заказ#\n", max_size=60))
def test_skipping_extractors_a_text_has_too_few_digits_for_changes_nothing(text: str) -> None:
    every = [hit for extract, _, _ in builtin_entities._EXTRACTORS for hit in extract(text, TODAY)]
    assert builtin_entities.extract_all(text, TODAY) == every


KEYWORDS = ["заказ", "Order", "ОРДЕР", "карта", "CARD", "магазин", "Store", "shop", "руб", "Р.", "RUB", "roubles", "$",
            "usd", "Dollars", "доллар", "€", "EUR", "евро", "мая", "Dec", "march", "вчера", "Today", "№", "#", "@",
            "uſd", "ᲁоллар"]  # the last two: spellings only IGNORECASE sees as "usd" and "доллар"


@given(st.lists(st.sampled_from(KEYWORDS) | st.text(alphabet="0123456789 +-()./,x", max_size=8), max_size=12)
       .map("".join))
def test_skipping_extractors_a_text_has_no_keyword_for_changes_nothing(text: str) -> None:
    every = [hit for extract, _, _ in builtin_entities._EXTRACTORS for hit in extract(text, TODAY)]
    assert builtin_entities.extract_all(text, TODAY) == every


def test_the_keyword_check_sees_every_spelling_the_patterns_ignorecase_matches() -> None:
    letters = {ch for _, _, words in builtin_entities._EXTRACTORS for word in words for ch in word}
    anything = re.compile("[" + re.escape("".join(sorted(letters))) + "]", re.IGNORECASE)
    matching = [chr(point) for point in range(0x110000) if anything.fullmatch(chr(point))]
    assert len(matching) > len(letters)  # "ſ" is an "s", "K" (Kelvin) a "k"...
    for letter in letters:
        same = re.compile(re.escape(letter), re.IGNORECASE)
        assert all(ch.casefold() == letter for ch in matching if same.fullmatch(ch)), letter


def _matcher(text: str) -> list[tuple[str, int, int]]:
    found = phonenumbers.PhoneNumberMatcher(text, "RU", leniency=phonenumbers.Leniency.VALID)
    return [(m.raw_string, m.start, m.end) for m in found]


@given(st.text(alphabet="0123456789 +-()x.~/ー٣a", max_size=30))
def test_the_phone_pre_check_never_hides_a_number_the_matcher_finds(text: str) -> None:
    assert [(raw, start, end) for _, raw, start, end, _ in builtin_entities._phones(text, TODAY)] == _matcher(text)


def test_every_example_number_of_every_region_passes_the_phone_pre_check() -> None:
    formats = [phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164,
               phonenumbers.PhoneNumberFormat.NATIONAL]
    found = 0
    for region in phonenumbers.SUPPORTED_REGIONS:
        for kind in (phonenumbers.PhoneNumberType.FIXED_LINE, phonenumbers.PhoneNumberType.MOBILE,
                     phonenumbers.PhoneNumberType.UAN):
            number = phonenumbers.example_number_for_type(region, kind)
            if number is None:
                continue
            written = [phonenumbers.format_number(number, f) for f in formats]
            for text in [*written, phonenumbers.format_out_of_country_calling_number(number, "RU")]:
                text = f"call me on {text}, thanks"
                hits = _matcher(text)
                found += bool(hits)
                assert [(raw, start, end) for _, raw, start, end, _ in builtin_entities._phones(text, TODAY)] == hits
    assert found > 1000


def test_a_phone_needs_its_seven_digits_and_a_short_number_is_none() -> None:
    assert found("мой номер 12-34-56") == []
    assert one("Niue: +683 4002", "phone").canonical == "+6834002"
    assert one("из Москвы звоните 8~10 683 4002", "phone").canonical == "+6834002"  # RU's international prefix
