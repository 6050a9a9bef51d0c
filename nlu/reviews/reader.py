"""A review reader from a hand-written lexicon (lexicon.yml): fast, explainable, no model to ship.

Sentiment: the stars decide when they are clear (1-2 negative, 4-5 positive), unless the text says the
opposite strongly (two more hits of the other side); 3 stars and star-less reviews go by the text. The text's
score counts positive and negative stems, a negator ("не", "not") flipping the next two words; a "но"/"but"
gives the clause after it double weight (what people say last is what they mean).
Topics: every topic with a stem or phrase in the text (multi-label).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from models.reviews import Reading, Sentiment

LEXICON = Path(__file__).with_name("lexicon.yml")
WORD = re.compile(r"[\w'’-]+")
CONTRAST = frozenset({"но", "однако", "зато", "but", "however", "although", "though"})
CYRILLIC = re.compile(r"[а-яё]")
CLAUSE = re.compile(r"[,.!?;:—()]+")


def normalise(text: str) -> str:
    """Casefolded, ё as е, apostrophes straight."""
    return text.casefold().replace("ё", "е").replace("’", "'")


def language_of(text: str) -> str:
    """"ru" when most letters are Cyrillic, else "en"."""
    letters = [c for c in normalise(text) if c.isalpha()]
    cyrillic = sum(1 for c in letters if CYRILLIC.match(c))
    return "ru" if letters and cyrillic * 2 >= len(letters) else "en"


@dataclass(frozen=True)
class _Terms:
    stems: tuple[str, ...]
    phrases: tuple[str, ...]

    @classmethod
    def of(cls, entries: list[str]) -> _Terms:
        words = [normalise(e) for e in entries]
        return cls(tuple(w for w in words if " " not in w), tuple(w for w in words if " " in w))

    def hits(self, words: list[str], text: str) -> int:
        return sum(1 for w in words if w.startswith(self.stems)) + sum(text.count(p) for p in self.phrases)


@dataclass(frozen=True)
class _Language:
    positive: _Terms
    negative: _Terms
    negators: frozenset[str]
    topics: dict[str, _Terms]


@cache
def _lexicon(path: Path = LEXICON) -> dict[str, _Language]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    s = data["sentiment"]
    return {lang: _Language(
        positive=_Terms.of(s["positive"][lang]), negative=_Terms.of(s["negative"][lang]),
        negators=frozenset(normalise(w) for w in s["negators"][lang]),
        topics={topic: _Terms.of(by_lang.get(lang, [])) for topic, by_lang in data["topics"].items()})
        for lang in ("ru", "en")}


def _text_score(text: str, lex: _Language) -> tuple[float, float]:
    """(positive, negative) weight of the text's words, negations flipped, after-"but" clauses doubled."""
    pos = neg = 0.0
    weight = 1.0
    for clause in CLAUSE.split(text):  # a negation never reaches past a comma or a full stop
        p, n, weight = _clause_score(WORD.findall(clause), lex, weight)
        pos, neg = pos + p, neg + n
    neg += sum(text.count(p) for p in lex.negative.phrases)
    pos += sum(text.count(p) for p in lex.positive.phrases)
    return pos, neg


def _clause_score(words: list[str], lex: _Language, weight: float) -> tuple[float, float, float]:
    pos = neg = 0.0
    flip = 0
    for word in words:
        if word in CONTRAST:
            weight *= 2
            continue
        if word in lex.negators:
            flip = 2
            continue
        is_pos, is_neg = word.startswith(lex.positive.stems), word.startswith(lex.negative.stems)
        if flip and (is_pos or is_neg):
            is_pos, is_neg = is_neg, is_pos
            flip = 0
        elif flip:
            flip -= 1
        pos += weight * is_pos
        neg += weight * is_neg
    return pos, neg, weight


def text_sentiment(pos: float, neg: float) -> Sentiment:
    """The text's own verdict."""
    if neg > pos:
        return Sentiment.NEGATIVE
    if pos > neg:
        return Sentiment.POSITIVE
    return Sentiment.NEUTRAL


class LexiconReviewReader:
    """Satisfies hub.reviews.ports.ReviewReader."""

    def read(self, text: str, *, rating: int | None, language: str | None) -> Reading:
        """Sentiment and topics of one review."""
        lang = language if language in ("ru", "en") else language_of(text)
        lex = _lexicon()[lang]
        norm = normalise(text)
        words = WORD.findall(norm)
        pos, neg = _text_score(norm, lex)
        verdict = text_sentiment(pos, neg)
        if rating is not None and rating <= 2 and pos - neg < 2:
            verdict = Sentiment.NEGATIVE
        elif rating is not None and rating >= 4 and neg - pos < 2:
            verdict = Sentiment.POSITIVE
        topics = tuple(t for t, terms in lex.topics.items() if terms.hits(words, norm))
        return Reading(sentiment=verdict, topics=topics, language=lang)
