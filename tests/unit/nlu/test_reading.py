"""From a ranking to a decision: close calls, further topics in a message, and greetings that never win
over a question."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.nlu import OUT_OF_SCOPE
from nlu.artefacts import NluModel
from nlu.prepare import prepare
from nlu.reading import clauses, read
from nlu.scorecard import load_items

EVALUATION = Path(__file__).resolve().parents[3] / "nlu" / "evaluation"


class Table:
    """A classifier whose rankings are written out: text -> [(intent, confidence)...]."""

    def __init__(self, rankings: dict[str, list[tuple[str, float]]]) -> None:
        self.rankings = rankings

    def rank(self, text: str) -> list[tuple[str, float]]:
        return self.rankings.get(text, [(OUT_OF_SCOPE, 0.9), ("greet", 0.1)])

    def tops(self, texts: list[str]) -> list[tuple[str, float]]:
        return [self.rank(text)[0] for text in texts]


def test_a_clear_answer_is_not_a_close_call() -> None:
    reading = read(Table({"где заказ": [("order_status", 0.9), ("delivery_problem", 0.05)]}), "где заказ", 0.5)
    assert (reading.intent, reading.close_call, reading.also) == ("order_status", False, [])


@pytest.mark.parametrize(("ranking", "intent"), [
    ([("order_status", 0.55), ("delivery_problem", 0.40)], "order_status"),  # the top two are close
    ([("order_status", 0.40), ("delivery_problem", 0.30)], OUT_OF_SCOPE),  # below it, but worth asking
])
def test_close_and_middling_readings_ask(ranking: list[tuple[str, float]], intent: str) -> None:
    reading = read(Table({"text": ranking}), "text", 0.5)
    assert (reading.intent, reading.close_call) == (intent, True)
    assert reading.top == "order_status"


def test_a_confident_answer_leaves_the_clauses_unread() -> None:
    text = "курьер опоздал на два часа. Промокод не сработал при оплате"
    table = Table({text: [("delivery_problem", 0.98), ("promo_code", 0.01)],
                   "Промокод не сработал при оплате": [("promo_code", 0.9)]})
    assert read(table, text, 0.5).also == []


def test_far_below_the_threshold_is_handed_over_without_asking() -> None:
    reading = read(Table({"text": [("order_status", 0.2), ("praise", 0.19)]}), "text", 0.5)
    assert (reading.intent, reading.close_call) == (OUT_OF_SCOPE, False)


def test_each_clause_that_names_another_topic_is_noted() -> None:
    text = "курьер опоздал на два часа, а ещё промокод не сработал при оплате"
    table = Table({text: [("delivery_problem", 0.6), ("promo_code", 0.35)],
                   "курьер опоздал на два часа": [("delivery_problem", 0.95)],
                   "промокод не сработал при оплате": [("promo_code", 0.9)]})
    reading = read(table, text, 0.5)
    assert reading.intent == "delivery_problem" and reading.also == [("promo_code", 0.9)]
    assert not reading.close_call, "two topics are not a doubt between them"


def test_an_only_polite_whole_gives_way_to_a_clear_clause_among_its_leading_topics() -> None:
    text = "Добрый день, хочу спросить одно. У меня баллы не начислились за покупку"
    table = Table({text: [("greet", 0.45), ("loyalty_card", 0.4)],
                   "У меня баллы не начислились за покупку": [("loyalty_card", 0.92)]})
    reading = read(table, text, 0.5)
    assert (reading.intent, reading.also) == ("loyalty_card", [])


def test_an_unsure_whole_is_confirmed_by_a_clause_but_never_switched_by_one() -> None:
    text = "several items were missing from my delivery today. Please refund them now"
    table = Table({text: [("delivery_problem", 0.45), ("return_refund", 0.3)],
                   "several items were missing from my delivery today": [("delivery_problem", 0.9)],
                   "Please refund them now": [("return_refund", 0.95)]})
    reading = read(table, text, 0.5)
    assert (reading.intent, reading.confidence) == ("delivery_problem", 0.9)
    assert reading.also == [("return_refund", 0.95)]
    unsure = Table({text: [("delivery_problem", 0.45), ("return_refund", 0.3)],
                    "Please refund them now": [("return_refund", 0.95)]})
    assert read(unsure, text, 0.5).intent == OUT_OF_SCOPE


def test_the_clauses_read_are_those_of_the_question_not_the_quoted_thread_or_signature() -> None:
    text = ("Subject: Re: your order\n\nHi,\nthe driver left my bags at the wrong door.\nAlso my promo code failed."
            "\n\nKind regards, Ann\n\nOn Monday the shop wrote:\n> Your order was delivered today\n> Rate the app")
    asked: list[str] = []

    class Recording(Table):
        def rank(self, text: str) -> list[tuple[str, float]]:
            asked.append(text)
            return [("delivery_problem", 0.6), ("promo_code", 0.3)]

        def tops(self, texts: list[str]) -> list[tuple[str, float]]:
            asked.extend(texts)
            return [(OUT_OF_SCOPE, 0.9) for _ in texts]

    read(Recording({}), text, 0.5)
    assert asked[1:] == ["Re: your order", "the driver left my bags at the wrong door", "Also my promo code failed"]


def test_clauses_split_sentences_and_joined_topics_but_drop_short_bits() -> None:
    assert clauses("Привет! Курьер опоздал на час, и ещё приложение не открывается. Ок") == [
        "Курьер опоздал на час", "приложение не открывается"]
    assert clauses("the driver was late and also my code failed twice") == ["the driver was late",
                                                                          "my code failed twice"]


def test_the_clauses_batch_gives_each_clause_its_own_fast_ranking_exactly(retail_model: NluModel) -> None:
    classifier = retail_model.classifier
    read_any = 0
    for item in load_items(EVALUATION):
        parts = clauses(prepare(item.text))
        if len(parts) > 1:
            read_any += 1
            assert classifier.tops(parts) == [classifier.rank(p, fast=True)[0] for p in parts], item.text
    assert read_any > 100
