"""`otklik nlu …`: train a model from Rasa-format YAML, test it, parse a text with the current one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from models.errors import NotFound, PayloadError
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine
from nlu.evaluation import cross_validate, held_out
from nlu.rasa_yaml import load_paths
from nlu.training import train as train_model
from nlu.training_data import TrainingData

app = typer.Typer(help="NLU: train, test, parse.", no_args_is_help=True)
STEPS = ["loading data", "sentence vectors", "calibrating", "fitting", "entities", "saving"]

DataOption = Annotated[list[Path] | None, typer.Option(
    "--data", help="Training files or folders (repeatable; default nlu/data).")]
ModelsOption = Annotated[Path, typer.Option(
    "--models", envvar="OTKLIK_NLU_MODEL_DIR", help="Folder of model versions (OTKLIK_NLU_MODEL_DIR).")]


def _load(paths: list[Path] | None) -> TrainingData:
    try:
        return load_paths(paths or [Path("nlu/data")])
    except PayloadError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e


@app.command()
def train(data: DataOption = None, models: ModelsOption = Path("var/nlu"),
          activate: Annotated[bool, typer.Option(help="Make it the model running services use.")] = True) -> None:
    """Train a new model version; running services pick it up within seconds."""
    with typer.progressbar(length=len(STEPS), label="training") as bar:
        done = {"loading data"}
        training = _load(data)
        bar.update(1)

        def step(name: str) -> None:
            if name in STEPS and name not in done:
                done.add(name)
                bar.update(1)

        model = train_model(training, progress=step)
        step("entities")
        folder = ModelDirectory(models).save(model, activate=activate)
        step("saving")
    meta = model.metadata
    typer.echo(f"model {meta.version}: {meta.examples} examples, {len(meta.intents)} intents, "
               f"threshold {meta.threshold:.2f}, {meta.training_seconds:.1f} s -> {folder}"
               + ("" if activate else " (not activated)"))


@app.command()
def test(data: DataOption = None,
         folds: Annotated[int, typer.Option(min=2, help="k for k-fold cross-validation.")] = 5,
         test_file: Annotated[Path | None, typer.Option(help="Evaluate on this held-out file instead.")] = None,
         worst: Annotated[int, typer.Option(help="How many confusion pairs to list.")] = 10) -> None:
    """Accuracy, macro-F1, per-intent precision/recall, worst confusions and out-of-scope precision/recall."""
    training = _load(data)
    if test_file is None:
        report = cross_validate(training, folds, progress=lambda s: typer.echo(s, err=True))
    else:
        report = held_out(train_model(training), _load([test_file]))
    for line in report.lines(worst):
        typer.echo(line)


@app.command()
def parse(text: Annotated[str, typer.Argument(help="What a customer wrote.")],
          models: ModelsOption = Path("var/nlu")) -> None:
    """Parse one text with the current model and print the result as JSON."""
    engine = BuiltinEngine(ModelDirectory(models), check_every=0)
    try:
        asyncio.run(engine.reload_if_changed(force=True))
        if engine.model is None:
            raise NotFound(f"no trained model in {models} (run `otklik nlu train`)")
    except NotFound as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e
    typer.echo(engine.parse_now(text).model_dump_json(indent=2))
