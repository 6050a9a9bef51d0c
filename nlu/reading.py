"""From a ranking to what the bot acts on: the main topic, whether to ask first, and the other topics raised.

A bot that is unsure asks: when the first two topics are close, or the confidence is middling (below
the threshold, but not far), the reading is a close call, and the bot can offer the two candidates. A
message that raises several topics ("курьер опоздал, и ещё промокод не сработал") is read clause by
clause (of the text the classifier reads: nlu/prepare.py): the whole message gives the main topic, and
each clause that confidently names another real topic adds it to `also`, for the operator. Clauses are
read only when the whole leaves room for a second topic (a clear single reading skips them), and by the
n-grams alone: the parse budget is 2 ms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Protocol

from models.nlu import OUT_OF_SCOPE
from nlu.prepare import prepare
from nlu.thresholds import decide

SOCIAL = frozenset({"greet", "goodbye"})  # politeness, never a topic of its own beside a question
CLOSE_MARGIN = 0.2  # first minus second confidence below this: a close call
ASK_FLOOR = 0.6  # rejected, but at least this share of the threshold: worth asking rather than handing over
ROOM = 0.1  # a second real topic at least this likely: the clauses may hold it
# A clause's topic counts at this share of the threshold: clauses are read by the n-grams alone, whose
# confidences run lower than the full reading's.
CLAUSE_SHARE = 0.7
MAX_CLAUSES = 3  # each adds to the clauses' ranking; the first clauses carry what the message is about
MIN_CLAUSE_WORDS = 3
_CLAUSES = re.compile(
    r"[.!?;\n]+|,?\s+(?:а\s+(?:ещё|еще|также)|и\s+(?:ещё|еще)|кроме\s+того|плюс\s+ко\s+всему|плюс|также"
    r"|and\s+also|also|plus|besides|on\s+top\s+of\s+that|another\s+thing)\s+", re.IGNORECASE)


class Ranker(Protocol):
    """What a reading needs of a classifier."""

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Every intent with its confidence, best first."""
        ...

    def tops(self, texts: list[str]) -> list[tuple[str, float]]:
        """Each text's best intent and its confidence by a cheaper, rougher reading (one call for all)."""
        ...


@dataclass(frozen=True)
class Reading:
    """The decision on one text."""

    intent: str  # out_of_scope when not sure enough
    top: str  # the best-ranked topic, answered or not
    confidence: float
    ranking: list[tuple[str, float]]
    close_call: bool = False
    also: list[tuple[str, float]] = field(default_factory=list)


def clauses(text: str) -> list[str]:
    """The text's sentences and joined clauses that are long enough to carry a topic."""
    parts = [p.strip() for p in _CLAUSES.split(text)]
    return [p for p in parts if len(re.findall(r"\w+", p)) >= MIN_CLAUSE_WORDS]


def read(classifier: Ranker, text: str, threshold: float) -> Reading:
    """Rank the text, decide, and look for further topics in its clauses."""
    ranking = classifier.rank(text) if text.strip() else [(OUT_OF_SCOPE, 0.0)]
    top, confidence = ranking[0]
    found: list[tuple[str, float]] = []
    # The clauses of what the classifier reads: an e-mail's quoted thread, signature and greeting hold no
    # topic of this message, and reading them cost the longest parses most of their time.
    parts = clauses(prepare(text)) if _room(ranking, threshold) else []
    if len(parts) > 1:
        for name, score in classifier.tops(parts[:MAX_CLAUSES]):
            if score >= threshold * CLAUSE_SHARE and name not in SOCIAL and name != OUT_OF_SCOPE:
                found.append((name, score))
    leading = [name for name, _ in ranking[:3]]
    # The whole message is only polite, or unsure of its own top topic, and a clause says that topic
    # clearly: take the clause's word for it. Never switch to another topic on one clause's say-so.
    clear = [f for f in found if f[1] >= threshold and (f[0] == top or (top in SOCIAL and f[0] in leading))]
    if (top in SOCIAL or confidence < threshold) and clear:
        top, confidence = max(clear, key=lambda f: f[1])
    intent = decide(top, confidence, threshold)
    second = next((c for n, c in ranking if n != top), 0.0)
    close = _close_call(top, confidence, second, threshold)
    also = _others(found, top)
    return Reading(intent, top, confidence, ranking, close and not also, also)


def _room(ranking: list[tuple[str, float]], threshold: float) -> bool:
    """Whether the whole reading leaves room for a further topic: unsure, or a runner-up worth a look."""
    real = [c for n, c in ranking if n not in SOCIAL and n != OUT_OF_SCOPE]
    return ranking[0][1] < threshold or (len(real) > 1 and real[1] >= ROOM)


def _close_call(top: str, confidence: float, second: float, threshold: float) -> bool:
    if top == OUT_OF_SCOPE or top in SOCIAL:
        return False
    if confidence >= threshold:
        return confidence - second < CLOSE_MARGIN
    return confidence >= threshold * ASK_FLOOR


def _others(found: list[tuple[str, float]], main: str) -> list[tuple[str, float]]:
    best: dict[str, float] = {}
    for name, score in found:
        if name != main:
            best[name] = max(score, best.get(name, 0.0))
    return sorted(best.items(), key=lambda item: -item[1])
