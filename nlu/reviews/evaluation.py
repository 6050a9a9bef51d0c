"""Scoring a review reader on labelled reviews (nlu/reviews/evaluation/: never tuned on, see its README).

Sentiment accuracy twice: with the stars the platform gave (how the hub reads reviews) and from the text alone
(the stars hidden: what the words are worth by themselves). Topics are multi-label: micro precision, recall
and F1 over (review, topic) pairs, the share of reviews whose topic set is exactly right, and F1 per topic.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from models.reviews import Sentiment
from nlu.reviews.reader import LexiconReviewReader

EVALUATION = Path(__file__).with_name("evaluation")
SHORT = {"neg": Sentiment.NEGATIVE, "neu": Sentiment.NEUTRAL, "pos": Sentiment.POSITIVE}


@dataclass(frozen=True)
class LabelledReview:
    """One review with its labels and where it is written."""

    source: str
    language: str
    text: str
    rating: int | None
    sentiment: Sentiment
    topics: frozenset[str]


def load_labelled(path: Path) -> list[LabelledReview]:
    """The reviews of one set file (ValueError naming file:line for a bad row)."""
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [n for n, line in enumerate(lines, start=1) if line.startswith("- {")]
    reviews = data["reviews"]
    if len(starts) != len(reviews):
        raise ValueError(f"{path}: write one review per line starting with '- {{'")
    out = []
    for line, row in zip(starts, reviews, strict=True):
        if row.get("s") not in SHORT or not isinstance(row.get("text"), str):
            raise ValueError(f"{path}:{line}: needs s (neg/neu/pos) and text")
        out.append(LabelledReview(f"{path}:{line}", data["language"], row["text"], row.get("r"), SHORT[row["s"]],
                                  frozenset(row.get("t") or ())))
    return out


def load_all(folder: Path = EVALUATION) -> list[LabelledReview]:
    """Every set in the folder."""
    return [r for path in sorted(folder.glob("*.yml")) for r in load_labelled(path)]


@dataclass
class Scores:
    """One language's results."""

    language: str
    count: int = 0
    sentiment_with_stars: int = 0
    sentiment_text_only: int = 0
    exact_topics: int = 0
    true_pos: Counter[str] = field(default_factory=Counter)
    false_pos: Counter[str] = field(default_factory=Counter)
    false_neg: Counter[str] = field(default_factory=Counter)

    def micro(self) -> tuple[float, float, float]:
        """Micro precision, recall, F1 over topics."""
        tp, fp, fn = sum(self.true_pos.values()), sum(self.false_pos.values()), sum(self.false_neg.values())
        precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
        return precision, recall, 2 * precision * recall / max(precision + recall, 1e-9)

    def topic_f1(self, topic: str) -> float:
        """F1 of one topic."""
        tp, fp, fn = self.true_pos[topic], self.false_pos[topic], self.false_neg[topic]
        return 2 * tp / max(2 * tp + fp + fn, 1)


def score(reviews: list[LabelledReview], reader: LexiconReviewReader | None = None) -> dict[str, Scores]:
    """Scores per language."""
    reader = reader or LexiconReviewReader()
    results: dict[str, Scores] = {}
    for review in reviews:
        s = results.setdefault(review.language, Scores(review.language))
        with_stars = reader.read(review.text, rating=review.rating, language=review.language)
        text_only = reader.read(review.text, rating=None, language=review.language)
        s.count += 1
        s.sentiment_with_stars += with_stars.sentiment is review.sentiment
        s.sentiment_text_only += text_only.sentiment is review.sentiment
        got = frozenset(with_stars.topics)
        s.exact_topics += got == review.topics
        s.true_pos.update(got & review.topics)
        s.false_pos.update(got - review.topics)
        s.false_neg.update(review.topics - got)
    return results


def report(results: dict[str, Scores]) -> list[str]:
    """The table `otklik reviews evaluate` prints."""
    lines = ["lang  n    sentiment(stars)  sentiment(text)  topics exact  topics P/R/F1"]
    for lang, s in sorted(results.items()):
        p, r, f = s.micro()
        lines.append(f"{lang:<5} {s.count:<4} {s.sentiment_with_stars / s.count:>16.1%} "
                     f"{s.sentiment_text_only / s.count:>16.1%} {s.exact_topics / s.count:>13.1%}  "
                     f"{p:.2f}/{r:.2f}/{f:.2f}")
    topics = sorted({t for s in results.values() for t in (*s.true_pos, *s.false_neg, *s.false_pos)})
    lines.append("topic F1: " + "  ".join(
        f"{t} " + "/".join(f"{results[lang].topic_f1(t):.2f}" for lang in sorted(results)) for t in topics))
    return lines
