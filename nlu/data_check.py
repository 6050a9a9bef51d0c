"""`otklik nlu check`: what a content team should fix in the training data, each finding with file:line.

Errors (exit 1): the same text (after casefolding, ё/е and punctuation) under two intents, and an intent
with examples in one language only. Warnings: thin intents, near-duplicates inside an intent (they add
weight, not knowledge), near-collisions across intents (two topics the model cannot tell apart there),
and languages out of balance within an intent.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]

from nlu import language
from nlu.training_data import Example, TrainingData

ERROR, WARNING = "error", "warning"
MIN_EXAMPLES = 100  # per intent and language: what "well covered" means for a topic
NEAR = 0.9  # cosine of character 3-5-gram TF-IDF at or above which two examples say the same thing
IMBALANCE = 0.5  # a language with less than this share of the other's examples in an intent
_PUNCT = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class Finding:
    """One thing to fix."""

    level: str
    source: str  # file:line
    message: str

    def line(self) -> str:
        """As printed."""
        return f"{self.source}: {self.level}: {self.message}"


def key(text: str) -> str:
    """What two examples must share to be the same text."""
    return " ".join(_PUNCT.sub(" ", text.casefold().replace("ё", "е")).split())


def check(data: TrainingData, min_examples: int = MIN_EXAMPLES, near: float = NEAR) -> list[Finding]:
    """Every finding, errors first, then in file order."""
    found = _collisions(data.examples) + _near(data.examples, near) + _coverage(data.examples, min_examples)
    return sorted(found, key=lambda f: (f.level != ERROR, _order(f.source)))


def _order(source: str) -> tuple[str, int]:
    file, _, line = source.rpartition(":")
    return (file, int(line)) if line.isdigit() else (source, 0)


def _collisions(examples: list[Example]) -> list[Finding]:
    seen: dict[str, Example] = {}
    out = []
    for example in examples:
        earlier = seen.setdefault(key(example.text), example)
        if earlier is not example and earlier.intent != example.intent:
            out.append(Finding(ERROR, example.source, f"{example.text!r} ({example.intent}) is the same text as "
                               f"{earlier.text!r} ({earlier.intent}) at {earlier.source}"))
    return out


def _near(examples: list[Example], near: float) -> list[Finding]:
    texts = [key(e.text) for e in examples]
    if len(texts) < 2:
        return []
    matrix: Any = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True).fit_transform(texts)
    similar = (matrix @ matrix.T).tocoo()
    out = []
    for i, j, value in zip(similar.row, similar.col, similar.data, strict=True):
        if i >= j or value < near or (texts[i] == texts[j] and examples[i].intent != examples[j].intent):
            continue  # each pair once; exact cross-intent repeats are already errors
        a, b = examples[i], examples[j]
        if a.intent == b.intent:
            out.append(Finding(WARNING, b.source, f"{b.text!r} nearly repeats {a.text!r} at {a.source} "
                               f"({float(value):.2f}): vary the wording"))
        else:
            out.append(Finding(WARNING, b.source, f"{b.text!r} ({b.intent}) collides with {a.text!r} ({a.intent}) "
                               f"at {a.source} ({float(value):.2f})"))
    return out


def _coverage(examples: list[Example], min_examples: int) -> list[Finding]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    first: dict[tuple[str, str], str] = {}  # (intent, language) -> where its first example is
    for example in examples:
        lang = language.detect(example.text)
        counts[example.intent][lang] += 1
        first.setdefault((example.intent, lang), example.source)
        first.setdefault((example.intent, ""), example.source)
    out = []
    for intent, per_language in sorted(counts.items()):
        ru, en = per_language[language.RUSSIAN], per_language[language.ENGLISH]
        for lang, n in ((language.RUSSIAN, ru), (language.ENGLISH, en)):
            where = first.get((intent, lang), first[(intent, "")])
            if n == 0:
                out.append(Finding(ERROR, where, f"intent {intent!r} has no {lang} examples"))
            elif n < min_examples:
                out.append(Finding(WARNING, where, f"intent {intent!r} is thin in {lang}: {n} examples "
                                   f"(aim for {min_examples}+)"))
        if ru and en and min(ru, en) < IMBALANCE * max(ru, en):
            lesser = language.RUSSIAN if ru < en else language.ENGLISH
            out.append(Finding(WARNING, first.get((intent, lesser), first[(intent, "")]),
                               f"intent {intent!r} is out of balance: ru {ru}, en {en}"))
    return out


def summary(findings: list[Finding], data: TrainingData) -> str:
    """One closing line."""
    levels = Counter(f.level for f in findings)
    per_language = Counter(language.detect(e.text) for e in data.examples)
    spread = np.array(list(Counter(e.intent for e in data.examples).values()) or [0])
    return (f"{len(data.examples)} examples (ru {per_language[language.RUSSIAN]}, en {per_language[language.ENGLISH]})"
            f", {len(spread)} intents ({spread.min()}-{spread.max()} each): "
            f"{levels[ERROR]} errors, {levels[WARNING]} warnings")
