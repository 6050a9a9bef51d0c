"""Issue 13, section 5: a process whose own disk holds no model read every message as out of scope.

In the compose stack `var/` is private to each container, and the workers, which run the bot, never saw the
model `otklik nlu train` made elsewhere. On the MongoDB store a trained version is published to the store,
and a process with an empty model folder serves it.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from api.wiring import running_hub
from nlu.artefacts import ModelDirectory
from nlu.model_store import MongoModelStore
from tests.integration.model_support import drop_database, with_database

pytestmark = pytest.mark.mongo


@pytest.fixture
async def database(mongodb_url: str) -> AsyncIterator[str]:
    """A database of its own, dropped afterwards."""
    name = f"otklik_r13_{uuid.uuid4().hex[:12]}"
    yield name
    await drop_database(mongodb_url, name)


async def test_a_worker_with_an_empty_model_folder_reads_messages_with_the_published_model(
    make_settings: Any, mongodb_url: str, database: str, nlu_model: Path, tmp_path: Path,
) -> None:
    url = with_database(mongodb_url, database)
    trained = ModelDirectory(nlu_model)
    version = trained.current_version()
    assert version is not None
    publisher = MongoModelStore(url)
    await publisher.open()
    try:
        await publisher.publish(trained, version)  # what `otklik nlu train` does on the MongoDB store
    finally:
        await publisher.close()
    settings = make_settings(store="mongo", mongodb_url=url, nlu_model_dir=str(tmp_path / "worker-own-disk"))

    async with running_hub(settings) as hub:
        assert hub.reader is not None
        await hub.reader.refresh()
        reading = await hub.reader.parse("позовите оператора")

    assert (reading.intent, reading.out_of_scope, reading.model_version) == ("human_request", False, version)
