"""A model trained once on the shipped retail data (nlu/data), for the tests that need one."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from nlu.artefacts import ModelDirectory, NluModel
from nlu.engine import BuiltinEngine
from nlu.rasa_yaml import load_paths
from nlu.training_data import TrainingData

DATA = Path(__file__).resolve().parents[3] / "nlu" / "data"
TODAY = date(2025, 3, 10)


@pytest.fixture(scope="session")
def retail_data() -> TrainingData:
    """The shipped training data."""
    return load_paths([DATA])


@pytest.fixture(scope="session")
def retail_model(nlu_model: Path) -> NluModel:
    """A model trained on the shipped data (the session's one: see tests/conftest.py)."""
    return ModelDirectory(nlu_model).load()


@pytest.fixture
def engine(retail_model: NluModel, tmp_path: Path) -> BuiltinEngine:
    """A builtin engine serving the retail model, loaded from a model folder as in production."""
    directory = ModelDirectory(tmp_path / "models")
    directory.save(retail_model)
    engine = BuiltinEngine(directory, check_every=0, today=lambda: TODAY)
    engine.model = directory.load()
    return engine
