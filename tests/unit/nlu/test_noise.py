"""Noisy training copies: same topic words, misspelt; deterministic; originals kept first."""

from __future__ import annotations

import random
import re

from nlu.noise import noisy, with_noisy_copies


def test_a_noisy_copy_keeps_the_words_roughly_and_is_reproducible() -> None:
    text = "Здравствуйте! Курьер опоздал на три часа, продукты растаяли."
    copies = [noisy(text, random.Random(seed)) for seed in range(20)]
    assert copies == [noisy(text, random.Random(seed)) for seed in range(20)]
    assert any(c != text for c in copies)
    original = set(re.findall(r"\w+", text.lower()))
    kept = []
    for copy in copies:
        assert abs(len(copy) - len(text)) <= 8  # a few edits, not a different message
        kept.append(len(original & set(re.findall(r"\w+", copy.lower()))) / len(original))
    assert 0.5 <= sum(kept) / len(kept) < 1.0  # most words survive, some do not


def test_copies_follow_the_originals_with_their_labels() -> None:
    texts = ["где мой заказ номер 5512", "верните деньги за отменённый заказ"]
    labels = ["order_status", "return_refund"]
    out_texts, out_labels = with_noisy_copies(texts, labels, 2, seed=7)
    assert out_texts[:2] == texts and out_labels[:2] == labels
    assert len(out_texts) == len(out_labels) <= 6
    for text, label in zip(out_texts[2:], out_labels[2:], strict=True):
        assert label == labels[0 if "5512" in text else 1]
    assert with_noisy_copies(texts, labels, 0, seed=7) == (texts, labels)
    assert with_noisy_copies(texts, labels, 2, seed=7) == (out_texts, out_labels)
