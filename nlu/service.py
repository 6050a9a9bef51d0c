"""The NLU service the bot calls: the configured engine behind one `parse`, built once from Settings."""

from __future__ import annotations

from datetime import date

import httpx

from hub.settings import Settings
from models.clock import local_date, utcnow
from models.nlu import ParseResult
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine, Engine
from nlu.rasa import RasaEngine


class NluService:
    """`await nlu.parse(text)`: in process for the builtin engine, one HTTP call for Rasa."""

    def __init__(self, engine: Engine, builtin: BuiltinEngine | None) -> None:
        self.engine = engine
        self.builtin = builtin  # the builtin engine, when configured directly or as Rasa's fallback

    @property
    def has_model(self) -> bool:
        """Whether parse can say anything beyond "out of scope" (Rasa, or a trained builtin model)."""
        return not isinstance(self.engine, BuiltinEngine) or self.engine.model is not None

    async def parse(self, text: str, *, today: date | None = None) -> ParseResult:
        """The configured engine's reading of `text`; relative dates count from `today` (the conversation's)."""
        return await self.engine.parse(text, today=today)

    async def refresh(self) -> None:
        """Pick up a newly trained builtin model if one appeared (a cheap, rate-limited check)."""
        if self.builtin is not None:
            await self.builtin.reload_if_changed()

    async def reload_if_changed(self) -> bool:
        """Load a newly activated builtin model now rather than at the next check; True if one was loaded."""
        return False if self.builtin is None else await self.builtin.reload_if_changed(force=True)


def build_nlu(settings: Settings, http: httpx.AsyncClient) -> NluService:
    """The engine the settings choose (Rasa's fallback is the builtin engine unless it is `handover`)."""
    builtin = BuiltinEngine(ModelDirectory(settings.nlu_model_dir), threshold=settings.nlu_threshold,
                            check_every=settings.nlu_reload_seconds,
                            today=lambda: local_date(utcnow(), settings.timezone))
    if settings.nlu_engine == "builtin":
        return NluService(builtin, builtin)
    fallback = builtin if settings.rasa_fallback == "builtin" else None
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    rasa = RasaEngine(settings.rasa_url, http, timeout=settings.rasa_timeout, fallback=fallback,
                      threshold=settings.nlu_threshold, token=token)
    return NluService(rasa, fallback)
