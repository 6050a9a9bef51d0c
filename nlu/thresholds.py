"""Choosing the out-of-scope threshold: below it the engine says "out_of_scope" and a person answers."""

from __future__ import annotations

from collections.abc import Sequence

from models.nlu import OUT_OF_SCOPE

DEFAULT_THRESHOLD = 0.5  # when the data has no out-of-scope examples to tune on


def decide(intent: str, confidence: float, threshold: float) -> str:
    """The intent the bot acts on: the prediction, or out_of_scope when unsure."""
    return OUT_OF_SCOPE if intent == OUT_OF_SCOPE or confidence < threshold else intent


IN_SCOPE_WEIGHT = 2.0  # a wrongly rejected question costs an operator a minute; a wrong answer costs less trust


def balanced_score(predicted: Sequence[str], confidence: Sequence[float], truth: Sequence[str],
                   threshold: float) -> float:
    """Weighted mean of in-scope accuracy (a rejection counts as wrong) and out-of-scope recall."""
    in_ok = in_n = oos_ok = oos_n = 0
    for intent, conf, true in zip(predicted, confidence, truth, strict=True):
        said = decide(intent, conf, threshold)
        if true == OUT_OF_SCOPE:
            oos_n += 1
            oos_ok += said == OUT_OF_SCOPE
        else:
            in_n += 1
            in_ok += said == true
    parts = [(w * ok / n, w) for ok, n, w in ((in_ok, in_n, IN_SCOPE_WEIGHT), (oos_ok, oos_n, 1.0)) if n]
    return sum(p for p, _ in parts) / sum(w for _, w in parts) if parts else 0.0


def confidently_wrong(predicted: Sequence[str], confidence: Sequence[float], truth: Sequence[str],
                      threshold: float) -> float:
    """Share of messages answered (at or above the threshold, a real topic) with the wrong topic."""
    wrong = sum(decide(p, c, threshold) not in (OUT_OF_SCOPE, t)
                for p, c, t in zip(predicted, confidence, truth, strict=True))
    return wrong / max(len(truth), 1)


def choose_threshold(predicted: Sequence[str], confidence: Sequence[float], truth: Sequence[str],
                     max_wrong: float | None = None) -> float:
    """The threshold maximising `balanced_score` on held-out data among those that keep the confidently-wrong
    rate at most `max_wrong` (if none does, the one with the fewest); the default without out-of-scope truth."""
    if OUT_OF_SCOPE not in truth or all(t == OUT_OF_SCOPE for t in truth):
        return DEFAULT_THRESHOLD
    candidates = sorted({round(x / 100, 2) for x in range(0, 96)})
    if max_wrong is not None:
        rates = {t: confidently_wrong(predicted, confidence, truth, t) for t in candidates}
        allowed = [t for t in candidates if rates[t] <= max_wrong]
        candidates = allowed or [min(candidates, key=lambda t: (rates[t], t))]
    # Ties go to the lower threshold: answering is the bot's job, rejecting is the fallback.
    return max(candidates, key=lambda t: (balanced_score(predicted, confidence, truth, t), -t))
