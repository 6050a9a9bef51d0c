"""Model versions kept in MongoDB (GridFS), so every api and worker process serves the same one.

`otklik nlu train` on the MongoDB store publishes the new version's files into the GridFS bucket
`nlu_models` and names it in `nlu_active`. Each process keeps its local model folder
(`OTKLIK_NLU_MODEL_DIR`) as a cache: `sync` downloads the active version once, then points the local
`current` at it, and the builtin engine's usual reload picks it up. No process trains and no container
needs a shared disk; rolling back is activating an older published version (`otklik nlu activate`).

    store = MongoModelStore(url); await store.open()
    await store.publish(directory, version)      # upload a locally saved version and make it active
    await store.sync(directory)                   # every process: serve what the store names
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from gridfs import AsyncGridFSBucket
from gridfs.errors import NoFile
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import PyMongoError

from models.clock import utcnow
from models.errors import NotFound, Unavailable
from nlu.artefacts import METADATA_FILE, MODEL_FILE, Metadata, ModelDirectory

log = logging.getLogger("otklik.nlu")

BUCKET = "nlu_models"
ACTIVE = "nlu_active"  # one document, _id "active": the version every process serves
FILES = (MODEL_FILE, METADATA_FILE)
Doc = dict[str, Any]


class MongoModelStore:
    """Published model versions (GridFS) and the active one, in the store's MongoDB database."""

    def __init__(self, url: str, database: str | None = None) -> None:
        self.url = url
        self.name = database
        self._client: AsyncMongoClient[Doc] | None = None
        self._db: AsyncDatabase[Doc] | None = None

    async def open(self) -> None:
        """Connect (the database is the one given, else the URL's path, else 'otklik', as the stores do)."""
        self._client = AsyncMongoClient(self.url, serverSelectionTimeoutMS=3000, tz_aware=True)
        self._db = self._client[self.name] if self.name else self._client.get_default_database("otklik")

    async def close(self) -> None:
        """Disconnect."""
        if self._client is not None:
            await self._client.close()
            self._client = self._db = None

    @property
    def db(self) -> AsyncDatabase[Doc]:
        """The open database; Unavailable before open()."""
        if self._db is None:
            raise Unavailable("the NLU model store is not open")
        return self._db

    async def publish(self, directory: ModelDirectory, version: str, *, activate: bool = True) -> None:
        """Upload a locally saved version's files (once: a version already published is kept as it is)."""
        bucket = AsyncGridFSBucket(self.db, bucket_name=BUCKET)
        for name in FILES:
            filename = f"{version}/{name}"
            if await self.db[f"{BUCKET}.files"].find_one({"filename": filename}) is None:
                with (directory.root / version / name).open("rb") as source:
                    await bucket.upload_from_stream(filename, source)
        if activate:
            await self.activate(version)

    async def activate(self, version: str) -> None:
        """Make a published version the one every process serves; NotFound if it was never published."""
        if await self.db[f"{BUCKET}.files"].find_one({"filename": f"{version}/{MODEL_FILE}"}) is None:
            raise NotFound(f"no published NLU model version {version}")
        await self.db[ACTIVE].update_one({"_id": "active"}, {"$set": {"version": version, "at": utcnow()}},
                                     upsert=True)

    async def active_version(self) -> str | None:
        """The version every process should serve, if one was published."""
        doc = await self.db[ACTIVE].find_one({"_id": "active"})
        return None if doc is None else str(doc["version"])

    async def active_metadata(self) -> Metadata | None:
        """The active version's metadata (what it was trained from), if there is one."""
        version = await self.active_version()
        if version is None:
            return None
        stream = await AsyncGridFSBucket(self.db, bucket_name=BUCKET).open_download_stream_by_name(
            f"{version}/{METADATA_FILE}")
        return Metadata.from_json((await stream.read()).decode("utf-8"))

    async def sync(self, directory: ModelDirectory) -> str | None:
        """Make the local folder serve the active version (downloading it once); the version, or None.

        A store that does not answer leaves the local model serving (logged): a short MongoDB outage must
        not take the bot's understanding away.
        """
        try:
            version = await self.active_version()
            if version is None or version == directory.current_version():
                return version
            if not (directory.root / version / MODEL_FILE).is_file():
                await self._download(directory, version)
        except (PyMongoError, NoFile) as e:
            # the text only: the exception's traceback holds the client's sockets, which must not outlive this call
            log.error("nlu model store not read: %s", str(e))
            return directory.current_version()
        directory.activate(version)
        log.info("nlu model %s activated from the store", version)
        return version

    async def _download(self, directory: ModelDirectory, version: str) -> None:
        """Fetch a version into a temporary folder, then rename it into place (other processes may race)."""
        directory.root.mkdir(parents=True, exist_ok=True)
        bucket = AsyncGridFSBucket(self.db, bucket_name=BUCKET)
        staging = Path(tempfile.mkdtemp(dir=directory.root, prefix=f".{version}-"))
        try:
            for name in FILES:
                with (staging / name).open("wb") as target:
                    await bucket.download_to_stream_by_name(f"{version}/{name}", target)
            try:
                os.rename(staging, directory.root / version)
            except OSError:  # another process on this disk put the same version in place first
                if not (directory.root / version / MODEL_FILE).is_file():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
