"""Sentence vectors (the `embeddings` extra: MiniLM for English, navec for Russian) fused with the n-grams."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu import language
from nlu.artefacts import NluModel
from nlu.classifier import ClassifierConfig, IntentClassifier
from nlu.encoder import MAX_TOKENS, SentenceEncoder, load_encoder
from nlu.training_data import TrainingData

pytest.importorskip("onnxruntime", reason="the embeddings extra is not installed")

RUSSIAN = ["где мой заказ 4512", "курьером недоволен", "хочу вернуть деньги за молоко", "позовите оператора"]


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    """The machine's cached encoder (built on first use)."""
    found = load_encoder()
    if found is None:
        pytest.skip("the MiniLM weights package is not installed")
    return found


@pytest.fixture(scope="module")
def plain(retail_data: TrainingData) -> IntentClassifier:
    """The n-gram model alone on the retail data."""
    config = ClassifierConfig(embedding_layers=None, russian_vectors=False)
    return IntentClassifier(config).fit(*retail_data.texts_and_labels())


def test_vectors_are_unit_length_and_paraphrases_are_closer_than_unrelated_text(encoder: SentenceEncoder) -> None:
    money, balance, music = encoder.embed(
        ["how much money do I have in my account", "what is my bank balance", "play some jazz music"])
    assert np.allclose([np.linalg.norm(v) for v in (money, balance, music)], 1.0, atol=1e-3)
    assert money @ balance > money @ music + 0.2


def test_a_text_gets_the_same_vector_alone_as_among_others(encoder: SentenceEncoder) -> None:
    text = "my parcel never arrived"
    alone = encoder.embed([text])[0]
    among = encoder.embed(["hello there", text, "the app crashes when I pay"])[1]
    assert np.allclose(alone, among, atol=1e-6)


def test_the_encoder_travels_inside_a_pickled_model(encoder: SentenceEncoder) -> None:
    clone = pickle.loads(pickle.dumps(encoder))
    assert clone.name == encoder.name
    assert np.allclose(clone.embed(["where is my order"]), encoder.embed(["where is my order"]), atol=1e-6)


def test_the_trained_model_names_its_encoders(retail_model: NluModel, encoder: SentenceEncoder) -> None:
    assert f"en: {encoder.name}" in retail_model.metadata.encoder
    assert "ru: ru_e5_words" in retail_model.metadata.encoder
    assert {r.language for r in retail_model.classifier.readers} == {"en", "ru"}


def test_each_language_is_read_by_its_own_vectors_only(retail_model: NluModel) -> None:
    texts = ["where is my order", "где мой заказ"]
    for reader in retail_model.classifier.readers:
        vectors = reader.vectors(texts)
        assert vectors is not None
        own = texts.index(texts[0] if reader.language == "en" else texts[1])
        assert np.linalg.norm(vectors[own]) == pytest.approx(1.0, abs=1e-3)
        assert not vectors[1 - own].any()


def test_english_scores_include_the_sentence_vectors(retail_model: NluModel, plain: IntentClassifier) -> None:
    text = "the courier was rude and the parcel came two days late"
    fused_scores = retail_model.classifier.scores([text])[0]
    assert not np.allclose(fused_scores, plain.scores([text])[0])
    assert retail_model.classifier.rank(text)[0][0] == "delivery_problem"


def test_without_the_runtime_a_model_falls_back_to_its_ngrams(retail_model: NluModel,
                                                              plain: IntentClassifier) -> None:
    clone = pickle.loads(pickle.dumps(retail_model.classifier))
    for reader in clone.readers:  # what a machine without onnxruntime or navec ends up with
        reader.encoder = SentenceEncoder(b"", "{}", "unavailable")
        assert not reader.encoder.ready()
    for text in ["where is my order", "the app keeps crashing", *RUSSIAN]:
        assert [n for n, _ in clone.rank(text)] == [n for n, _ in plain.rank(text)], text


def test_one_text_scores_the_same_by_the_fast_path_and_the_batch_path(retail_model: NluModel) -> None:
    classifier = retail_model.classifier
    texts = ["where is my order 4512", "кассир нахамил", "promo code does not work", "?"]
    batch = classifier.scores(texts)
    for text, row in zip(texts, batch, strict=True):
        ranked = dict(classifier.rank(text))
        temperature = classifier.temperatures.get(language.detect(text), classifier.temperature)
        probs = np.exp((row - row.max()) / temperature)
        probs /= probs.sum()
        assert np.allclose([ranked[label] for label in classifier.labels], probs, atol=1e-5), text


HARD = [
    "Subject: Payment page error\n\nHello, when I try to pay for my order on the website the page just spins and "
    "then says something went wrong, I have tried three different cards and two browsers, please help, " * 3,
    "a, b. c! d? e; f: g - h ... i (j) k [l] m {n} o / p \\ q | r " * 4, "ｆｕｌｌ ｗｉｄｔｈ ü é ñ " * 12,
    "short one", "", "??? !!! ...", "\t \n\r  ", "x\x1cy\x1fz\x85w\u2028v\u00a0u\u3000t", "中文字符 and 日本語",
    "İstanbul ΣΟΦΟΣ straße ﬁne Ǆ", "a" * 150 + " b", "e\u0301 \u0301e \u200bzero\u200dwidth", "don't \"quote\" it's",
]


@pytest.mark.parametrize("text", HARD)
@pytest.mark.parametrize("cap", [20, 64, 3])
def test_ids_put_together_from_chunks_are_the_tokenizers_own(encoder: SentenceEncoder, text: str,
                                                              cap: int) -> None:
    assert encoder.ready()
    tokenizer = encoder._tokenizer
    tokenizer.enable_truncation(cap)
    try:
        assert encoder.ids(text) == tokenizer.encode(text).ids
        assert encoder.ids(text) == tokenizer.encode(text).ids  # the chunks' ids now from the cache
    finally:
        tokenizer.enable_truncation(MAX_TOKENS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["order", "refund", " ", "\n", "\t", ",", "ü", "中", "\x1c", "\u00a0", "##",
                                 "[CLS]", "can't"]) | st.text(max_size=5), max_size=30).map("".join))
def test_ids_are_the_tokenizers_on_any_text(encoder: SentenceEncoder, text: str) -> None:
    assert encoder.ready()
    assert encoder.ids(text) == encoder._tokenizer.encode(text).ids
