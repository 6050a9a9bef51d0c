"""NLU benchmark: our engine (n-grams fused with MiniLM / e5-word-table sentence vectors), our plain n-gram model, and a
TF-IDF + logistic-regression baseline, all in the same run.

CLINC150 (../shared/data/nlu/clinc150/data_full.json, Larson et al. 2019): train on `train`, choose the
out-of-scope threshold on `val` + `oos_val`, evaluate on `test` + `oos_test`. Printed: in-scope accuracy
(a rejection counts as wrong), macro-F1 over the 150 intents, out-of-scope recall and precision, training
time, single-message latency p50/p99 in process, cold, the fastest of three passes (classifier alone, and
for our pipeline the whole `BuiltinEngine.parse_now` with entities and language).

Retail data (nlu/data): stratified 5-fold cross-validation, Russian and English separately, same two
models; accuracy with `out_of_scope` as a trained class, macro-F1, and for ours the full engine decision
(threshold tuned inside each fold) with out-of-scope precision/recall.

    .venv/bin/python bench/nlu.py                 # everything, ~3 minutes on 2 cores
    .venv/bin/python bench/nlu.py --skip-baseline # ours only (the LR baseline trains for ~35 s)
    .venv/bin/python bench/nlu.py --test-file nlu/evaluation --skip-clinc --skip-retail
                                                  # the issue-15 table: an evaluation set per language and
                                                  # channel style, confidently wrong, parse p99

Evaluation sets (--test-file, a file or folder; default nlu/dev, the development set): the default engine
trained on all of nlu/data reads each item as the bot would (per-language threshold, close calls, further
topics); printed per language, per channel style and both, with the whole-parse latency p50/p99 over the
set's distinct texts, wall and CPU time. Every timed parse is cold, as a new message's is (`forget_texts`
empties nlu's per-text caches first), and each text counts with the fastest of 15 passes over all the
texts: the machine is shared, and a neighbour's burst only adds time, to one pass.
Mistakes are listed for the development set only. bench/nlu_before_after.py prints the issue-15 figures for a
baseline revision and this tree side by side, over several seeds, with ratios.

Without the `embeddings` extra the fused engine falls back to n-grams (logged) and both rows agree.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped]
from sklearn.metrics import f1_score  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.nlu import OUT_OF_SCOPE
from nlu import language
from nlu.artefacts import Metadata, ModelDirectory, NluModel
from nlu.classifier import ClassifierConfig, IntentClassifier
from nlu.encoder import MAX_TOKENS
from nlu.engine import BuiltinEngine
from nlu.entities import EntityExtractor
from nlu.evaluation import cross_validate
from nlu.prepare import prepare
from nlu.rasa_yaml import load_paths
from nlu.scorecard import evaluate, load_items
from nlu.static_vectors import ENGLISH_TABLE
from nlu.thresholds import choose_threshold, decide
from nlu.training import train
from nlu.training_data import TrainingData

ROOT = Path(__file__).resolve().parents[1]
CLINC = ROOT.parent / "shared" / "data" / "nlu" / "clinc150" / "data_full.json"  # --clinc elsewhere
Ranker = Callable[[str], tuple[str, float]]
NGRAMS = ClassifierConfig(embedding_layers=None, russian_vectors=False)
FUSED = ClassifierConfig()
OURS = [("ours, n-grams only: tf-idf stems 1-2 + char_wb 2-5, LinearSVC, temperature", NGRAMS),
        ("ours, default engine: n-grams + MiniLM L1-2 int8 (en) / e5 word table (ru), LogReg, late fusion", FUSED)]


class Baseline:
    """TF-IDF word 1-2-grams + logistic regression (the issue's "plain" model)."""

    def fit(self, texts: list[str], labels: list[str]) -> Baseline:
        """Train."""
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
        self.lr = LogisticRegression(C=10, max_iter=2000).fit(self.vectorizer.fit_transform(texts), labels)
        return self

    def top(self, text: str) -> tuple[str, float]:
        """Best intent and its probability."""
        probs = self.lr.predict_proba(self.vectorizer.transform([text]))[0]
        i = int(np.argmax(probs))
        return str(self.lr.classes_[i]), float(probs[i])


def ours_top(classifier: IntentClassifier) -> Ranker:
    """Best intent and confidence from our classifier."""
    return lambda text: classifier.rank(text)[0]


PASSES = 15  # timed passes over the texts (cheap: ~3 s for 200 texts); each text counts with its fastest


def forget_texts() -> None:
    """Empty `nlu`'s per-text caches (each text's language and prepared form), so the next parse pays for
    them as a new customer message does: the benchmark re-reads the same texts, real traffic does not."""
    for cached in (language.detect, prepare):
        clear = getattr(cached, "cache_clear", None)
        if clear is not None:
            clear()


def timings(fn: Callable[[str], Any], texts: list[str], passes: int = PASSES) -> dict[str, tuple[float, float]]:
    """p50 and p99 in ms over the distinct texts of fn(text), wall and CPU time (time.thread_time: the parse's
    own cost, without the time spent waiting for a core on the shared machine). Each call is cold (nlu's
    per-text caches emptied first); each text is timed in `passes` passes over all texts and its figure is
    the fastest: a neighbour's burst only ever adds time, and one burst hits one pass, not every pass."""
    distinct = list(dict.fromkeys(texts))
    for text in distinct[:50]:  # warm-up: the runtime's first calls, word caches
        fn(text)
    wall = np.full(len(distinct), np.inf)
    cpu = np.full(len(distinct), np.inf)
    for _ in range(passes):
        for i, text in enumerate(distinct):
            forget_texts()
            started, started_cpu = time.perf_counter(), time.thread_time()
            fn(text)
            cpu[i] = min(cpu[i], time.thread_time() - started_cpu)
            wall[i] = min(wall[i], time.perf_counter() - started)
    return {name: (float(np.percentile(v, 50) * 1e3), float(np.percentile(v, 99) * 1e3))
            for name, v in (("wall", wall), ("cpu", cpu))}


def latency(fn: Callable[[str], Any], texts: list[str], passes: int = PASSES) -> tuple[float, float]:
    """Wall-clock p50, p99 in ms of fn(text) over the distinct texts, cold, the fastest of `passes` each."""
    return timings(fn, texts, passes)["wall"]


def cpu_latency(fn: Callable[[str], Any], texts: list[str], passes: int = PASSES) -> tuple[float, float]:
    """CPU-time p50, p99 in ms of fn(text) over the distinct texts, cold, the fastest of `passes` each."""
    return timings(fn, texts, passes)["cpu"]


def clinc(skip_baseline: bool, path: Path = CLINC) -> None:
    """Train on train, threshold on val + oos_val, evaluate on test + oos_test."""
    data = json.loads(path.read_text(encoding="utf-8"))
    train_x, train_y = (list(c) for c in zip(*data["train"], strict=True))
    val = data["val"] + [[t, OUT_OF_SCOPE] for t, _ in data["oos_val"]]
    test = data["test"] + [[t, OUT_OF_SCOPE] for t, _ in data["oos_test"]]
    print(f"CLINC150: {len(train_x)} train, {len(val)} val (+oos), {len(test)} test (+{len(data['oos_test'])} oos)")
    for name, config in OURS:
        started = time.perf_counter()
        ours = IntentClassifier(config).fit(train_x, train_y)
        report(name, ours_top(ours), time.perf_counter() - started, val, test)
        engine = _engine_for(ours)
        p50, p99 = latency(engine.parse_now, [t for t, _ in test[:2000]], passes=3)
        print(f"  whole parse (entities, language, ranking): p50 {p50:.3f} ms  p99 {p99:.3f} ms")
    if not skip_baseline:
        started = time.perf_counter()
        baseline = Baseline().fit(train_x, train_y)
        report("baseline: tf-idf word 1-2 + LogisticRegression", baseline.top, time.perf_counter() - started,
               val, test)


def _engine_for(classifier: IntentClassifier) -> BuiltinEngine:
    meta = Metadata(version="bench", data_hash="", intents=classifier.labels, threshold=0.5,
                    trained_at=datetime.now(UTC), examples=0)
    engine = BuiltinEngine(ModelDirectory(ROOT / "var" / "nlu-bench-unused"), check_every=3600)
    engine.model = NluModel(classifier, EntityExtractor.from_data(TrainingData()), meta)
    return engine


def report(name: str, top: Ranker, seconds: float, val: list[list[str]], test: list[list[str]]) -> None:
    """Threshold on val, then the figures on test."""
    val_pred = [top(t) for t, _ in val]
    threshold = choose_threshold([p for p, _ in val_pred], [c for _, c in val_pred], [y for _, y in val])
    pred = [top(t) for t, _ in test]
    decided = [decide(p, c, threshold) for p, c in pred]
    truth = [y for _, y in test]
    in_scope = [(d, y) for d, y in zip(decided, truth, strict=True) if y != OUT_OF_SCOPE]
    raw = [(p, y) for (p, _), y in zip(pred, truth, strict=True) if y != OUT_OF_SCOPE]
    intents = sorted(set(truth) - {OUT_OF_SCOPE})
    said_oos = [d == OUT_OF_SCOPE for d in decided]
    real_oos = [y == OUT_OF_SCOPE for y in truth]
    hits = sum(s and r for s, r in zip(said_oos, real_oos, strict=True))
    p50, p99 = latency(lambda text: top(text), [t for t, _ in test[:2000]], passes=3)
    print(f"{name}\n  training {seconds:.1f} s; threshold {threshold:.2f} (from val + oos_val)\n"
          f"  in-scope accuracy: {np.mean([p == y for p, y in raw]):.4f} without rejection, "
          f"{np.mean([d == y for d, y in in_scope]):.4f} with the threshold\n"
          f"  macro-F1 (150 intents, thresholded): "
          f"{f1_score(truth, decided, labels=intents, average='macro', zero_division=0):.4f}\n"
          f"  out-of-scope recall {hits / sum(real_oos):.4f}  precision {hits / max(sum(said_oos), 1):.4f}\n"
          f"  classifier latency p50 {p50:.3f} ms  p99 {p99:.3f} ms")


def retail(skip_baseline: bool) -> None:
    """5-fold cross-validation on the shipped retail data, per language."""
    data = load_paths([ROOT / "nlu" / "data"])
    for lang in ("ru", "en"):
        part = TrainingData(examples=[e for e in data.examples if language.detect(e.text) == lang],
                            synonyms=data.synonyms, regexes=data.regexes, lookups=data.lookups)
        texts, labels = part.texts_and_labels()
        print(f"retail {lang}: {len(texts)} examples, {len(set(labels))} intents (incl. out_of_scope), 5-fold")
        models: list[tuple[str, Callable[[list[str], list[str]], Ranker]]] = [
            ("n-grams", lambda x, y: ours_top(IntentClassifier(NGRAMS).fit(x, y))),
            ("fused", lambda x, y: ours_top(IntentClassifier(FUSED).fit(x, y)))]
        if not skip_baseline:
            models.append(("baseline", lambda x, y: Baseline().fit(x, y).top))
        for name, make in models:
            predicted = _folds(texts, labels, make)
            print(f"  {name:<9} accuracy {np.mean([p == y for p, y in zip(predicted, labels, strict=True)]):.4f}"
                  f"  macro-F1 {f1_score(labels, predicted, average='macro', zero_division=0):.4f}")
        for name, config in (("n-grams", NGRAMS), ("fused", FUSED)):
            engine = cross_validate(part, 5, config)
            print(f"  {name:<9} engine decision, tuned threshold: accuracy {engine.accuracy:.4f}  macro-F1 "
                  f"{engine.macro_f1:.4f}  oos precision {engine.oos_precision or 0:.4f} "
                  f"recall {engine.oos_recall or 0:.4f}")
    served = _engine_for(IntentClassifier(FUSED).fit(*data.texts_and_labels()))
    texts = [e.text for e in data.examples]
    for lang in ("ru", "en"):
        p50, p99 = latency(served.parse_now, [t for t in texts if language.detect(t) == lang], passes=3)
        print(f"retail {lang}, default engine trained on all: whole parse p50 {p50:.3f} ms  p99 {p99:.3f} ms")


def _folds(texts: list[str], labels: list[str], make: Callable[[list[str], list[str]], Ranker]) -> list[str]:
    predicted = [""] * len(texts)
    for train_idx, test_idx in StratifiedKFold(5, shuffle=True, random_state=7).split(texts, labels):
        top = make([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        for i in test_idx:
            predicted[i] = top(texts[i])[0]
    return predicted


def evaluation_table(path: Path) -> None:
    """The default engine trained on nlu/data, read over an evaluation set: the issue-15 table."""
    model = train(load_paths([ROOT / "nlu" / "data"]))
    items = load_items(path)
    card = evaluate(model, items)
    meta = model.metadata
    thresholds = ", ".join(f"{k} {v:.2f}" for k, v in sorted(meta.thresholds.items()))
    print(f"evaluation set {path}: {len(items)} items; model trained on nlu/data ({meta.examples} examples, "
          f"{meta.encoder}; thresholds {thresholds or meta.threshold})")
    # The independent set's mistakes are not printed: reading them and writing examples to fix exactly those
    # would be tuning on it (nlu/evaluation/README.md). The development set's are.
    unseen = (ROOT / "nlu" / "evaluation").resolve() in (path.resolve(), *path.resolve().parents)
    for line in card.lines(worst=0 if unseen else 20):
        print(line)
    engine = _engine_for(model.classifier)
    engine.model = model
    texts = [i.text for i in items]
    for lang in sorted({i.language for i in items}):
        mine = list(dict.fromkeys(t for t in texts if language.detect(t) == lang)) or texts
        found = timings(engine.parse_now, mine)
        (p50, p99), (c50, c99) = found["wall"], found["cpu"]
        print(f"whole parse, {lang}: wall p50 {p50:.3f} ms  p99 {p99:.3f} ms; CPU time p50 {c50:.3f} ms  "
              f"p99 {c99:.3f} ms ({len(mine)} distinct texts, each parsed cold, the fastest of {PASSES} passes); "
              f"load average {os.getloadavg()[0]:.1f}")
        _token_cap_baseline(engine, lang, mine, c50, c99)
        if lang == language.ENGLISH:
            _english_word_table(items, mine, c50, c99)


def _english_word_table(items: list[Any], texts: list[str], c50: float, c99: float) -> None:
    """The candidate for issue 15's English p99: MiniLM distilled into a word table (bench/distil_words_en.py)
    instead of the transformer per message; its accuracy on the set and its parse cost, same run."""
    if not ENGLISH_TABLE.is_file():
        print(f"  candidate, English word table: {ENGLISH_TABLE} missing (bench/distil_words_en.py builds it)")
        return
    model = train(load_paths([ROOT / "nlu" / "data"]), ClassifierConfig(english_encoder="words"))
    card = evaluate(model, [i for i in items if i.language == language.ENGLISH])
    engine = _engine_for(model.classifier)
    engine.model = model
    w50, w99 = cpu_latency(engine.parse_now, texts)
    print("  candidate, MiniLM distilled into a word table (not the default):")
    for line in card.lines(worst=0)[:3]:
        print(f"    {line}")
    print(f"    CPU time p50 {w50:.3f} ms  p99 {w99:.3f} ms; word table / transformer p50 {w50 / c50:.2f}  "
          f"p99 {w99 / c99:.2f}")


def _token_cap_baseline(engine: BuiltinEngine, lang: str, texts: list[str], c50: float, c99: float) -> None:
    """The same parse with the sentence encoder reading up to 64 tokens (the cap before issue 15), same run."""
    model = engine.model
    tokenizer = next((getattr(r.encoder, "_tokenizer", None) for r in model.classifier.readers
                      if r.language == lang), None) if model is not None else None
    if tokenizer is None:
        return
    tokenizer.enable_truncation(64)
    try:
        b50, b99 = cpu_latency(engine.parse_now, texts)
    finally:
        tokenizer.enable_truncation(MAX_TOKENS)
    print(f"  baseline, encoder reading up to 64 tokens: CPU time p50 {b50:.3f} ms  p99 {b99:.3f} ms; "
          f"ours/baseline p50 {c50 / b50:.2f}  p99 {c99 / b99:.2f}")


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--skip-clinc", action="store_true")
    parser.add_argument("--skip-retail", action="store_true")
    parser.add_argument("--skip-evaluation", action="store_true")
    parser.add_argument("--test-file", type=Path, default=ROOT / "nlu" / "dev")
    parser.add_argument("--clinc", type=Path, default=CLINC, help="CLINC150's data_full.json")
    args = parser.parse_args()
    if not args.skip_evaluation:
        evaluation_table(args.test_file)
    if not args.skip_clinc:
        clinc(args.skip_baseline, args.clinc)
    if not args.skip_retail:
        retail(args.skip_baseline)


if __name__ == "__main__":
    main()
