"""Training: data in, a complete model (classifier, entities, threshold, metadata) out."""

from __future__ import annotations

import time
from collections.abc import Callable

from models.clock import utcnow
from models.errors import PayloadError
from nlu.artefacts import Metadata, NluModel, new_version
from nlu.classifier import ClassifierConfig, IntentClassifier
from nlu.entities import EntityExtractor
from nlu.thresholds import choose_threshold
from nlu.training_data import TrainingData

Progress = Callable[[str], None]
MIN_INTENTS = 2
# Confidently wrong answers allowed on the held-out split when choosing a threshold. Half the goal (2 %):
# the split is drawn from the training data's own hand, and independent messages are harder.
MAX_WRONG = 0.01
MIN_THRESHOLD_EXAMPLES = 40  # held-out examples a language needs for a threshold of its own


def train(data: TrainingData, config: ClassifierConfig | None = None, progress: Progress | None = None) -> NluModel:
    """Fit the classifier, pick the out-of-scope threshold on its held-out split, build the extractor."""
    if len(data.intents) < MIN_INTENTS:
        raise PayloadError(f"training needs at least {MIN_INTENTS} intents, the data has {len(data.intents)}")
    note = progress or (lambda _: None)
    started = time.perf_counter()
    texts, labels = data.texts_and_labels()
    classifier = IntentClassifier(config).fit(texts, labels, progress=note)
    threshold, per_language = _thresholds(classifier)
    classifier.held_out = None  # not part of the artefact
    note("entities")
    extractor = EntityExtractor.from_data(data)
    data_hash = data.fingerprint()
    metadata = Metadata(
        version=new_version(data_hash), data_hash=data_hash, intents=classifier.labels, threshold=threshold,
        thresholds=per_language, trained_at=utcnow(), examples=len(texts),
        training_seconds=round(time.perf_counter() - started, 3),
        scores={"temperature": round(classifier.temperature, 4),
                **{f"temperature_{k}": round(v, 4) for k, v in classifier.temperatures.items()}},
        encoder=", ".join(f"{r.language}: {r.encoder.name}" for r in classifier.readers),
    )
    return NluModel(classifier, extractor, metadata)


def _thresholds(classifier: IntentClassifier) -> tuple[float, dict[str, float]]:
    """One threshold over all held-out examples, and one per language that has enough of them."""
    held = classifier.held_out
    if held is None:
        return choose_threshold([], [], []), {}
    predicted, confidence = [p for p, _ in held.tops], [c for _, c in held.tops]
    overall = choose_threshold(predicted, confidence, held.truth, MAX_WRONG)
    per_language = {}
    for lang in sorted(set(held.languages)):
        rows = [i for i, g in enumerate(held.languages) if g == lang]
        if len(rows) >= MIN_THRESHOLD_EXAMPLES:
            per_language[lang] = choose_threshold([predicted[i] for i in rows], [confidence[i] for i in rows],
                                                  [held.truth[i] for i in rows], MAX_WRONG)
    return overall, per_language
