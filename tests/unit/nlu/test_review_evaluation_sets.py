"""The review reader's evaluation sets: they load with file:line, are big enough, use known topics, and copy
nothing from the reader's own examples or from the NLU's training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.evaluation_sets import squeezed, tokens
from nlu.reviews.evaluation import EVALUATION, LabelledReview, load_all, load_labelled, report, score
from nlu.training_data import TrainingData

EXAMPLES = Path(__file__).resolve().parents[3] / "nlu" / "reviews" / "data" / "examples.yml"
MINIMUM = {"ru": 300, "en": 100}
REVIEW_TOPICS = {"cleanliness", "queues", "assortment"}


@pytest.fixture(scope="module")
def reviews() -> list[LabelledReview]:
    return load_all(EVALUATION)


def test_sets_are_big_enough_per_language(reviews: list[LabelledReview]) -> None:
    for language, minimum in MINIMUM.items():
        assert sum(1 for r in reviews if r.language == language) >= minimum, language


def test_topics_are_the_nlu_topics_or_review_only_ones(reviews: list[LabelledReview],
                                                       retail_data: TrainingData) -> None:
    known = set(retail_data.intents) | REVIEW_TOPICS
    unknown = [f"{r.source}: {t}" for r in reviews for t in r.topics if t not in known]
    assert not unknown, "\n".join(unknown)
    for language in MINIMUM:
        assert {t for r in reviews if r.language == language for t in r.topics} >= REVIEW_TOPICS


def test_no_review_copies_training_material(reviews: list[LabelledReview], retail_data: TrainingData) -> None:
    material = [(r.source, r.text) for r in load_labelled(EXAMPLES)]
    material += [(e.source, e.text) for e in retail_data.examples]
    exact = {squeezed(text): source for source, text in material}
    words = [(source, tokens(text)) for source, text in material]
    found = []
    for review in reviews:
        if (same := exact.get(squeezed(review.text))) is not None:
            found.append(f"{review.source} equals {same}")
            continue
        mine = tokens(review.text)
        for source, theirs in words:
            if mine and len(mine & theirs) / len(mine | theirs) >= 0.8:
                found.append(f"{review.source} is near {source}")
    assert not found, "\n".join(found)


def test_a_bad_row_is_named_by_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "xx.yml"
    bad.write_text("language: ru\nreviews:\n- {r: 1, s: neg, t: [], text: 'ок'}\n- {r: 1, s: meh, text: 'x'}\n",
                   encoding="utf-8")
    with pytest.raises(ValueError, match=rf"{bad}:4: needs s"):
        load_labelled(bad)


def test_scoring_prints_one_row_per_language(reviews: list[LabelledReview]) -> None:
    lines = report(score(reviews))
    assert [line.split()[0] for line in lines[1:3]] == ["en", "ru"] and lines[3].startswith("topic F1:")
