"""What the `otklik nlu …` commands share: their options and loading the training data with a clear error."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dialogs.vocabulary import NLU_DATA
from models.errors import NotFound, PayloadError
from nlu.artefacts import ModelDirectory, NluModel
from nlu.rasa_yaml import load_paths
from nlu.training_data import TrainingData

DataOption = Annotated[list[Path] | None, typer.Option(
    "--data", help="Training files or folders (repeatable; default: the shipped nlu/data).")]
ModelsOption = Annotated[Path, typer.Option(
    "--models", envvar="OTKLIK_NLU_MODEL_DIR", help="Folder of model versions (OTKLIK_NLU_MODEL_DIR).")]


def load_training(paths: list[Path] | None) -> TrainingData:
    """The training data at `paths` (default: the shipped data); a file:line message and exit 1 if bad."""
    try:
        return load_paths(paths or [NLU_DATA])
    except PayloadError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e


def current_model(models: Path) -> NluModel:
    """The active model of a model folder; a message and exit 1 if there is none."""
    try:
        return ModelDirectory(models).load()
    except NotFound as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e
