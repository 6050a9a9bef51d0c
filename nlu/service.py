"""The NLU service the hub reads topics with: the configured engine behind one `parse` (built by api/wiring.py)."""

from __future__ import annotations

import time
from datetime import date

from models.nlu import ParseResult
from nlu.engine import BuiltinEngine, Engine
from nlu.model_store import MongoModelStore


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
