"""The NLU service the bot calls: the configured engine behind one `parse`, built once from Settings."""

from __future__ import annotations

import time
from datetime import date

import httpx

from hub.settings import Settings
from models.clock import local_date, utcnow
from models.nlu import ParseResult
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine, Engine
from nlu.model_store import MongoModelStore
from nlu.rasa import RasaEngine


class NluService:
    """`await nlu.parse(text)`: in process for the builtin engine, one HTTP call for Rasa.

    With a model store (the MongoDB store), the builtin engine serves the version the store names: the local
    model folder is only this process's cache of it, so every api and worker process serves the same one.
    """

    def __init__(self, engine: Engine, builtin: BuiltinEngine | None, store: MongoModelStore | None = None) -> None:
        self.engine = engine
        self.builtin = builtin  # the builtin engine, when configured directly or as Rasa's fallback
        self.store = store
        self._synced_at = float("-inf")

    @property
    def has_model(self) -> bool:
        """Whether parse can say anything beyond "out of scope" (Rasa, or a trained builtin model)."""
        return not isinstance(self.engine, BuiltinEngine) or self.engine.model is not None

    @property
    def model_version(self) -> str | None:
        """The builtin model version this process serves (None before one is loaded, or on Rasa alone)."""
        return (self.builtin.version or None) if self.builtin is not None else None

    async def parse(self, text: str, *, today: date | None = None) -> ParseResult:
        """The configured engine's reading of `text`; relative dates count from `today` (the conversation's)."""
        return await self.engine.parse(text, today=today)

    async def open(self) -> None:
        """Open the model store, if there is one (models load at the first refresh: a message or /readyz)."""
        if self.store is not None:
            await self.store.open()

    async def close(self) -> None:
        """Close the model store."""
        if self.store is not None:
            await self.store.close()

    async def refresh(self) -> None:
        """Pick up a newly trained or activated builtin model if one appeared (a cheap, rate-limited check)."""
        await self.sync()

    async def reload_if_changed(self) -> bool:
        """Load a newly activated builtin model now rather than at the next check; True if one was loaded."""
        return await self.sync(force=True)

    async def sync(self, *, force: bool = False) -> bool:
        """Follow the store's active version (at most every reload interval), then reload; True if loaded."""
        if self.builtin is None:
            return False
        now = time.monotonic()
        if self.store is not None and (force or now - self._synced_at >= self.builtin.check_every):
            self._synced_at = now
            await self.store.sync(self.builtin.directory)
        return await self.builtin.reload_if_changed(force=force)


def build_nlu(settings: Settings, http: httpx.AsyncClient) -> NluService:
    """The engine the settings choose (Rasa's fallback is the builtin engine unless it is `handover`)."""
    builtin = BuiltinEngine(ModelDirectory(settings.nlu_model_dir), threshold=settings.nlu_threshold,
                            check_every=settings.nlu_reload_seconds,
                            today=lambda: local_date(utcnow(), settings.timezone))
    store = model_store(settings)
    if settings.nlu_engine == "builtin":
        return NluService(builtin, builtin, store)
    fallback = builtin if settings.rasa_fallback == "builtin" else None
    token = settings.rasa_token.get_secret_value() if settings.rasa_token else None
    rasa = RasaEngine(settings.rasa_url, http, timeout=settings.rasa_timeout, fallback=fallback,
                      threshold=settings.nlu_threshold, token=token)
    return NluService(rasa, fallback, store if fallback is not None else None)


def model_store(settings: Settings) -> MongoModelStore | None:
    """Where model versions are shared: MongoDB on the MongoDB store; None (the local folder) on SQLite."""
    if settings.store != "mongo" or settings.mongodb_url is None:
        return None
    return MongoModelStore(settings.mongodb_url)
