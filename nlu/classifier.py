"""The intent classifier: TF-IDF on stemmed word 1-2-grams and character 2-5-grams, a linear SVM,
optionally fused with logistic regressions on sentence vectors (per language), and temperature-scaled softmax.

Why this shape (measured in bench/nlu.py): character n-grams inside word boundaries carry Russian
inflection and typos; stems make word n-grams match across word forms; a linear SVM trains in seconds
and scores a message in well under a millisecond. Its margins are not probabilities, so a softmax
temperature is fitted on a held-out fifth of the data (Guo et al., 2017) to make "0.7" mean about 70 %.

Sentence vectors add what n-grams cannot know: that "cash" and "money" are close. English is read by
MiniLM (nlu/encoder.py), Russian by a word table distilled from multilingual-e5-small (nlu/static_vectors.py;
navec, nlu/word_vectors.py, is the measured alternative); each language's regression
adds its decision values to the SVM's with a fixed weight (nlu/vector_fusion.py: late fusion, two fast
fits instead of one slow SVM on mixed sparse and dense features).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.sparse import hstack  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.model_selection import train_test_split  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

from nlu import language
from nlu.encoder import DEFAULT_LAYERS, load_encoder
from nlu.linear_scoring import LinearScorer
from nlu.noise import with_noisy_copies
from nlu.prepare import prepare
from nlu.static_vectors import ENGLISH_TABLE, load_static_vectors
from nlu.text import normalize, stemmed
from nlu.vector_fusion import Encoder, Reader, Scores, Vectors
from nlu.word_vectors import load_word_vectors

Progress = Callable[[str], None]
_NON_WORD = re.compile(r"[^\w\s]+")
MIN_CALIBRATION = 40
# Noisy copies are for small hand-written data; a large set (CLINC150's 15,000) has the variety already,
# and tripling it would make the SVM's training ten times slower. The originals plus copies stay below this.
MAX_NOISY_TOTAL = 12_000  # held-out examples a language needs for a temperature of its own
BAG_SEED_STEP = 7919  # bag b draws its noisy copies with seed + b * this (a prime: no two bags of nearby seeds meet)


@dataclass(frozen=True)
class HeldOut:
    """The calibration split's top intent and confidence per text, its truth and its language."""

    tops: list[tuple[str, float]]
    truth: list[str]
    languages: list[str]


