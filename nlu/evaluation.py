"""How good a model is: k-fold cross-validation or a held-out set, scored the way the bot uses it
(below the threshold counts as "out_of_scope")."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sklearn.metrics import f1_score, precision_recall_fscore_support  # type: ignore[import-untyped]
from sklearn.model_selection import StratifiedKFold  # type: ignore[import-untyped]

from models.nlu import OUT_OF_SCOPE
from nlu import language
from nlu.artefacts import NluModel
from nlu.classifier import ClassifierConfig
from nlu.reading import read
from nlu.training import train
from nlu.training_data import Example, TrainingData

Progress = Callable[[str], None]


@dataclass(frozen=True)
class IntentScores:
    """Precision, recall and support of one intent."""

    intent: str
    precision: float
    recall: float
    support: int


@dataclass
class Report:
    """Scores of one evaluation."""

    accuracy: float
    in_scope_accuracy: float
    macro_f1: float
    per_intent: list[IntentScores]
    confusions: list[tuple[str, str, int]]  # (true, predicted, count), worst first
    oos_precision: float | None
    oos_recall: float | None
    examples: int
    mistakes: list[tuple[str, str, str]] = field(default_factory=list)  # (text, true, predicted)

    def lines(self, worst: int = 10) -> list[str]:
        """The report as text lines for the terminal."""
        out = [f"examples: {self.examples}", f"accuracy: {self.accuracy:.4f}",
               f"in-scope accuracy: {self.in_scope_accuracy:.4f}", f"macro-F1: {self.macro_f1:.4f}"]
        if self.oos_recall is not None:
            out.append(f"out-of-scope precision: {_fmt(self.oos_precision)}  recall: {_fmt(self.oos_recall)}")
        out.append("per intent (precision / recall / support):")
        out.extend(f"  {s.intent:<28} {s.precision:.3f}  {s.recall:.3f}  {s.support}" for s in self.per_intent)
        out.append("worst confusions (true -> predicted: count):")
        out.extend(f"  {t} -> {p}: {n}" for t, p, n in self.confusions[:worst])
        return out


def _fmt(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def predict(model: NluModel, examples: list[Example], threshold: float | None = None) -> list[str]:
    """The intent the bot would act on for each example."""
    decided = []
    for example in examples:
        cut = model.metadata.threshold_for(language.detect(example.text)) if threshold is None else threshold
        decided.append(read(model.classifier, example.text, cut).intent)
    return decided


def held_out(model: NluModel, test: TrainingData, threshold: float | None = None) -> Report:
    """Score a trained model on a separate test set."""
    truth = [e.intent for e in test.examples]
    return score(truth, predict(model, test.examples, threshold), [e.text for e in test.examples])


def cross_validate(data: TrainingData, folds: int = 5, config: ClassifierConfig | None = None,
                   progress: Progress | None = None, seed: int = 7) -> Report:
    """Stratified k-fold: train on k-1 folds, predict the k-th, score all predictions together."""
    note = progress or (lambda _: None)
    labels = [e.intent for e in data.examples]
    smallest = min(Counter(labels).values())
    splitter = StratifiedKFold(n_splits=min(folds, max(smallest, 2)), shuffle=True, random_state=seed)
    decided: list[str] = [""] * len(labels)
    for n, (train_idx, test_idx) in enumerate(splitter.split(labels, labels), start=1):
        note(f"fold {n}")
        part = TrainingData(examples=[data.examples[i] for i in train_idx], synonyms=data.synonyms,
                            regexes=data.regexes, lookups=data.lookups)
        model = train(part, config)
        for i, intent in zip(test_idx, predict(model, [data.examples[i] for i in test_idx]), strict=True):
            decided[i] = intent
    return score(labels, decided, [e.text for e in data.examples])


def score(truth: list[str], decided: list[str], texts: list[str]) -> Report:
    """Accuracy, macro-F1, per-intent precision/recall, confusions and out-of-scope precision/recall."""
    intents = sorted(set(truth) - {OUT_OF_SCOPE})
    in_scope = [(t, d) for t, d in zip(truth, decided, strict=True) if t != OUT_OF_SCOPE]
    precision, recall, _, support = precision_recall_fscore_support(
        truth, decided, labels=intents, zero_division=0)
    has_oos = OUT_OF_SCOPE in truth
    oos_p, oos_r = _oos(truth, decided) if has_oos else (None, None)
    pairs = Counter((t, d) for t, d in zip(truth, decided, strict=True) if t != d)
    return Report(
        accuracy=sum(t == d for t, d in zip(truth, decided, strict=True)) / max(len(truth), 1),
        in_scope_accuracy=sum(t == d for t, d in in_scope) / max(len(in_scope), 1),
        macro_f1=float(f1_score(truth, decided, labels=intents, average="macro", zero_division=0)),
        per_intent=[IntentScores(i, float(p), float(r), int(s))
                    for i, p, r, s in zip(intents, precision, recall, support, strict=True)],
        confusions=[(t, d, n) for (t, d), n in pairs.most_common()],
        oos_precision=oos_p, oos_recall=oos_r, examples=len(truth),
        mistakes=[(x, t, d) for x, t, d in zip(texts, truth, decided, strict=True) if t != d],
    )


def _oos(truth: list[str], decided: list[str]) -> tuple[float | None, float]:
    said = [d == OUT_OF_SCOPE for d in decided]
    real = [t == OUT_OF_SCOPE for t in truth]
    hits = sum(s and r for s, r in zip(said, real, strict=True))
    precision = hits / sum(said) if any(said) else None
    return precision, hits / sum(real)
