"""The Rasa engine: the same interface backed by a Rasa server's `POST /model/parse`.

Rasa's HTTP API (https://rasa.com/docs/rasa/pages/http-api, "Parse a message using the Rasa model")
answers `{"text", "intent": {"name", "confidence"}, "entities": [{"entity", "value", "start", "end",
"extractor", "confidence_entity"}], "intent_ranking": [...]}`. When Rasa is slow, down, or answers
5xx, the engine is degraded: it falls back to the builtin engine or hands over, as configured, and
says why in `ParseResult.degraded`.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.nlu import OUT_OF_SCOPE, Entity, IntentScore, ParseResult
from nlu import language
from nlu.engine import Engine
from nlu.thresholds import decide

log = logging.getLogger("otklik.nlu")
RASA_FALLBACK_INTENTS = {"nlu_fallback", OUT_OF_SCOPE}  # FallbackClassifier's name, and ours


class _RasaIntent(BaseModel):
    name: str | None = None
    confidence: float = 0.0


class _RasaEntity(BaseModel):
    model_config = ConfigDict(extra="ignore")

    entity: str
    value: Any
    start: int = Field(default=0, ge=0)
    end: int = Field(default=0, ge=0)
    extractor: str = "rasa"
    confidence_entity: float | None = None


class _RasaParse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    intent: _RasaIntent | None = None
    entities: list[_RasaEntity] = Field(default_factory=list)
    intent_ranking: list[_RasaIntent] = Field(default_factory=list)


class RasaEngine:
    """Parses through a Rasa server; degraded answers come from `fallback`, or are a handover when it is None."""

    name = "rasa"

    def __init__(self, url: str, http: httpx.AsyncClient, *, timeout: float, fallback: Engine | None = None,
                 threshold: float | None = None, token: str | None = None) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.http = http
        self.timeout = timeout
        self.fallback = fallback
        self.threshold = threshold
        self.params = {"token": token} if token else {}

    async def parse(self, text: str, *, today: date | None = None) -> ParseResult:
        """Rasa's reading of `text`, or a degraded one if Rasa does not answer well in time."""
        try:
            response = await self.http.post(self.url, json={"text": text}, params=self.params, timeout=self.timeout)
        except httpx.TimeoutException:
            return await self._degraded(text, today, f"rasa: no answer within {self.timeout:g} s")
        except httpx.TransportError as e:
            return await self._degraded(text, today, f"rasa: unreachable ({type(e).__name__})")
        if response.status_code != 200:
            return await self._degraded(text, today, f"rasa: HTTP {response.status_code}")
        try:
            parsed = _RasaParse.model_validate_json(response.content)
        except ValidationError as e:
            return await self._degraded(text, today, f"rasa: unreadable answer ({e.error_count()} problems)")
        return self._result(text, parsed)

    def _result(self, text: str, parsed: _RasaParse) -> ParseResult:
        top = parsed.intent or _RasaIntent()
        name, confidence = top.name or OUT_OF_SCOPE, _unit(top.confidence)
        if name in RASA_FALLBACK_INTENTS:
            intent = OUT_OF_SCOPE
        else:
            intent = name if self.threshold is None else decide(name, confidence, self.threshold)
        entities = [
            Entity(entity=e.entity, value=str(e.value), start=e.start, end=max(e.end, e.start),
                   extractor=e.extractor, canonical=str(e.value),
                   confidence=_unit(1.0 if e.confidence_entity is None else e.confidence_entity))
            for e in parsed.entities
        ]
        ranking = [IntentScore(name=r.name, confidence=_unit(r.confidence)) for r in parsed.intent_ranking if r.name]
        return ParseResult(text=text, intent=intent, confidence=confidence, ranking=ranking, entities=entities,
                           language=language.detect(text), engine=self.name, out_of_scope=intent == OUT_OF_SCOPE)

    async def _degraded(self, text: str, today: date | None, reason: str) -> ParseResult:
        log.warning("nlu degraded: %s", reason)
        if self.fallback is not None:
            result = await self.fallback.parse(text, today=today)
            return result.model_copy(update={"degraded": reason})
        return ParseResult(text=text, intent=OUT_OF_SCOPE, confidence=0.0, language=language.detect(text),
                           engine=self.name, out_of_scope=True, degraded=reason)


def _unit(value: float) -> float:
    """Rasa's floats can stray past 1.0 by rounding."""
    return min(max(value, 0.0), 1.0)
