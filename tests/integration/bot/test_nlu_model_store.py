"""NLU model versions kept in MongoDB (GridFS): published once, served by every process from its own cache.

Real MongoDB (MONGODB_URL or the session's secantusdb server); small models trained from a few examples.
"""

from __future__ import annotations

import asyncio
import gc
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from api.commands.nlu import app
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine
from nlu.model_store import MongoModelStore
from nlu.service import NluService
from tests.fakes.serving import free_port
from tests.integration.model_support import drop_database, small_model, with_database

pytestmark = pytest.mark.mongo


@pytest.fixture
async def store_url(mongodb_url: str) -> AsyncIterator[str]:
    """A database of its own on the test MongoDB, dropped afterwards."""
    name = f"otklik_models_{uuid.uuid4().hex[:12]}"
    yield with_database(mongodb_url, name)
    await drop_database(mongodb_url, name)


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[MongoModelStore]:
    """An open model store on that database."""
    opened = MongoModelStore(store_url)
    await opened.open()
    yield opened
    await opened.close()


def service(store: MongoModelStore | None, folder: Path) -> NluService:
    """A process's NLU service: its own cache folder, following the store without delay."""
    engine = BuiltinEngine(ModelDirectory(folder), check_every=0)
    return NluService(engine, engine, store)


async def test_a_published_version_is_served_by_processes_that_never_saw_it(
    store: MongoModelStore, tmp_path: Path,
) -> None:
    trainer = ModelDirectory(tmp_path / "trainer")
    trainer.save(small_model("order_status"))
    version = trainer.current_version()
    assert version is not None
    await store.publish(trainer, version)

    first, second = service(store, tmp_path / "api"), service(store, tmp_path / "worker")
    await asyncio.gather(first.refresh(), second.refresh())
    parsed = [await s.parse("где мой заказ") for s in (first, second)]

    assert await store.active_version() == version
    assert [s.model_version for s in (first, second)] == [version, version]
    assert [(p.intent, p.model_version) for p in parsed] == [("order_status", version)] * 2
    assert (tmp_path / "worker" / version / "model.joblib").read_bytes() == \
        (tmp_path / "trainer" / version / "model.joblib").read_bytes()


async def test_activating_an_older_version_rolls_every_process_back(store: MongoModelStore, tmp_path: Path) -> None:
    trainer = ModelDirectory(tmp_path / "trainer")
    trainer.save(small_model("order_status"))
    older = trainer.current_version()
    trainer.save(small_model("delivery_status"))
    newer = trainer.current_version()
    assert older is not None and newer is not None and older != newer
    await store.publish(trainer, older)
    await store.publish(trainer, newer)
    worker = service(store, tmp_path / "worker")
    await worker.refresh()
    served_newer = (await worker.parse("когда привезут заказ")).intent

    await store.activate(older)
    await worker.refresh()

    assert served_newer == "delivery_status"
    assert worker.model_version == older and (await worker.parse("когда привезут заказ")).intent == "order_status"


async def test_two_processes_on_one_disk_fetching_the_same_version_both_serve_it(
    store: MongoModelStore, tmp_path: Path,
) -> None:
    trainer = ModelDirectory(tmp_path / "trainer")
    trainer.save(small_model("order_status"))
    version = trainer.current_version()
    assert version is not None
    await store.publish(trainer, version)
    shared = tmp_path / "shared"

    synced = await asyncio.gather(*(store.sync(ModelDirectory(shared)) for _ in range(3)))

    assert synced == [version] * 3
    assert sorted(p.name for p in shared.iterdir()) == sorted(["current", version])  # no staging folder left behind


async def test_a_store_that_does_not_answer_leaves_the_loaded_model_serving(
    store: MongoModelStore, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    trainer = ModelDirectory(tmp_path / "trainer")
    trainer.save(small_model("order_status"))
    version = trainer.current_version()
    assert version is not None
    await store.publish(trainer, version)
    worker = service(store, tmp_path / "worker")
    await worker.refresh()
    down = MongoModelStore(f"mongodb://127.0.0.1:{free_port()}/otklik")  # nobody listens there
    await down.open()
    try:
        worker.store = down
        await worker.refresh()
        parsed = await worker.parse("где мой заказ")
        logged = any("nlu model store not read" in r.getMessage() for r in caplog.records)
    finally:
        await down.close()
        caplog.clear()  # a record could keep the refused connection alive past the collection below
        with warnings.catch_warnings():  # PyMongo's async client leaves a refused connection's socket to the
            warnings.simplefilter("ignore", ResourceWarning)  # garbage collector: collect it here, knowingly
            gc.collect()

    assert parsed.intent == "order_status" and parsed.model_version == version
    assert logged


async def test_activating_a_version_never_published_is_refused(store: MongoModelStore, store_url: str) -> None:
    result = await asyncio.to_thread(CliRunner().invoke, app, [
        "activate", "20990101T000000000000Z-deadbeef", "--store", "mongo", "--mongodb-url", store_url])

    assert result.exit_code == 1 and "no published NLU model version 20990101T000000000000Z-deadbeef" in result.output
    assert await store.active_version() is None


async def test_train_if_changed_keeps_the_active_version_trained_from_the_same_data(
    store: MongoModelStore, store_url: str, nlu_model: Path, tmp_path: Path,
) -> None:
    trainer = ModelDirectory(nlu_model)  # trained from the shipped data: what a first deployment's nlu-train published
    version = trainer.current_version()
    assert version is not None
    await store.publish(trainer, version)

    result = await asyncio.to_thread(CliRunner().invoke, app, [
        "train", "--if-changed", "--store", "mongo", "--mongodb-url", store_url, "--models", str(tmp_path / "again")])

    assert result.exit_code == 0, result.output
    assert f"model {version} was trained from this data: nothing to train" in result.output
    assert await store.active_version() == version and not (tmp_path / "again").exists()
