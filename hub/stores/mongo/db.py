"""The MongoDB connection and the document helpers every MongoDB store module shares.

Documents are the pydantic models dumped in python mode with `_id` = the model's id, so datetimes are
BSON dates (millisecond precision; read back timezone-aware because the client uses tz_aware=True).
Every unique index is partial on `{field: {"$type": "string"}}` so null / empty values never collide;
queries aimed at those indexes repeat that filter (`is_string`), or the planner would scan the collection.
"""

from __future__ import annotations

from typing import Any, TypeVar

from bson.codec_options import TypeRegistry
from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from models.errors import Unavailable

Doc = dict[str, Any]
M = TypeVar("M", bound=BaseModel)

DEFAULT_DATABASE = "otklik"
STRING = {"$type": "string"}


def is_string(value: str) -> Doc:
    """Equality that also states the partial index's filter, so the planner may use the index."""
    return {"$eq": value, **STRING}


def dump_model(model: BaseModel, **extra: Any) -> Doc:
    """A model as a document, its id as `_id`."""
    doc = model.model_dump(mode="python")
    doc["_id"] = doc.pop("id")
    return {**doc, **extra}


def load_model(cls: type[M], doc: Doc) -> M:
    """A document back as a model."""
    doc["id"] = doc.pop("_id")
    return cls.model_validate(doc)  # our index-only fields (identity_keys, open_key, seq) are ignored


class MongoDatabase:
    """The client (created in open(): a closed AsyncMongoClient cannot be reused) and the database."""

    def __init__(self, url: str, database: str | None = None) -> None:
        self.url = url
        self.name = database
        self._client: AsyncMongoClient[Doc] | None = None
        self._db: AsyncDatabase[Doc] | None = None

    @property
    def client(self) -> AsyncMongoClient[Doc]:
        """The open client; Unavailable before open() or after close()."""
        if self._client is None:
            raise Unavailable("MongoDB store is not open")
        return self._client

    def collection(self, name: str) -> AsyncCollection[Doc]:
        """One collection of the open database."""
        if self._db is None:
            raise Unavailable("MongoDB store is not open")
        return self._db[name]

    async def open(self) -> None:
        """Create the client; the database is the one given, else the URL's path, else 'otklik'."""
        self._client = AsyncMongoClient(
            self.url,
            tz_aware=True,  # BSON dates would otherwise come back naive
            serverSelectionTimeoutMS=3000,  # an outage surfaces in seconds, not after the 30 s default
            # pydantic types BSON does not know (HttpUrl, SecretStr...) are stored in their JSON form
            type_registry=TypeRegistry(fallback_encoder=to_jsonable_python),
        )
        self._db = self._client[self.name] if self.name else self._client.get_default_database(DEFAULT_DATABASE)
        self.name = self._db.name

    async def close(self) -> None:
        """Close the client."""
        if self._client is not None:
            await self._client.close()
            self._client, self._db = None, None
