"""The lexicon review reader on its own examples (nlu/reviews/data/examples.yml) and on the rules it states."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.reviews import Sentiment
from nlu.reviews.evaluation import LabelledReview, load_labelled
from nlu.reviews.reader import LexiconReviewReader, language_of

EXAMPLES = load_labelled(Path(__file__).resolve().parents[3] / "nlu" / "reviews" / "data" / "examples.yml")
reader = LexiconReviewReader()


@pytest.mark.parametrize("example", EXAMPLES, ids=[e.source.rsplit(":", 1)[1] for e in EXAMPLES])
def test_reads_its_examples(example: LabelledReview) -> None:
    reading = reader.read(example.text, rating=example.rating, language=None)
    assert reading.sentiment is example.sentiment
    assert example.topics <= set(reading.topics)


def test_stars_decide_unless_the_text_clearly_disagrees() -> None:
    assert reader.read("Нормально", rating=1, language="ru").sentiment is Sentiment.NEGATIVE
    assert reader.read("Нормально", rating=5, language="ru").sentiment is Sentiment.POSITIVE
    assert reader.read("Нормально", rating=3, language="ru").sentiment is Sentiment.NEUTRAL
    five_stars_but = "Ужасно грязно, хамство, тухлое мясо"
    assert reader.read(five_stars_but, rating=5, language="ru").sentiment is Sentiment.NEGATIVE


def test_language_is_told_from_the_letters() -> None:
    assert (language_of("Очередь ужас"), language_of("Long queue"), language_of("")) == ("ru", "en", "en")
