"""Model versions on disk, the `current` pointer, and live reload in a running service."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.errors import NotFound
from nlu.artefacts import METADATA_FILE, ModelDirectory, NluModel
from nlu.engine import BuiltinEngine
from nlu.rasa_yaml import load_text
from nlu.training import train


def small_data(first_intent: str) -> str:
    return (f'version: "3.1"\nnlu:\n- intent: {first_intent}\n  examples: |\n    - где мой заказ\n'
            "    - статус заказа\n    - когда привезут заказ\n"
            "- intent: greet\n  examples: |\n    - привет\n    - здравствуйте\n    - добрый день\n")


def test_saving_writes_model_metadata_and_pointer(retail_model: NluModel, tmp_path: Path) -> None:
    directory = ModelDirectory(tmp_path)
    folder = directory.save(retail_model)
    assert directory.current_version() == retail_model.metadata.version == folder.name
    meta = directory.versions()[0]
    assert meta.data_hash == retail_model.metadata.data_hash and "order_status" in meta.intents
    assert (folder / METADATA_FILE).is_file()
    assert directory.load().metadata.version == meta.version


def test_loading_without_a_model_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        ModelDirectory(tmp_path).load()


def test_activating_an_unknown_version_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFound):
        ModelDirectory(tmp_path).activate("nope")


async def test_a_retrained_model_is_picked_up_by_a_running_engine(tmp_path: Path) -> None:
    directory = ModelDirectory(tmp_path)
    directory.save(train(load_text(small_data("order_status"))))
    engine = BuiltinEngine(directory, check_every=0)
    assert (await engine.parse("где мой заказ")).intent == "order_status"
    directory.save(train(load_text(small_data("where_is_order"))))  # `otklik nlu train` in another process
    result = await engine.parse("где мой заказ")
    assert result.intent == "where_is_order" and result.model_version == directory.current_version()


async def test_the_engine_looks_for_a_new_model_no_more_often_than_configured(tmp_path: Path) -> None:
    directory = ModelDirectory(tmp_path)
    directory.save(train(load_text(small_data("order_status"))))
    engine = BuiltinEngine(directory, check_every=3600)
    assert (await engine.parse("где мой заказ")).intent == "order_status"
    directory.save(train(load_text(small_data("where_is_order"))))
    assert (await engine.parse("где мой заказ")).intent == "order_status"
    assert await engine.reload_if_changed(force=True)
    assert (await engine.parse("где мой заказ")).intent == "where_is_order"


async def test_a_broken_new_model_keeps_the_old_one_serving(tmp_path: Path) -> None:
    directory = ModelDirectory(tmp_path)
    directory.save(train(load_text(small_data("order_status"))))
    engine = BuiltinEngine(directory, check_every=0)
    await engine.parse("привет")
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model.joblib").write_bytes(b"not a pickle")
    directory.activate("broken")
    result = await engine.parse("где мой заказ")
    assert result.intent == "order_status"
