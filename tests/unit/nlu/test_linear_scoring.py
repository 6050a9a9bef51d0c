"""The one-message fast path gives the same scores as scikit-learn's batch path."""

from __future__ import annotations

import numpy as np

from nlu.classifier import ClassifierConfig, IntentClassifier
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
