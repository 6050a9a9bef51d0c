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


def train(data: TrainingData, config: ClassifierConfig | None = None, progress: Progress | None = None) -> NluModel:
    """Fit the classifier, pick the out-of-scope threshold on its held-out split, build the extractor."""
    if len(data.intents) < MIN_INTENTS:
        raise PayloadError(f"training needs at least {MIN_INTENTS} intents, the data has {len(data.intents)}")
    note = progress or (lambda _: None)
    started = time.perf_counter()
    texts, labels = data.texts_and_labels()
    classifier = IntentClassifier(config).fit(texts, labels, progress=note)
    threshold = _threshold(classifier)
    classifier.held_out = None  # not part of the artefact
    note("entities")
    extractor = EntityExtractor.from_data(data)
    data_hash = data.fingerprint()
    metadata = Metadata(
        version=new_version(data_hash), data_hash=data_hash, intents=classifier.labels, threshold=threshold,
        trained_at=utcnow(), examples=len(texts), training_seconds=round(time.perf_counter() - started, 3),
        scores={"temperature": round(classifier.temperature, 4)},
        encoder=", ".join(f"{r.language}: {r.encoder.name}" for r in classifier.readers),
    )
    return NluModel(classifier, extractor, metadata)


def _threshold(classifier: IntentClassifier) -> float:
    if classifier.held_out is None:
        return choose_threshold([], [], [])
    ranked, truth = classifier.held_out
    return choose_threshold([r[0][0] for r in ranked], [r[0][1] for r in ranked], truth)