@dataclass(frozen=True)
class ClassifierConfig:
    """The knobs bench/nlu.py compares."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] | None = (2, 5)
    char_analyzer: str = "char_wb"  # "char" lets n-grams cross word boundaries (split and glued words)
    stems: bool = True
    c: float = 1.0
    calibrate: bool = True
    seed: int = 7
    embedding_layers: int | None = DEFAULT_LAYERS  # MiniLM layers for English; None: n-grams only
    embedding_weight: float = 0.5  # chosen on CLINC150's validation split (0.2-0.7 tried)
    # English sentence vectors from: "words", MiniLM distilled into a word table (nlu/static_vectors.py,
    # a look-up per word), or "minilm", the transformer itself (~0.03 ms per token). Independent English set,
    # one bench run: words 88.9 % top-1 vs 90.6 %, parse CPU p50 0.93 vs 1.92 ms, p99 4.1 vs 5.0 ms (the p99
    # is long unsure messages re-read clause by clause, not the encoder): below the 90 % bar, so not the default.
    english_encoder: str = "minilm"
    russian_vectors: bool = True  # sentence vectors for Russian, from:
    # "e5words": multilingual-e5-small distilled into a word table (nlu/static_vectors.py), or "navec"
    # (nlu/word_vectors.py). bench/nlu_candidates.py, Russian: 5-fold top-1 93.2 % vs 92.7 % (navec and
    # n-grams alone), development set 91.0 % vs 84.6 %, at a lower parse p50 (0.34 ms vs 0.42 ms).
    russian_encoder: str = "e5words"
    russian_weight: float = 0.3  # e5words: 0.3 beats 0.5 (5-fold top-1 93.2 % vs 92.9 %, dev 91.0 % vs 88.5 %)
    embedding_c: float = 10.0
    # Noisy copies of each example for the n-gram model (nlu/noise.py: typos, lost punctuation, glued or
    # split words); the sentence-vector readers train on the originals. Independent set, Russian top-1:
    # 0 copies 89.4 %, 1: 89.2 %, 2: 89.9 % (with char_clean).
    noisy_copies: int = 2
    # Character n-grams read the text with punctuation and emoji as spaces: "заказ??" and "заказ" share them.
    char_clean: bool = True
    # SVMs fitted on this many independent draws of the noisy copies, their weights averaged into one linear
    # model: less of one draw's luck, at the same parse cost (training: three SVM fits instead of one).
    # Russian part of nlu/data, 5-fold, engine decision with the tuned threshold: seed 7 81.6 % -> 81.8 %,
    # seed 1 83.4 % -> 84.5 % (macro-F1 88.1 -> 88.4, 89.1 -> 89.8).
    bags: int = 3

    def readers(self) -> list[Reader]:
        """The sentence-vector readers this configuration asks for and this machine can provide."""
        found: list[Reader] = []
        english: Encoder | None = None
        if self.embedding_layers is not None:
            english = (load_static_vectors(ENGLISH_TABLE) if getattr(self, "english_encoder", "minilm") == "words"
                       else load_encoder(self.embedding_layers))
        if english is not None:
            found.append(Reader(language.ENGLISH, english, self.embedding_weight, self.embedding_c))
        russian: Encoder | None = None
        if self.russian_vectors:
            russian = load_static_vectors() if self.russian_encoder == "e5words" else load_word_vectors()
        if russian is not None:
            found.append(Reader(language.RUSSIAN, russian, self.russian_weight, self.embedding_c))
        return found


VectorSets = list[Vectors | None]  # one entry per reader


class IntentClassifier:
    """Fit on (text, intent) pairs; `rank` gives every intent with a calibrated confidence, best first."""

    def __init__(self, config: ClassifierConfig | None = None) -> None:
        self.config = config or ClassifierConfig()
        self.vectorizers: list[tuple[TfidfVectorizer, bool]] = []  # (vectorizer, fed stems?)
        self.svm: Any = None
        self.readers: list[Reader] = []  # fitted sentence-vector readers (none: n-grams only)
        self._scorer: LinearScorer | None = None
        self.temperature = 1.0
        self.temperatures: dict[str, float] = {}  # per language, where its held-out examples allowed one
        self.labels: list[str] = []
        # From the calibration split, for choosing the thresholds; dropped before saving.
        self.held_out: HeldOut | None = None

    def fit(self, texts: list[str], labels: list[str], progress: Progress | None = None) -> IntentClassifier:
        """Train; with `calibrate`, first fit on 80 % to learn the temperature on the other 20 %."""
        note = progress or (lambda _: None)
        texts = [prepare(t) for t in texts]
        note("sentence vectors")
        self.readers = self.config.readers()
        vectors = [reader.vectors(texts) for reader in self.readers]
        if self.config.calibrate and len(set(labels)) > 1 and len(texts) >= 20:
            note("calibrating")
            self.temperature = self._fit_temperature(texts, labels, vectors)
        note("fitting")
        self._fit(texts, labels, vectors)
        # A reader without examples in its language (or that cannot run here) has nothing to add.
        self.readers = [r for r in self.readers if r.dense is not None]
        return self

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_scorer"] = None  # rebuilt from the SVM on first use; not worth its space on disk
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update({"readers": [], "_scorer": None, "temperatures": {}, **state})

    def rank(self, text: str, *, fast: bool = False) -> list[tuple[str, float]]:
        """Every intent with its confidence (calibrated for the text's language), best first; `fast`: the
        n-grams alone (a second opinion on a clause costs a tenth of a full reading)."""
        text = prepare(text)
        scores = self._score_one(text, vectors=not fast)
        probs = _softmax(scores / self.temperatures.get(language.detect(text), self.temperature))
        order = np.argsort(-probs)
        return [(self.labels[i], float(probs[i])) for i in order]

    def tops(self, texts: list[str]) -> list[tuple[str, float]]:
        """Each text's best intent and its confidence by the n-grams alone, as `rank(text, fast=True)[0]`
        gives them, in one batch (a message's clauses: nlu/reading.py)."""
        prepared = [prepare(t) for t in texts]
        found = []
        for row, text in zip(self._ngram_scores(prepared), prepared, strict=True):
            probs = _softmax(row / self.temperatures.get(language.detect(text), self.temperature))
            best = int(np.argsort(-probs)[0])  # as `rank` orders them, ties included
            found.append((self.labels[best], float(probs[best])))
        return found

    def scores(self, texts: list[str], vectors: VectorSets | None = None) -> Scores:
        """Raw decision values, one row per text, one column per label (`vectors`: precomputed, if any)."""
        return self._raw_scores([prepare(t) for t in texts], vectors)

    def _raw_scores(self, texts: list[str], vectors: VectorSets | None = None) -> Scores:
        values = _columns(self.svm.decision_function(self._features(texts, fit=False)))
        return values + self._vector_scores(texts, vectors)

    def probabilities(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float64]]:
        """Calibrated confidences, one row per text."""
        rows = zip(self.scores(texts), texts, strict=True)
        return np.stack([_softmax(row / self.temperatures.get(language.detect(prepare(t)), self.temperature))
                         for row, t in rows])

    def _vector_scores(self, texts: list[str], vectors: VectorSets | None) -> Scores | float:
        """The readers' weighted decision values (0 without readers)."""
        total: Scores | float = 0.0
        for i, reader in enumerate(self.readers):
            found = reader.vectors(texts) if vectors is None else vectors[i]
            if found is not None and reader.dense is not None:
                total = total + reader.scores(found)
        return total

    def _score_one(self, text: str, *, vectors: bool = True) -> np.ndarray[Any, np.dtype[np.float64]]:
        """`scores([text])[0]` by the fast path (nlu/linear_scoring.py)."""
        values: Scores = self._ngram_scores([text])[0]
        extra = self._vector_scores([text], None) if vectors else 0.0
        return values + (extra[0] if isinstance(extra, np.ndarray) else extra)

    def _ngram_scores(self, texts: list[str]) -> Scores:
        """The linear model's decision values of prepared texts, one row each, by the fast path."""
        if self._scorer is None:
            self._scorer = LinearScorer([v for v, _ in self.vectorizers], self.svm)
        inputs = []
        for text in texts:
            normal = normalize(text)
            stems = stemmed(normal) if self.config.stems else normal
            chars = self._char_text(normal)
            inputs.append([stems if on_stems else chars for _, on_stems in self.vectorizers])
        raw = self._scorer.rows(inputs)
        return np.concatenate([-raw, raw], axis=1) if raw.shape[1] == 1 else raw  # two classes: one column

    def _fit(self, texts: list[str], labels: list[str], vectors: VectorSets) -> None:
        cfg = self.config
        self.vectorizers = [(TfidfVectorizer(ngram_range=cfg.word_ngrams, sublinear_tf=True,
                                             token_pattern=r"(?u)\b\w+\b"), cfg.stems)]
        if cfg.char_ngrams is not None:
            self.vectorizers.append((TfidfVectorizer(analyzer=cfg.char_analyzer, ngram_range=cfg.char_ngrams,
                                                     sublinear_tf=True, dtype=np.float32), False))
        copies = max(min(getattr(cfg, "noisy_copies", 0), MAX_NOISY_TOTAL // max(len(texts), 1) - 1), 0)
        bags = getattr(cfg, "bags", 1) if copies else 1
        fits = []
        for bag in range(bags):
            seed = cfg.seed + BAG_SEED_STEP * bag  # the first bag is the single model's own draw
            ngram_texts, ngram_labels = with_noisy_copies(texts, labels, copies, seed)
            features = self._features(ngram_texts, fit=bag == 0)  # the vocabulary is the first draw's
            fits.append(LinearSVC(C=cfg.c, random_state=seed).fit(features, ngram_labels))
        self.svm = fits[0]
        if bags > 1:  # one linear model with the bags' mean weights: a parse costs what a single model's does
            self.svm.coef_ = np.mean([f.coef_ for f in fits], axis=0)
            self.svm.intercept_ = np.mean([f.intercept_ for f in fits], axis=0)
        self.labels = [str(c) for c in self.svm.classes_]
        self._scorer = None
        for reader, found in zip(self.readers, vectors, strict=True):
            reader.dense = None
            if found is not None:
                reader.fit(found, labels, self.labels)

    def _features(self, texts: list[str], *, fit: bool) -> Any:
        normal = [normalize(t) for t in texts]
        stem_texts = [stemmed(t) for t in normal] if self.config.stems else normal
        char_texts = [self._char_text(t) for t in normal]
        blocks = []
        for vectorizer, on_stems in self.vectorizers:
            source = stem_texts if on_stems else char_texts
            blocks.append(vectorizer.fit_transform(source) if fit else vectorizer.transform(source))
        return hstack(blocks, format="csr")

    def _char_text(self, normal: str) -> str:
        """What the character n-grams read (models saved before `char_clean` existed read `normal`)."""
        return " ".join(_NON_WORD.sub(" ", normal).split()) if getattr(self.config, "char_clean", False) else normal

    def _fit_temperature(self, texts: list[str], labels: list[str], vectors: VectorSets) -> float:
        counts = {label: labels.count(label) for label in set(labels)}
        stratify = labels if min(counts.values()) >= 2 else None
        train_i, held_i = train_test_split(
            np.arange(len(texts)), test_size=0.2, random_state=self.config.seed, stratify=stratify)
        train_x, held_x = [texts[i] for i in train_i], [texts[i] for i in held_i]
        train_y, held_y = [labels[i] for i in train_i], [labels[i] for i in held_i]
        self._fit(train_x, train_y, [None if v is None else v[train_i] for v in vectors])
        scores = self._raw_scores(held_x, [None if v is None else v[held_i] for v in vectors])
        index = {label: i for i, label in enumerate(self.labels)}
        langs = [language.detect(t) for t in held_x]
        known = [(row, index[y]) for row, y in zip(scores, held_y, strict=True) if y in index]
        temperature = _best_temperature(known)
        self.temperatures = {}
        for lang in sorted(set(langs)):
            mine = [(row, index[y]) for row, y, g in zip(scores, held_y, langs, strict=True)
                    if y in index and g == lang]
            if len(mine) >= MIN_CALIBRATION:
                self.temperatures[lang] = _best_temperature(mine)
        tops = []
        for row, lang in zip(scores, langs, strict=True):
            p = _softmax(row / self.temperatures.get(lang, temperature))
            best = int(np.argmax(p))
            tops.append((self.labels[best], float(p[best])))
        self.held_out = HeldOut(tops, list(held_y), langs)
        return temperature


def _columns(values: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    """Decision values as one column per class (sklearn gives a single column, for classes_[1], for two)."""
    out = np.asarray(values, dtype=np.float64)
    return np.stack([-out, out], axis=1) if out.ndim == 1 else out


def _softmax(values: np.ndarray[Any, np.dtype[np.float64]]) -> np.ndarray[Any, np.dtype[np.float64]]:
    shifted = np.exp(values - values.max())
    result: np.ndarray[Any, np.dtype[np.float64]] = shifted / shifted.sum()
    return result


def _best_temperature(known: list[tuple[np.ndarray[Any, np.dtype[np.float64]], int]]) -> float:
    """The temperature minimising held-out negative log-likelihood (a coarse-to-fine grid: no optimiser needed)."""
    if not known:
        return 1.0
    scores = np.stack([row for row, _ in known])
    truth = np.array([i for _, i in known])

    def nll(t: float) -> float:
        z = scores / t
        z = z - z.max(axis=1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(axis=1))
        return float(np.mean(log_norm - z[np.arange(len(truth)), truth]))

    grid = [math.exp(x / 10) for x in range(-40, 31)]  # 0.018 .. 20
    best = min(grid, key=nll)
    fine = [best * math.exp(x / 100) for x in range(-10, 11)]
    return min(fine, key=nll)
