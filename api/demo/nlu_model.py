"""What `otklik demo` needs for the bot to answer: an NLU model trained from the shipped data, once."""

from __future__ import annotations

from pathlib import Path

from bots.flows import NLU_DATA
from hub.settings import Settings
from nlu.artefacts import ModelDirectory
from nlu.rasa_yaml import load_paths
from nlu.training import train


def ensure_nlu_model(settings: Settings) -> bool:
    """Train nlu/data into the configured model folder unless a model is there already; True if trained."""
    models = ModelDirectory(Path(settings.nlu_model_dir))
    if settings.nlu_engine != "builtin" or models.current_version() is not None:
        return False
    models.save(train(load_paths([NLU_DATA])))  # ~2 s: the demo's flows need intents to start
    return True
