"""What the NLU layer says about a text: intent, confidence, ranking, entities, language, engine."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

OUT_OF_SCOPE = "out_of_scope"  # the intent name of a text the bot must not answer


class IntentScore(BaseModel):
    """One intent and the engine's confidence in it (0..1)."""

    model_config = ConfigDict(frozen=True)

    name: str
    confidence: float = Field(ge=0.0, le=1.0)


class Entity(BaseModel):
    """A span of the text the engine recognised; `canonical` is the value after synonyms and normalisation."""

    model_config = ConfigDict(frozen=True)

    entity: str
    value: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    extractor: str
    canonical: str
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)


class ParseResult(BaseModel):
    """The engine's reading of one text.

    `intent` is `out_of_scope` whenever the engine is not sure enough (or is degraded); `ranking` still
    lists what it considered, best first, so operators see the near misses. `close_call` marks a reading
    the bot should confirm with a question (its first two `ranking` entries are the candidates).
    """

    model_config = ConfigDict(frozen=True)

    text: str
    intent: str
    confidence: float = Field(ge=0.0, le=1.0)
    ranking: list[IntentScore] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    language: str = "unknown"  # "ru", "en" or "unknown"
    engine: str  # "builtin" or "rasa"
    model_version: str = ""
    out_of_scope: bool = False
    degraded: str | None = None  # why the configured engine did not answer (e.g. "rasa: timeout")
    # The top two topics are close, or the confidence is middling: the bot should ask rather than act.
    close_call: bool = False
    # Further topics of a message that raises several (the main one is `intent`), for the operator.
    also: list[IntentScore] = Field(default_factory=list)

    def entity(self, name: str) -> Entity | None:
        """The first entity of this kind, if any."""
        return next((e for e in self.entities if e.entity == name), None)
