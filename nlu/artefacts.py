"""Versioned model artefacts: `<dir>/<version>/model.joblib` + `metadata.json`, and `<dir>/current` naming one.

The pointer is replaced atomically (write a temporary file, then rename), so a running service reads
either the old version or the new one, never half of either. Artefacts are pickles: keep the model
folder as trusted as the code.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import joblib  # type: ignore[import-untyped]

from models.clock import utcnow
from models.errors import NotFound
from nlu.classifier import IntentClassifier
from nlu.entities import EntityExtractor

POINTER = "current"
MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"


@dataclass
class Metadata:
    """What a model was trained from and how it scored (written next to it as JSON)."""

    version: str
    data_hash: str
    intents: list[str]
    threshold: float
    trained_at: datetime
    examples: int
    training_seconds: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    encoder: str = ""  # the sentence encoders fused with the n-grams, per language ("" for n-grams only)
    thresholds: dict[str, float] = field(default_factory=dict)  # per language; `threshold` for the rest

    def threshold_for(self, language: str) -> float:
        """The out-of-scope threshold for a text in `language`."""
        return self.thresholds.get(language, self.threshold)

    def to_json(self) -> str:
        """As written to metadata.json."""
        doc: dict[str, Any] = dict(self.__dict__)
        doc["trained_at"] = self.trained_at.isoformat()
        return json.dumps(doc, ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> Metadata:
        """Read metadata.json."""
        doc = json.loads(text)
        doc["trained_at"] = datetime.fromisoformat(doc["trained_at"])
        return cls(**doc)


@dataclass
class NluModel:
    """Everything the builtin engine needs to parse: classifier, entity extractor, threshold, metadata."""

    classifier: IntentClassifier
    entities: EntityExtractor
    metadata: Metadata


def new_version(data_hash: str, at: datetime | None = None) -> str:
    """A sortable, unique version name: UTC time plus the data hash's first 8 characters."""
    return f"{(at or utcnow()):%Y%m%dT%H%M%S%fZ}-{data_hash[:8]}"


class ModelDirectory:
    """The folder of model versions and its `current` pointer."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    @property
    def pointer(self) -> Path:
        """The file naming the current version."""
        return self.root / POINTER

    def save(self, model: NluModel, *, activate: bool = True) -> Path:
        """Write a new version's folder; with `activate`, point `current` at it."""
        folder = self.root / model.metadata.version
        folder.mkdir(parents=True, exist_ok=False)
        joblib.dump(model, folder / MODEL_FILE, compress=3)
        (folder / METADATA_FILE).write_text(model.metadata.to_json(), encoding="utf-8")
        if activate:
            self.activate(model.metadata.version)
        return folder

    def activate(self, version: str) -> None:
        """Point `current` at an existing version, atomically."""
        if not (self.root / version / MODEL_FILE).is_file():
            raise NotFound(f"no model version {version} in {self.root}")
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".current-")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(version + "\n")
        os.replace(tmp, self.pointer)

    def current_version(self) -> str | None:
        """The version `current` names, if any."""
        try:
            return self.pointer.read_text(encoding="utf-8").strip() or None
        except FileNotFoundError:
            return None

    def load(self, version: str | None = None) -> NluModel:
        """The named (default: current) model; NotFound if there is none."""
        name = version or self.current_version()
        if name is None:
            raise NotFound(f"no trained model in {self.root} (run `otklik nlu train`)")
        path = self.root / name / MODEL_FILE
        if not path.is_file():
            raise NotFound(f"model version {name} is missing its {MODEL_FILE} in {self.root}")
        model = joblib.load(path)
        if not isinstance(model, NluModel):
            raise NotFound(f"{path} is not an Otklik NLU model")
        return model

    def versions(self) -> list[Metadata]:
        """Every saved version's metadata, oldest first."""
        found = []
        for meta in sorted(self.root.glob(f"*/{METADATA_FILE}")):
            found.append(Metadata.from_json(meta.read_text(encoding="utf-8")))
        return found
