"""The builtin engine: the current trained model, in process, reloaded when `otklik nlu train` makes a new one."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import time
from collections.abc import Callable
from datetime import date
from typing import Protocol

from models.clock import utcnow
from models.errors import NotFound
from models.nlu import OUT_OF_SCOPE, IntentScore, ParseResult
from nlu import language
from nlu.artefacts import ModelDirectory, NluModel
from nlu.entities import EntityExtractor
from nlu.reading import read
from nlu.training_data import TrainingData

log = logging.getLogger("otklik.nlu")
RANKING_SIZE = 10
NO_MODEL = "builtin: no trained model"
MAX_PARSE_CHARS = 2000
# What unpickling a damaged or foreign file raises (pickle's own documentation lists these).
_UNLOADABLE = (NotFound, OSError, EOFError, ValueError, KeyError, IndexError, TypeError, AttributeError,
               ImportError, pickle.UnpicklingError)  # a pasted e-mail thread says nothing more about intent after this


class Engine(Protocol):
    """What the bot calls: one text in, one ParseResult out, never an exception for an engine failure."""

    name: str

    async def parse(self, text: str, *, today: date | None = None) -> ParseResult:
        """The engine's reading of `text`; relative dates ("вчера") count from `today`, the caller's clock."""
        ...


class BuiltinEngine:
    """Our classifier and extractors on the model `current` names; looks for a newer one every `check_every` s."""

    name = "builtin"

    def __init__(self, directory: ModelDirectory, *, threshold: float | None = None, check_every: float = 2.0,
                 today: Callable[[], date] = lambda: utcnow().date()) -> None:
        self.directory = directory
        self.threshold = threshold  # None: the threshold tuned at training
        self.check_every = check_every
        self.today = today
        self.model: NluModel | None = None
        self._checked_at = float("-inf")
        self._pointer_key: tuple[int, int] | None = None
        self._fallback_entities = EntityExtractor.from_data(TrainingData())

    @property
    def version(self) -> str:
        """The loaded model's version ("" before the first)."""
        return "" if self.model is None else self.model.metadata.version

    async def parse(self, text: str, *, today: date | None = None) -> ParseResult:
        """Reload if a new model was activated, then parse in process."""
        await self.reload_if_changed()
        return self.parse_now(text, today=today)

    async def reload_if_changed(self, *, force: bool = False) -> bool:
        """Load the model `current` names if it changed (a stat at most every `check_every` s); True if loaded."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.check_every:
            return False
        self._checked_at = now
        try:
            stat = os.stat(self.directory.pointer)
        except FileNotFoundError:
            return False
        key = (stat.st_ino, stat.st_mtime_ns)
        if key == self._pointer_key and not force:
            return False
        self._pointer_key = key
        version = self.directory.current_version()
        if version is None or version == self.version:
            return False
        try:
            self.model = await asyncio.to_thread(self._load_warm, version)
        except _UNLOADABLE as e:  # a half-copied or foreign file: keep serving the model we have
            log.error("nlu model %s not loaded: %s", version, e)
            return False
        log.info("nlu model %s loaded", version)
        return True

    def _load_warm(self, version: str) -> NluModel:
        """Load a model and parse once, so its encoders start here (a thread), not in the first customer's parse."""
        model = self.directory.load(version)
        model.classifier.rank("warm up прогрев")
        return model

    def parse_now(self, text: str, *, today: date | None = None) -> ParseResult:
        """Parse with the model already loaded (synchronous; well under a millisecond)."""
        text = text[:MAX_PARSE_CHARS]
        today = self.today() if today is None else today
        lang = language.detect(text)
        if self.model is None:
            entities = self._fallback_entities.extract(text, today)
            return ParseResult(text=text, intent=OUT_OF_SCOPE, confidence=0.0, entities=entities, language=lang,
                               engine=self.name, out_of_scope=True, degraded=NO_MODEL)
        model = self.model
        threshold = model.metadata.threshold_for(lang) if self.threshold is None else self.threshold
        reading = read(model.classifier, text, threshold)
        return ParseResult(
            text=text, intent=reading.intent, confidence=round(reading.confidence, 6),
            ranking=_scores(reading.ranking[:RANKING_SIZE]),
            entities=model.entities.extract(text, today), language=lang, engine=self.name,
            model_version=model.metadata.version, out_of_scope=reading.intent == OUT_OF_SCOPE,
            close_call=reading.close_call, also=_scores(reading.also),
        )


def _scores(pairs: list[tuple[str, float]]) -> list[IntentScore]:
    return [IntentScore(name=n, confidence=round(c, 6)) for n, c in pairs]
