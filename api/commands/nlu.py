"""`otklik nlu …`: train a model from Rasa-format YAML, test it, parse a text with the current one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from pymongo.errors import PyMongoError

from dialogs.vocabulary import NLU_DATA
from models.errors import NotFound, PayloadError
from nlu.artefacts import ModelDirectory
from nlu.engine import BuiltinEngine
from nlu.evaluation import cross_validate, held_out
from nlu.model_store import MongoModelStore
from nlu.rasa_yaml import load_paths
from nlu.training import train as train_model
from nlu.training_data import TrainingData

app = typer.Typer(help="NLU: train, test, parse.", no_args_is_help=True)
T = TypeVar("T")
STEPS = ["loading data", "sentence vectors", "calibrating", "fitting", "entities", "saving"]

DataOption = Annotated[list[Path] | None, typer.Option(
    "--data", help="Training files or folders (repeatable; default: the shipped nlu/data).")]
ModelsOption = Annotated[Path, typer.Option(
    "--models", envvar="OTKLIK_NLU_MODEL_DIR", help="Folder of model versions (OTKLIK_NLU_MODEL_DIR).")]
StoreOption = Annotated[str, typer.Option(
    "--store", envvar="OTKLIK_STORE", help="'mongo': publish to MongoDB (MONGODB_URL), which every process serves.")]
MongoOption = Annotated[str | None, typer.Option("--mongodb-url", envvar="MONGODB_URL", help="MongoDB to publish to.")]


def _load(paths: list[Path] | None) -> TrainingData:
    try:
        return load_paths(paths or [NLU_DATA])
    except PayloadError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e


@app.command()
def train(data: DataOption = None, models: ModelsOption = Path("var/nlu"),
          activate: Annotated[bool, typer.Option(help="Make it the model running services use.")] = True,
          if_changed: Annotated[bool, typer.Option(
              help="Train only when the active model was trained from other data (a deployment's start).")] = False,
          store: StoreOption = "sqlite", mongodb_url: MongoOption = None) -> None:
    """Train a new model version; running services pick it up within seconds (on MongoDB: every process)."""
    shared = _model_store(store, mongodb_url)
    if if_changed and _unchanged(_load(data), ModelDirectory(models), shared):
        return
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
        if shared is not None:
            asyncio.run(_publish(shared, ModelDirectory(models), model.metadata.version, activate))
        step("saving")
    meta = model.metadata
    typer.echo(f"model {meta.version}: {meta.examples} examples, {len(meta.intents)} intents, "
               f"threshold {meta.threshold:.2f}, {meta.training_seconds:.1f} s -> {folder}"
               + ("" if activate else " (not activated)"))


@app.command("activate")
def activate_version(version: Annotated[str, typer.Argument(help="A version `otklik nlu train` printed.")],
                     models: ModelsOption = Path("var/nlu"), store: StoreOption = "sqlite",
                     mongodb_url: MongoOption = None) -> None:
    """Serve another trained version (a rollback); running services switch within seconds."""
    shared = _model_store(store, mongodb_url)
    try:
        if shared is None:
            ModelDirectory(models).activate(version)
        else:
            asyncio.run(_run(shared, lambda: shared.activate(version)))
    except NotFound as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e
    typer.echo(f"model {version} is active")


def _model_store(store: str, mongodb_url: str | None) -> MongoModelStore | None:
    """The shared model store on the MongoDB store; None: the local folder is where services look."""
    if store != "mongo":
        return None
    if not mongodb_url:
        typer.echo("error: OTKLIK_STORE=mongo needs MONGODB_URL", err=True)
        raise typer.Exit(2)
    return MongoModelStore(mongodb_url)


def _unchanged(data: TrainingData, models: ModelDirectory, shared: MongoModelStore | None) -> bool:
    """Whether the active model was trained from exactly this data (then there is nothing to train)."""
    if shared is None:
        current = models.current_version()
        active = None if current is None else next((m for m in models.versions() if m.version == current), None)
    else:
        active = asyncio.run(_run(shared, shared.active_metadata))
    if active is None or active.data_hash != data.fingerprint():
        return False
    typer.echo(f"model {active.version} was trained from this data: nothing to train")
    return True


async def _publish(shared: MongoModelStore, models: ModelDirectory, version: str, activate: bool) -> None:
    await _run(shared, lambda: shared.publish(models, version, activate=activate))


async def _run(shared: MongoModelStore, work: Callable[[], Awaitable[T]]) -> T:
    """Open the store, do `work`, close it; a MongoDB that does not answer is a message and exit 1."""
    await shared.open()
    try:
        return await work()
    except PyMongoError as e:
        typer.echo(f"error: the model store (MongoDB) did not answer: {e}", err=True)
        raise typer.Exit(1) from e
    finally:
        await shared.close()


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
