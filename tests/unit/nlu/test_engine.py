"""The builtin engine on the shipped retail data: intents, inflection, out of scope, language, entities."""

from __future__ import annotations

import pytest

from models.nlu import OUT_OF_SCOPE
from nlu.engine import NO_MODEL, BuiltinEngine
from nlu.text import words
from nlu.training_data import TrainingData

# Every word form below is absent from nlu/data (checked by the first test): the stems and character
# n-grams must carry them.
INFLECTED = [
    ("курьером недоволен, заказами вообще не занимаются", "delivery_problem"),
    ("просроченными сырками торгуете", "product_quality"),
    ("ценниками обманываете покупателей", "price_mismatch"),
    ("кассиршей нахамлено", "staff_complaint"),
    ("промокодом воспользоваться не удалось", "promo_code"),
    ("возвратом денег затянули", "return_refund"),
    ("приложением невозможно пользоваться", "app_problem"),
    ("магазинами в городе интересуюсь", "store_info"),
    ("бонусами расплатиться", "loyalty_card"),
    ("кассиры хамят", "staff_complaint"),
]


def test_the_inflected_test_phrases_really_use_unseen_word_forms(retail_data: TrainingData) -> None:
    vocabulary = {w for e in retail_data.examples for w, _, _ in words(e.text)}
    for text, _ in INFLECTED:
        first = words(text)[0][0]
        assert first not in vocabulary, f"{first!r} is in the training data"


@pytest.mark.parametrize(("text", "intent"), INFLECTED)
async def test_russian_word_forms_missing_from_the_data_are_still_classified(
        engine: BuiltinEngine, text: str, intent: str) -> None:
    result = await engine.parse(text)
    assert result.ranking[0].name == intent
    # Answered, or (below the threshold tuned to keep confidently wrong answers rare) asked about.
    assert result.intent == intent or (result.out_of_scope and result.close_call)


@pytest.mark.parametrize(("text", "intent"), [
    ("my parcel still hasn't been delivered, courier is three hours late", "delivery_problem"),
    ("the cashier charged me more than the shelf label", "price_mismatch"),
    ("please connect me with a live operator", "human_request"),
])
async def test_english_is_served_by_the_same_model(engine: BuiltinEngine, text: str, intent: str) -> None:
    result = await engine.parse(text)
    assert (result.intent, result.language) == (intent, "en")


@pytest.mark.parametrize("text", [
    "какой фильм посмотреть с детьми", "how tall is mount everest", "посоветуй сериал про космос",
    "what is the meaning of life"])
async def test_out_of_scope_text_is_not_given_an_intent(engine: BuiltinEngine, text: str) -> None:
    result = await engine.parse(text)
    assert result.out_of_scope and result.intent == OUT_OF_SCOPE
    assert result.ranking, "operators still see what came closest"


async def test_a_result_carries_ranking_entities_language_and_model_version(engine: BuiltinEngine) -> None:
    result = await engine.parse("Где мой заказ № 4512367? Звоните +7 916 123-45-67")
    assert result.intent == "order_status" and result.language == "ru" and result.engine == "builtin"
    assert result.model_version == engine.version != ""
    assert [r.confidence for r in result.ranking] == sorted((r.confidence for r in result.ranking), reverse=True)
    assert result.ranking[0].name == "order_status" and len(result.ranking) == 10
    assert {(e.entity, e.canonical) for e in result.entities} == {("order_id", "4512367"), ("phone", "+79161234567")}


async def test_lookups_and_synonyms_of_the_shipped_data_apply(engine: BuiltinEngine) -> None:
    result = await engine.parse("во сколько закрывается магазин в Питере")
    assert result.intent == "store_info"
    assert [(e.entity, e.canonical) for e in result.entities] == [("city", "Санкт-Петербург")]


async def test_a_configured_threshold_overrides_the_trained_one(engine: BuiltinEngine) -> None:
    engine.threshold = 1.0
    result = await engine.parse("где мой заказ")
    assert result.out_of_scope and result.ranking[0].name == "order_status"


async def test_empty_text_is_out_of_scope(engine: BuiltinEngine) -> None:
    assert (await engine.parse("   ")).out_of_scope


async def test_without_a_trained_model_every_text_is_handed_over(tmp_path: object) -> None:
    from pathlib import Path

    from nlu.artefacts import ModelDirectory

    engine = BuiltinEngine(ModelDirectory(Path(str(tmp_path)) / "none"), check_every=0)
    result = await engine.parse("где мой заказ 4512367")
    assert result.out_of_scope and result.degraded == NO_MODEL
    assert result.language == "ru"
