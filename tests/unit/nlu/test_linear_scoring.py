"""The one-message fast path gives the same scores as scikit-learn's batch path."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

from nlu.classifier import ClassifierConfig, IntentClassifier
from nlu.linear_scoring import _Block
from nlu.training_data import TrainingData

NGRAMS = ClassifierConfig(embedding_layers=None, russian_vectors=False)
TEXTS = ["где мой заказ 4512", "where is my order", "кассиршей нахамлено!!", "промокод", "?", "zzz qqq"]


def _probabilities(classifier: IntentClassifier, text: str) -> list[float]:
    ranked = dict(classifier.rank(text))
    return [ranked[label] for label in classifier.labels]


def test_ranking_matches_the_batch_scores(retail_data: TrainingData) -> None:
    classifier = IntentClassifier(NGRAMS).fit(*retail_data.texts_and_labels())
    assert np.allclose([_probabilities(classifier, t) for t in TEXTS], classifier.probabilities(TEXTS), atol=1e-6)


def test_a_two_intent_model_ranks_both_sides(retail_data: TrainingData) -> None:
    texts = ["где мой заказ", "статус заказа", "когда привезут заказ", "привет", "здравствуйте", "добрый день"]
    labels = ["order_status"] * 3 + ["greet"] * 3
    classifier = IntentClassifier(NGRAMS).fit(texts * 4, labels * 4)
    assert classifier.rank("где заказ")[0][0] == "order_status"
    assert classifier.rank("привет всем")[0][0] == "greet"
    assert np.allclose([_probabilities(classifier, t) for t in TEXTS], classifier.probabilities(TEXTS), atol=1e-6)


@pytest.mark.parametrize("text", [
    "", "a", "ab", "где мой  заказ\tномер 4512", "Ё-маё,  ЗАКАЗ!!", "x y z", "supercalifragilisticexpialidocious",
    "order #4512 where", "  leading and trailing  ", "ﬁ ǅ İstanbul",
])
def test_per_word_char_ngrams_count_what_sklearn_counts(text: str) -> None:
    corpus = ["где мой заказ", "ё маё заказ номер", "where is my order", "a b c", "istanbul i̇stanbul x y z"]
    vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True).fit(corpus)
    block = _Block(vectorizer, offset=0)
    assert block.per_word
    expected = Counter(vectorizer.vocabulary_[g] for g in vectorizer.build_analyzer()(text)
                       if g in vectorizer.vocabulary_)
    columns, values = block.features(text)
    got = Counter({c: 1 for c in columns})
    assert set(got) == set(expected)
    if expected:  # the same TF-IDF row as sklearn's transform
        row = vectorizer.transform([text]).toarray()[0]
        assert np.allclose(values, row[columns], atol=1e-6)
