"""The English word table option (MiniLM distilled, bench/distil_words_en.py): read like the Russian one,
named after its source, and absent without harm (English then falls back to the n-grams, logged)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nlu import classifier, language
from nlu.classifier import ClassifierConfig
from nlu.static_vectors import ENGLISH_TABLE, StaticWordEncoder, load_static_vectors


def test_a_table_in_the_distillers_format_gives_unit_vectors_by_word_and_stem(tmp_path: Path) -> None:
    path = tmp_path / ENGLISH_TABLE.name
    rng = np.random.default_rng(3)
    np.savez_compressed(path, words=np.array(["order", "parcel", "coupon"]),
                        vectors=rng.normal(size=(3, 384)).astype(np.float16))
    encoder = load_static_vectors(path)
    assert encoder is not None and "all-MiniLM-L6-v2" in encoder.name
    found = encoder.embed(["where is my order", "two orders", "zzz"])
    assert np.isclose(np.linalg.norm(found[0]), 1.0, atol=1e-3)
    assert found[1].any()  # "orders" is not in the table; its stem "order" is
    assert not found[2].any()


def test_without_the_table_english_is_read_by_the_ngrams_alone(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(classifier, "ENGLISH_TABLE", tmp_path / "missing.npz")
    readers = ClassifierConfig(english_encoder="words").readers()
    assert language.ENGLISH not in {r.language for r in readers}
    assert load_static_vectors(tmp_path / "missing.npz") is None
    assert not StaticWordEncoder(tmp_path / "missing.npz").ready()
