"""The Russian word table distilled from multilingual-e5-small: shipped, found by word or by stem, picklable
by name, and close for words of one topic."""

from __future__ import annotations

import pickle

import numpy as np

from nlu.static_vectors import TABLE, StaticWordEncoder, load_static_vectors


def test_the_table_ships_with_the_code_and_loads() -> None:
    assert TABLE.is_file()
    encoder = load_static_vectors()
    assert encoder is not None and encoder.ready()


def test_texts_become_unit_vectors_and_unknown_texts_zero() -> None:
    vectors = StaticWordEncoder().embed(["где мой заказ", "qwzx", ""])
    assert vectors.shape == (3, 384)
    assert np.isclose(np.linalg.norm(vectors[0]), 1.0, atol=1e-3)
    assert not vectors[1].any() and not vectors[2].any()


def test_a_form_missing_from_the_table_is_found_by_its_stem() -> None:
    encoder = StaticWordEncoder()
    assert encoder.ready() and encoder._table is not None
    index, _, _ = encoder._table
    assert "заказами" not in index and "заказ" in index
    assert StaticWordEncoder().embed(["заказами"])[0].any()


def test_words_of_one_topic_are_closer_than_words_of_another() -> None:
    courier, delivery, promo = StaticWordEncoder().embed(["курьер опоздал", "доставка задерживается",
                                                          "скидка по купону"])
    assert float(courier @ delivery) > float(courier @ promo)


def test_it_pickles_by_file_name_not_by_content() -> None:
    encoder = StaticWordEncoder()
    encoder.ready()
    blob = pickle.dumps(encoder)
    assert len(blob) < 500
    assert pickle.loads(blob).embed(["где заказ"]).any()


def test_a_missing_table_leaves_russian_to_the_ngrams(tmp_path: object) -> None:
    from pathlib import Path

    encoder = StaticWordEncoder(Path(str(tmp_path)) / "missing.npz")
    assert not encoder.ready()
    assert encoder.embed(["где заказ"]).shape == (1, 1)
