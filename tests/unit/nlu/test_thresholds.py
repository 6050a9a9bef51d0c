"""Choosing the threshold on held-out data with a cap on confidently wrong answers."""

from __future__ import annotations

from models.nlu import OUT_OF_SCOPE
from nlu.thresholds import choose_threshold, confidently_wrong

# (predicted, confidence, truth): wrong answers sit at 0.55 and 0.65, right ones above and below them.
HELD = [("a", 0.95, "a"), ("a", 0.9, "a"), ("b", 0.85, "b"), ("b", 0.65, "a"), ("a", 0.55, "b"),
        ("b", 0.5, "b"), ("a", 0.45, OUT_OF_SCOPE), ("b", 0.3, OUT_OF_SCOPE), ("a", 0.7, "a"), ("b", 0.75, "b")]
PRED, CONF, TRUTH = ([row[i] for row in HELD] for i in range(3))


def test_the_confidently_wrong_rate_counts_answers_above_the_threshold_with_the_wrong_topic() -> None:
    assert confidently_wrong(PRED, CONF, TRUTH, 0.6) == 0.1
    assert confidently_wrong(PRED, CONF, TRUTH, 0.7) == 0.0


def test_the_cap_raises_the_threshold_above_the_confident_mistakes() -> None:
    free = choose_threshold(PRED, CONF, TRUTH)
    capped = choose_threshold(PRED, CONF, TRUTH, max_wrong=0.0)
    assert free < 0.55 < 0.65 < capped
    assert confidently_wrong(PRED, CONF, TRUTH, capped) == 0.0


def test_without_out_of_scope_truth_the_default_stands() -> None:
    assert choose_threshold(["a"], [0.9], ["a"], max_wrong=0.0) == 0.5
